"""Files people really have: each one is indexed correctly or skipped with its reason, and the run
still succeeds with the good ones (unless --strict).  Driven through a real `dari reindex`."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from faultkit import DARI, get, messages, run_dari, serving
from whoosh import index as whoosh_index

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
        "io-error.txt": "symlink outside the indexed folders",
        "sub/loop": "symlink to a folder (not followed)",
    }


def skipped_lines(stderr: str, folder: Path) -> dict[str, str]:
    prefix = f"skipped {folder}/"
    return dict(
        line.removeprefix(prefix).split(": ", 1) for line in messages(stderr) if line.startswith(prefix)
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
    assert body["euc-kr.md"] == "제목\n\n" + korean  # Markdown: its text without the syntax
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


def stored(index: Path) -> list[dict]:
    """Every document's stored fields, read from the index itself (ids may repeat: that is a bug)."""
    with whoosh_index.open_dir(str(index)).reader() as reader:
        return sorted(reader.all_stored_fields(), key=lambda doc: doc["id"])


def stored_ids(index: Path) -> list[str]:
    return [doc["id"] for doc in stored(index)]


def engine_ids(engine: SearchEngine) -> list[str]:
    return [hit.id for hit in engine.search("*:*", per_page=100).hits]


def test_strict_fails_and_changes_nothing(tmp_path: Path) -> None:
    folder, index = tmp_path / "docs", tmp_path / "index"
    folder.mkdir()
    (folder / "good.txt").write_text(ENGLISH, encoding="utf-8")
    (folder / "binary.txt").write_bytes(bytes(range(256)))
    strict = run_dari("reindex", str(folder), "--index", str(index), "--strict")
    assert strict.returncode == 1
    assert messages(strict.stderr) == [
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
    items = read_documents([tmp_path], follow_links=True)  # c.txt will lead outside, to /proc
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
    cp949_line = json.dumps({"id": "cp949", "text": "노동 정책"}, ensure_ascii=False).encode("cp949")
    bulk = tmp_path / "bulk.jsonl"
    bulk.write_bytes(b"\xef\xbb\xbf" + "\n".join(lines).encode() + b"\n" + cp949_line)
    run = run_dari("reindex", str(bulk), "--index", str(tmp_path / "index"))
    assert run.returncode == 0, run.stderr
    expected = [
        f"skipped {bulk}:2: invalid JSON (Expecting ',' delimiter)",
        f'skipped {bulk}:3: missing "text"',
        f"skipped {bulk}:4: duplicate id 'ok-1' (also in {bulk}:1)",
        f"skipped {bulk}:5: invalid JSON (nested too deeply)",
        f"skipped {bulk}:6: not a JSON object",
        f'skipped {bulk}:7: empty "text"',
        f'skipped {bulk}:8: "id" is not a string',
        f"skipped {bulk}:14: not UTF-8 (a .jsonl must be UTF-8)",  # it used to be indexed as U+FFFDs
    ]
    assert messages(run.stderr) == expected
    assert run.stdout.startswith("5 added")
    # Nothing changed, nothing fixed: the same lines are reported again (they used to be forgotten).
    again = run_dari("reindex", str(bulk), "--index", str(tmp_path / "index"))
    assert messages(again.stderr) == expected
    assert again.stdout.startswith("0 added, 0 updated, 0 deleted, 5 unchanged, 8 skipped")
    bulk.write_text("\n".join(lines[:1] + lines[8:]), encoding="utf-8")  # fixed
    for _ in range(2):
        fixed = run_dari("reindex", str(bulk), "--index", str(tmp_path / "index"))
        assert messages(fixed.stderr) == []
        assert fixed.stdout.startswith("0 added, 0 updated, 0 deleted, 5 unchanged, 0 skipped")
    engine = SearchEngine(tmp_path / "index")
    assert engine.get_document("sep")["body"] == "a line\u2028separator inside a string"
    assert engine.get_document("surrogate")["body"] == "lone \ufffd surrogate"
    assert engine.get_document("7")["body"] == "a numeric id"


def test_the_same_name_under_two_folders_keeps_both_documents_under_stable_ids(tmp_path: Path) -> None:
    alpha, beta, index = tmp_path / "alpha", tmp_path / "beta", tmp_path / "index"
    for folder, word in ((alpha, "Alpha"), (beta, "Beta")):
        folder.mkdir()
        (folder / "README.md").write_text(f"# {word}\n\n{word} labour policy", encoding="utf-8")
    (alpha / "a.jsonl").write_text(json.dumps({"id": "x", "text": "x from a"}) + "\n", encoding="utf-8")
    lines = (json.dumps({"id": doc_id, "text": f"{doc_id} from b"}) for doc_id in "yzx")
    (beta / "b.jsonl").write_text("\n".join(lines), encoding="utf-8")
    duplicate = f"skipped {beta}/b.jsonl:3: duplicate id 'x' (also in {alpha}/a.jsonl:1)"
    first = run_dari("reindex", str(alpha), str(beta), "--index", str(index))
    assert first.returncode == 0, first.stderr
    assert messages(first.stderr) == [
        f"notice {beta}/README.md: indexed as 'beta/README.md': the id 'README.md' is {alpha}/README.md's",
        duplicate,
    ]
    assert first.stdout.startswith("5 added, 0 updated, 0 deleted, 0 unchanged, 1 skipped")
    bodies = {doc["id"]: doc["body"] for doc in stored(index)}
    assert stored_ids(index) == ["README.md", "beta/README.md", "x", "y", "z"]  # no id twice
    assert bodies["README.md"].endswith("Alpha labour policy")
    assert bodies["beta/README.md"].endswith("Beta labour policy")
    assert bodies["x"] == "x from a"
    # Unchanged runs change nothing (the second README used to replace the first on every run) and
    # keep the ids given; the duplicate is reported again until it is fixed.
    again = run_dari("reindex", str(alpha), str(beta), "--index", str(index))
    assert messages(again.stderr) == [duplicate]
    assert again.stdout.startswith("0 added, 0 updated, 0 deleted, 5 unchanged, 1 skipped")
    only_beta = run_dari("reindex", str(beta), "--index", str(index))
    assert messages(only_beta.stderr) == [duplicate]
    assert only_beta.stdout.startswith("0 added, 0 updated, 0 deleted, 3 unchanged, 1 skipped")
    assert stored_ids(index) == ["README.md", "beta/README.md", "x", "y", "z"]


def test_the_api_shows_a_documents_path_relative_to_its_folder(tmp_path: Path) -> None:
    folder, index = tmp_path / "docs", tmp_path / "index"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "note.txt").write_text(ENGLISH, encoding="utf-8")
    assert run_dari("reindex", str(folder), "--index", str(index)).returncode == 0
    with serving(index, tmp_path / "serve.log") as server:
        status, body = get(server, "/api/docs/sub/note.txt")
    assert status == 200
    assert json.loads(body)["path"] == "sub/note.txt"
    assert str(tmp_path).encode() not in body  # the server's folders are nobody's business


