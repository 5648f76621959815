"""Shared timing helpers for the benchmark scripts: median and 95th percentile."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np


def measure(fn: Callable[[], object], repeats: int, warmup: int = 2) -> np.ndarray:
    """Run ``fn`` ``warmup`` times unmeasured, then ``repeats`` times; seconds per run."""
    for _ in range(warmup):
        fn()
    times = np.empty(repeats)
    for i in range(repeats):
        t0 = time.perf_counter()
        fn()
        times[i] = time.perf_counter() - t0
    return times


def mark(met: bool) -> str:
    """How a goal is marked in every script's output."""
    return "met" if met else "MISSED"


def report(
    label: str,
    times: np.ndarray,
    goal_ms: float | None = None,
    *,
    p95_goal_ms: float | None = None,
    note: str = "",
) -> str:
    """One line: median and 95th percentile in ms, and whether the goals are met.

    ``goal_ms`` applies to the median, ``p95_goal_ms`` to the 95th percentile; ``note``
    is appended as is.
    """
    median, p95 = np.median(times) * 1e3, np.percentile(times, 95) * 1e3
    line = f"{label:<58} median {median:9.2f} ms   p95 {p95:9.2f} ms   (n={len(times)})"
    if goal_ms is not None:
        line += f"   goal < {goal_ms:g} ms: {mark(median < goal_ms)}"
    if p95_goal_ms is not None:
        line += f"   p95 goal < {p95_goal_ms:g} ms: {mark(p95 < p95_goal_ms)}"
    if note:
        line += f"   {note}"
    print(line, flush=True)
    return line
