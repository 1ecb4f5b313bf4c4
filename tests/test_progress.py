"""A reindex's progress on a real terminal (a pty): the total counted first, rate and ETA, and the
commit step said (tests/faultkit.py's ``Progress`` reads the ``N docs`` the bar starts with); off
a terminal, lines."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

from faultkit import Progress, messages, wait_for

from indexer.progress import ReindexProgress


def test_the_progress_bar_knows_the_total_and_says_when_it_commits(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    for number in range(40):
        (folder / f"note{number}.txt").write_text(f"labour policy note {number}", encoding="utf-8")
    (folder / "image.png").write_bytes(b"\x89PNG")  # found and counted, then skipped
    run = Progress("reindex", str(folder), "--index", str(tmp_path / "index"))
    try:
        wait_for(lambda: run.process.poll() is not None, run.process, timeout=120)
        shown = run.last_words()
        assert run.process.returncode == 0, shown
        assert "\r0 docs | 0/41 files   0%" in shown  # the total, counted before reading
        assert " files/s | ETA 00:0" in shown
        assert "41 docs done; committing…" in shown  # 40 documents and the skipped file
        assert run.count() == 41
    finally:
        run.close()


def test_off_a_terminal_progress_is_a_line_every_few_seconds(tmp_path: Path) -> None:
    """Where stderr is a log or a pipe: no bar, a line with the counts, rate and ETA each ``every``
    seconds (0 here: each item), then the commit step."""
    for number in range(3):
        (tmp_path / f"note{number}.txt").write_text("labour", encoding="utf-8")
    log = io.StringIO()
    progress = ReindexProgress([tmp_path], enabled=True, stream=log, every=0)
    for path in ("note0.txt", "note1.txt", "note1.txt"):  # a file may hold several documents
        progress.seen(path)
    progress.committing()
    progress.close()
    lines = log.getvalue().splitlines()
    assert "\r" not in log.getvalue()
    assert [line.split(" | ")[:2] for line in lines[:3]] == [
        ["1 docs", "1/3 files  33%"],
        ["2 docs", "2/3 files  67%"],
        ["3 docs", "2/3 files  67%"],
    ]
    assert all(re.search(r" \| [\d.]+ files/s \| ETA (\d\d:\d\d|\?)$", line) for line in lines[:3])
    assert lines[3:] == ["3 docs done; committing…"]


def test_a_short_reindex_off_a_terminal_prints_no_progress(tmp_path: Path) -> None:
    """A run says nothing on stderr but its progress (none in a run shorter than LINE_SECONDS,
    unless the machine is busy) and never draws a bar."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text("labour policy", encoding="utf-8")
    dari = Path(sys.executable).with_name("dari")
    run = subprocess.run(
        [str(dari), "reindex", str(tmp_path / "docs"), "--index", str(tmp_path / "index")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert "\r" not in run.stderr and messages(run.stderr) == []  # no bar, nothing else
    assert run.stdout.startswith("1 added, "), run.stdout
