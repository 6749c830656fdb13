"""Human output of the CLI (rich), on stdout for results and stderr for progress."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from chatx import locator
from chatx.index.indexer import Progress as ProgressCallback
from chatx.models import (
    ActionResult,
    IndexSummary,
    LedgerSummary,
    QueryCitation,
    QueryResult,
    RedactionReport,
    StatusReport,
)

out = Console(highlight=False, soft_wrap=True)


@contextmanager
def index_progress() -> Iterator[ProgressCallback | None]:
    """A progress bar on stderr when it is a terminal; nothing otherwise."""
    if not sys.stderr.isatty():
        yield None
        return
    bar = Progress(
        TextColumn("indexing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    with bar:
        task = bar.add_task("", total=None)

        def update(done: int, total: int, path: str) -> None:
            bar.update(task, completed=done, total=total, description=path[-50:])

        yield update


def print_index_summary(summary: IndexSummary) -> None:
    """One line of totals, then the problems."""
    out.print(
        f"indexed {summary.files_indexed} files ({summary.messages} messages, "
        f"{summary.chunks} chunks), {summary.files_unchanged} unchanged, "
        f"{summary.files_failed} failed in {summary.seconds:.2f}s",
        markup=False,
    )
    for repair in summary.repairs:
        out.print(f"  repaired: {repair}", markup=False)
    for problem in summary.problems:
        out.print(f"  ! {problem.instance}: {problem.detail}", markup=False)


def print_query_result(result: QueryResult) -> None:
    """Each citation as `path:line` with its snippet."""
    if not result.citations:
        out.print(f"no results for {result.query!r}", markup=False)
    for number, cite in enumerate(result.citations, start=1):
        when = f"  {cite.date_start:%Y-%m-%d}" if cite.date_start else ""
        out.print(
            f"[{number}] {_where(cite)}{when}  ({cite.kind}, score {cite.score:.4f})",
            markup=False,
        )
        out.print(f"    {cite.snippet}", markup=False)
    out.print(f"({len(result.citations)} citations in {result.took_ms:.1f} ms)", markup=False)


def print_status(report: StatusReport) -> None:
    """One line per file, then the totals."""
    for item in report.files:
        reason = f"  — {item.problem.detail}" if item.problem else ""
        out.print(
            f"{item.state:8} {item.path}  [{item.format or '-'}] "
            f"{item.messages} msgs, {item.chunks} chunks{reason}",
            markup=False,
        )
    t = report.totals
    out.print(
        f"{t.files} files: {t.indexed} indexed, {t.stale} stale, {t.failed} failed, "
        f"{t.skipped} skipped; {t.messages} messages, {t.chunks} chunks",
        markup=False,
    )
    if report.limits:
        out.print(
            f"limits per file: {report.limits.max_file_mb:g} MB, "
            f"{report.limits.max_file_chunks} chunks",
            markup=False,
        )
    if report.store:
        out.print(f"store: {report.store}", markup=False)


def print_redaction_report(report: RedactionReport) -> None:
    """Coverage per kind, what the re-scan still found, and the verdict (never values)."""
    table = Table("kind", "expected", "removed", "coverage", "residual", box=None)
    for kind, cov in report.by_kind.items():
        table.add_row(
            kind,
            str(cov.expected),
            str(cov.removed),
            f"{cov.coverage:.4f}",
            str(report.residual.get(kind, 0)),
        )
    out.print(table)
    for kind, n in report.hard_fail.items():
        out.print(f"  ! {kind}: {n} (never leaves the machine)", markup=False)
    verdict = "passed" if report.passed else "BLOCKED"
    out.print(
        f"{report.mode} coverage {report.coverage:.4f} (threshold {report.threshold}) over "
        f"{report.records} records: {verdict}",
        markup=False,
    )


def print_action_result(result: ActionResult) -> None:
    """The answer, its sources as `[n] path:line`, the proposed file, and the route taken."""
    out.print(result.answer, markup=False)
    if result.file is not None:
        out.print(f"\n--- {result.file.path} (new file) ---", markup=False)
        out.print(result.file.text, markup=False, end="")
    if result.citations:
        out.print("\nSources:", markup=False)
    for number, cite in enumerate(result.citations, start=1):
        out.print(f"  [{number}] {_where(cite)}", markup=False)
    route = result.route
    model = f" {route.model}" if route.model else ""
    cached = ", cached" if result.cache_hit else ""
    confidence = f", confidence {result.confidence:.2f}" if result.confidence is not None else ""
    line = (
        f"route: {route.backend}{model} — {route.reason} ({result.tokens_in} in / "
        f"{result.tokens_out} out, {result.took_ms:.0f} ms{confidence}{cached})"
    )
    out.print()
    out.print(line, style="dim", markup=False)


def print_ledger(summary: LedgerSummary) -> None:
    """Totals, a row per backend and model, and the routing reasons."""
    out.print(
        f"{summary.calls} calls, {summary.tokens_in} tokens in, {summary.tokens_out} out, "
        f"{summary.cache_hits} cache hits, {summary.escalations} escalated",
        markup=False,
    )
    if not summary.groups:
        return
    table = Table("backend", "model", "calls", "cached", "failed", "in", "out", "p50 ms", "p95 ms")
    for g in summary.groups:
        table.add_row(
            g.backend,
            g.model,
            str(g.calls),
            str(g.cache_hits),
            str(g.failures),
            str(g.tokens_in),
            str(g.tokens_out),
            f"{g.latency_p50_ms:.0f}",
            f"{g.latency_p95_ms:.0f}",
        )
    out.print(table)
    for reason, count in summary.reasons.items():
        out.print(f"  {count:>5}  {reason}", markup=False)


def _where(cite: QueryCitation) -> str:
    return cite.locator or locator.location(
        cite.source, cite.line_start, cite.line_end, cite.anchor
    )
