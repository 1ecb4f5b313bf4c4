"""`dari serve --workers`, as real processes read through /proc: the workers share the one
listening socket and each answers searches on its own, a killed worker is replaced while the others
answer, and a stopped (or killed) server leaves no worker behind."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from faultkit import Server, get, serving, wait_for

from indexer.search import SearchEngine

QUERIES = ["ILO", "협력", "decent work"]


def workers_of(pid: int) -> list[int]:
    """The processes ``pid`` started (its main thread forks them)."""
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def state(pid: int) -> str:
    """The process's state letter (R, S, T: stopped, Z: zombie); "" once it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1][0]
    except OSError:
        return ""


def gone(pid: int) -> bool:
    """Not running any more (a zombie left to a parent that does not reap counts as gone)."""
    return state(pid) in ("", "Z")


def listening_socket(port: int) -> str:
    """The inode of the socket listening on 127.0.0.1:``port``."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == f"0100007F:{port:04X}" and fields[3] == "0A":  # 0A: LISTEN
            return fields[9]
    raise AssertionError(f"nothing listens on port {port}")


def sockets_of(pid: int) -> set[str]:
    """The inodes of the sockets ``pid`` holds open."""
    found = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                found.add(target.removeprefix("socket:[").removesuffix("]"))
    return found


@contextlib.contextmanager
def stopped(pid: int) -> Iterator[None]:
    """``pid`` frozen (SIGSTOP) until the block ends: it accepts no connection meanwhile."""
    os.kill(pid, signal.SIGSTOP)
    try:
        assert wait_for(lambda: state(pid) == "T", timeout=30)
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


def assert_searches_answer(server: Server, engine: SearchEngine) -> None:
    """Each query answers as the engine does in this process: same total, same documents."""
    for query in QUERIES:
        status, body = get(server, f"/api/search?q={urllib.parse.quote(query)}")
        assert status == 200, body
        answer, expected = json.loads(body), engine.search(query)
        assert answer["total"] == expected.total > 0
        assert [hit["id"] for hit in answer["hits"]] == [hit.id for hit in expected.hits]


@pytest.fixture
def two_workers(seeds_index: Path, tmp_path: Path) -> Iterator[tuple[Server, Path]]:
    log = tmp_path / "serve.log"
    with serving(seeds_index, log, "--workers", "2") as server:
        yield server, log


def test_two_workers_share_the_socket_and_each_answers_alone(
    two_workers: tuple[Server, Path], seeds_engine: SearchEngine
) -> None:
    server, log = two_workers
    workers = workers_of(server.process.pid)
    assert len(workers) == 2, log.read_text()
    assert all(listening_socket(server.port) in sockets_of(worker) for worker in workers)
    # With one worker frozen, the other answers every connection: each is a server on its own.
    for frozen, answering in (workers, workers[::-1]):
        with stopped(frozen):
            assert_searches_answer(server, seeds_engine)
            assert state(answering) != "T"
    server.process.terminate()
    assert server.process.wait(timeout=30) == 0
    assert [worker for worker in workers if not gone(worker)] == []  # reaped before the server ended


def test_a_killed_worker_is_replaced_and_the_other_answers_meanwhile(
    two_workers: tuple[Server, Path], seeds_engine: SearchEngine
) -> None:
    server, log = two_workers
    supervisor = server.process.pid
    killed, survivor = workers_of(supervisor)
    with stopped(supervisor):  # no replacement yet: the survivor alone answers
        os.kill(killed, signal.SIGKILL)
        assert wait_for(lambda: gone(killed), timeout=30)
        assert_searches_answer(server, seeds_engine)
    assert wait_for(lambda: sorted(set(workers_of(supervisor)) - {killed}) != [survivor], timeout=30)
    (replacement,) = set(workers_of(supervisor)) - {survivor}
    assert listening_socket(server.port) in sockets_of(replacement)
    assert f"dari: worker {killed} was killed by SIGKILL; starting another" in log.read_text()
    with stopped(survivor):  # and the replacement answers on its own
        assert_searches_answer(server, seeds_engine)


def test_workers_end_with_a_killed_server(two_workers: tuple[Server, Path]) -> None:
    server, _ = two_workers
    workers = workers_of(server.process.pid)
    server.process.kill()  # no clean-up in the server: each worker sees it is gone
    server.process.wait(timeout=30)
    assert wait_for(lambda: all(gone(worker) for worker in workers), timeout=30)


def test_one_worker_serves_in_the_one_process(
    seeds_index: Path, tmp_path: Path, seeds_engine: SearchEngine
) -> None:
    with serving(seeds_index, tmp_path / "serve.log", "--workers", "1") as server:
        assert workers_of(server.process.pid) == []
        assert_searches_answer(server, seeds_engine)
