"""Keep an index in line with its folders as files change (`dari watch`, `dari serve --watch`).

watchfiles (Rust's notify) gathers the file events of DEBOUNCE_MS into one batch, and collects
new ones while a reindex runs, so a change made during a reindex triggers the next one.  Each batch
is one incremental ``reindex`` of all the watched paths.  A reindex that fails (another writer
holds the lock, a full disk, a damaged index) is reported and tried again after a pause that
doubles up to MAX_RETRY_SECONDS: the watcher never crash-loops and never gives up.  Events inside
the index folder are ignored, so an index kept under a watched folder does not trigger itself.
Imports ``index``.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import watchfiles

from indexer.index import IndexLocked, IndexUnusable, ReindexSummary, WorkerFailed, reindex

DEBOUNCE_MS = 1000  # an editor's save, or a folder copied in, is one reindex
TICK_MS = 500  # how often the watcher looks at retries, a stop request and its parent
FIRST_RETRY_SECONDS = 2.0
MAX_RETRY_SECONDS = 60.0

Report = Callable[[ReindexSummary | None, str | None], None]  # (summary, None) or (None, error)


def watch(
    paths: Sequence[Path],
    index_dir: Path,
    report: Report,
    *,
    follow_links: bool = False,
    stop: threading.Event | None = None,
    parent: int | None = None,
) -> None:
    """Reindex ``paths`` into ``index_dir`` now and after every batch of changes, until ``stop``
    is set or the process ``parent`` (the `dari serve` that started this watcher) is gone."""
    index_dir = Path(os.path.abspath(index_dir))
    default_filter = watchfiles.DefaultFilter()

    def outside_the_index(change: watchfiles.Change, path: str) -> bool:
        return not Path(path).is_relative_to(index_dir) and default_filter(change, path)

    pending, retry_at, pause = True, 0.0, FIRST_RETRY_SECONDS
    for changes in watchfiles.watch(
        *paths,
        watch_filter=outside_the_index,
        debounce=DEBOUNCE_MS,
        rust_timeout=TICK_MS,
        yield_on_timeout=True,
        stop_event=stop,
    ):
        if parent is not None and os.getppid() != parent:
            return
        pending = pending or bool(changes)
        if not pending or time.monotonic() < retry_at:
            continue
        try:
            summary = reindex(paths, index_dir, follow_links=follow_links)
        except (IndexLocked, WorkerFailed, IndexUnusable, OSError) as error:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
            report(None, f"{reason} (trying again in {pause:.0f} s)")
            retry_at, pause = time.monotonic() + pause, min(pause * 2, MAX_RETRY_SECONDS)
            continue
        report(summary, None)
        pending, pause = False, FIRST_RETRY_SECONDS