def without_root_powers(*args: str) -> list[str]:
    """The command, run so that file permissions apply to it: root reads any folder otherwise."""
    if os.geteuid() != 0:
        return list(args)
    if shutil.which("setpriv") is None:
        pytest.skip("root needs setpriv to drop the capability to read any folder")
    return ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", *args]


def test_a_folder_that_cannot_be_listed_keeps_its_documents(tmp_path: Path) -> None:
    folder, index = tmp_path / "docs", tmp_path / "index"
    (folder / "sub").mkdir(parents=True)
    for name in ("a.txt", "gone.txt", "sub/b.txt", "sub/c.txt"):
        (folder / name).write_text(f"{name} {ENGLISH}", encoding="utf-8")
    assert run_dari("reindex", str(folder), "--index", str(index)).stdout.startswith("4 added")
    (folder / "gone.txt").unlink()
    (folder / "sub").chmod(0)
    try:
        run = subprocess.run(
            without_root_powers(str(DARI), "reindex", str(folder), "--index", str(index)),
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        (folder / "sub").chmod(0o755)
    assert run.returncode == 0, run.stderr
    assert messages(run.stderr) == [f"skipped {folder}/sub: cannot list folder: Permission denied"]
    # Only the file that is gone is deleted (the folder's documents used to be deleted with it).
    assert run.stdout.startswith("0 added, 0 updated, 1 deleted, 3 unchanged, 1 skipped")
    assert stored_ids(index) == ["a.txt", "sub/b.txt", "sub/c.txt"]


def test_symlinks_that_lead_outside_the_indexed_folders_are_skipped(tmp_path: Path) -> None:
    folder, more, private = tmp_path / "docs", tmp_path / "more", tmp_path / "private"
    for made in (folder, more, private):
        made.mkdir()
    (private / "salaries.txt").write_text("secret salaries of everyone", encoding="utf-8")
    (private / "salaries.txt").chmod(0o600)
    (folder / "real.txt").write_text(ENGLISH, encoding="utf-8")
    (more / "other.txt").write_text("another indexed folder", encoding="utf-8")
    (folder / "passwd.txt").symlink_to("/etc/passwd")
    (folder / "salaries.txt").symlink_to(private / "salaries.txt")
    (folder / "alias.txt").symlink_to("real.txt")  # inside: indexed
    (folder / "other.txt").symlink_to(more / "other.txt")  # inside another PATH of the run: indexed
    index, followed = tmp_path / "index", tmp_path / "followed"
    run = run_dari("reindex", str(folder), str(more), "--index", str(index))
    assert run.returncode == 0, run.stderr
    assert skipped_lines(run.stderr, folder) == {
        "passwd.txt": "symlink outside the indexed folders",
        "salaries.txt": "symlink outside the indexed folders",
    }
    assert stored_ids(index) == ["alias.txt", "more/other.txt", "other.txt", "real.txt"]
    assert not [doc for doc in stored(index) if "secret" in doc["body"] or "root:" in doc["body"]]
    # --follow-links lets them in; a run without it takes them out again.
    follow = run_dari("reindex", str(folder), "--follow-links", "--index", str(followed))
    assert follow.stdout.startswith("5 added")
    assert "secret salaries of everyone" in {doc["body"] for doc in stored(followed)}
    unfollowed = run_dari("reindex", str(folder), "--index", str(followed))  # other.txt: more is no PATH now
    assert unfollowed.stdout.startswith("0 added, 0 updated, 3 deleted, 2 unchanged, 3 skipped")
    assert stored_ids(followed) == ["alias.txt", "real.txt"]


def test_html_with_60k_unclosed_tags_is_read_in_linear_time(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "unclosed.html").write_text(
        "<html><title>Deep</title><body>" + "".join(f"<div><b>w{n} " for n in range(60_000)), encoding="utf-8"
    )
    # A DoS guard, not a benchmark: about 1 s on 2 cores, 164 s with the old tag stack.
    run = run_dari("reindex", str(folder), "--index", str(tmp_path / "index"), timeout=120)
    assert run.returncode == 0, run.stderr
    [doc] = stored(tmp_path / "index")
    assert doc["title"] == "Deep"
    assert doc["body"].split() == [f"w{n}" for n in range(60_000)]


def test_a_file_that_takes_too_long_to_read_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "small.html").write_text("<title>Small</title><p>labour policy</p>", encoding="utf-8")
    paragraphs = "".join(f"<p><span>word{n}</span> text</p>\n" for n in range(50_000))
    (tmp_path / "slow.html").write_text(f"<html><body>{paragraphs}", encoding="utf-8")
    items = {Path(item.path).name: item for _, item in read_documents([tmp_path], time_limit=0.05)}
    assert isinstance(items["small.html"], Document) and items["small.html"].title == "Small"
    assert items["slow.html"] == Skipped(str(tmp_path / "slow.html"), "took longer than 0.05 s to read")


