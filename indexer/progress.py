"""A reindex's progress on a terminal: files done of those found, documents, rate and time left,
then a visible commit step.

The total is counted first (a walk that reads nothing), so the bar can show a percentage and an
ETA.  The bar starts with ``N docs`` (what tests/faultkit.py's ``Progress`` reads).
Imports ``sources``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tqdm import tqdm

from indexer.sources import count_files

BAR_FORMAT = "{desc} | {n_fmt}/{total_fmt} files {percentage:3.0f}% | {rate_fmt} | ETA {remaining}"


class ReindexProgress:
    """Files and documents seen by a reindex, drawn on stderr when ``enabled`` (else nothing)."""

    def __init__(self, roots: list[Path], *, enabled: bool) -> None:
        self.enabled = enabled
        self._docs = 0
        self._last_path: str | None = None
        total = count_files(roots) if enabled else 0
        self._bar = tqdm(
            total=total,
            desc="0 docs",
            unit=" files",
            bar_format=BAR_FORMAT,
            disable=not enabled,
            leave=False,
            file=sys.stderr,
        )

    def seen(self, path: str) -> None:
        """One item of the walk (a document, an unchanged file, a skip): each counts as one of the
        ``docs``, as the bar always has; a file's first item advances the files."""
        if not self.enabled:
            return
        self._docs += 1
        if path != self._last_path:
            self._last_path = path
            self._bar.update(1)
        self._bar.set_description_str(f"{self._docs} docs", refresh=False)

    def committing(self) -> None:
        """The walk is over: the commit (merging segments, fsync) can take a while, so say so."""
        if self.enabled:
            self._bar.close()
            print(f"{self._docs} docs done; committing…", file=sys.stderr, flush=True)

    def close(self) -> None:
        self._bar.close()
