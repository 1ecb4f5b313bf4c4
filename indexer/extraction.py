"""The binary formats (HWP, HWPX, PDF, DOCX, PPTX, XLSX) read in worker processes, each file within
a time limit.

A timer signal cannot stop a reader in C (pdfium, lxml, calamine), and one stuck or crashing on a
hostile file would stall or end the reindex.  In a worker process it can be stopped: a file that
takes longer than the limit is given up, its worker killed and a fresh one started, and a worker
that dies mid-file (a segfault, the OOM killer) costs that file only.  Workers come from a
forkserver: a clean single-threaded parent, so they hold none of the reindex's threads, open files
(its write lock) or memory (Kiwi's model); they start on the first file that needs one, ignore
Ctrl-C (the reindex's to handle) and exit when the reindex is gone.  At most ``capacity`` files
are in flight, so memory stays bounded however many are queued.  Imports ``readers``.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path

from indexer import readers

# PDF pages, zip parsing and XML are CPU-bound: one worker per core, at most as many as index writers.
MAX_WORKERS = 4


class TooSlow(Exception):
    """A file took longer than its time limit to read."""


@dataclass
class Job:
    """One file to read; ``outcome`` is set once it is read, given up or failed."""

    path: Path
    outcome: readers.Extracted | readers.Unreadable | TooSlow | None = None


class _Worker:
    def __init__(self, context: multiprocessing.context.BaseContext) -> None:
        self.connection, child_end = context.Pipe()
        self.process = context.Process(target=_serve, args=(child_end,), daemon=True)
        self.process.start()
        child_end.close()
        self.job: Job | None = None
        self.deadline = 0.0

    def stop(self, *, kill: bool) -> None:
        if kill:
            self.process.kill()
        else:
            try:
                self.connection.send(None)
            except OSError:
                self.process.kill()  # already gone
        self.process.join(timeout=5)
        self.connection.close()


class ReaderPool:
    """Read files with ``readers.read`` in up to ``workers`` processes, each within ``time_limit``
    seconds: ``submit`` a file, then ask for its ``result``."""

    def __init__(self, time_limit: float, workers: int | None = None) -> None:
        self.time_limit = time_limit
        self.workers = workers or max(1, min(MAX_WORKERS, os.cpu_count() or 1))
        self._context = multiprocessing.get_context("forkserver")
        # Each worker starts with every reader imported (a killed one is replaced in milliseconds).
        self._context.set_forkserver_preload(
            [__name__, *(f"{readers.__name__}.{name}" for name in readers.READERS.values())]
        )
        self._idle: list[_Worker] = []
        self._busy: list[_Worker] = []
        self._queue: deque[Job] = deque()

    @property
    def capacity(self) -> int:
        """How many files may be in flight (queued or being read) at once."""
        return 2 * self.workers

    def submit(self, path: Path) -> Job:
        job = Job(path)
        self._queue.append(job)
        self._dispatch()
        return job

    def result(self, job: Job) -> readers.Extracted:
        """The file's text, or raise Unreadable (the reader's reason, or its crash) or TooSlow."""
        while job.outcome is None:
            self._step()
        if isinstance(job.outcome, Exception):
            raise job.outcome
        return job.outcome

    def close(self) -> None:
        for worker in self._idle:
            worker.stop(kill=False)
        for worker in self._busy:
            worker.stop(kill=True)
        self._idle, self._busy = [], []

    def __enter__(self) -> ReaderPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _dispatch(self) -> None:
        while self._queue and (self._idle or len(self._busy) < self.workers):
            worker = self._idle.pop() if self._idle else _Worker(self._context)
            worker.job = self._queue.popleft()
            worker.connection.send(str(worker.job.path))
            worker.deadline = time.monotonic() + self.time_limit
            self._busy.append(worker)

    def _step(self) -> None:
        """Wait for the next worker to finish or run out of time, then hand out the queue."""
        soonest = min(worker.deadline for worker in self._busy)
        ready = set(wait([worker.connection for worker in self._busy], max(0.0, soonest - time.monotonic())))
        for worker in list(self._busy):
            if worker.connection in ready:
                self._finish(worker)
            elif time.monotonic() >= worker.deadline:
                self._give_up(worker, TooSlow())
        self._dispatch()

    def _finish(self, worker: _Worker) -> None:
        try:
            outcome = worker.connection.recv()
        except (EOFError, OSError):  # it died: a crash in a C parser, or killed
            worker.process.join(timeout=5)
            self._give_up(worker, readers.Unreadable(_crashed(worker.process.exitcode)))
            return
        worker.job.outcome = readers.Unreadable(outcome) if isinstance(outcome, str) else outcome
        self._busy.remove(worker)
        self._idle.append(worker)

    def _give_up(self, worker: _Worker, outcome: readers.Unreadable | TooSlow) -> None:
        worker.job.outcome = outcome
        self._busy.remove(worker)
        worker.stop(kill=True)


def _crashed(exitcode: int | None) -> str:
    how = f"signal {-exitcode}" if exitcode is not None and exitcode < 0 else f"exit code {exitcode}"
    return f"the reader crashed on this file ({how})"


def _serve(connection: Connection) -> None:
    """A worker's life: read each path sent, answer its Extracted or the reason it cannot be read."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    for path in _requests(connection):
        try:
            answer: readers.Extracted | str = readers.read(Path(path))
        except readers.Unreadable as error:
            answer = str(error)
        except MemoryError:
            answer = "too large to read (out of memory)"
        connection.send(answer)


def _requests(connection: Connection) -> Iterator[str]:
    """The paths sent, until None or the reindex's end of the pipe closes."""
    while True:
        try:
            path = connection.recv()
        except (EOFError, OSError):
            return
        if path is None:
            return
        yield path


def _exit_with_parent(parent: int) -> None:
    """Exit once the forkserver is gone (it ends with the reindex, ``kill -9`` too), even while a
    reader is stuck in C code."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)
