"""The index is never lost: real `dari reindex` processes killed with SIGKILL, racing a second
writer, and searched while they write, on a generated corpus of a few thousand documents; commits
lost to a power cut (an empty or cut toc, a zero-filled segment), a failed run's files, foreign and
older indexes, and a parallel worker whose segment never arrives."""

from __future__ import annotations

import json
import multiprocessing
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
    commit_segments,
    free_port,
    get,
    holds_lock,
    messages,
    new_file,
    run_dari,
    serving,
    start_dari,
    stop_group,
    wait_for,
    write_corpus,
    zero_fill,
)
from whoosh import index as whoosh_index
from whoosh.fields import TEXT, Schema

import indexer.writer
from indexer.index import WorkerFailed, open_index, reindex
from indexer.schema import SCHEMA_VERSION, make_schema
from indexer.search import SearchEngine
from indexer.storage import KEEP_COMMITS
from indexer.writer import _Worker

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
    """What failed writers left is gone: only the lock files, the tables of contents of the kept
    commits (at most two) and the segments they use, every one of them there."""
    commits = commit_segments(index)
    assert 1 <= len(commits) <= KEEP_COMMITS
    used = set().union(*commits.values())
    tocs = {f"_MAIN_{generation}.toc" for generation in commits}
    assert set(os.listdir(index)) == {"MAIN_WRITELOCK", "dari-writer.pid", *tocs, *(f"{s}.seg" for s in used)}


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
    assert messages(limited.stderr) == [f"Error: Cannot write the index at {index}: File too large"]
    assert marker_totals(index, ["alpha", "full"]) == (BASE, {"alpha": BASE, "full": 0})
    assert_only_live_files(index)  # the failed run removed its partial files (they used to stay)
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
        assert messages(second.stderr) == [
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
    # Many searches ran during the reindex; how many depends on the machine's speed (a fast one
    # does ~300, one at load 8 did 78), so the bar is low: it asks that searching went on throughout.
    assert searched >= 20
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
    # Many searches ran during the reindex; how many depends on the machine's speed (a fast one
    # does ~300, one at load 8 did 78), so the bar is low: it asks that searching went on throughout.
    assert searched >= 20
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


# Commits lost to a power cut, failed runs' files, foreign and older indexes.

FIRST = 300  # documents of the history's first commit
ADDED = 40  # … and of the second, which also deletes one document and edits another
SECOND = FIRST - 1 + ADDED


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """An index of two commits, each of several segments: the second (an incremental reindex) adds
    a folder, deletes a file and edits one, so it has deleted documents; the first has none."""
    root = tmp_path_factory.mktemp("history")
    docs, more, index = root / "docs", root / "more", root / "index"
    write_corpus(docs, FIRST, "alpha")
    reindex([docs], index)
    write_corpus(more, ADDED, "beta")
    (docs / "alpha-00007.txt").unlink()
    (docs / "alpha-00008.txt").write_text("alpha edited\n", encoding="utf-8")
    summary = reindex([docs, more], index)
    assert (summary.added, summary.updated, summary.deleted) == (ADDED, 1, 1)
    return docs, more, index


@pytest.fixture
def two_commits(
    history: tuple[Path, Path, Path], tmp_path: Path
) -> tuple[Path, Path, Path, dict[int, set[str]]]:
    docs, more, index = history
    shutil.copytree(index, tmp_path / "index")
    commits = commit_segments(tmp_path / "index")
    # The previous commit is kept (Whoosh deleted it at once), and the newest adds a segment.
    assert len(commits) == 2
    return docs, more, tmp_path / "index", commits


def _empty_newest_toc(index: Path, commits: dict[int, set[str]]) -> None:
    (index / f"_MAIN_{max(commits)}.toc").write_bytes(b"")


def _cut_newest_toc(index: Path, commits: dict[int, set[str]]) -> None:
    toc = index / f"_MAIN_{max(commits)}.toc"
    toc.write_bytes(toc.read_bytes()[: toc.stat().st_size // 2])


def _zero_newest_segment(index: Path, commits: dict[int, set[str]]) -> None:
    newest, previous = (commits[generation] for generation in sorted(commits, reverse=True))
    (only_newest,) = newest - previous  # the segment of the added documents
    zero_fill(index / f"{only_newest}.seg")


LOST_COMMITS = {
    "an empty newest toc": _empty_newest_toc,
    "a newest toc cut in half": _cut_newest_toc,
    "a zero-filled segment of the newest commit": _zero_newest_segment,
}


def _one_warning(stderr: str, index: Path, commits: dict[int, set[str]]) -> None:
    lines = messages(stderr)
    newest, previous = sorted(commits, reverse=True)
    assert len(lines) == 1, stderr
    assert lines[0].startswith(f"Warning: commit {newest} of the index at {index} cannot be read (")
    assert lines[0].endswith(f"); using commit {previous} until the next `dari reindex`.")


@pytest.mark.parametrize("fault", LOST_COMMITS)
def test_a_lost_newest_commit_falls_back_to_the_one_before(two_commits, fault: str) -> None:
    """A power cut after a commit: readers answer from the commit before it, saying so in one line,
    and the next reindex writes the lost changes again (they used to be tracebacks)."""
    docs, more, index, commits = two_commits
    LOST_COMMITS[fault](index, commits)
    engine = SearchEngine(index)
    assert engine.doc_count() == FIRST
    assert engine.get_document("beta-00000.txt") is None and engine.get_document("alpha-00007.txt")
    found = run_dari("search", "alpha", "--index", str(index), "--json")
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout)["total"] == FIRST
    _one_warning(found.stderr, index, commits)

    done = run_dari("reindex", str(docs), str(more), "--index", str(index))
    assert done.returncode == 0, done.stderr
    _one_warning(done.stderr, index, commits)
    assert done.stdout.startswith(f"{ADDED} added, 1 updated, 1 deleted, ")
    # (No search here: Whoosh cannot search a segment with deleted documents yet; see the README.)
    engine = SearchEngine(index)
    assert engine.doc_count() == SECOND
    assert engine.get_document("beta-00000.txt") and engine.get_document("alpha-00007.txt") is None
    assert engine.get_document("alpha-00008.txt")["body"] == "alpha edited"
    assert_only_live_files(index)
    assert len(commit_segments(index)) == KEEP_COMMITS


@pytest.mark.parametrize("fault", LOST_COMMITS)
def test_a_full_rebuild_over_a_lost_newest_commit(two_commits, fault: str) -> None:
    docs, more, index, commits = two_commits
    LOST_COMMITS[fault](index, commits)
    done = run_dari("reindex", "--full", str(docs), str(more), "--index", str(index))
    assert done.returncode == 0, done.stderr
    _one_warning(done.stderr, index, commits)
    assert SearchEngine(index).doc_count() == SECOND
    assert_only_live_files(index)


def test_no_readable_commit_is_one_line_and_a_full_rebuild_mends_it(two_commits) -> None:
    docs, more, index, commits = two_commits
    shared = sorted(set.intersection(*commits.values()))[0]  # a segment both commits use
    zero_fill(index / f"{shared}.seg")
    damaged = f"Error: The index at {index} is damaged, no commit can be read ("
    for args in (["search", "alpha"], ["reindex", str(docs), str(more)]):
        run = run_dari(*args, "--index", str(index))
        assert run.returncode == 1 and run.stdout == ""
        (line,) = run.stderr.strip().splitlines()
        assert line.startswith(damaged) and line.endswith("): run `dari reindex --full` to rebuild it.")
    done = run_dari("reindex", "--full", str(docs), str(more), "--index", str(index))
    assert done.returncode == 0, done.stderr
    found = run_dari("search", "beta", "--index", str(index), "--json")
    assert found.returncode == 0 and found.stderr == "", found.stderr
    assert json.loads(found.stdout)["total"] == ADDED
    assert_only_live_files(index)


def test_a_running_server_answers_from_the_last_good_commit(
    corpus: tuple[Path, Path], tmp_path: Path
) -> None:
    """A newer commit that cannot be read lands under `dari serve`: every request still answers
    from the one before (it used to be 500 on every request), the log says so once, and the next
    good commit is served (one worker process: each worker says it once; tests/test_serve_workers.py
    covers the workers)."""
    docs, index = corpus
    write_corpus(tmp_path / "new", 20, "gamma")
    log = tmp_path / "serve.log"
    with serving(index, log, "--workers", "1") as server:
        reindex([tmp_path / "new"], index)  # served at the next request: none until it is lost
        newest = max(commit_segments(index))
        (index / f"_MAIN_{newest}.toc").write_bytes(b"")
        for _ in range(5):
            status, body = get(server, "/api/search?q=alpha&per_page=1")
            assert status == 200 and json.loads(body)["total"] == BASE, body[:300]
            status, body = get(server, "/api/health")
            assert status == 200 and json.loads(body)["documents"] == BASE, body[:300]
            assert json.loads(get(server, "/api/search?q=gamma")[1])["total"] == 0
        done = run_dari("reindex", str(tmp_path / "new"), "--index", str(index))
        assert done.returncode == 0, done.stderr
        status, body = get(server, "/api/search?q=gamma&per_page=1")
        assert status == 200 and json.loads(body)["total"] == 20
    warnings = [line for line in log.read_text().splitlines() if "cannot be read" in line]
    assert len(warnings) == 1 and f"commit {newest} of the index at {index}" in warnings[0], log.read_text()
    assert "Traceback" not in log.read_text()


def test_a_killed_or_failed_runs_files_are_removed_and_the_kept_commits_left_whole(two_commits) -> None:
    """What a killed or failed run leaves (its scratch folder, a toc never renamed into place, the
    files of a segment no commit uses) is removed by the next run, even one that changes nothing;
    both kept commits keep every file they use."""
    docs, more, index, commits = two_commits
    (index / "MAIN.tmp").mkdir()
    (index / "MAIN.tmp" / "abcdefgh.doclist").write_bytes(bytes(2**20))
    (index / f"_MAIN_{max(commits) + 1}.toc.1796194638.764602").write_bytes(b"\0" * 100)
    for ext in ("seg", "pst", "trm"):
        (index / f"MAIN_0123456789abcdef.{ext}").write_bytes(bytes(2**20))
    done = run_dari("reindex", str(docs), str(more), "--index", str(index))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("0 added, 0 updated, 0 deleted, ")
    assert commit_segments(index) == commits
    assert_only_live_files(index)


def test_the_commit_before_is_kept_and_opens(two_commits) -> None:
    """Both kept commits open on their own, with their own documents (and deletions)."""
    _, _, index, commits = two_commits
    previous, newest = sorted(commits)
    (index / f"_MAIN_{newest}.toc").rename(index / "aside")
    assert SearchEngine(index).doc_count() == FIRST
    (index / "aside").rename(index / f"_MAIN_{newest}.toc")
    assert SearchEngine(index).doc_count() == SECOND


def _traced_events(trace: Path) -> list[tuple[str, str]]:
    """(fsync, path) and (rename, new name) events of an strace log, in order, fds mapped to paths."""
    open_fds: dict[tuple[str, str], str] = {}
    events = []
    for line in trace.read_text().splitlines():
        pid, _, call = line.partition(" ")
        call = call.lstrip()  # strace pads the pid column
        if opened := re.match(r'openat\(AT_FDCWD, "([^"]+)", .*\) = (\d+)$', call):
            open_fds[pid, opened.group(2)] = os.path.abspath(opened.group(1))
        elif synced := re.match(r"fsync\((\d+)\)\s+= 0$", call):
            events.append(("fsync", open_fds[pid, synced.group(1)]))
        elif renamed := re.match(r'rename\("[^"]+", "([^"]+)"\)\s+= 0$', call):
            events.append(("rename", os.path.abspath(renamed.group(1))))
    return events


@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")
def test_a_commit_is_fsynced_segments_then_toc_then_folder(corpus: tuple[Path, Path], tmp_path: Path) -> None:
    """The system calls of a real `dari reindex`: its new segments reach the disk before the toc
    naming them is renamed into place, the toc's bytes before its name, the folder after."""
    docs, index = corpus
    write_corpus(tmp_path / "new", 250, "durable")  # more than one worker's batch: two segments
    before = commit_segments(index)
    trace = tmp_path / "trace"
    subprocess.run(
        [
            "strace",
            "-f",
            "-o",
            str(trace),
            "-e",
            "trace=openat,fsync,rename",
            str(DARI),
            "reindex",
            str(tmp_path / "new"),
            "--index",
            str(index),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    after = commit_segments(index)
    newest = max(after)
    new_segments = after[newest] - before[max(before)]
    assert len(new_segments) == 2
    events = _traced_events(trace)
    toc = os.path.abspath(index / f"_MAIN_{newest}.toc")
    commit = events.index(("rename", toc))
    synced_before = {path for call, path in events[:commit] if call == "fsync"}
    assert {os.path.abspath(index / f"{segment}.seg") for segment in new_segments} <= synced_before
    assert any(os.path.basename(path).startswith(f"_MAIN_{newest}.toc.") for path in synced_before)
    assert ("fsync", os.path.abspath(index)) in events[commit + 1 :]


def _foreign_index(index: Path) -> None:
    index.mkdir()
    ix = whoosh_index.create_in(str(index), Schema(title=TEXT(stored=True), content=TEXT))
    with ix.writer() as writer:
        writer.add_document(title="someone else's", content="notes kept by another program")


def _older_dari_index(index: Path, docs: Path) -> None:
    """What dari wrote before the bigram field (and before schema versions): no ``grams``."""
    index.mkdir()
    old = Schema(**{name: field for name, field in make_schema().items() if name != "grams"})
    ix = whoosh_index.create_in(str(index), old)
    with ix.writer() as writer:
        for n, path in enumerate(sorted(docs.iterdir())[:20]):
            stat = path.stat()
            writer.add_document(
                id=path.name,
                title=f"alpha {n}",
                body=path.read_text(),
                lang="en",
                path=str(path),
                size=stat.st_size,
                mtime=stat.st_mtime,
                hash=str(n),
            )


def _refused(index: Path, *args: str) -> str:
    run = run_dari(*args, "--index", str(index), timeout=120)
    assert run.returncode == 1, (args, run.stdout, run.stderr)
    assert "serving" not in run.stderr and "Traceback" not in run.stderr
    (line,) = run.stderr.strip().splitlines()
    return line


def test_a_foreign_whoosh_index_is_refused_in_one_line_and_left_alone(
    base: tuple[Path, Path], tmp_path: Path
) -> None:
    docs, _ = base
    index = tmp_path / "index"
    _foreign_index(index)
    files = {name: (index / name).read_bytes() for name in os.listdir(index)}
    expected = (
        f"Error: The index at {index} is not a dari index (a Whoosh index with the fields content, title): "
        "dari leaves it alone; use another --index folder."
    )
    for args in (
        ["search", "notes"],
        ["reindex", str(docs)],
        ["reindex", "--full", str(docs)],
        ["serve", "--port", str(free_port())],
    ):
        assert _refused(index, *args) == expected, args
    assert {name: (index / name).read_bytes() for name in os.listdir(index)} == files


def test_an_older_dari_index_says_to_rebuild_and_full_rebuilds_it_in_place(
    base: tuple[Path, Path], tmp_path: Path
) -> None:
    docs, _ = base
    index = tmp_path / "index"
    _older_dari_index(index, docs)
    expected = (
        f"Error: The index at {index} was made by an older dari (schema 0); this dari reads schema "
        f"{SCHEMA_VERSION}: run `dari reindex --full` to rebuild it."
    )
    for args in (["search", "alpha"], ["reindex", str(docs)], ["serve", "--port", str(free_port())]):
        assert _refused(index, *args) == expected, args
    done = run_dari("reindex", "--full", str(docs), "--index", str(index))
    assert done.returncode == 0 and messages(done.stderr) == [], done.stderr
    assert done.stdout.startswith(f"{BASE} added, 0 updated, 0 deleted, ")
    assert open_index(index).schema.dari_version == SCHEMA_VERSION
    found = run_dari("search", "alpha", "--index", str(index), "--json")
    assert found.returncode == 0 and json.loads(found.stdout)["total"] == BASE, found.stderr
    assert_only_live_files(index)


class _SilentWorker(_Worker):
    """A worker that indexes its jobs and ends cleanly, but whose segment never reaches the parent,
    as when its result queue's feeder thread fails to send it (multiprocessing only prints that)."""

    def run(self) -> None:
        self.resultqueue = multiprocessing.Queue()  # its own: nothing it sends reaches the parent
        super().run()


def test_a_worker_whose_segment_never_arrives_fails_the_run(
    base: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stock MpWriter waits a second for each worker's segment, then commits without it: the
    documents were silently lost.  Now the run fails and the index is left as it was."""
    docs, index = base
    shutil.copytree(index, tmp_path / "index")
    write_corpus(tmp_path / "new", 300, "lost")
    monkeypatch.setattr(indexer.writer, "_Worker", _SilentWorker)
    with pytest.raises(WorkerFailed, match="indexing workers ended without sending their documents"):
        reindex([tmp_path / "new"], tmp_path / "index", procs=2)
    assert SearchEngine(tmp_path / "index").doc_count() == BASE
    assert_only_live_files(tmp_path / "index")
