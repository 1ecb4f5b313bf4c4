"""The index is never lost: real `dari reindex` processes killed with SIGKILL, racing a second
writer, and searched while they write, on a generated corpus of a few thousand documents."""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from itertools import cycle
from pathlib import Path
from urllib.parse import quote

import pytest
from faultkit import (
    DARI,
    Progress,
    get,
    holds_lock,
    new_file,
    run_dari,
    serving,
    start_dari,
    stop_group,
    wait_for,
    write_corpus,
)

from indexer.index import reindex
from indexer.search import SearchEngine

BASE = 1500  # documents in the committed index every test starts from
BATCH = 200  # documents each killed reindex tries to add


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A generated corpus and its committed index, built once: tests read the corpus, copy the index."""
    root = tmp_path_factory.mktemp("base")
    write_corpus(root / "docs", BASE, "alpha")
    reindex([root / "docs"], root / "index")
    return root / "docs", root / "index"


@pytest.fixture
def corpus(base: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    """The shared corpus folder and a private copy of its index."""
    docs, index = base
    shutil.copytree(index, tmp_path / "index")
    return docs, tmp_path / "index"


KillWhen = Callable[[Path, Progress, set[str], int, int], Callable[[], bool]]


def documents_in(share: float) -> KillWhen:
    """When the progress bar has passed the ``skip`` unchanged files and ``share`` of the ``work``."""
    return lambda index, run, before, skip, work: lambda: run.count() >= skip + share * work


def new_index_file(suffix: str) -> KillWhen:
    """When the commit writes its first file ending in ``suffix``."""
    return lambda index, run, before, skip, work: new_file(index, suffix, before)


# (where, when to kill, documents the run adds, reindex --full?).  The halfway kill adds many
# documents, so that the progress bar also moves mid-way when workers index them in parallel.
KILL_POINTS = [
    ("holding the lock", lambda index, run, before, skip, work: holds_lock(index, run.process), BATCH, False),
    ("halfway through the new documents", documents_in(1 / 2), 1500, False),
    ("writing the segment's columns", new_index_file(".col"), BATCH, False),
    ("writing the compound segment", new_index_file(".seg"), BATCH, False),
    ("writing a --full rebuild's columns", new_index_file(".col"), BATCH, True),
]


def marker_totals(index: Path, markers: list[str]) -> tuple[int, dict[str, int]]:
    engine = SearchEngine(index)
    return engine.doc_count(), {marker: engine.search(marker, per_page=1).total for marker in markers}


def test_kill_9_at_any_point_keeps_the_last_commit_and_the_next_reindex_recovers(
    corpus: tuple[Path, Path], tmp_path: Path
) -> None:
    docs, index = corpus
    new = tmp_path / "new"
    committed, pending = BASE, 0
    sizes = {"alpha": BASE}
    killed: list[Progress] = []  # only the `dari` process itself is killed, as `kill -9 PID` would
    try:
        for step, (point, kill_when, size, full) in enumerate(KILL_POINTS):
            sizes[f"batch{step}"] = size
            write_corpus(new, size, f"batch{step}", seed=step)
            pending += size
            # The progress bar counts files read: unchanged ones go by fast, then come those to index.
            reads = sum(sizes.values())
            work = reads if full else pending
            before = set(os.listdir(index))
            run = Progress("reindex", str(docs), str(new), "--index", str(index), *(["--full"] * full))
            killed.append(run)
            # Also shows that the killed run before it left no lock behind (not even in a worker).
            reached = wait_for(kill_when(index, run, before, reads - work, work), run.process)
            assert reached, f"reindex ended before {point}: {run.last_words()}"
            os.kill(run.process.pid, signal.SIGKILL)
            assert run.process.wait(timeout=30) == -signal.SIGKILL

            count, totals = marker_totals(index, list(sizes))
            # The last commit, or (killed just after its table of contents was renamed) the new one.
            assert count in (committed, committed + pending), point
            if count == committed + pending:
                committed, pending = count, 0
            # Each batch is all in or all out, and the searches count exactly the documents there are.
            assert all(totals[marker] in (0, size) for marker, size in sizes.items()), (point, totals)
            assert totals["alpha"] == BASE and sum(totals.values()) == count, (point, totals)

            if step == 0:  # the CLI reads the same index
                found = run_dari("search", "alpha", "--index", str(index), "--json")
                assert found.returncode == 0, found.stderr
                assert json.loads(found.stdout)["total"] == BASE

        # The next reindex is not blocked by the killed writers' lock and pid files, and finishes.
        write_corpus(new, 10, "final")
        done = run_dari("reindex", str(docs), str(new), "--index", str(index))
        assert done.returncode == 0, done.stderr
    finally:
        for run in killed:
            run.close()
    count, totals = marker_totals(index, [*sizes, "final"])
    assert count == sum(sizes.values()) + 10 and sum(totals.values()) == count
    assert_only_live_files(index)


def assert_only_live_files(index: Path) -> None:
    """The last commit cleared what failed writers left: only segments, tables of contents (one
    being written, "_MAIN_7.toc.<time>", is too small to matter and is kept) and the lock files."""
    leftovers = {name for name in os.listdir(index) if not re.search(r"\.seg$|\.toc(\.[\d.]+)?$", name)}
    assert leftovers == {"MAIN_WRITELOCK", "dari-writer.pid"}


def test_kill_9_before_the_first_commit_leaves_no_index_and_a_clear_message(tmp_path: Path) -> None:
    docs, index = tmp_path / "docs", tmp_path / "index"
    write_corpus(docs, BATCH, "first")
    run = Progress("reindex", str(docs), "--index", str(index))
    try:
        assert wait_for(lambda: run.count() >= BATCH / 2, run.process)
        os.kill(run.process.pid, signal.SIGKILL)
        run.process.wait(timeout=30)
    finally:
        run.close()
    missing = run_dari("search", "first", "--index", str(index))
    assert missing.returncode != 0
    assert missing.stderr.strip().splitlines() == [f"Error: No index at {index}: run `dari reindex` first."]
    done = run_dari("reindex", str(docs), "--index", str(index))
    assert done.returncode == 0, done.stderr
    assert SearchEngine(index).doc_count() == BATCH


def test_a_failed_write_keeps_the_last_commit_and_says_why_in_one_line(
    corpus: tuple[Path, Path], tmp_path: Path
) -> None:
    """A disk filling up mid-reindex, played by a 16 KB file size limit on the writer (EFBIG)."""
    docs, index = corpus
    write_corpus(tmp_path / "new", BATCH, "full")
    limited = subprocess.run(
        [str(DARI), "reindex", str(docs), str(tmp_path / "new"), "--index", str(index)],
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (16384, 16384)),
    )
    assert limited.returncode == 1
    assert limited.stderr.splitlines() == [f"Error: Cannot write the index at {index}: File too large"]
    assert marker_totals(index, ["alpha", "full"]) == (BASE, {"alpha": BASE, "full": 0})
    done = run_dari("reindex", str(docs), str(tmp_path / "new"), "--index", str(index))
    assert done.returncode == 0, done.stderr
    assert marker_totals(index, ["alpha", "full"]) == (BASE + BATCH, {"alpha": BASE, "full": BATCH})
    assert_only_live_files(index)


def test_a_second_reindex_is_refused_in_seconds_with_the_holders_pid(
    corpus: tuple[Path, Path], tmp_path: Path
) -> None:
    docs, index = corpus
    write_corpus(tmp_path / "new", BATCH, "second")
    first = start_dari("reindex", "--full", str(docs), str(tmp_path / "new"), "--index", str(index))
    try:
        assert wait_for(holds_lock(index, first), first)
        # Paused while it holds the lock (a rebuild can finish in a second): its group, workers too.
        os.killpg(first.pid, signal.SIGSTOP)
        started = time.monotonic()
        second = run_dari("reindex", str(docs), "--index", str(index), timeout=60)
        assert time.monotonic() - started < 20  # 2 s of waiting for the lock, plus start-up
        os.killpg(first.pid, signal.SIGCONT)
        assert second.returncode != 0
        assert second.stderr.strip().splitlines() == [
            f"Error: The index at {index} is locked by another reindex (pid {first.pid})."
        ]
        assert second.stdout == ""
        assert first.wait(timeout=300) == 0, first.stderr.read()
    finally:
        stop_group(first)
    assert SearchEngine(index).doc_count() == BASE + BATCH


def test_searches_during_a_reindex_answer_from_the_last_commit(
    corpus: tuple[Path, Path], tmp_path: Path
) -> None:
    docs, index = corpus
    write_corpus(tmp_path / "new", 500, "fresh")
    engine = SearchEngine(index)
    writer = start_dari("reindex", "--full", str(docs), str(tmp_path / "new"), "--index", str(index))
    queries = cycle(["alpha", "노동자 권리", "decent work", '"social protection"', "fresh", "청년 OR wage"])
    searched, errors, seen = 0, [], []
    try:
        assert wait_for(holds_lock(index, writer), writer)
        cli = start_dari("search", "alpha", "--index", str(index), "--json")
        while writer.poll() is None:
            try:
                engine.search(next(queries), per_page=5)
                # The count of documents before and after: a commit may land between the calls.
                before = engine.doc_count()
                fresh = engine.search("fresh", per_page=1).total
                if engine.doc_count() == before:
                    seen.append((before, fresh))
            except Exception as error:  # noqa: BLE001 - any error at all fails the test below
                errors.append(repr(error))
            if writer.poll() is None:
                searched += 1
        out, err = cli.communicate(timeout=120)
        assert writer.returncode == 0, writer.stderr.read()
    finally:
        stop_group(writer)
    assert errors == []
    assert searched >= 100
    # Before the commit: the old index; after it: the new one, whole; never anything in between.
    assert (BASE, 0) in seen and set(seen) <= {(BASE, 0), (BASE + 500, 500)}
    assert seen == sorted(seen)
    assert cli.returncode == 0 and json.loads(out)["total"] == BASE, err
    assert engine.doc_count() == BASE + 500


def test_api_searches_during_a_reindex_answer_from_the_last_commit(
    corpus: tuple[Path, Path], tmp_path: Path
) -> None:
    docs, index = corpus
    write_corpus(tmp_path / "new", 500, "fresh")
    queries = cycle(["alpha", "노동자 권리", "decent work", '"social protection"', "청년 OR wage"])
    searched, failures, seen = 0, [], []
    with serving(index, tmp_path / "serve.log") as server:
        writer = start_dari("reindex", "--full", str(docs), str(tmp_path / "new"), "--index", str(index))
        try:
            assert wait_for(holds_lock(index, writer), writer)
            while writer.poll() is None:
                status, body = get(server, f"/api/search?q={quote(next(queries))}&per_page=5")
                # The count of documents before and after: a commit may land between requests.
                before_status, before = get(server, "/api/health")
                fresh_status, fresh = get(server, "/api/search?q=fresh&per_page=1")
                health_status, health = get(server, "/api/health")
                if (status, before_status, fresh_status, health_status) != (200, 200, 200, 200):
                    failures.append((status, before_status, fresh_status, health_status, body[:200]))
                    continue
                documents = json.loads(health)["documents"]
                if json.loads(before)["documents"] == documents:
                    seen.append((documents, json.loads(fresh)["total"]))
                if writer.poll() is None:
                    searched += 1
            assert writer.returncode == 0, writer.stderr.read()
        finally:
            stop_group(writer)
        after = json.loads(get(server, "/api/search?q=fresh&per_page=1")[1])["total"]
    assert failures == []
    assert searched >= 100
    assert set(seen) <= {(BASE, 0), (BASE + 500, 500)} and seen == sorted(seen)
    assert after == 500


def test_an_index_folder_removed_under_a_running_engine(corpus: tuple[Path, Path], tmp_path: Path) -> None:
    """Someone deletes the index while the server runs: it keeps answering from the files it holds
    open, and serves the new index once a reindex writes one there."""
    docs, index = corpus
    engine = SearchEngine(index)
    assert engine.search("alpha").total == BASE
    shutil.rmtree(index)
    assert engine.search("alpha").total == BASE and engine.doc_count() == BASE
    write_corpus(tmp_path / "new", 10, "reborn")
    reindex([tmp_path / "new"], index)
    assert engine.doc_count() == 10 and engine.search("reborn").total == 10
