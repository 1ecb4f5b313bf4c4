"""A reindex's progress: files done of those found, documents, rate and time left, then a visible
commit step.  On a terminal a tqdm bar; elsewhere (a log, CI, a pipe) a line every few seconds.

The total is counted first (a walk that reads nothing), so both can show a percentage and an
ETA.  The bar starts with ``N docs`` (what tests/faultkit.py's ``Progress`` reads).
Imports ``sources``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TextIO

from tqdm import tqdm

from indexer.sources import count_files

BAR_FORMAT = "{desc} | {n_fmt}/{total_fmt} files {percentage:3.0f}% | {rate_fmt} | ETA {remaining}"
# Seconds between two progress lines where stderr is no terminal: often enough to show a long
# reindex is alive, rarely enough not to fill a log.  A run shorter than this prints none.
LINE_SECONDS = 5.0


class ReindexProgress:
    """Files and documents seen by a reindex, shown on ``stream`` (default: stderr) when
    ``enabled`` (else nothing): a bar on a terminal, a line each ``every`` seconds elsewhere."""

    def __init__(
        self,
        roots: list[Path],
        *,
        enabled: bool,
        stream: TextIO | None = None,
        every: float = LINE_SECONDS,
    ) -> None:
        self.enabled = enabled
        self._stream = sys.stderr if stream is None else stream  # read now: CliRunner swaps it
        self._lines = enabled and not self._stream.isatty()
        self._every = every
        self._docs = 0
        self._files = 0
        self._last_path: str | None = None
        self._total = count_files(roots) if enabled else 0
        self._started = self._said = time.monotonic()
        self._spoke = False  # a line was printed: the commit step is said too
        self._bar = tqdm(
            total=self._total,
            desc="0 docs",
            unit=" files",
            bar_format=BAR_FORMAT,
            disable=not enabled or self._lines,
            leave=False,
            file=self._stream,
        )

    def seen(self, path: str) -> None:
        """One item of the walk (a document, an unchanged file, a skip): each counts as one of the
        ``docs``, as the bar always has; a file's first item advances the files."""
        if not self.enabled:
            return
        self._docs += 1
        if path != self._last_path:
            self._last_path = path
            self._files += 1
            self._bar.update(1)
        if self._lines:
            now = time.monotonic()
            if now - self._said >= self._every:
                self._said = now
                self._say(self._line(now - self._started))
        else:
            self._bar.set_description_str(f"{self._docs} docs", refresh=False)

    def _line(self, elapsed: float) -> str:
        """What the bar shows, as one line: ``N docs | done/total files  P% | rate | ETA``."""
        rate = self._files / elapsed if elapsed > 0 else 0.0
        share = 100 * self._files / self._total if self._total else 100.0
        left = (self._total - self._files) / rate if rate else None
        eta = tqdm.format_interval(max(0.0, left)) if left is not None else "?"
        files = f"{self._files}/{self._total} files {share:3.0f}%"
        return f"{self._docs} docs | {files} | {rate:.1f} files/s | ETA {eta}"

    def _say(self, line: str) -> None:
        self._spoke = True
        print(line, file=self._stream, flush=True)

    def committing(self) -> None:
        """The walk is over: the commit (merging segments, fsync) can take a while, so say so
        (where lines are printed: once the run has lasted long enough to print one)."""
        if not self.enabled:
            return
        self._bar.close()
        if not self._lines or self._spoke or time.monotonic() - self._started >= self._every:
            self._say(f"{self._docs} docs done; committing…")

    def close(self) -> None:
        self._bar.close()
