"""Helpers for the fault tests: a generated corpus, real `dari` processes to start, kill and query,
and the Hypothesis strategies for text and queries."""

from __future__ import annotations

import contextlib
import fcntl
import http.client
import os
import pty
import random
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC

DARI = Path(sys.executable).with_name("dari")
TOC_NAME = re.compile(r"^_MAIN_(\d+)\.toc$")  # a commit's table of contents
# CI replays the same examples every run, so a red CI is a regression, not a new find; elsewhere each
# run explores new ones (and Hypothesis's database replays what failed before).
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI") == "true":
    settings.load_profile("ci")
KOREAN_WORDS = "국제노동기구 노동자 권리 보호 사회적 대화 고용 정책 지원 협력 강화 임금 청년 일자리".split()
ENGLISH_WORDS = (
    "labour policy decent work employment social protection minimum wage workers union rights cooperation"
).split()

# Every code point, including lone surrogates (a JSON "\ud800", an undecodable command line).
ANY_CHAR = st.characters(exclude_categories=())
HANGUL = st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3)
# What real text and queries are made of, so the search gets past the first character often.
FRAGMENTS = st.sampled_from(
    [
        " ", "\n", "\r\n", "\r", "\t", ".", ",", "'", "’", "-", "AI를", "ILO와", "ILO’s", "policies",
        "국제노동기구", "협력을", "을", "를", "the", "2.8%", "\u1100\u1161\u11a8", "e\u0301", "😀",
        "\u200b", "\x00", "\ud800", "ﬁ", "İ", "ß",
    ]
)  # fmt: skip
TEXT = st.lists(st.one_of(ANY_CHAR, HANGUL, FRAGMENTS), max_size=120).map("".join)
SYNTAX = st.sampled_from(
    [
        '"', "(", ")", "AND", "OR", "NOT", "title:", "lang:", "body:", "hash:", "id:", "nosuch:", "*", "?",
        "*:*", "[", "]", "{", "}", "TO", "^2", "~", "~2", "-", "+", ":", "\\", "'", "ILO", "협력",
        "국제노동기구", "노동*", "polic*", "decent work", "을", "the", "ko", "en",
    ]
)  # fmt: skip
QUERY = st.one_of(
    TEXT,
    st.lists(st.one_of(SYNTAX, TEXT), max_size=12).map(" ".join),
    st.lists(SYNTAX, max_size=12).map("".join),
)


def write_corpus(folder: Path, count: int, marker: str, seed: int = 0) -> None:
    """``count`` small documents, every other one Korean; each holds ``marker``, a word to count them by."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        words = rng.choices(KOREAN_WORDS, k=12) if n % 2 else rng.choices(ENGLISH_WORDS, k=20)
        text = f"{marker} {n}\n{' '.join(words)}를 위한 {marker}.\n"
        (folder / f"{marker}-{n:05d}.txt").write_text(text, encoding="utf-8")


def start_dari(*args: str) -> subprocess.Popen:
    """A real `dari` in its own process group, so a test can clean up whatever it leaves behind."""
    return subprocess.Popen(
        [str(DARI), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


class Progress:
    """A `dari reindex` whose stderr is a terminal, so it draws its progress bar, and the number of
    documents that bar shows: kill points at "n documents in" need no timing guesses."""

    def __init__(self, *args: str) -> None:
        master, terminal = pty.openpty()
        # A terminal 0 columns wide (a fresh pty's size) gets an empty bar.
        fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 200, 0, 0))
        self.process = subprocess.Popen(
            [str(DARI), *args], stdout=subprocess.DEVNULL, stderr=terminal, start_new_session=True
        )
        os.close(terminal)
        self._master, self._tail = master, ""

    def count(self) -> int:
        while select.select([self._master], [], [], 0)[0]:
            try:
                chunk = os.read(self._master, 65536)
            except OSError:  # EIO: the process has closed the terminal
                break
            if not chunk:
                break
            self._tail = (self._tail + chunk.decode(errors="replace"))[-2000:]
        counts = re.findall(r"(?:^|\r)(\d+) docs", self._tail)
        return int(counts[-1]) if counts else 0

    def last_words(self) -> str:
        """The end of what it wrote to its terminal (why it stopped, when it stopped early)."""
        self.count()
        return self._tail[-600:]

    def close(self) -> None:
        stop_group(self.process)
        os.close(self._master)


# What `dari reindex` prints off a terminal every few seconds, and before its commit once it has.
PROGRESS_LINE = re.compile(r"\d+ docs (\| \d+/\d+ files .* \| ETA \S+|done; committing…)")


def messages(stderr: str) -> list[str]:
    """The lines of a run's stderr but its progress lines (a run slowed by a busy machine prints
    some), so a test can ask for exactly the messages it expects."""
    return [line for line in stderr.strip().splitlines() if not PROGRESS_LINE.fullmatch(line)]


def run_dari(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([str(DARI), *args], capture_output=True, text=True, timeout=timeout)


def stop_group(process: subprocess.Popen) -> None:
    """Kill what is left of a process we started (its group), and reap it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.communicate(timeout=30)


