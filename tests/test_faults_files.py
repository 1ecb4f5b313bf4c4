"""Files people really have: each one is indexed correctly or skipped with its reason, and the run
still succeeds with the good ones (unless --strict).  Driven through a real `dari reindex`."""

from __future__ import annotations

import json
import os
import re
import sys
import unicodedata
from pathlib import Path

import pytest
from faultkit import run_dari

from indexer.documents import Document, Skipped, read_documents
from indexer.search import SearchEngine

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="FIFOs, symlinks and /proc are Linux's")

KOREAN = "국제노동기구와 협력을 강화한다.\n노동 정책의 새로운 방향."
ENGLISH = "Decent work and social protection for all workers."
FIFTY_MB = 50 * 1024 * 1024


def write_bad_folder(folder: Path) -> dict[str, str]:
    """Every kind of awkward file, and what `dari reindex` must say about each one it skips."""
    folder.mkdir()
    (folder / "good.txt").write_text(ENGLISH, encoding="utf-8")
    (folder / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "blank.md").write_text("  \n\t\n\n", encoding="utf-8")
    (folder / "scripts-only.html").write_text("<html><script>var a = 1;</script></html>", encoding="utf-8")
    (folder / "truncated.txt").write_bytes("노동 정책의 새로운 방향".encode()[:-1])  # cut inside 향
    (folder / "corrupt-byte.txt").write_bytes(KOREAN.encode().replace("정책".encode(), b"\xff\xfe"))
    (folder / "utf16le-no-bom.txt").write_bytes(ENGLISH.encode("utf-16-le"))
    (folder / "utf16be-no-bom.txt").write_bytes(KOREAN.encode("utf-16-be"))
    (folder / "cp949.txt").write_bytes(KOREAN.encode("cp949"))
    (folder / "euc-kr.md").write_bytes(("# 제목\n\n" + KOREAN).encode("euc-kr"))
    (folder / "nfd.txt").write_text(unicodedata.normalize("NFD", KOREAN), encoding="utf-8")
    (folder / "line-endings.txt").write_bytes(b"first line\r\nsecond line\rthird line\nfourth")
    with (folder / "huge.log.txt").open("wb") as huge:
        huge.write(b"2026-11-22 06:00:00 INFO a line of a big log file\n" * (FIFTY_MB // 50))
    (folder / "scan.pdf").write_bytes(b"%PDF-1.4\n")
    os.mkfifo(folder / "pipe.txt")
    (folder / "dangling.txt").symlink_to(folder / "nowhere.txt")
    (folder / "loop-a.txt").symlink_to(folder / "loop-b.txt")
    (folder / "loop-b.txt").symlink_to(folder / "loop-a.txt")
    (folder / "io-error.txt").symlink_to("/proc/self/mem")  # reading it fails with EIO, even for root
    (folder / "sub").mkdir()
    (folder / "sub" / "loop").symlink_to("..", target_is_directory=True)
    (folder / "sub" / "note.txt").write_text("노동 " + ENGLISH, encoding="utf-8")
    (folder / os.fsdecode(b"caf\xe9-latin1-name.txt")).write_text("Cafe menu of the week", encoding="utf-8")
    return {
        "binary.txt": "binary file (contains NUL bytes)",
        "empty.txt": "no text",
        "blank.md": "no text",
        "scripts-only.html": "no text",
        "huge.log.txt": "too large (50.0 MB; the limit is 10.0 MB)",
        "scan.pdf": "damaged or truncated PDF",
        "pipe.txt": "not a regular file",
        "dangling.txt": "cannot read: No such file or directory",
        "loop-a.txt": "cannot read: Too many levels of symbolic links",
        "loop-b.txt": "cannot read: Too many levels of symbolic links",
        "io-error.txt": "cannot read: Input/output error",
        "sub/loop": "symlink to a folder (not followed)",
    }


def skipped_lines(stderr: str, folder: Path) -> dict[str, str]:
    prefix = f"skipped {folder}/"
    return dict(
        line.removeprefix(prefix).split(": ", 1) for line in stderr.splitlines() if line.startswith(prefix)
    )


def test_awkward_files_are_indexed_or_skipped_with_their_reason(tmp_path: Path) -> None:
    folder, index = tmp_path / "docs", tmp_path / "index"
    expected_skips = write_bad_folder(folder)
    run = run_dari("reindex", str(folder), "--index", str(index))
    assert run.returncode == 0, run.stderr
    assert skipped_lines(run.stderr, folder) == expected_skips
    assert run.stdout.startswith(f"11 added, 0 updated, 0 deleted, 0 unchanged, {len(expected_skips)} skip")

    engine = SearchEngine(index)
    body = {doc_id: engine.get_document(doc_id)["body"] for doc_id in engine_ids(engine)}
    assert body["good.txt"] == body["utf16le-no-bom.txt"] == ENGLISH
    korean = unicodedata.normalize("NFC", KOREAN)
    assert body["cp949.txt"] == body["utf16be-no-bom.txt"] == body["nfd.txt"] == korean
    assert body["euc-kr.md"] == "# 제목\n\n" + korean
    assert body["truncated.txt"] == "노동 정책의 새로운 방"  # the cut character is dropped, no mojibake
    assert body["corrupt-byte.txt"] == korean.replace("정책", "\ufffd\ufffd")
    assert body["line-endings.txt"] == "first line\nsecond line\nthird line\nfourth"
    assert body["sub/note.txt"].startswith("노동")
    assert body["caf\\xe9-latin1-name.txt"] == "Cafe menu of the week"  # the undecodable byte, spelt out

    # What was indexed is found, and highlighted at the right place after the line endings changed.
    third = engine.search("third")
    assert [hit.id for hit in third.hits] == ["line-endings.txt"]
    assert re.findall(r"<mark>(.*?)</mark>", third.hits[0].snippet) == ["third"]
    policy = {hit.id for hit in engine.search("정책", per_page=20).hits}
    assert policy >= {"cp949.txt", "nfd.txt", "truncated.txt"}
    assert [hit.id for hit in engine.search("cafe").hits] == ["caf\\xe9-latin1-name.txt"]
    # Indexing again reads only what changed: the same files, the same answers, nothing re-added.
    again = run_dari("reindex", str(folder), "--index", str(index))
    assert again.returncode == 0 and again.stdout.startswith("0 added, 0 updated, 0 deleted, 11 unchanged")


def engine_ids(engine: SearchEngine) -> list[str]:
    return [hit.id for hit in engine.search("*:*", per_page=100).hits]


def test_strict_fails_and_changes_nothing(tmp_path: Path) -> None:
    folder, index = tmp_path / "docs", tmp_path / "index"
    folder.mkdir()
    (folder / "good.txt").write_text(ENGLISH, encoding="utf-8")
    (folder / "binary.txt").write_bytes(bytes(range(256)))
    strict = run_dari("reindex", str(folder), "--index", str(index), "--strict")
    assert strict.returncode == 1
    assert strict.stderr.splitlines() == [
        f"skipped {folder}/binary.txt: binary file (contains NUL bytes)",
        "Error: 1 skipped (--strict): the index was not changed.",
    ]
    assert run_dari("search", "work", "--index", str(index)).returncode != 0  # still no index
    lenient = run_dari("reindex", str(folder), "--index", str(index))
    assert lenient.returncode == 0 and lenient.stdout.startswith("1 added")
    (folder / "binary.txt").unlink()
    assert run_dari("reindex", str(folder), "--index", str(index), "--strict").returncode == 0


def test_a_path_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    run = run_dari("reindex", str(tmp_path / "typo"), "--index", str(tmp_path / "index"))
    assert run.returncode == 2
    assert f"Path '{tmp_path / 'typo'}' does not exist." in run.stderr
    assert not (tmp_path / "index").exists()


def test_files_that_vanish_or_break_mid_walk_are_skipped(tmp_path: Path) -> None:
    """The walk lists a folder before reading it: files can go away between the two."""
    for name in ("a.txt", "b.txt", "c.txt", "d.txt"):
        (tmp_path / name).write_text(f"{name} {ENGLISH}", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "e.txt").write_text(ENGLISH, encoding="utf-8")
    items = read_documents([tmp_path])
    first = next(items)[1]
    (tmp_path / "b.txt").unlink()
    (tmp_path / "c.txt").unlink()
    (tmp_path / "c.txt").symlink_to("/proc/self/mem")  # now unreadable (EIO)
    (tmp_path / "d.txt").unlink()
    os.mkfifo(tmp_path / "d.txt")  # now a pipe: reading it would block forever
    (tmp_path / "sub" / "e.txt").unlink()
    (tmp_path / "sub").rmdir()
    rest = [item for _, item in items]
    assert isinstance(first, Document) and first.id == "a.txt"
    assert [(Path(item.path).name, item.reason) for item in rest if isinstance(item, Skipped)] == [
        ("b.txt", "cannot read: No such file or directory"),
        ("c.txt", "cannot read: Input/output error"),
        ("d.txt", "not a regular file"),
        ("sub", "cannot list folder: No such file or directory"),
    ]
    assert not [item for item in rest if isinstance(item, Document)]


def test_bad_jsonl_lines_are_reported_with_their_line_numbers(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "ok-1", "title": "첫째", "text": "협력을 강화"}, ensure_ascii=False),
        '{"id": "broken", "text": "no closing brace"',
        json.dumps({"id": "no-text", "title": "only a title"}),
        json.dumps({"id": "ok-1", "text": "the same id again"}),
        "[" * 100_000 + "]" * 100_000,
        json.dumps(["not", "an", "object"]),
        json.dumps({"id": "blank", "text": "   "}),
        json.dumps({"id": ["a", "list"], "text": "an id that is not a string"}),
        json.dumps({"id": "sep", "text": "a line\u2028separator inside a string"}, ensure_ascii=False),
        '{"id": "surrogate", "text": "lone \\ud800 surrogate"}',
        json.dumps({"id": 7, "text": "a numeric id"}),
        "",
        json.dumps({"id": "ok-2", "text": "Labour policy"}),
    ]
    bulk = tmp_path / "bulk.jsonl"
    bulk.write_text("\n".join(lines), encoding="utf-8")
    run = run_dari("reindex", str(bulk), "--index", str(tmp_path / "index"))
    assert run.returncode == 0, run.stderr
    assert run.stderr.splitlines() == [
        f"skipped {bulk}:2: invalid JSON (Expecting ',' delimiter)",
        f'skipped {bulk}:3: missing "text"',
        f"skipped {bulk}:4: duplicate id 'ok-1'",
        f"skipped {bulk}:5: invalid JSON (nested too deeply)",
        f"skipped {bulk}:6: not a JSON object",
        f'skipped {bulk}:7: empty "text"',
        f'skipped {bulk}:8: "id" is not a string',
    ]
    assert run.stdout.startswith("5 added")
    engine = SearchEngine(tmp_path / "index")
    assert engine.get_document("sep")["body"] == "a line\u2028separator inside a string"
    assert engine.get_document("surrogate")["body"] == "lone \ufffd surrogate"
    assert engine.get_document("7")["body"] == "a numeric id"
