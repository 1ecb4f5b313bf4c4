"""Soak runs too long for the suite: many `kill -9`s of a reindex, and thousands of API requests
while commits update and delete documents.  Prints its figures; exits 1 if any check failed.

    .venv/bin/python tests/soak/soak.py [--kills 50] [--requests 2000] [--seed 0]

Both parts drive the real thing (the installed `dari`, a real index on disk, a real server), with
the helpers the fault tests use (tests/faultkit.py).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/, for faultkit

from faultkit import get, run_dari, serving, start_dari, stop_group, write_corpus  # noqa: E402

from indexer.search import SearchEngine  # noqa: E402

BASE = 1500  # documents every run starts from, marked "alpha"; no run changes them


def reindex_or_fail(*args: str) -> float:
    """Run `dari reindex` to its end: how long it took."""
    began = time.perf_counter()
    done = run_dari("reindex", *args)
    if done.returncode != 0:
        raise SystemExit(f"reindex failed: {done.stderr}")
    return time.perf_counter() - began


def marker_totals(index: Path, markers: list[str]) -> tuple[int, dict[str, int]]:
    engine = SearchEngine(index)
    return engine.doc_count(), {marker: engine.search(marker, per_page=1).total for marker in markers}


def kill_soak(work: Path, kills: int, rng: random.Random) -> list[str]:
    """``kills`` reindexes, each adding a batch and deleting an older one, killed at a random moment
    (start-up, lock, reading, analysing, committing): after each, the index holds the state before
    or the state after, every batch whole, and the next run recovers."""
    docs, index = work / "docs", work / "kill-index"
    write_corpus(docs / "alpha", BASE, "alpha")
    run_time = reindex_or_fail(str(docs), "--index", str(index))
    batches: dict[str, int] = {}  # committed batch → size
    problems: list[str] = []
    outcomes = {"before": 0, "after": 0}
    started = time.perf_counter()
    for kill in range(kills):
        marker = f"batch{kill}"
        size = rng.randint(50, 800)
        write_corpus(docs / marker, size, marker, seed=kill)
        gone = rng.choice(sorted(batches)) if batches and rng.random() < 0.5 else None
        if gone:
            shutil.rmtree(docs / gone)
        before = dict(batches)
        after = {name: n for name, n in batches.items() if name != gone} | {marker: size}
        full = rng.random() < 0.1
        run = start_dari("reindex", str(docs), "--index", str(index), *(["--full"] * full))
        time.sleep(rng.uniform(0, 1.2 * run_time))  # anywhere in a run like the last one
        if run.poll() is None:
            os.kill(run.pid, signal.SIGKILL)  # the `dari` process alone, as `kill -9 PID` would
            run.wait()
        stop_group(run)  # and reap what it left
        markers = ["alpha", *sorted(before.keys() | after.keys())]
        try:
            count, totals = marker_totals(index, markers)
        except Exception as error:  # any exception here is what the soak looks for
            problems.append(f"kill {kill}: the index did not open: {type(error).__name__}: {error}")
            reindex_or_fail(str(docs), "--index", str(index))
            count, totals = marker_totals(index, markers)
        state = next(
            (
                name
                for name, expected in (("before", before), ("after", after))
                if totals == {"alpha": BASE} | {m: expected.get(m, 0) for m in markers[1:]}
                and count == BASE + sum(expected.values())
            ),
            None,
        )
        if state is None:
            problems.append(f"kill {kill}: neither the state before nor after: {count} docs, {totals}")
        else:
            outcomes[state] += 1
        # What the index should hold now: the next run's job is to bring it in line with the files.
        run_time = reindex_or_fail(str(docs), "--index", str(index))
        batches = after
    count, totals = marker_totals(index, ["alpha", *batches])
    if count != BASE + sum(batches.values()):
        problems.append(f"after the soak: {count} documents, expected {BASE + sum(batches.values())}")
    seconds = time.perf_counter() - started
    print(
        f"kill -9: {kills} kills in {seconds:.0f} s; the index held the state before {outcomes['before']}×, "
        f"after {outcomes['after']}×; problems: {len(problems)}"
    )
    return problems


def request_soak(work: Path, requests: int, rng: random.Random) -> list[str]:
    """``requests`` API requests from 4 clients while a writer updates, deletes and adds documents
    and commits, again and again: no request fails, the unchanged documents are always all found,
    and every commit's changes are seen."""
    docs, index = work / "serve-docs", work / "serve-index"
    write_corpus(docs / "alpha", BASE, "alpha")
    write_corpus(docs / "moving", 200, "moving")
    reindex_or_fail(str(docs), "--index", str(index))
    problems: list[str] = []
    latencies: list[float] = []
    commits = [0]
    stop = threading.Event()
    lock = threading.Lock()

    def write() -> None:
        generation = 0
        while not stop.is_set():
            generation += 1
            files = sorted((docs / "moving").iterdir())
            for path in rng.sample(files, min(20, len(files))):
                path.unlink()  # deleted
            for path in rng.sample(files, min(40, len(files))):
                if path.exists():  # updated
                    text = path.read_text(encoding="utf-8")
                    path.write_text(f"{text} edit{generation}\n", encoding="utf-8")
            write_corpus(docs / "moving", 20, f"added{generation}", seed=generation)
            reindex_or_fail(str(docs), "--index", str(index))
            commits[0] += 1

    queries = ["alpha", "moving", "labour policy", "노동자 권리", "title:alpha", "alph*", "-moving alpha"]

    def ask(count: int) -> None:
        for _ in range(count):
            query = rng.choice(queries)
            path = f"/api/search?q={urllib.parse.quote(query)}&per_page=5"
            path = rng.choice([path, path, path, "/api/health"])
            time.sleep(rng.uniform(0, 0.05))  # users, not a load test: spread over many commits
            began = time.perf_counter()
            status, body = get(server, path)
            took = time.perf_counter() - began
            with lock:
                latencies.append(took)
            if status != 200:
                problems.append(f"{path}: HTTP {status}: {body[:200]!r}")
            elif query == "alpha" and path.startswith("/api/search"):
                total = json.loads(body)["total"]
                if total != BASE:
                    problems.append(f"alpha found {total} times, not {BASE}")

    with serving(index, work / "serve.log") as server:
        writer = threading.Thread(target=write)
        writer.start()
        began = time.perf_counter()
        clients = [threading.Thread(target=ask, args=(requests // 4,)) for _ in range(4)]
        for client in clients:
            client.start()
        for client in clients:
            client.join()
        seconds = time.perf_counter() - began
        stop.set()
        writer.join()
    ordered = sorted(latencies)
    print(
        f"requests under commits: {len(latencies)} requests in {seconds:.0f} s by 4 clients during "
        f"{commits[0]} commits (updates, deletes, adds); failures: {len(problems)}; latency p50 "
        f"{statistics.median(ordered) * 1000:.0f} ms, p95 {ordered[int(len(ordered) * 0.95)] * 1000:.0f} ms, "
        f"max {ordered[-1] * 1000:.0f} ms"
    )
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="dari-soak-") as folder:
        work = Path(folder)
        problems = kill_soak(work, args.kills, rng) + request_soak(work, args.requests, rng)
    for problem in problems[:20]:
        print("  " + problem)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
