"""Shared fixtures: the real Kiwi (one per test process, via indexer.analysis) and real indexes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from indexer.index import bundled_seeds, reindex
from indexer.search import SearchEngine


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
