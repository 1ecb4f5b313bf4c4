"""Shared fixtures: the real Kiwi (one per test process, via indexer.analysis) and real indexes."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from indexer.index import bundled_seeds, reindex
from indexer.search import SearchEngine
from web import create_app


@pytest.fixture(scope="session")
def seeds_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of the bundled seeds, built once per session: treat it as read-only."""
    index_dir = tmp_path_factory.mktemp("seeds-index")
    reindex([bundled_seeds()], index_dir)
    return index_dir


@pytest.fixture(scope="session")
def seeds_engine(seeds_index: Path) -> SearchEngine:
    return SearchEngine(seeds_index)


@pytest.fixture
def tmp_index(tmp_path: Path) -> Path:
    """A fresh, not yet created index folder."""
    return tmp_path / "index"


@pytest.fixture
def seeds_copy(tmp_path: Path) -> Path:
    """A writable copy of the seeds folder, for tests that change files."""
    target = tmp_path / "seeds"
    shutil.copytree(bundled_seeds(), target)
    return target


# ---- web fixtures (web/ and `dari serve`): one app, one real server per session ----

KOREAN_SEED = "002_2be1082304330c6a.txt"  # the bundled Korean press release
ODD_ID = "notes/2024/회의록 #1.txt"  # id with '/', a space, '#' and Hangul
ODD_TEXT = (
    'Minutes <script>alert("doc")</script> <img src=x onerror=alert(1)> & more.\n'
    "회의 안건: 노사 협력 meeting agenda\n"
)


@pytest.fixture(scope="session")
def web_app(seeds_index):
    """The Flask app over the seeds index, shared by the session."""
    return create_app(seeds_index)


@pytest.fixture()
def client(web_app):
    return web_app.test_client()


@pytest.fixture(scope="session")
def odd_index(tmp_path_factory) -> Path:
    """An index holding one document whose id needs URL quoting and whose text is HTML-like."""
    root = tmp_path_factory.mktemp("odd-docs")
    doc = root / ODD_ID
    doc.parent.mkdir(parents=True)
    doc.write_text(ODD_TEXT, encoding="utf-8")
    index_dir = tmp_path_factory.mktemp("odd-index")
    reindex([root], index_dir)
    return index_dir


@pytest.fixture(scope="session")
def odd_client(odd_index):
    return create_app(odd_index).test_client()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def served(index_dir: Path, log_path: Path) -> Iterator[str]:
    """A real `dari serve` on a free port over ``index_dir`` (indexing the seeds if it is empty),
    its base URL once /api/health answers; stopped on exit."""
    port = _free_port()
    dari = Path(sys.executable).with_name("dari")
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [str(dari), "serve", "--index", str(index_dir), "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                pytest.fail(f"dari serve exited {proc.returncode}:\n{log_path.read_text()}")
            try:
                with urllib.request.urlopen(base + "/api/health", timeout=5) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"dari serve did not answer /api/health:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=15)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[str]:
    """A real `dari serve` on a free port over an empty index dir, so it indexes the seeds itself."""
    index_dir = tmp_path_factory.mktemp("served-index")
    with served(index_dir, index_dir.parent / "dari-serve.log") as base:
        yield base
