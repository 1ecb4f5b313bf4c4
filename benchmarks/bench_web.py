"""Time `dari serve`: start to first search result, and one API search (median of N).

    .venv/bin/python benchmarks/bench_web.py [--index DIR] [--runs 50]

Without --index the server starts on an empty folder, so the time includes indexing the seeds
(what a first `dari serve` does); with one it is the time of an ordinary restart.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

QUERIES = ["노동", "국제노동기구", "labor policy", "artificial intelligence", "ILO 협력"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str) -> int:
    with urllib.request.urlopen(url, timeout=30) as resp:
        resp.read()
        return resp.status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index", type=Path)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dari-bench-") as scratch:
        bench(args.index or Path(scratch), args.runs)


def bench(index_dir: Path, runs: int) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    first_url = f"{base}/api/search?q={urllib.parse.quote('노동')}"
    dari = Path(sys.executable).with_name("dari")
    started = time.perf_counter()
    proc = subprocess.Popen(
        [str(dari), "serve", "--index", str(index_dir), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while True:
            if proc.poll() is not None:
                sys.exit(f"dari serve exited with {proc.returncode}")
            try:
                if get(first_url) == 200:
                    break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.05)
        print(f"start to first result: {time.perf_counter() - started:.2f} s ({index_dir})")
        times = []
        for i in range(runs):
            url = f"{base}/api/search?q={urllib.parse.quote(QUERIES[i % len(QUERIES)])}"
            t0 = time.perf_counter()
            get(url)
            times.append((time.perf_counter() - t0) * 1000)
        print(
            f"API search over HTTP, {runs} runs: median {statistics.median(times):.1f} ms, "
            f"p90 {statistics.quantiles(times, n=10)[-1]:.1f} ms, max {max(times):.1f} ms"
        )
    finally:
        proc.terminate()
        proc.wait(timeout=15)


if __name__ == "__main__":
    main()
