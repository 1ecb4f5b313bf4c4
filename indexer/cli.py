"""The ``dari`` command line: a thin shell over ``indexer.index`` and ``indexer.search``.

Imports ``evaluate``, ``index``, ``search``, ``serving``, ``terminal``, ``watch`` and ``web``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import click

from indexer.evaluate import evaluate, load_eval_set
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
from indexer.search import SORTS, QueryError, SearchEngine, parse_filters, use_user_lexicon
from indexer.terminal import echo_skipped, print_report, print_results, summary_line
from indexer.watch import watch

index_option = click.option(
    "--index",
    "index_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Index folder (default: $DARI_INDEX, else a per-user data folder).",
)


fuzzy_option = click.option(
    "--no-fuzzy",
    "fuzzy",
    is_flag=True,
    flag_value=False,
    default=True,
    help="Search the words exactly as typed: no reading of typos, keyboard slips or initials.",
)
bridge_option = click.option(
    "--no-bridge",
    "bridge",
    is_flag=True,
    flag_value=False,
    default=True,
    help="Search the words as typed only, without their Korean/English translations.",
)

lexicon_option = click.option(
    "--lexicon",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    expose_value=False,
    callback=lambda _ctx, _param, path: path and use_user_lexicon(path),
    help="Your translations, a TSV of korean<TAB>english words, over the shipped lexicon; re-read "
    "when the file changes (default: $DARI_LEXICON).",
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
            progress=True,  # a bar on a terminal, else a line every few seconds
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
        echo_skipped(error.summary)
        raise click.ClickException(str(error)) from None
    echo_skipped(summary)
    click.echo(summary_line(summary, index_dir))


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
@lexicon_option
@fuzzy_option
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
    fuzzy: bool,
) -> None:
    """Search the index for QUERY and show the best hits with highlighted passages."""
    try:
        filters = parse_filters(lang, types, path, modified_after, modified_before)
        engine = SearchEngine(resolve_index(index_dir), warm=False)
        results = engine.search(
            query, page=page, per_page=limit, filters=filters, sort=sort, bridge=bridge, fuzzy=fuzzy
        )
    except (IndexMissing, IndexUnusable, QueryError) as error:
        raise click.ClickException(str(error)) from None
    with _quiet_on_broken_pipe():
        if as_json:
            click.echo(json.dumps(results.as_dict(), ensure_ascii=False, indent=2))
        else:
            print_results(results, color=sys.stdout.isatty())


@contextlib.contextmanager
def _quiet_on_broken_pipe() -> Iterator[None]:
    """`dari search … | head` is done when the reader is: a closed pipe ends the output, exit 0."""
    try:
        yield
    except BrokenPipeError:
        # Python would flush what is left into the closed pipe at exit and fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


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
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Server processes, each searching on its own core (default: one per core, at most 4).",
)
@lexicon_option
def serve_command(
    index_dir: Path | None,
    host: str,
    port: int,
    extra_hosts: tuple[str, ...],
    origins: tuple[str, ...],
    watched: tuple[Path, ...],
    workers: int | None,
) -> None:
    """Serve the search page and JSON API; a missing or empty index gets the bundled seeds (or the
    --watch PATHs) first."""
    # Imported here: only this command needs the web stack.
    from indexer.serving import CannotListen, default_workers, listening_sockets, serve, start_watcher
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
            summary = reindex(first, index_dir, progress=True)
            click.echo(f"{summary.added} documents indexed in {summary.seconds:.1f} s.", err=True)
            app = create_app(index_dir, hosts, origins)
    except (IndexLocked, IndexUnusable) as error:
        raise click.ClickException(str(error)) from None
    try:
        sockets = listening_sockets(host, port)
    except CannotListen as error:
        raise click.ClickException(str(error)) from None
    url_host = f"[{host}]" if ":" in host else host
    workers = workers or default_workers()
    processes = f" ({workers} worker processes)" if workers > 1 else ""
    click.echo(f"dari: serving {index_dir} on http://{url_host}:{port}/{processes}", err=True)
    watcher = start_watcher(watched, index_dir) if watched else None
    try:
        serve(app, sockets, workers)
    finally:
        if watcher is not None:
            watcher.terminate()
            watcher.wait(timeout=30)


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
        echo_skipped(summary)
        click.echo(f"{now} {summary_line(summary, index_dir)}")

    with contextlib.suppress(KeyboardInterrupt):
        watch(roots, index_dir, report, follow_links=follow_links, parent=parent)


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
@lexicon_option
@fuzzy_option
def eval_command(
    eval_dir: Path,
    index_dir: Path | None,
    as_json: bool,
    run_out: Path | None,
    per_query: bool,
    bridge: bool,
    fuzzy: bool,
) -> None:
    """Score ranking quality on EVAL_DIR (corpus.jsonl, queries.jsonl, qrels.tsv)."""
    try:
        eval_set = load_eval_set(eval_dir)
        report = evaluate(
            eval_set, index_dir, progress=sys.stderr.isatty(), run_out=run_out, bridge=bridge, fuzzy=fuzzy
        )
    except (ValueError, IndexLocked, IndexUnusable) as error:
        raise click.ClickException(str(error)) from None
    if as_json:
        ranks = {"per_query": [dataclasses.asdict(rank) for rank in report.per_query]} if per_query else {}
        click.echo(json.dumps({**report.as_dict(), **ranks}, ensure_ascii=False))
        return
    print_report(report, per_query)
