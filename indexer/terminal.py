"""How the command line shows what it did: search results, eval metrics and reindex summaries as
terminal text, with everything a document holds made harmless to print.

Imports ``display``, ``evaluate``, ``index`` and ``search``.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import click

from indexer.display import reveal_hidden
from indexer.evaluate import EvalReport
from indexer.index import ReindexSummary
from indexer.search import SearchResults


def summary_line(summary: ReindexSummary, index_dir: Path) -> str:
    return (
        f"{summary.added} added, {summary.updated} updated, {summary.deleted} deleted, "
        f"{summary.unchanged} unchanged, {len(summary.skipped)} skipped "
        f"in {summary.seconds:.2f} s → {index_dir}"
    )


def echo_skipped(summary: ReindexSummary) -> None:
    for notice in summary.notices:
        click.echo(f"notice {notice.path}: {notice.message}", err=True)
    for skipped in summary.skipped:
        click.echo(f"skipped {skipped.where}: {skipped.reason}", err=True)


def print_results(results: SearchResults, color: bool) -> None:
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
        click.echo("   " + terminal_snippet(hit.snippet, color))


def terminal_snippet(snippet: str, color: bool) -> str:
    """The HTML snippet as terminal text: <mark> becomes reverse video (or [brackets] in a pipe)."""

    def mark(match: re.Match) -> str:
        word = match.group(1)
        return click.style(word, reverse=True, bold=True) if color else f"[{word}]"

    # Hidden characters are named first: the escaping never makes one, and the styling adds ESC.
    text = re.sub(r"<mark>(.*?)</mark>", mark, reveal_hidden(snippet.replace("\n", " ")))
    return html.unescape(text)


def print_report(report: EvalReport, per_query: bool) -> None:
    """The metrics, and with ``per_query`` each judged query's rank of its first relevant document."""
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
    if per_query:
        click.echo("\nrank\tid\tquery")
        for rank in report.per_query:
            click.echo(f"{rank.rank or '-'}\t{reveal_hidden(rank.id)}\t{reveal_hidden(rank.query)}")
