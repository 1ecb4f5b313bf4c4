"""``.jsonl`` files: one ``{"id","title","text"}`` record a line, streamed a line at a time.

Memory is one line's whatever the file's size; a bad line is a ``BadLine`` with its number and
reason, and the lines after it are still read.  Imports ``decoding`` and ``sources``.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from indexer.decoding import MAX_FILE_BYTES, NotText, first_line_title, megabytes
from indexer.sources import document_id

JSONL_SUFFIXES = frozenset({".jsonl"})


@dataclass
class Record:
    """A good line: the document it holds (its id as stored)."""

    line: int
    id: str
    title: str
    text: str


@dataclass
class BadLine:
    line: int | None  # None: the whole file (a binary file)
    reason: str


def records(path: Path) -> Iterator[Record | BadLine]:
    """One record per line of ``path``, in order.

    Lines end at ``\n`` only (U+2028 and U+0085 may stand unescaped in JSON strings)."""
    with path.open("rb") as file:
        head = file.read(8192)
        file.seek(0)
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            lines: Iterator[str | None] = _lines(io.TextIOWrapper(file, "utf-16", "replace", newline="\n"))
        elif b"\x00" in head:
            yield BadLine(None, "binary file (contains NUL bytes)")
            return
        else:
            lines = _utf8_lines(file)
        for number, line in enumerate(lines, start=1):
            if line is None:
                yield BadLine(number, f"line too large (the limit is {megabytes(MAX_FILE_BYTES)})")
            elif isinstance(line, NotText):
                yield BadLine(number, str(line))
            elif line.strip():
                yield _record(line, number, path.name)


def _utf8_lines(file: BinaryIO) -> Iterator[str | NotText | None]:
    """A .jsonl's lines decoded one by one: UTF-8 as JSON Lines requires, a BOM allowed."""
    for number, line in enumerate(_lines(file), start=1):
        if line is None:
            yield None
            continue
        if number == 1:
            line = line.removeprefix(b"\xef\xbb\xbf")
        try:
            yield line.decode("utf-8")
        except UnicodeDecodeError:
            yield NotText("not UTF-8 (a .jsonl must be UTF-8)")


def _lines(file: BinaryIO | io.TextIOWrapper) -> Iterator[bytes | str | None]:
    """The file's lines, each read whole only up to MAX_FILE_BYTES (None for a longer one)."""
    newline = "\n" if isinstance(file, io.TextIOWrapper) else b"\n"
    while line := file.readline(MAX_FILE_BYTES + 1):
        if len(line) <= MAX_FILE_BYTES:
            yield line
            continue
        while line and not line.endswith(newline):  # the rest of the long line
            line = file.readline(MAX_FILE_BYTES + 1)
        yield None


def _record(line: str, number: int, file_name: str) -> Record | BadLine:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        return BadLine(number, f"invalid JSON ({error.msg})")
    except RecursionError:
        return BadLine(number, "invalid JSON (nested too deeply)")
    problem = _record_problem(record)
    if problem:
        return BadLine(number, problem)
    doc_id = document_id(str(record.get("id") or f"{file_name}:{number}"))
    title = record.get("title") or first_line_title(record["text"])
    return Record(number, doc_id, title, record["text"])


def _record_problem(record: object) -> str | None:
    """Why a jsonl record cannot be a document, or None."""
    if not isinstance(record, dict):
        return "not a JSON object"
    text = record.get("text")
    if not isinstance(text, str):
        return 'missing "text"'
    if not text.strip():
        return 'empty "text"'
    if len(text) > MAX_FILE_BYTES:
        return f'"text" too large ({len(text)} characters; the limit is {MAX_FILE_BYTES})'
    if not isinstance(record.get("id"), str | int | None):
        return '"id" is not a string'
    if not isinstance(record.get("title"), str | None):
        return '"title" is not a string'
    return None
