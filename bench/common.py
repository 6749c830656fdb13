"""Helpers shared by the benchmark scripts."""

from __future__ import annotations

import resource
import statistics
from pathlib import Path

DATA = Path(__file__).resolve().parent / ".data"


def peak_rss_mb() -> float:
    """Peak resident memory of this process, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentiles(samples_ms: list[float]) -> tuple[float, float]:
    """p50 and p95 of latency samples."""
    ordered = sorted(samples_ms)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def line(label: str, value: str, floor: str = "", target: str = "") -> None:
    """One printed figure, with its floor and target beside it."""
    extra = "".join(f"  [{text}]" for text in (floor, target) if text)
    print(f"{label:<44} {value}{extra}", flush=True)
