"""The user's everyday path: index a folder, edit, delete and add files, reindex, search every way.

Each round changes the files, runs the real `dari reindex` (incremental), then asks every kind of
query through three doors: the engine (a long-lived one that saw the old index, as a server holds it,
and a fresh one), the `dari search --json` subprocess, and a running `dari serve`'s HTTP API.  A last
round rebuilds with `--full` and must find the same documents.  (The postings fast paths once
crashed on any segment holding deleted documents; no test searched such an index.)
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import served

from indexer.index import bundled_seeds
from indexer.search import SearchEngine

DARI = Path(sys.executable).with_name("dari")
P000, P001, P002, P003, P004 = sorted(path.name for path in bundled_seeds().iterdir())
NEW = "005_new.txt"
HEATWAVE = "폭염 대책\n고용노동부는 폭염 속 옥외 노동자 보호 대책을 발표했다.\n"

# (query, lang, what the hit ids must be): a list is the exact order of the first hits, a set the
# exact set of hits, a str the first hit.
Expectation = list[str] | set[str] | str
ROUND_ONE: list[tuple[str, str | None, Expectation]] = [
    ("heatwave protection", None, P001),  # the edited file's new words
    ("폭염 대책", None, NEW),  # the added file
    ("briefing", None, set()),  # only the deleted file had it
    ('"labor policy"', None, {P001}),  # phrase (000, which also had it, is gone)
    ("ILO AND 협력", None, [P002]),  # boolean
    ("title:폭염", None, [NEW]),  # field scope
    ("heatwa*", None, [P001]),  # wildcard
    ("ILO -Bangkok", None, {P001, P002, P003}),  # a word that must not be there
    ("+Bangkok ILO", None, [P004]),  # a word that must be there
    ("ILO", "ko", [P002]),  # language filter
    ("lang:en ILO", None, {P001, P003, P004}),  # the same, typed
    ("고용노동부", None, {P002, NEW, P001, P003, P004}),  # the English ones through the bridge
]
ROUND_TWO: list[tuple[str, str | None, Expectation]] = [
    ("한파 대책", None, NEW),  # edited again
    ("폭염", None, set()),
    ("briefing", None, [P000]),  # back again
    ("Bangkok", None, set()),  # 004 deleted
    ('"labor policy"', None, {P000, P001}),
    ("ILO -Bangkok", None, {P000, P001, P002, P003}),
    ("heatwa*", None, [P001]),
    ("lang:ko 고용노동부", None, {P002, NEW}),
]


def check(found: list[str], expected: Expectation, where: str) -> None:
    if isinstance(expected, str):
        assert found[:1] == [expected], where
    elif isinstance(expected, set):
        assert set(found) == expected, where
    else:
        assert found[: len(expected)] == expected and len(found) == len(expected), where


def cli_ids(index_dir: Path, query: str, lang: str | None) -> list[str]:
    args = [str(DARI), "search", query, "--index", str(index_dir), "--json", "--limit", "100"]
    args += ["--lang", lang] if lang else []
    done = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return [hit["id"] for hit in json.loads(done.stdout)["hits"]]


def api(base: str, path: str, **params) -> tuple[int, dict]:
    url = base + path + ("?" + urllib.parse.urlencode(params) if params else "")
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def api_ids(base: str, query: str, lang: str | None) -> list[str]:
    status, body = api(base, "/api/search", q=query, per_page=100, **({"lang": lang} if lang else {}))
    assert status == 200, body
    return [hit["id"] for hit in body["hits"]]


def search_every_way(
    cases: list, index_dir: Path, held: SearchEngine, base: str, cli_queries: set[str] | None = None
) -> None:
    """Each case through a long-lived engine, a fresh one, the HTTP API and (for ``cli_queries``,
    default all) the CLI subprocess, run a few at a time."""
    fresh = SearchEngine(index_dir)
    for query, lang, expected in cases:
        for name, engine in (("held engine", held), ("fresh engine", fresh)):
            check(
                [hit.id for hit in engine.search(query, lang=lang, per_page=100).hits],
                expected,
                f"{name}: {query!r}",
            )
        check(api_ids(base, query, lang), expected, f"API: {query!r}")
    on_cli = [case for case in cases if cli_queries is None or case[0] in cli_queries]
    with ThreadPoolExecutor(max_workers=3) as pool:
        found = list(pool.map(lambda case: cli_ids(index_dir, case[0], case[1]), on_cli))
    for (query, _, expected), ids in zip(on_cli, found, strict=True):
        check(ids, expected, f"CLI: {query!r}")


def reindex(folder: Path, index_dir: Path, *extra: str) -> str:
    done = subprocess.run(
        [str(DARI), "reindex", str(folder), "--index", str(index_dir), *extra],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def marks(html_text: str) -> list[str]:
    return re.findall(r"<mark[^>]*>(.*?)</mark>", html_text)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "docs"
    shutil.copytree(bundled_seeds(), target)
    return target


def test_edit_delete_add_reindex_then_every_query_kind_every_way(folder: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    assert "5 added" in reindex(folder, index_dir)
    held = SearchEngine(index_dir)
    assert held.search("briefing").hits[0].id == P000
    with served(index_dir, tmp_path / "serve.log") as base:
        # Round one: edit one, delete one, add one.
        with (folder / P001).open("a", encoding="utf-8") as f:
            f.write("\nA later note on heatwave protection for platform workers.\n")
        (folder / P000).unlink()
        (folder / NEW).write_text(HEATWAVE, encoding="utf-8")
        assert "1 added, 1 updated, 1 deleted, 3 unchanged" in reindex(folder, index_dir)
        search_every_way(ROUND_ONE, index_dir, held, base)

        # The document page and API: marks on the edited document, the deleted one gone.
        marked = held.mark_document(P001, "heatwave protection")
        assert marks(marked)[-2:] == ["heatwave", "protection"]
        assert {mark.lower() for mark in marks(marked)} == {"heatwave", "protection", "protect"}
        with urllib.request.urlopen(f"{base}/doc/{P001}?q=heatwave", timeout=30) as response:
            assert marks(response.read().decode()) == ["heatwave"]
        assert api(base, f"/api/docs/{P000}")[0] == 404
        status, doc = api(base, f"/api/docs/{NEW}")
        assert status == 200 and "폭염" in doc["text"]
        status, body = api(base, "/api/search", q="고용노동부")
        found = {mark.lower() for hit in body["hits"] for mark in marks(hit["snippet"])}
        assert found == {"고용노동부", "employment"}  # the English hits marked where the bridge found them

        # Round two: edit the new one again, delete another, bring the first back.
        (folder / NEW).write_text(HEATWAVE.replace("폭염", "한파"), encoding="utf-8")
        (folder / P004).unlink()
        shutil.copy(bundled_seeds() / P000, folder / P000)
        assert "1 added, 1 updated, 1 deleted, 3 unchanged" in reindex(folder, index_dir)
        on_cli = {"한파 대책", "briefing", "ILO -Bangkok"}
        search_every_way(ROUND_TWO, index_dir, held, base, cli_queries=on_cli)

        # An unchanged run changes nothing; then a full rebuild finds the same documents.
        assert "0 added, 0 updated, 0 deleted, 5 unchanged" in reindex(folder, index_dir)
        incremental = {
            query: [hit.id for hit in held.search(query, per_page=100).hits]
            for query, _, _ in ROUND_ONE + ROUND_TWO
        }
        assert "5 added" in reindex(folder, index_dir, "--full")
        search_every_way(ROUND_TWO, index_dir, held, base, cli_queries={"ILO -Bangkok"})
        for query, ids in incremental.items():
            assert set(api_ids(base, query, None)) == set(ids), query
