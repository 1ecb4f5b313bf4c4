"""The CLI contract, through click's runner and through the installed `dari` in a subprocess."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_api import HIT_KEYS, RESULT_KEYS

from indexer.cli import main
from indexer.index import reindex

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
    assert set(payload) == RESULT_KEYS  # the API's shape
    assert payload["hits"][0]["id"] == "002_2be1082304330c6a.txt"
    assert set(payload["hits"][0]) == HIT_KEYS - {"url"}  # no link into a server
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


LOADS_KIWI = """
import sys
from click.testing import CliRunner
from indexer import morphemes
from indexer.cli import main
result = CliRunner().invoke(main, ["search", sys.argv[1], "--index", sys.argv[2]])
assert result.exit_code == 0, result.output
print(morphemes._kiwi is not None)
"""


@pytest.mark.parametrize(
    ("query", "loaded"), [("ILO", "False"), ("Global Accelerator", "False"), ("노동", "True")]
)
def test_a_search_without_hangul_does_not_load_kiwi(seeds_index: Path, query: str, loaded: str) -> None:
    """Loading Kiwi was 2.6 s of the 3 s `dari search ILO` took; a one-shot search loads it only
    for a query with Hangul."""
    run = subprocess.run(
        [sys.executable, "-c", LOADS_KIWI, query, str(seeds_index)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == loaded


def test_terminal_output_shows_bidi_controls_json_keeps_them(tmp_path: Path, tmp_index: Path) -> None:
    """A file name and title holding U+202E (and an ESC that would recolour the terminal): the
    readable output names each as <U+…>, --json keeps the exact text."""
    docs = tmp_path / "docs"
    docs.mkdir()
    name, title = "invoice\u202egpj.txt", "Payment \u202eeciovni\u202c overdue \x1b[31mred"
    (docs / name).write_text(f"{title}\n\nThe \u2066overdue\u2069 bill.\n", encoding="utf-8")
    reindex([docs], tmp_index)

    def search(*options: str) -> subprocess.CompletedProcess:
        command = [DARI, "search", "overdue", "--index", tmp_index, *options]
        return subprocess.run(command, capture_output=True, text=True, timeout=120)

    shown = search()
    assert shown.returncode == 0, shown.stderr
    assert "invoice<U+202E>gpj.txt" in shown.stdout
    assert "Payment <U+202E>eciovni<U+202C> overdue <U+001B>[31mred" in shown.stdout
    assert "The <U+2066>[overdue]<U+2069>" in shown.stdout  # the snippet
    assert not re.search("[\x1b\u202a-\u202e\u2066-\u2069]", shown.stdout)
    hit = json.loads(search("--json").stdout)["hits"][0]
    assert (hit["id"], hit["title"]) == (name, title)


def test_search_into_a_closed_pipe_exits_quietly(seeds_index: Path) -> None:
    """`dari search … | head`: the reader is gone before the results are written (closed here before
    dari has even loaded Kiwi, so every write fails): exit 0, nothing on stderr."""
    for extra in ([], ["--json"]):
        process = subprocess.Popen(
            [DARI, "search", "ILO", "--index", seeds_index, *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        process.stdout.close()
        stderr = process.stderr.read()
        assert process.wait(timeout=120) == 0, stderr
        assert stderr == ""


def test_serve_on_a_busy_port_says_so_in_one_line(seeds_index: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        served = subprocess.run(
            [DARI, "serve", "--index", seeds_index, "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert served.returncode == 1
    assert served.stderr.strip().splitlines() == [
        f"Error: Cannot listen on 127.0.0.1:{port}: Address already in use"
    ]


@pytest.mark.parametrize("command", [[], ["search"], ["reindex"], ["serve"], ["watch"], ["eval"]])
def test_dash_h_is_help_everywhere(command: list[str]) -> None:
    result = CliRunner().invoke(main, [*command, "-h"], prog_name="dari")
    assert result.exit_code == 0 and result.output.startswith("Usage: dari")
    assert "-h, --help" in result.output
