"""How `dari serve` listens: the waitress server with its limits (for whatever WSGI app it is
given), and the `dari watch` process beside it for --watch.  Imports nothing of dari.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

from waitress import create_server
from waitress.server import BaseWSGIServer

# Waitress accepts 100 connections by default and closes idle ones after 120 s (checking every
# 30 s): 100 clients that connect and send nothing, or half a request, lock everyone else out for
# two minutes. Idle connections hold a socket, not a worker thread, so many are cheap: up to 1,000
# are accepted (poll(), not select(), which fails past file descriptor 1023), and one silent for
# 20 s is closed (checked every 2 s); a browser opens a new one when it needs to. A client that
# keeps 1,000 connections alive by trickling bytes can still fill them: that needs a proxy in front.
MAX_CONNECTIONS = 1000
IDLE_SECONDS = 20
FILES_BESIDE_CONNECTIONS = 200  # the index's segment files, the listening sockets, logs


class CannotListen(Exception):
    """The port is taken or privileged, or the host is not one of this machine's."""


def server_for(app, host: str, port: int) -> BaseWSGIServer:
    """A waitress server for ``app`` on ``host``:``port``, bound and ready to run."""
    try:
        return create_server(
            app,
            host=host,
            port=port,
            # No route takes a body, and a URL needs a few KB: bigger requests are refused (413/431)
            # before waitress buffers them (by default up to 1 GB of body, spooled to disk).
            max_request_body_size=64 * 1024,
            max_request_header_size=64 * 1024,
            connection_limit=connection_limit(),
            asyncore_use_poll=True,
            channel_timeout=IDLE_SECONDS,
            cleanup_interval=2,
        )
    except (OSError, ValueError) as error:
        cause = error.__context__ or error  # waitress turns a host it cannot resolve into a ValueError
        reason = getattr(cause, "strerror", None) or cause
        url_host = f"[{host}]" if ":" in host else host
        raise CannotListen(f"Cannot listen on {url_host}:{port}: {reason}") from None


def connection_limit() -> int:
    """MAX_CONNECTIONS, or fewer if the open-file limit (raised to the hard limit if need be) leaves
    less room: each connection can take two files (its socket and a large response spooled to disk)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 2 * MAX_CONNECTIONS + FILES_BESIDE_CONNECTIONS
    if soft != resource.RLIM_INFINITY and soft < wanted:
        soft = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return max(1, min(MAX_CONNECTIONS, (soft - FILES_BESIDE_CONNECTIONS) // 2))


def start_watcher(paths: tuple[Path, ...], index_dir: Path) -> subprocess.Popen:
    """`dari watch` in its own process: a reindex forks its writers, which a threaded server should
    not do; it exits with this one (--parent)."""
    command = [sys.executable, "-c", "from indexer.cli import main; main()", "watch"]
    return subprocess.Popen(
        [*command, *map(str, paths), "--index", str(index_dir), "--parent", str(os.getpid())]
    )
