"""Speed benchmark: indexing throughput and query latency of dari against its floors.

Run from the repository root (inside the project's virtualenv):

    python benchmarks/speed.py                      # mix + 20k, the quick run
    python benchmarks/speed.py --sizes mix,20k,100k # the full run
    python benchmarks/speed.py --sizes "" --documents 100  # the documents row alone (300 files)

For each corpus it indexes the same title+text with (a) stock Whoosh (StemmingAnalyzer, one
process), (b) Kiwi alone on the Hangul-bearing lines (num_workers=2) and (c) `dari reindex` (full,
then incremental with nothing changed), each in its own subprocess so wall time and peak RSS (summed
over the process tree, workers included) are real; (a) and (c)'s full build of a small corpus (the
mix) run five times in turn, and the median is reported. Then it times `SearchEngine.search` (highlights
included) for one- to three-term and natural-language queries drawn from the query sets and for
korquad questions, beside stock Whoosh on the same queries (an OR of the words, top 10, highlighted),
and HTTP throughput against `dari serve` at 4 and 16 concurrent clients.

With ``--documents N`` it also writes N each of PDF (3 pages), DOCX and HWPX files (the generator of
benchmarks/documents.py) and compares `dari reindex --full` of them with extraction alone (the same
readers in one process): ms per file and per page.

The 20k/100k corpora are generated on the fly into a temporary folder (seeded, never committed) by
recombining sentences of the korquad, squad, cranfield and koen_parallel sets.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
MIX_SETS = ("korquad", "squad", "cranfield")
# A build of a corpus this small (the mix: 9–17 s) runs SHORT_BUILD_RUNS times, stock Whoosh and
# dari in turn, and the run of median wall time is reported: one run of each is at the mercy of the
# host (the mix read 1.19× and 1.44× in two runs back to back; medians of three, 1.13× and 1.27×).
# Bigger corpora build once.
SHORT_BUILD_DOCS, SHORT_BUILD_RUNS = 10_000, 5
# Memory is polled every POLL_S, PSS only every PSS_EVERY polls or when RSS has grown by PSS_GROWTH
# since PSS was last read.  Reading PSS walks every page table of the process tree (~22 ms for dari's
# three processes), CPU that a build on both cores loses and stock Whoosh on one does not: read every
# 0.25 s, it made the mix's dari build ~1.5 s slower (12.8 s against 11.0 s, four runs each).
POLL_S, PSS_EVERY, PSS_GROWTH = 0.25, 8, 1.1
HANGUL = re.compile(r"[\uac00-\ud7a3]")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
EN_WORD = re.compile(r"[A-Za-z][A-Za-z'-]{3,}")
EN_STOP = frozenset(
    {
        "what",
        "which",
        "when",
        "where",
        "who",
        "whom",
        "whose",
        "why",
        "how",
        "does",
        "did",
        "have",
        "that",
        "this",
        "with",
        "from",
        "were",
        "was",
        "there",
        "their",
        "they",
        "them",
        "than",
        "then",
        "into",
        "also",
        "been",
        "being",
        "about",
        "after",
        "before",
        "must",
        "should",
        "would",
        "could",
    }
)
QUERIES_PER_KIND = 200
HTTP_CLIENTS = (4, 16)
HTTP_SECONDS = 8.0


def data_dir() -> Path:
    """The shared evaluation data, read by path and never copied into the repository."""
    return Path(os.environ.get("DARI_DATA") or ROOT.parent / "shared" / "data")


def read_jsonl(path: Path) -> Iterator[dict]:
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


# --------------------------------------------------------------------------- corpora


@dataclass
class Corpus:
    name: str
    paths: list[Path]
    docs: int
    bytes: int  # UTF-8 bytes of title+text


def mix_corpus() -> Corpus:
    paths = [data_dir() / name / "corpus.jsonl" for name in MIX_SETS]
    docs = size = 0
    for path in paths:
        for d in read_jsonl(path):
            docs += 1
            size += len(d["title"].encode()) + len(d["text"].encode())
    return Corpus("mix", paths, docs, size)


def sentence_pools() -> tuple[list[str], list[str], list[str], list[str]]:
    """Korean and English sentences and titles from the corpora and the parallel pairs."""
    ko: list[str] = []
    en: list[str] = []
    ko_titles: list[str] = []
    en_titles: list[str] = []
    for name in MIX_SETS:
        for d in read_jsonl(data_dir() / name / "corpus.jsonl"):
            is_ko = bool(HANGUL.search(d["text"]))
            (ko if is_ko else en).extend(s for s in SENTENCE_END.split(d["text"]) if len(s) > 20)
            (ko_titles if is_ko else en_titles).append(d["title"].strip(" ."))
    for pair in read_jsonl(data_dir() / "koen_parallel" / "pairs.jsonl"):
        ko.append(pair["ko"])
        en.append(pair["en"])
    return ko, en, ko_titles, en_titles


def generate_corpus(n: int, seed: int, out_dir: Path) -> Corpus:
    """Write a folder of n .txt files of 1-2 KB (title line, then paragraphs), 1,000 per
    subfolder: ~45 % Korean, ~45 % English, ~10 % mixed.  Files, not one jsonl, so the
    no-change reindex has a file per document to check, as a real folder has."""
    ko, en, ko_titles, en_titles = sentence_pools()
    rng = random.Random(seed)
    total = 0
    for i in range(n):
        kind = rng.random()
        pools = [ko] if kind < 0.45 else [en] if kind < 0.9 else [ko, en]
        parts = [rng.choice(en_titles if 0.45 <= kind < 0.9 else ko_titles), "\n\n"]
        target = rng.randint(1024, 2048)
        size = len(parts[0].encode())
        while size < target:
            sentence = rng.choice(rng.choice(pools))
            parts.append(sentence + ("\n\n" if rng.random() < 0.2 else " "))
            size += len(parts[-1].encode())
        data = "".join(parts).strip().encode()
        path = out_dir / f"{i // 1000:03d}" / f"g{i:06d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        total += len(data)
    return Corpus(f"{n // 1000}k" if n % 1000 == 0 else str(n), [out_dir], n, total)


def iter_docs(paths: Sequence[Path]) -> Iterator[tuple[str, str, str]]:
    """(id, title, text) from jsonl files or folders of .txt files, read as dari reads them."""
    for path in paths:
        if path.is_dir():
            for file in sorted(path.rglob("*.txt")):
                text = file.read_text(encoding="utf-8")
                yield str(file.relative_to(path)), text.split("\n", 1)[0], text
        else:
            for d in read_jsonl(path):
                yield d["id"], d["title"], d["text"]


def parse_size(token: str) -> int:
    token = token.strip().lower()
    return int(float(token[:-1]) * 1000) if token.endswith("k") else int(token)


# --------------------------------------------------------------------------- measuring


@dataclass
class Run:
    wall: float
    cpu: float  # user+system seconds of the whole process tree: steadier than wall on a busy box
    peak_rss: int  # bytes, summed over the process tree at its largest
    peak_pss: int  # the same as proportional set size: pages shared after fork counted once
    stdout: str


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(cmd: Sequence[str | Path], env: dict[str, str] | None = None) -> Run:
    """Run cmd to completion, polling the RSS (and, less often, the PSS) of it and all its descendants."""
    cpu_before = children_cpu()
    start = time.perf_counter()
    proc = subprocess.Popen(
        [str(c) for c in cmd],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    root = psutil.Process(proc.pid)
    stdout_chunks: list[str] = []
    stderr_chunks: list[str] = []
    readers = [
        threading.Thread(target=lambda s=s, c=c: c.append(s.read()), daemon=True)
        for s, c in ((proc.stdout, stdout_chunks), (proc.stderr, stderr_chunks))
    ]
    for t in readers:
        t.start()
    peak_rss = peak_pss = polls = rss_at_pss = 0
    while proc.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
            rss = sum(p.memory_info().rss for p in tree)
            if rss > rss_at_pss * PSS_GROWTH or polls % PSS_EVERY == 0:
                pss = sum(p.memory_full_info().pss for p in tree)
                peak_pss, rss_at_pss = max(peak_pss, pss), rss
            peak_rss = max(peak_rss, rss)
        except psutil.Error:
            pass  # a worker exited between listing and reading: the next poll sees the rest
        polls += 1
        time.sleep(POLL_S)
    wall = time.perf_counter() - start
    for t in readers:
        t.join()
    if proc.returncode:
        raise RuntimeError(
            f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n{''.join(stderr_chunks)[-3000:]}"
        )
    return Run(wall, children_cpu() - cpu_before, peak_rss, peak_pss, "".join(stdout_chunks))


def median_wall(runs: list[Run]) -> Run:
    """The run of median wall time (the middle one of an odd count)."""
    return sorted(runs, key=lambda run: run.wall)[len(runs) // 2]


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


@dataclass
class IndexRow:
    corpus: str
    system: str
    docs: int
    wall: float
    cpu: float
    mb: float
    peak_rss_mib: float
    peak_pss_mib: float
    index_mib: float | None
    docs_s: float = field(init=False)
    mb_s: float = field(init=False)

    def __post_init__(self) -> None:
        self.docs_s = self.docs / self.wall
        self.mb_s = self.mb / self.wall


def index_row(corpus: Corpus, system: str, run: Run, index_dir: Path | None) -> IndexRow:
    return IndexRow(
        corpus.name,
        system,
        corpus.docs,
        run.wall,
        run.cpu,
        corpus.bytes / 1e6,
        run.peak_rss / 2**20,
        run.peak_pss / 2**20,
        dir_size(index_dir) / 2**20 if index_dir else None,
    )


def this_script(*args: str | Path) -> list[str | Path]:
    return [sys.executable, Path(__file__).resolve(), *args]


def dari_cmd() -> Path:
    return Path(sys.executable).with_name("dari")


# --------------------------------------------------------------------------- child modes


def child_whoosh(index_dir: Path, paths: Sequence[Path]) -> None:
    """Baseline (a): stock Whoosh, StemmingAnalyzer, one process, title+text stored."""
    from whoosh import index
    from whoosh.analysis import StemmingAnalyzer
    from whoosh.fields import ID, TEXT, Schema

    schema = Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=StemmingAnalyzer(), stored=True),
        body=TEXT(analyzer=StemmingAnalyzer(), stored=True),
    )
    index_dir.mkdir(parents=True, exist_ok=True)
    writer = index.create_in(str(index_dir), schema).writer()
    for doc_id, title, text in iter_docs(paths):
        writer.add_document(id=doc_id, title=title, body=text)
    writer.commit()


def hangul_lines(paths: Sequence[Path]) -> Iterator[str]:
    for _, title, text in iter_docs(paths):
        for field_text in (title, text):
            yield from (line for line in field_text.splitlines() if HANGUL.search(line))


def child_kiwi(paths: Sequence[Path]) -> None:
    """Baseline (b): Kiwi alone on the lines dari sends it, configured as dari configures it, with
    its own two worker threads."""
    from kiwipiepy import Kiwi

    from indexer.morphemes import KIWI_OPTIONS

    kiwi = Kiwi(num_workers=2, **KIWI_OPTIONS)
    start = time.perf_counter()
    lines = list(hangul_lines(paths))
    tokens = sum(len(t) for t in kiwi.tokenize(lines))
    seconds = time.perf_counter() - start
    chars = sum(map(len, lines))
    print(json.dumps({"lines": len(lines), "chars": chars, "tokens": tokens, "analysis_s": seconds}))


def make_queries(seed: int) -> dict[str, list[str]]:
    """200 one-, two-, three-term and natural-language queries, half Korean, from the query sets."""
    rng = random.Random(seed)
    ko = [q["text"] for q in read_jsonl(data_dir() / "korquad" / "queries.jsonl")]
    en = [
        q["text"] for name in ("squad", "cranfield") for q in read_jsonl(data_dir() / name / "queries.jsonl")
    ]

    def words(query: str) -> list[str]:
        if HANGUL.search(query):
            return [w.strip("?.,!()\"'") for w in query.split() if len(HANGUL.findall(w)) >= 2]
        return [w for w in EN_WORD.findall(query) if w.lower() not in EN_STOP]

    sizes = {"one-term": 1, "two-term": 2, "three-term": 3}
    kinds: dict[str, list[str]] = {kind: [] for kind in [*sizes, "natural"]}
    kinds["korquad questions"] = rng.sample(ko, QUERIES_PER_KIND)
    for i in range(QUERIES_PER_KIND):
        pool = ko if i % 2 else en
        kinds["natural"].append(rng.choice(pool))
        for kind, n in sizes.items():
            while True:
                ws = words(rng.choice(pool))
                if len(set(ws)) >= n:
                    kinds[kind].append(" ".join(rng.sample(sorted(set(ws)), n)))
                    break
    return kinds


def percentiles(ms: list[float]) -> dict[str, float]:
    q = statistics.quantiles(ms, n=100, method="inclusive")
    return {"p50": statistics.median(ms), "p95": q[94], "p99": q[98], "max": max(ms)}


def child_queries(index_dir: Path, seed: int) -> None:
    """Latency of SearchEngine.search, highlights included, each query also with the bridge off and
    with fuzzy off (what each costs).

    Every kind's queries are run once in every setting before they are timed (as stock Whoosh's
    are): the index's pages and the words' document frequencies are then as warm for every row.
    Each timed search analyses its query anew, as a user's first search does: the setting timed
    after another once reused its Kiwi analysis, which flattered bridge off and fuzzy off against
    the row timed first (the bridge's one-term cost read 1.44x so, 1.24x with the order reversed).
    """
    from indexer.index import open_index
    from indexer.morphemes import bilingual_spans
    from indexer.search import SearchEngine
    from indexer.vocabulary import Vocabulary

    engine = SearchEngine(index_dir)
    kinds = make_queries(seed)
    for q in kinds["natural"][:10]:
        engine.search(q)
    out = {}
    for kind, queries in kinds.items():
        switches = {
            kind: {},
            f"{kind}, bridge off": {"bridge": False},
            f"{kind}, fuzzy off": {"fuzzy": False},
        }
        ms: dict[str, list[float]] = {row: [] for row in switches}
        for q in queries:
            for options in switches.values():
                engine.search(q, **options)
        for q in queries:  # each query in every setting, in turn, so all rows see the same load
            for row, options in switches.items():
                bilingual_spans.cache_clear()
                start = time.perf_counter()
                engine.search(q, **options)
                ms[row].append((time.perf_counter() - start) * 1000)
        out |= {row: percentiles(times) for row, times in ms.items()}
    vocabulary_started = time.perf_counter()
    words = len(Vocabulary(open_index(index_dir).reader()))
    out["fuzzy vocabulary build"] = {"words": words, "seconds": time.perf_counter() - vocabulary_started}
    print(json.dumps(out))


def child_whoosh_queries(index_dir: Path, seed: int) -> None:
    """Latency of stock Whoosh on the same queries: an OR of the words over title and body
    (StemmingAnalyzer, BM25F, Whoosh's block-max pruning), top 10, each hit's body highlighted;
    each kind's queries run once untimed first, as dari's are."""
    from whoosh import index
    from whoosh.qparser import MultifieldParser, OrGroup

    ix = index.open_dir(str(index_dir))
    parser = MultifieldParser(["title", "body"], ix.schema, group=OrGroup)
    out = {}
    with ix.searcher() as searcher:
        for kind, queries in make_queries(seed).items():
            ms = []
            for timed in (False, True):
                for q in queries:
                    start = time.perf_counter()
                    for hit in searcher.search(parser.parse(q), limit=10):
                        hit.highlights("body")
                    if timed:
                        ms.append((time.perf_counter() - start) * 1000)
            out[kind] = percentiles(ms)
    print(json.dumps(out))


# --------------------------------------------------------------------------- HTTP


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_available() -> bool:
    probe = subprocess.run([dari_cmd(), "serve", "--help"], capture_output=True, text=True)
    return probe.returncode == 0


def http_load(port: int, queries: list[str], clients: int, seconds: float) -> dict[str, float]:
    """Closed-loop load: each client sends its next query as soon as the last answer arrived."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client(offset: int) -> None:
        nonlocal errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        i = offset
        while time.perf_counter() < deadline:
            url = "/api/search?" + urllib.parse.urlencode({"q": queries[i % len(queries)]})
            start = time.perf_counter()
            conn.request("GET", url)
            resp = conn.getresponse()
            resp.read()
            ms = (time.perf_counter() - start) * 1000
            with lock:
                latencies.append(ms)
                errors += resp.status != 200
            i += clients
        conn.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    return {"clients": clients, "req_s": len(latencies) / wall, "errors": errors, **percentiles(latencies)}


def bench_http(index_dir: Path, queries: list[str]) -> list[dict[str, float]] | str:
    if not serve_available():
        return "skipped: `dari serve` is not on this branch yet (web app not merged)"
    port = free_port()
    server = subprocess.Popen(
        [dari_cmd(), "serve", "--index", index_dir, "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                conn.request("GET", "/api/search?q=warmup")
                conn.getresponse().read()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    return "skipped: `dari serve` did not answer on /api/search"
                time.sleep(0.5)
        return [http_load(port, queries, clients, HTTP_SECONDS) for clients in HTTP_CLIENTS]
    finally:
        server.terminate()
        server.wait(10)


# --------------------------------------------------------------------------- orchestration


def bench_corpus(corpus: Corpus, work: Path, seed: int, skip_http: bool, skip_baselines: bool) -> dict:
    print(f"== {corpus.name}: {corpus.docs} docs, {corpus.bytes / 1e6:.1f} MB", flush=True)
    rows: list[IndexRow] = []

    def record(system: str, run: Run, index_dir: Path | None) -> None:
        rows.append(index_row(corpus, system, run, index_dir))
        print("  ", row_line(asdict(rows[-1])), flush=True)

    whoosh_dir, dari_dir = work / f"{corpus.name}-whoosh", work / f"{corpus.name}-dari"
    reindex = [dari_cmd(), "reindex", *corpus.paths, "--index", dari_dir]
    builds: dict[str, list[Run]] = {"stock": [], "dari": []}
    for _ in range(SHORT_BUILD_RUNS if corpus.docs < SHORT_BUILD_DOCS else 1):
        for index_dir in (whoosh_dir, dari_dir):
            shutil.rmtree(index_dir, ignore_errors=True)
        if not skip_baselines:
            builds["stock"].append(measure(this_script("_whoosh", whoosh_dir, *corpus.paths)))
        builds["dari"].append(measure([*reindex, "--full"]))
    if len(builds["dari"]) > 1:
        print("   builds, wall s:", {name: [round(r.wall, 1) for r in runs] for name, runs in builds.items()})
    kiwi_stats = None
    if not skip_baselines:
        record("(a) stock Whoosh", median_wall(builds["stock"]), whoosh_dir)
        kiwi_run = measure(this_script("_kiwi", *corpus.paths))
        record("(b) Kiwi alone", kiwi_run, None)
        kiwi_stats = json.loads(kiwi_run.stdout)
    record("dari reindex --full", median_wall(builds["dari"]), dari_dir)
    record("dari reindex (no change)", measure(reindex), dari_dir)

    queries = json.loads(measure(this_script("_queries", dari_dir, "--seed", str(seed))).stdout)
    print("  ", queries, flush=True)
    stock_queries = None
    if not skip_baselines:
        stock = measure(this_script("_whoosh_queries", whoosh_dir, "--seed", str(seed)))
        stock_queries = json.loads(stock.stdout)
        print("   stock Whoosh:", stock_queries, flush=True)
        shutil.rmtree(whoosh_dir)
    mixed = [q for qs in make_queries(seed).values() for q in qs]
    random.Random(seed).shuffle(mixed)
    http = "skipped: --skip-http" if skip_http else bench_http(dari_dir, mixed)
    print("  ", http, flush=True)
    shutil.rmtree(dari_dir)
    return {
        "corpus": asdict(corpus) | {"paths": [str(p) for p in corpus.paths]},
        "indexing": [asdict(r) for r in rows],
        "builds_wall_s": {name: [r.wall for r in runs] for name, runs in builds.items()},
        "kiwi": kiwi_stats,
        "queries": queries,
        "stock_queries": stock_queries,
        "http": http,
    }


def bench_documents(count: int, seed: int, work: Path) -> dict:
    """`dari reindex --full` of generated PDF/DOCX/HWPX files against their extraction alone."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import documents  # benchmarks/documents.py: the generator and the extraction timing

    folder = work / "documents"
    folder.mkdir()
    documents.write_files(folder, count, seed)
    formats = documents.extraction(folder)
    run = measure([dari_cmd(), "reindex", folder, "--full", "--index", work / "documents-index"])
    shutil.rmtree(folder)
    return {"formats": formats, "wall": run.wall, "cpu": run.cpu, "peak_rss_mib": run.peak_rss / 2**20}


def print_documents(result: dict) -> None:
    formats = result["formats"]
    files, pages = sum(r["files"] for r in formats), sum(r["pages"] for r in formats)

    def line(what: str, files: int, pages: int, seconds: float) -> str:
        return f"| {what} | {files} | {pages} | {1000 * seconds / files:.1f} | {1000 * seconds / pages:.1f} |"

    print("\n| documents | files | pages | ms/file | ms/page |")
    print("|---|---:|---:|---:|---:|")
    for r in formats:
        print(line(f"extraction alone: {r['format']}", r["files"], r["pages"], r["seconds"]))
    print(line("extraction alone: all", files, pages, sum(r["seconds"] for r in formats)))
    reindex = (
        f"dari reindex --full ({result['wall']:.1f} s wall, {result['cpu']:.1f} CPU-s, "
        f"peak RSS {result['peak_rss_mib']:.0f} MiB)"
    )
    print(line(reindex, files, pages, result["wall"]))


def row_line(r: dict) -> str:
    size = f"{r['index_mib']:.0f}" if r["index_mib"] is not None else "–"
    return (
        f"| {r['corpus']} | {r['system']} | {r['docs']} | {r['wall']:.1f} | {r['cpu']:.1f} | "
        f"{r['docs_s']:.0f} | {r['mb_s']:.2f} | {r['peak_rss_mib']:.0f} | "
        f"{r['peak_pss_mib']:.0f} | {size} |"
    )


def print_report(results: list[dict]) -> None:
    cores = f"{os.cpu_count()} logical cores ({psutil.cpu_count(logical=False)} physical)"
    print(
        f"\nmachine: {cores}, {psutil.virtual_memory().total / 2**30:.0f} GiB RAM, "
        f"Python {sys.version.split()[0]}, load average {os.getloadavg()[0]:.1f}"
    )
    print(
        "\n| corpus | system | docs | wall s | CPU s | docs/s | MB/s | peak RSS MiB | peak PSS MiB "
        "| index MiB |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for res in results:
        for r in res["indexing"]:
            print(row_line(r))
    print("\n| corpus | dari/(a) stock Whoosh | dari/(b) Kiwi alone | Kiwi chars/s (2 threads) |")
    print("|---|---:|---:|---:|")
    for res in results:
        k = res["kiwi"]
        if k is None:
            continue
        a, b, d = (r["wall"] for r in res["indexing"][:3])
        print(
            f"| {res['corpus']['name']} | {d / a:.2f}× | {d / b:.2f}× | {k['chars'] / k['analysis_s']:,.0f} |"
        )
    print(
        "\n| corpus | queries (200 each) | p50 ms | p95 ms | p99 ms | max ms "
        "| stock Whoosh p50 / p95 ms | p95 dari/stock |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for res in results:
        stock = res.get("stock_queries") or {}
        for kind, p in res["queries"].items():
            if "seconds" in p:
                words = f"{kind}: {p['words']} words, {p['seconds']:.1f} s"
                print(f"| {res['corpus']['name']} | {words} |" + " |" * 6)
                continue
            s = stock.get(kind)
            versus = f"{s['p50']:.1f} / {s['p95']:.1f} | {p['p95'] / s['p95']:.2f}×" if s else "| "
            print(
                f"| {res['corpus']['name']} | {kind} | {p['p50']:.1f} | {p['p95']:.1f} | "
                f"{p['p99']:.1f} | {p['max']:.1f} | {versus} |"
            )
    print("\n| corpus | HTTP clients | req/s | p50 ms | p95 ms | errors |")
    print("|---|---:|---:|---:|---:|---:|")
    for res in results:
        if isinstance(res["http"], str):
            print(f"| {res['corpus']['name']} | {res['http']} | | | | |")
            continue
        for h in res["http"]:
            print(
                f"| {res['corpus']['name']} | {h['clients']} | {h['req_s']:.1f} | "
                f"{h['p50']:.1f} | {h['p95']:.1f} | {h['errors']} |"
            )


def main(argv: Sequence[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "_whoosh":
        return child_whoosh(Path(argv[1]), [Path(p) for p in argv[2:]])
    if argv and argv[0] == "_kiwi":
        return child_kiwi([Path(p) for p in argv[1:]])
    if argv and argv[0] == "_queries":
        return child_queries(Path(argv[1]), int(argv[3]))
    if argv and argv[0] == "_whoosh_queries":
        return child_whoosh_queries(Path(argv[1]), int(argv[3]))

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        default="mix,20k",
        help="comma-separated corpora: 'mix' (the 4,428-doc set) and/or generated "
        "sizes such as 20k, 100k (default: mix,20k)",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-http", action="store_true", help="skip the `dari serve` part")
    parser.add_argument(
        "--skip-baselines", action="store_true", help="skip stock Whoosh and Kiwi alone (for a long 100k run)"
    )
    parser.add_argument("--json", type=Path, help="also write the raw results to this file")
    parser.add_argument(
        "--documents",
        type=int,
        default=0,
        metavar="N",
        help="also N each of PDF, DOCX and HWPX files (0: skip)",
    )
    args = parser.parse_args(argv)

    results = []
    with tempfile.TemporaryDirectory(prefix="dari-speed-") as tmp:
        work = Path(tmp)
        for token in args.sizes.split(","):
            if not token.strip():  # --sizes "": the documents row alone
                continue
            if token.strip() == "mix":
                corpus = mix_corpus()
            else:
                n = parse_size(token)
                corpus = generate_corpus(n, args.seed + n, work / f"gen-{n}")
            results.append(bench_corpus(corpus, work, args.seed, args.skip_http, args.skip_baselines))
            for path in corpus.paths:
                if path.is_relative_to(work):
                    shutil.rmtree(path)
            if args.json:  # after each corpus, so a long run that is stopped keeps what it measured
                args.json.parent.mkdir(parents=True, exist_ok=True)
                args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False))
        document_result = bench_documents(args.documents, args.seed, work) if args.documents else None
    if results:
        print_report(results)
    if document_result is not None:
        print_documents(document_result)


if __name__ == "__main__":
    main()
