"""`dari watch` and `dari serve --watch`, as real processes over a real folder: files added, edited
and deleted are found (or gone) a moment later; a bad file, a busy index and a killed server are
reported or survived, never a crash loop."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from faultkit import DARI, get, serving, stop_group, wait_for

from indexer.index import IndexMissing, IndexUnusable, _open_or_create
from indexer.search import SearchEngine
from indexer.writer import open_writer


def total(index: Path, query: str) -> int:
    """How many documents ``query`` finds now (-1: no index yet)."""
    try:
        return SearchEngine(index, warm=False).search(query).total
    except (IndexMissing, IndexUnusable, FileNotFoundError):
        return -1


@dataclass
class Watcher:
    docs: Path
    index: Path
    process: subprocess.Popen
    log: Path  # its stderr

    def soon(self, condition: Callable[[], bool]) -> None:
        assert wait_for(condition, self.process, timeout=60), self.log.read_text(encoding="utf-8")

    def said(self, words: str) -> Callable[[], bool]:
        return lambda: words in self.log.read_text(encoding="utf-8")


@pytest.fixture
def watcher(tmp_path: Path) -> Iterator[Watcher]:
    docs, index, log = tmp_path / "docs", tmp_path / "index", tmp_path / "watch.log"
    docs.mkdir()
    (docs / "first.txt").write_text("The first report on apprenticeships.\n", encoding="utf-8")
    with log.open("wb") as err:
        process = subprocess.Popen(
            [str(DARI), "watch", str(docs), "--index", str(index)],
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
        )
    running = Watcher(docs, index, process, log)
    try:
        running.soon(lambda: total(index, "apprenticeships") == 1)
        yield running
    finally:
        stop_group(process)


def test_added_edited_and_deleted_files_are_indexed_as_they_change(watcher: Watcher) -> None:
    docs, index = watcher.docs, watcher.index
    (docs / "second.md").write_text("# 청년 일자리\n\n청년 고용 정책을 발표했다.\n", encoding="utf-8")
    watcher.soon(lambda: total(index, "청년") == 1)
    (docs / "first.txt").write_text("The first report, now on cooperatives.\n", encoding="utf-8")
    watcher.soon(lambda: total(index, "cooperatives") == 1 and total(index, "apprenticeships") == 0)
    (docs / "second.md").unlink()
    watcher.soon(lambda: total(index, "청년") == 0)
    assert watcher.process.poll() is None


def test_a_bad_file_is_reported_and_the_watcher_goes_on(watcher: Watcher) -> None:
    (watcher.docs / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10)
    watcher.soon(watcher.said("image.txt: binary file"))
    (watcher.docs / "later.txt").write_text("Later news on wages.\n", encoding="utf-8")
    watcher.soon(lambda: total(watcher.index, "wages") == 1)
    assert watcher.process.poll() is None


def test_a_busy_index_is_reported_and_tried_again(watcher: Watcher) -> None:
    """Another writer holds the lock when files change: the watcher says so, waits, and indexes
    the change once the lock is free, without a new change to prompt it."""
    ix, _ = _open_or_create(watcher.index, full=False)
    writer = open_writer(ix, watcher.index)
    try:
        (watcher.docs / "blocked.txt").write_text("Held up by a busy index: tripartism.\n", encoding="utf-8")
        watcher.soon(watcher.said("is locked by another reindex"))
        assert watcher.said("trying again in")()
        assert total(watcher.index, "tripartism") == 0
    finally:
        writer.cancel()
    watcher.soon(lambda: total(watcher.index, "tripartism") == 1)


def watchers_of(pid: int) -> list[int]:
    """The `dari watch` processes a `dari serve` of ``pid`` started."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"watch" in command and str(pid).encode() in command:
            found.append(int(entry.name))
    return found


def test_serve_watch_indexes_the_folder_first_and_serves_its_changes(tmp_path: Path) -> None:
    docs, index = tmp_path / "docs", tmp_path / "index"
    docs.mkdir()
    (docs / "a.txt").write_text("Social dialogue in Geneva.\n", encoding="utf-8")
    with serving(index, tmp_path / "serve.log", "--watch", str(docs)) as server:
        status, body = get(server, "/api/search?q=Geneva")
        assert status == 200 and json.loads(body)["total"] == 1  # not the seeds: the watched folder
        (docs / "b.txt").write_text("Decent work in Jakarta.\n", encoding="utf-8")
        assert wait_for(lambda: json.loads(get(server, "/api/search?q=Jakarta")[1])["total"] == 1, timeout=60)
        (watcher,) = watchers_of(server.process.pid)
        os.kill(server.process.pid, signal.SIGKILL)  # the server dies without its finally
        assert wait_for(lambda: not Path(f"/proc/{watcher}").exists() or _zombie(watcher), timeout=30)


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z")
    except OSError:
        return True
