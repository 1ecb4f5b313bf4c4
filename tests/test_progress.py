"""A reindex's progress on a real terminal (a pty): the total counted first, rate and ETA, and the
commit step said (tests/faultkit.py's ``Progress`` reads the ``N docs`` the bar starts with)."""

from __future__ import annotations

from pathlib import Path

from faultkit import Progress, wait_for


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
