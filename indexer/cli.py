"""The ``dari`` command line: a thin shell over ``indexer.index`` and ``indexer.search``.

Imports ``display``, ``evaluate``, ``index``, ``search``, ``watch`` and ``web``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import html
import json
import os
import re
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import click

from indexer.display import reveal_hidden
from indexer.evaluate import EvalReport, evaluate, load_eval_set
from indexer.index import (
    READ_TIME_LIMIT,
    IndexLocked,
    IndexMissing,
    IndexUnusable,
    ReindexSummary,
    SkippedFiles,
    WorkerFailed,
    bundled_seeds,
    default_index_dir,
    reindex,
)
from indexer.search import SORTS, QueryError, SearchEngine, SearchResults, parse_filters
from indexer.watch import watch

index_option = click.option(
    "--index",
    "index_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Index folder (default: $DARI_INDEX, else a per-user data folder).",
)


bridge_option = click.option(
    "--no-bridge",
    "bridge",
    is_flag=True,
    flag_value=False,
    default=True,
    help="Search the words as typed only, without their Korean/English translations.",
)
no_fuzzy_option = click.option(
    "--no-fuzzy",
    is_flag=True,
    help="Search the words exactly as typed: no reading of typos, keyboard slips or initials.",
)


def resolve_index(index_dir: Path | None) -> Path:
    return index_dir or default_index_dir()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="dari")
def main() -> None:
    """dari (다리): bilingual Korean-English document search."""


@main.command(name="reindex")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@index_option
@click.option("--full", is_flag=True, help="Rebuild from PATHS instead of updating.")
@click.option("--strict", is_flag=True, help="Fail, changing nothing, if any file has to be skipped.")
@click.option("--follow-links", is_flag=True, help="Also index file symlinks that lead outside PATHS.")
@click.option(
    "--read-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=READ_TIME_LIMIT,
    show_default=True,
    help="Seconds one file may take to read; a slower one is skipped.",
)
def reindex_command(
    paths: tuple[Path, ...],
    index_dir: Path | None,
    full: bool,
    strict: bool,
    follow_links: bool,
    read_timeout: float,
) -> None:
    """Index the folders or files PATHS (default: the bundled seeds/).

    Files that cannot be indexed are listed with the reason and skipped; the run still succeeds
    with the others, unless --strict.
    """
    index_dir = resolve_index(index_dir)
    try:
        summary = reindex(
            list(paths) or [bundled_seeds()],
            index_dir,
            full=full,
            progress=sys.stderr.isatty(),
            strict=strict,
            follow_links=follow_links,
            read_timeout=read_timeout,
        )
    except (IndexLocked, WorkerFailed, IndexUnusable) as error:
        raise click.ClickException(str(error)) from None
    except OSError as error:  # disk full, a file size limit, an index folder that cannot be made
        reason = error.strerror or error
        raise click.ClickException(f"Cannot write the index at {index_dir}: {reason}") from None
    except SkippedFiles as error:
        _echo_skipped(error.summary)
        raise click.ClickException(str(error)) from None
    _echo_skipped(summary)
    click.echo(_summary_line(summary, index_dir))


def _summary_line(summary: ReindexSummary, index_dir: Path) -> str:
    return (
        f"{summary.added} added, {summary.updated} updated, {summary.deleted} deleted, "
        f"{summary.unchanged} unchanged, {len(summary.skipped)} skipped "
        f"in {summary.seconds:.2f} s → {index_dir}"
    )


def _echo_skipped(summary: ReindexSummary) -> None:
    for notice in summary.notices:
        click.echo(f"notice {notice.path}: {notice.message}", err=True)
    for skipped in summary.skipped:
        click.echo(f"skipped {skipped.where}: {skipped.reason}", err=True)


@main.command(name="search")
@click.argument("query")
@index_option
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 100), help="Hits per page.")
@click.option("--page", default=1, show_default=True, type=click.IntRange(1, 100))
@click.option("--lang", default=None, help="Only this language: ko, en (both with mixed), mixed, or a code.")
@click.option("--type", "types", multiple=True, metavar="TYPE", help="Only these file types (pdf,hwp,…).")
@click.option(
    "--path", default=None, help="Only files under this folder (relative to its PATH, or absolute)."
)
@click.option("--modified-after", metavar="YYYY-MM-DD", default=None)
@click.option("--modified-before", metavar="YYYY-MM-DD", default=None)
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the results as the API gives them.")
@bridge_option
@no_fuzzy_option
def search_command(
    query: str,
    index_dir: Path | None,
    limit: int,
    page: int,
    lang: str | None,
    types: tuple[str, ...],
    path: str | None,
    modified_after: str | None,
    modified_before: str | None,
    sort: str,
    as_json: bool,
    bridge: bool,
    no_fuzzy: bool,
) -> None:
    """Search the index for QUERY and show the best hits with highlighted passages."""
    try:
        filters = parse_filters(lang, types, path, modified_after, modified_before)
        engine = SearchEngine(resolve_index(index_dir), warm=False)
        results = engine.search(
            query, page=page, per_page=limit, filters=filters, sort=sort, bridge=bridge, fuzzy=not no_fuzzy
        )
    except (IndexMissing, IndexUnusable, QueryError) as error:
        raise click.ClickException(str(error)) from None
    with _quiet_on_broken_pipe():
        if as_json:
            click.echo(json.dumps(results.as_dict(), ensure_ascii=False, indent=2))
        else:
            _print_results(results, color=sys.stdout.isatty())


@contextlib.contextmanager
def _quiet_on_broken_pipe() -> Iterator[None]:
    """`dari search … | head` is done when the reader is: a closed pipe ends the output, exit 0."""
    try:
        yield
    except BrokenPipeError:
        # Python would flush what is left into the closed pipe at exit and fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


# Waitress accepts 100 connections by default and closes idle ones after 120 s (checking every
# 30 s): 100 clients that connect and send nothing, or half a request, lock everyone else out for
# two minutes. Idle connections hold a socket, not a worker thread, so many are cheap: up to 1,000
# are accepted (poll(), not select(), which fails past file descriptor 1023), and one silent for
# 20 s is closed (checked every 2 s); a browser opens a new one when it needs to. A client that
# keeps 1,000 connections alive by trickling bytes can still fill them: that needs a proxy in front.
MAX_CONNECTIONS = 1000
IDLE_SECONDS = 20
FILES_BESIDE_CONNECTIONS = 200  # the index's segment files, the listening sockets, logs


@main.command(name="serve")
@index_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--allow-host",
    "extra_hosts",
    multiple=True,
    metavar="NAME",
    help="Answer requests for this host name too (repeatable). On a loopback address only 127.0.0.1, "
    "localhost and [::1] are answered (against DNS rebinding); elsewhere any name unless this is given.",
)
@click.option(
    "--cors",
    "origins",
    multiple=True,
    metavar="ORIGIN",
    help="Let web pages from ORIGIN (https://app.example, or *) call the JSON API.",
)
@click.option(
    "--watch",
    "watched",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    metavar="PATH",
    help="Index PATH first if need be, then reindex it whenever its files change (repeatable).",
)
def serve_command(
    index_dir: Path | None,
    host: str,
    port: int,
    extra_hosts: tuple[str, ...],
    origins: tuple[str, ...],
    watched: tuple[Path, ...],
) -> None:
    """Serve the search page and JSON API; a missing or empty index gets the bundled seeds (or the
    --watch PATHs) first."""
    from waitress import create_server  # imported here: only this command needs the web stack

    from web import allowed_hosts, create_app

    hosts = allowed_hosts(host, extra_hosts)

    index_dir = resolve_index(index_dir)
    try:
        try:
            app = create_app(index_dir, hosts, origins)
        except IndexMissing:
            first = list(watched) or [bundled_seeds()]
            named = "the watched paths" if watched else "the bundled seeds"
            click.echo(f"No index at {index_dir}: indexing {named} first.", err=True)
            summary = reindex(first, index_dir, progress=sys.stderr.isatty())
            click.echo(f"{summary.added} documents indexed in {summary.seconds:.1f} s.", err=True)
            app = create_app(index_dir, hosts, origins)
    except (IndexLocked, IndexUnusable) as error:
        raise click.ClickException(str(error)) from None
    url_host = f"[{host}]" if ":" in host else host
    try:
        server = create_server(
            app,
            host=host,
            port=port,
            # No route takes a body, and a URL needs a few KB: bigger requests are refused (413/431)
            # before waitress buffers them (by default up to 1 GB of body, spooled to disk).
            max_request_body_size=64 * 1024,
            max_request_header_size=64 * 1024,
            connection_limit=_connection_limit(),
            asyncore_use_poll=True,
            channel_timeout=IDLE_SECONDS,
            cleanup_interval=2,
        )
    except (OSError, ValueError) as error:  # the port is taken or privileged, a host not of this machine
        cause = error.__context__ or error  # waitress turns a host it cannot resolve into a ValueError
        reason = getattr(cause, "strerror", None) or cause
        raise click.ClickException(f"Cannot listen on {url_host}:{port}: {reason}") from None
    click.echo(f"dari: serving {index_dir} on http://{url_host}:{port}/", err=True)
    # The watcher runs in its own process: a reindex forks its writers, which a threaded server
    # should not do; it exits with this one.
    watcher = _start_watcher(watched, index_dir) if watched else None
    try:
        server.run()
    finally:
        if watcher is not None:
            watcher.terminate()
            watcher.wait(timeout=30)


def _start_watcher(paths: tuple[Path, ...], index_dir: Path) -> subprocess.Popen:
    command = [sys.executable, "-c", "from indexer.cli import main; main()", "watch"]
    return subprocess.Popen(
        [*command, *map(str, paths), "--index", str(index_dir), "--parent", str(os.getpid())]
    )


@main.command(name="watch")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@index_option
@click.option("--follow-links", is_flag=True, help="Also index file symlinks that lead outside PATHS.")
@click.option("--parent", type=int, hidden=True, help="Exit when this process is gone (dari serve --watch).")
def watch_command(
    paths: tuple[Path, ...], index_dir: Path | None, follow_links: bool, parent: int | None
) -> None:
    """Reindex PATHS (default: the bundled seeds/) now and whenever their files change.

    Changes are gathered for a second, then indexed incrementally; a reindex that fails (another
    writer, a full disk) is reported and tried again. Stop with Ctrl-C.
    """
    index_dir = resolve_index(index_dir)
    roots = list(paths) or [bundled_seeds()]
    click.echo(f"dari: watching {', '.join(map(str, roots))} → {index_dir}", err=True)

    def report(summary: ReindexSummary | None, error: str | None) -> None:
        now = time.strftime("%H:%M:%S")
        if summary is None:
            click.echo(f"{now} Error: {error}", err=True)
            return
        _echo_skipped(summary)
        click.echo(f"{now} {_summary_line(summary, index_dir)}")

    with contextlib.suppress(KeyboardInterrupt):
        watch(roots, index_dir, report, follow_links=follow_links, parent=parent)


def _connection_limit() -> int:
    """MAX_CONNECTIONS, or fewer if the open-file limit (raised to the hard limit if need be) leaves
    less room: each connection can take two files (its socket and a large response spooled to disk)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 2 * MAX_CONNECTIONS + FILES_BESIDE_CONNECTIONS
    if soft != resource.RLIM_INFINITY and soft < wanted:
        soft = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return max(1, min(MAX_CONNECTIONS, (soft - FILES_BESIDE_CONNECTIONS) // 2))


def _print_results(results: SearchResults, color: bool) -> None:
    """Titles, ids and snippets with bidi controls and invisible characters shown as <U+202E>, and
    terminal controls (ESC) as <U+001B>: a document cannot reorder or repaint the screen."""
    first = (results.page - 1) * results.per_page
    shown = f"{first + 1}–{first + len(results.hits)} of " if results.hits and first else ""
    # The query's repr escapes what it holds.
    click.echo(f"{shown}{results.total} results for {results.query!r} ({results.took_ms:.1f} ms)")
    if results.bridged:
        also = ", ".join(dict.fromkeys(term for terms in results.bridged.values() for term in terms))
        click.echo(f"also searched: {reveal_hidden(also)}")
    if results.corrected:
        mode = {"english-mode": " (typed in English mode)", "korean-mode": " (typed in Korean mode)"}
        shown = f"Showing results for {results.read_as!r}{mode.get(results.typed_in, '')}"
        click.echo(f"{shown}; --no-fuzzy searches the words as typed")
    elif results.suggestion:
        click.echo(f"Did you mean {results.suggestion!r}?")
    for rank, hit in enumerate(results.hits, start=first + 1):
        title, file = reveal_hidden(hit.title), reveal_hidden(hit.file)
        click.echo()
        page = f"  p. {hit.page}" if hit.page else ""
        click.echo(
            click.style(f"{rank}. {title}", bold=True)
            + f"  [{hit.lang}] {hit.type} {hit.modified[:10]}{page}  score {hit.score:.2f}"
        )
        click.echo(f"   {file}")
        click.echo("   " + _terminal_snippet(hit.snippet, color))


def _terminal_snippet(snippet: str, color: bool) -> str:
    """The HTML snippet as terminal text: <mark> becomes reverse video (or [brackets] in a pipe)."""

    def mark(match: re.Match) -> str:
        word = match.group(1)
        return click.style(word, reverse=True, bold=True) if color else f"[{word}]"

    # Hidden characters are named first: the escaping never makes one, and the styling adds ESC.
    text = re.sub(r"<mark>(.*?)</mark>", mark, reveal_hidden(snippet.replace("\n", " ")))
    return html.unescape(text)


@main.command(name="eval")
@click.argument("eval_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--index",
    "index_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Index the corpus into this folder and keep it (default: a temporary index).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON.")
@click.option(
    "--run-out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the top 100 hits of every query to this TREC run file.",
)
@click.option(
    "--per-query",
    is_flag=True,
    help="Also print each judged query's rank of its first relevant document (- : not in the top 100).",
)
@bridge_option
@no_fuzzy_option
def eval_command(
    eval_dir: Path,
    index_dir: Path | None,
    as_json: bool,
    run_out: Path | None,
    per_query: bool,
    bridge: bool,
    no_fuzzy: bool,
) -> None:
    """Score ranking quality on EVAL_DIR (corpus.jsonl, queries.jsonl, qrels.tsv)."""
    try:
        eval_set = load_eval_set(eval_dir)
        report = evaluate(
            eval_set,
            index_dir,
            progress=sys.stderr.isatty(),
            run_out=run_out,
            bridge=bridge,
            fuzzy=not no_fuzzy,
        )
    except (ValueError, IndexLocked, IndexUnusable) as error:
        raise click.ClickException(str(error)) from None
    if as_json:
        ranks = {"per_query": [dataclasses.asdict(rank) for rank in report.per_query]} if per_query else {}
        click.echo(json.dumps({**report.as_dict(), **ranks}, ensure_ascii=False))
        return
    _print_report(report)
    if per_query:
        click.echo("\nrank\tid\tquery")
        for rank in report.per_query:
            click.echo(f"{rank.rank or '-'}\t{reveal_hidden(rank.id)}\t{reveal_hidden(rank.query)}")


def _print_report(report: EvalReport) -> None:
    m = report.metrics
    for name, value in [
        ("nDCG@10", m.ndcg10),
        ("MRR@10", m.mrr10),
        ("Recall@10", m.recall10),
        ("Recall@100", m.recall100),
    ]:
        click.echo(f"{name:<11} {value:.4f}")
    click.echo(f"{'queries':<11} {m.queries}")
    click.echo(f"{'latency':<11} p50 {report.p50_ms:.1f} ms, p95 {report.p95_ms:.1f} ms")