def test_a_big_jsonl_is_read_a_line_at_a_time(tmp_path: Path) -> None:
    bulk = tmp_path / "bulk.jsonl"
    text = "노동 정책 labour policy " * 400
    with bulk.open("w", encoding="utf-8") as out:
        for n in range(5_000):
            out.write(json.dumps({"id": f"d{n}", "text": text}, ensure_ascii=False) + "\n")
    assert bulk.stat().st_size > 50_000_000
    measure = (
        "import resource, sys\n"
        "from pathlib import Path\n"
        "from indexer.documents import Document, read_documents\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "count = sum(isinstance(item, Document) for _, item in read_documents([Path(sys.argv[1])]))\n"
        "print(count, (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)\n"
    )
    run = subprocess.run([sys.executable, "-c", measure, bulk], capture_output=True, text=True, timeout=300)
    count, grown_mb = map(int, run.stdout.split())
    assert count == 5_000
    assert grown_mb < 20, f"reading a 50 MB .jsonl grew the process by {grown_mb} MB"  # it was ~200 MB


def test_nfd_file_names_get_nfc_ids_and_a_rename_to_nfc_is_the_same_document(tmp_path: Path) -> None:
    folder, index = tmp_path / "docs", tmp_path / "index"
    folder.mkdir()
    name = "회의록.txt"
    (folder / unicodedata.normalize("NFD", name)).write_text(KOREAN, encoding="utf-8")
    assert run_dari("reindex", str(folder), "--index", str(index)).stdout.startswith("1 added")
    assert stored_ids(index) == [name]  # NFC: found by the id a Linux or Windows user types
    (folder / unicodedata.normalize("NFD", name)).rename(folder / name)
    renamed = run_dari("reindex", str(folder), "--index", str(index))
    assert renamed.stdout.startswith("0 added, 0 updated, 0 deleted, 1 unchanged")
    [doc] = stored(index)
    assert doc["path"] == str(folder / name)
