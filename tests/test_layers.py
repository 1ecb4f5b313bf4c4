"""The house reads top to bottom: each module's docstring says which of dari's modules it imports,
that is what it imports, and none imports a module later in the flow (analysis → documents →
index → query → scoring → rerank/highlight/suggest → search → cli, web)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Every module of indexer/ and web/, in the order of the flow: each may import only those before it.
FLOW = [
    "indexer.display",
    "indexer.storage",
    "indexer.jamo",
    "indexer.keyboard",
    "indexer.spelling",
    "indexer.hanja",
    "indexer.morphemes",
    "indexer.analysis",
    "indexer.surface",
    "indexer.decoding",
    "indexer.sources",
    "indexer.names",
    "indexer.readers",
    "indexer.readers.docx",
    "indexer.readers.hwp",
    "indexer.readers.hwpx",
    "indexer.readers.pdf",
    "indexer.readers.pptx",
    "indexer.readers.xlsx",
    "indexer.extraction",
    "indexer.markdown",
    "indexer.textfiles",
    "indexer.jsonl",
    "indexer.documents",
    "indexer.lexicon",
    "indexer.progress",
    "indexer.blocks",
    "indexer.codec",
    "indexer.schema",
    "indexer.writer",
    "indexer.index",
    "indexer.query",
    "indexer.matches",
    "indexer.scoring",
    "indexer.positions",
    "indexer.collector",
    "indexer.synonyms",
    "indexer.bridge",
    "indexer.rerank",
    "indexer.highlight",
    "indexer.paging",
    "indexer.layout",
    "indexer.suggest",
    "indexer.fuzzy",
    "indexer.vocabulary",
    "indexer.forgive",
    "indexer.facets",
    "indexer.results",
    "indexer.search",
    "indexer.evaluate",
    "indexer.watch",
    "indexer.terminal",
    "indexer.serving",
    "web.core",
    "web.openapi",
    "web.api",
    "web.pages",
    "web",
    "indexer.cli",  # `dari serve` starts the web app
]
# The shells reach the engine through these alone, never Whoosh or Kiwi (watch: `dari watch`).
SHELLS = {
    "indexer.cli",
    "indexer.terminal",
    "indexer.serving",
    "web",
    "web.core",
    "web.openapi",
    "web.api",
    "web.pages",
}
SHELL_MAY_IMPORT = {
    "indexer.search",
    "indexer.index",
    "indexer.evaluate",
    "indexer.display",
    "indexer.watch",
    "indexer.terminal",
    "indexer.serving",
}
IMPORTS_SENTENCE = re.compile(r"(?:^|\s)Imports ([^.]*)\.")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {
    module_name(path): path
    for package in ("indexer", "web")
    for path in sorted((ROOT / package).rglob("*.py"))
    if "__pycache__" not in path.parts and module_name(path) != "indexer"
}


def imported(path: Path) -> set[str]:
    """The dari modules ``path`` imports (a ``from package import module`` names the module)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in MODULES else node.module)
    return {name for name in found if name in MODULES}


def declared(name: str, path: Path) -> set[str] | None:
    """The modules the docstring's "Imports ``a`` and ``b``." names (None: it has no such sentence),
    each a module of the same package or of ``indexer``."""
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    sentence = IMPORTS_SENTENCE.search(docstring)
    if sentence is None:
        return None
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    names = set()
    for short in re.findall(r"``([\w.]+)``", sentence.group(1)):
        for candidate in (f"{package}.{short}", f"indexer.{short}", short):
            if candidate in MODULES:
                names.add(candidate)
                break
        else:
            names.add(f"?{short}")
    return names


def test_every_module_has_its_place_in_the_flow() -> None:
    assert sorted(set(MODULES) - set(FLOW)) == [], "add the new module to FLOW in tests/test_layers.py"
    assert sorted(set(FLOW) - set(MODULES)) == []


@pytest.mark.parametrize("name", sorted(MODULES))
def test_a_module_says_what_it_imports_and_imports_nothing_downstream(name: str) -> None:
    path = MODULES[name]
    found = imported(path)
    said = declared(name, path)
    assert said is not None, (
        f"{path.relative_to(ROOT)}: its docstring needs a sentence 'Imports ``a`` and ``b``.' "
        "(or 'Imports nothing of dari.')"
    )
    assert found == said, (
        f"{path.relative_to(ROOT)} imports {sorted(found)}, its docstring says {sorted(said)}"
    )
    later = [other for other in found if FLOW.index(other) >= FLOW.index(name) and other != name]
    assert later == [], f"{name} imports modules later in the flow: {later}"
    if name in SHELLS:
        assert found - SHELL_MAY_IMPORT <= SHELLS, f"{name} reaches past search/index/evaluate: {found}"