def wait_for(
    condition: Callable[[], bool], process: subprocess.Popen | None = None, timeout: float = 300
) -> bool:
    """Poll ``condition`` until it holds (True), or ``process`` ended first (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        if process is not None and process.poll() is not None:
            return condition()
        time.sleep(0.005)
    raise TimeoutError("condition not reached")


def holds_lock(index_dir: Path, process: subprocess.Popen) -> Callable[[], bool]:
    """True once ``process`` has taken the index's write lock (it writes its pid just after)."""
    pid_file = index_dir / "dari-writer.pid"

    def check() -> bool:
        try:
            return pid_file.read_text().strip() == str(process.pid)
        except OSError:
            return False

    return check


def new_file(index_dir: Path, suffix: str, before: set[str]) -> Callable[[], bool]:
    """True once a file ending in ``suffix`` that was not in ``before`` appears in the index folder."""

    def check() -> bool:
        try:
            return any(name.endswith(suffix) and name not in before for name in os.listdir(index_dir))
        except FileNotFoundError:
            return False

    return check


def commit_segments(index_dir: Path) -> dict[int, set[str]]:
    """Each commit's generation → the segments it uses, read by Whoosh itself (not by dari)."""
    storage = FileStorage(str(index_dir))
    generations = [int(m.group(1)) for name in os.listdir(index_dir) if (m := TOC_NAME.match(name))]
    return {
        generation: {segment.segment_id() for segment in TOC.read(storage, "MAIN", gen=generation).segments}
        for generation in sorted(generations)
    }


def zero_fill(path: Path) -> None:
    """A file whose blocks never reached the disk: its length, all zeros."""
    path.write_bytes(bytes(path.stat().st_size))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    url: str
    port: int
    process: subprocess.Popen


@contextlib.contextmanager
def serving(
    index_dir: Path, log: Path, *options: str, dari: Path = DARI, cwd: Path | None = None
) -> Iterator[Server]:
    """A real `dari serve` (this venv's, or ``dari``) over ``index_dir`` (with ``options``) on a
    free port, stopped afterwards."""
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(dari), "serve", "--index", str(index_dir), "--port", str(port), *options],
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    server = Server(f"http://127.0.0.1:{port}", port, process)
    try:
        if not wait_for(lambda: get(server, "/api/health")[0] == 200, process, timeout=180):
            raise RuntimeError(f"dari serve exited {process.returncode}:\n{log.read_text()}")
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        finally:
            stop_group(process)


def get(server: Server, path: str, timeout: float = 30) -> tuple[int, bytes]:
    """GET ``path`` exactly as written (no client-side normalisation of ``..``): status and body;
    status 0 when the server cannot be reached."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    except OSError:
        return 0, b""
    finally:
        connection.close()
