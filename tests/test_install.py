"""A plain `pip install .` (not editable) into a fresh virtualenv is a whole dari: every module,
template, data file and the bundled seeds, which `dari serve` indexes and serves with no checkout
beside it.  (The seeds used to be found only through the source tree.)"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from faultkit import get, serving

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ["pyproject.toml", "README.md", "indexer", "web", "seeds"]


def shipped_files(root: Path) -> set[str]:
    """The checkout's files that belong in the package, as paths inside site-packages."""
    files = set()
    for package in ("indexer", "web"):
        for path in (root / package).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                files.add(path.relative_to(root).as_posix())
    files.update(f"indexer/seeds/{path.name}" for path in (root / "seeds").iterdir())
    return files


def test_a_plain_pip_install_serves_the_bundled_seeds(tmp_path: Path) -> None:
    source = tmp_path / "source"  # a copy, so the build leaves nothing in the checkout
    source.mkdir()
    for name in SHIPPED:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(ROOT / name, source / name)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    installed = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", str(source)], capture_output=True, text=True
    )
    assert installed.returncode == 0, installed.stderr

    site = next((venv / "lib").glob("python3*/site-packages"))
    found = {
        path.relative_to(site).as_posix()
        for package in ("indexer", "web")
        for path in (site / package).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert found == shipped_files(ROOT)

    elsewhere = tmp_path / "elsewhere"  # no checkout in sight
    elsewhere.mkdir()
    index, log = tmp_path / "index", tmp_path / "serve.log"
    with serving(index, log, dari=venv / "bin" / "dari", cwd=elsewhere) as server:
        status, body = get(server, "/api/search?q=ILO")
        assert status == 200
        assert json.loads(body)["total"] == 5  # all five seeds name the ILO
        status, page = get(server, "/search?q=%EB%85%B8%EB%8F%99")  # 노동: the page and its template
        assert status == 200 and b"<mark>" in page
