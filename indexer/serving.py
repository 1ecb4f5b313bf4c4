"""How `dari serve` listens: the listening sockets, bound once; the waitress server with its limits
(for whatever WSGI app it is given), run in this process or in worker processes that share those
sockets; and the `dari watch` process beside it for --watch.  Imports nothing of dari.

A search is pure Python and holds the GIL, so one process answers on one core however many threads
it has.  With more than one worker, the process that built the app (Kiwi loaded, the commit's facts
and vocabulary read) forks the workers and only supervises them: they share its memory
copy-on-write, and each runs its own waitress (its threads open their own searchers, as threads
do in one process).  All of them accept from the same listening socket, as gunicorn's do; a busy
worker is slower to accept, so the idle ones take the next connections.  The supervisor serves
nothing itself, so it can always reap, restart and stop the workers, whatever they are doing.
Nothing the supervisor opened is read by two processes: the searcher the warm-up opened belongs to
the main thread, which in a worker only accepts connections; and Kiwi's own thread pool (which does
not survive a fork either) is never used, as dari hands Kiwi one text at a time.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import NoReturn

from waitress import create_server
from waitress.adjustments import Adjustments
from waitress.server import BaseWSGIServer

# Waitress accepts 100 connections by default and closes idle ones after 120 s (checking every
# 30 s): 100 clients that connect and send nothing, or half a request, lock everyone else out for
# two minutes. Idle connections hold a socket, not a worker thread, so many are cheap: up to 1,000
# are accepted (poll(), not select(), which fails past file descriptor 1023), and one silent for
# 20 s is closed (checked every 2 s); a browser opens a new one when it needs to. A client that
# keeps 1,000 connections alive by trickling bytes can still fill them: that needs a proxy in front.
# The limit is per process, as the open-file limit it is drawn from is: N workers accept up to N × it.
MAX_CONNECTIONS = 1000
IDLE_SECONDS = 20
FILES_BESIDE_CONNECTIONS = 200  # the index's segment files, the listening sockets, logs

# Workers by default: one per core, but no more than this.  Each is a process: what it builds after
# the fork (a new commit's facts and fuzzy vocabulary, tens of MB at 100k documents; its searchers)
# is its own copy, so a 16-core laptop does not get 16 of them for a search box.
MAX_WORKERS = 4
TICK_SECONDS = 0.5  # how often the supervisor looks for dead workers, and a worker for its supervisor
RESTART_PAUSE = 1.0  # a worker that dies as it starts is restarted once a second, not in a tight loop
STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}


class CannotListen(Exception):
    """The port is taken or privileged, or the host is not one of this machine's."""


class _Stop(Exception):
    """SIGTERM or SIGINT reached the supervisor."""


def default_workers() -> int:
    """One worker per core this process may run on, at most MAX_WORKERS."""
    return max(1, min(MAX_WORKERS, len(os.sched_getaffinity(0))))


def listening_sockets(host: str, port: int) -> list[socket.socket]:
    """Sockets listening on ``host``:``port`` (every address the name resolves to, read as waitress
    reads it), bound here once so that every worker accepts from the same ones."""
    sockets: list[socket.socket] = []
    try:
        adjustments = Adjustments(host=host, port=port)
        for family, kind, protocol, address in adjustments.listen:
            sock = socket.socket(family, kind, protocol)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:  # as waitress does: [::] is not also 0.0.0.0
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
            sock.listen(adjustments.backlog)
    except (OSError, ValueError) as error:
        for sock in sockets:
            sock.close()
        cause = error.__context__ or error  # waitress turns a host it cannot resolve into a ValueError
        reason = getattr(cause, "strerror", None) or cause
        url_host = f"[{host}]" if ":" in host else host
        raise CannotListen(f"Cannot listen on {url_host}:{port}: {reason}") from None
    return sockets


def server_for(app, sockets: list[socket.socket]) -> BaseWSGIServer:
    """A waitress server for ``app`` on ``sockets``.  Its threads start at once, and threads do
    not survive a fork: a worker makes its own, after the fork."""
    return create_server(
        app,
        sockets=sockets,
        # No route takes a body, and a URL needs a few KB: bigger requests are refused (413/431)
        # before waitress buffers them (by default up to 1 GB of body, spooled to disk).
        max_request_body_size=64 * 1024,
        max_request_header_size=64 * 1024,
        connection_limit=connection_limit(),
        asyncore_use_poll=True,
        channel_timeout=IDLE_SECONDS,
        cleanup_interval=2,
    )


