"""The CLI contract, through click's runner and through the installed `dari` in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from indexer.cli import main

DARI = Path(sys.executable).with_name("dari")


def test_reindex_then_search_json(seeds_copy: Path, tmp_index: Path) -> None:
    runner = CliRunner()
    (seeds_copy / "scan.pdf").write_bytes(b"%PDF-1.4")
    indexed = runner.invoke(main, ["reindex", str(seeds_copy), "--index", str(tmp_index)])
    assert indexed.exit_code == 0, indexed.output
    assert "5 added, 0 updated, 0 deleted, 0 unchanged, 1 skipped" in indexed.output
    assert "scan.pdf: damaged or truncated PDF" in indexed.output

    found = runner.invoke(main, ["search", "협력을", "--index", str(tmp_index), "--json", "--limit", "3"])
    assert found.exit_code == 0, found.output
    payload = json.loads(found.output)
    assert set(payload) == {"query", "total", "took_ms", "hits"}
    assert payload["hits"][0]["id"] == "002_2be1082304330c6a.txt"
    assert set(payload["hits"][0]) == {"id", "title", "lang", "score", "snippet"}
    assert "<mark>협력</mark>" in payload["hits"][0]["snippet"]


def test_readable_output_marks_matches(seeds_index: Path) -> None:
    result = CliRunner().invoke(main, ["search", "Bangkok", "--index", str(seeds_index)])
    assert result.exit_code == 0
    assert "[Bangkok]" in result.output  # a pipe gets brackets instead of terminal colours
    assert "004_43010a1b960293f3.txt" in result.output


def test_lang_option(seeds_index: Path) -> None:
    result = CliRunner().invoke(
        main, ["search", "ILO", "--lang", "ko", "--json", "--index", str(seeds_index)]
    )
    assert [hit["lang"] for hit in json.loads(result.output)["hits"]] == ["ko"]


def test_missing_index_says_to_reindex(tmp_index: Path) -> None:
    result = CliRunner().invoke(main, ["search", "ILO", "--index", str(tmp_index)])
    assert result.exit_code != 0
    assert "run `dari reindex`" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_bad_query_is_a_clear_error(seeds_index: Path) -> None:
    result = CliRunner().invoke(main, ["search", "  ", "--index", str(seeds_index)])
    assert result.exit_code != 0
    assert "The query is empty." in result.output


def test_installed_command_indexes_the_bundled_seeds(tmp_index: Path) -> None:
    env = {**os.environ, "DARI_INDEX": str(tmp_index)}
    indexed = subprocess.run([DARI, "reindex"], env=env, capture_output=True, text=True, timeout=120)
    assert indexed.returncode == 0, indexed.stderr
    assert "5 added" in indexed.stdout
    found = subprocess.run(
        [DARI, "search", "Global Accelerator", "--json"], env=env, capture_output=True, text=True, timeout=120
    )
    assert json.loads(found.stdout)["hits"][0]["id"] == "003_2813b88e44d30b11.txt"
    again = subprocess.run([DARI, "reindex"], env=env, capture_output=True, text=True, timeout=120)
    assert "0 added, 0 updated, 0 deleted, 5 unchanged" in again.stdout