def connection_limit() -> int:
    """MAX_CONNECTIONS, or fewer if the open-file limit (raised to the hard limit if need be) leaves
    less room: each connection can take two files (its socket and a large response spooled to disk)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 2 * MAX_CONNECTIONS + FILES_BESIDE_CONNECTIONS
    if soft != resource.RLIM_INFINITY and soft < wanted:
        soft = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return max(1, min(MAX_CONNECTIONS, (soft - FILES_BESIDE_CONNECTIONS) // 2))


def serve(app, sockets: list[socket.socket], workers: int) -> None:
    """Serve ``app`` on ``sockets``: in this process if ``workers`` is 1 (until SIGINT; SIGTERM ends
    it at once), else in that many worker processes until SIGTERM or SIGINT stops them all."""
    if workers == 1:
        server_for(app, sockets).run()
    else:
        supervise(app, sockets, workers)


def supervise(app, sockets: list[socket.socket], count: int) -> None:
    """Run ``count`` workers, restarting any that dies (and saying so), until SIGTERM or SIGINT;
    then stop them (SIGTERM) and reap them all before returning."""

    def stop(signum: int, frame: object) -> None:
        raise _Stop

    previous = {number: signal.signal(number, stop) for number in STOP_SIGNALS}
    parent = os.getpid()
    workers: dict[int, float] = {}  # pid → when it started
    try:
        for _ in range(count):
            _fork_worker(app, sockets, parent, workers)
        while True:
            time.sleep(TICK_SECONDS)
            for pid, started in list(workers.items()):
                done, status = os.waitpid(pid, os.WNOHANG)
                if not done:
                    continue
                del workers[pid]
                code = os.waitstatus_to_exitcode(status)
                how = f"was killed by {signal.Signals(-code).name}" if code < 0 else f"exited ({code})"
                print(f"dari: worker {pid} {how}; starting another", file=sys.stderr, flush=True)
                time.sleep(max(0.0, started + RESTART_PAUSE - time.monotonic()))
                _fork_worker(app, sockets, parent, workers)
    except _Stop:
        pass
    finally:
        for number in STOP_SIGNALS:  # a second Ctrl-C does not cut the clean-up short
            signal.signal(number, signal.SIG_IGN)
        for pid in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        for pid in workers:
            os.waitpid(pid, 0)
        for number, handler in previous.items():
            signal.signal(number, handler)


def _fork_worker(app, sockets: list[socket.socket], parent: int, workers: dict[int, float]) -> None:
    """Start a worker process serving ``app`` on ``sockets``, in ``workers`` before a stop can come."""
    sys.stdout.flush()  # or the worker would write what this process had not written yet again
    sys.stderr.flush()
    # Blocked until the worker has its own handlers (the supervisor's would run its clean-up there)
    # and the supervisor has its pid (or a stop right then would leave it running).
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        pid = os.fork()
        if pid == 0:
            _work(app, sockets, parent)
        workers[pid] = time.monotonic()
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)


def _work(app, sockets: list[socket.socket], parent: int) -> NoReturn:
    """A worker's life: serve until SIGTERM (from the supervisor, or from itself once the supervisor
    is gone), and never return into the supervisor's code."""
    code = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a terminal's Ctrl-C reaches every process of
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # its group: the supervisor stops the workers
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
        threading.Thread(target=_exit_without, args=(parent,), daemon=True).start()
        server_for(app, sockets).run()
        code = 0
    except Exception:
        traceback.print_exc()
    finally:
        os._exit(code)


def _exit_without(parent: int) -> None:
    """End this worker once its supervisor is gone (killed with SIGKILL, it cannot stop it), as
    `dari watch --parent` does: no worker lingers on the port with nobody to stop it."""
    while os.getppid() == parent:
        time.sleep(TICK_SECONDS)
    os.kill(os.getpid(), signal.SIGTERM)


def start_watcher(paths: tuple[Path, ...], index_dir: Path) -> subprocess.Popen:
    """`dari watch` in its own process: a reindex forks its writers, which a threaded server should
    not do; it exits with this one (--parent)."""
    command = [sys.executable, "-c", "from indexer.cli import main; main()", "watch"]
    return subprocess.Popen(
        [*command, *map(str, paths), "--index", str(index_dir), "--parent", str(os.getpid())]
    )
