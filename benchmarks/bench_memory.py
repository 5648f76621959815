"""Memory of the Explorer over a session (issue: the Explorer widget).

A student re-runs cells: each run builds a new Explorer, and the old one is
closed (a cleared output) or merely dropped (a re-run cell whose old output
stays registered). Then the student plays with one Explorer for a long time.
Prints the process's resident memory (VmRSS from /proc/self/status) and the
number of ipywidgets widgets registered in the kernel:

1. at the start: after the imports and one Explorer built and closed (so the
   one-off costs of importing and first use are counted out);
2. after 50 Explorers created and closed (``Explorer("rosenbrock", steps=300)``,
   ``.close()``, then ``gc.collect()``): goal under 50 MB above the start (under
   1 MB per Explorer);
3. after 50 more created and dropped without closing (``gc.collect()``);
4. after 2,000 control changes on one Explorer, a student's mix through
   ``ex.controls[name].value``: learning-rate drags, momentum, steps, gradient
   noise and now and then another surface; every value valid.

Uses the Explorer's public API only, so it runs against any version of the
widget that keeps it.

Run: .venv/bin/python benchmarks/bench_memory.py [--quick]
(``--quick``: 10 Explorers per step and 400 control changes).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from pathlib import Path

import ipywidgets
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _timing import mark  # noqa: E402

import lossviz  # noqa: E402
from lossviz import Explorer  # noqa: E402
from lossviz.defaults import default_hyperparameters  # noqa: E402

GOAL_MB, GOAL_MB_PER_EXPLORER = 50.0, 1.0


def rss_mb() -> float:
    """Resident set size of this process in MB, from /proc/self/status."""
    gc.collect()
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024  # kB
    raise RuntimeError("no VmRSS in /proc/self/status")


def widget_registry() -> tuple[str, dict]:
    """Where ipywidgets keeps every live widget: ``_instances`` (8.x), ``Widget.widgets`` (7.x)."""
    module = ipywidgets.widgets.widget
    if hasattr(module, "_instances"):
        return "ipywidgets.widgets.widget._instances", module._instances
    return "ipywidgets.Widget.widgets", ipywidgets.Widget.widgets


def widget_count() -> int:
    gc.collect()
    return len(widget_registry()[1])


def row(label: str, mb: float, start: float, per: int | None = None, widgets: int = 0) -> float:
    above = mb - start
    line = f"{label:<52} RSS {mb:8.1f} MB   {above:+8.1f} MB above the start"
    if per:
        line += f"   {above / per:+6.2f} MB per Explorer"
    line += f"   widgets registered: {widgets}"
    print(line, flush=True)
    return above


def student_changes(
    ex: Explorer, n: int, rng: np.random.Generator, seconds: dict[str, list[float]]
) -> list[tuple[str, object, str]]:
    """Make ``n`` control changes a student would make; returns those that ended in an error.

    Appends the seconds each change took to ``seconds[control name]``.
    """
    defaults: dict[str, float] = {}  # the default gd rate per surface (the lr slider's value)
    names = list(lossviz.surface_names())
    # In each block of 20 changes: lr drags (11 moves), 3 momentum, 2 steps, 3 noise changes
    # and 1 other surface, interleaved as a student goes back and forth.
    block = [
        *("lr", "lr", "lr", "lr", "lr", "momentum", "noise", "steps", "lr", "lr", "lr"),
        *("momentum", "noise", "lr", "lr", "lr", "momentum", "noise", "steps", "surface"),
    ]
    failures = []
    lr_moves = iter(())

    def draw(name: str, control) -> object:
        nonlocal lr_moves
        if name == "lr":
            value = next(lr_moves, None)
            if value is None:  # a new drag: 10 log-spaced positions between d/30 and 3 d
                key = ex.surface.name
                if key not in defaults:
                    defaults[key] = default_hyperparameters(ex.surface, "gd")["lr"]
                d = defaults[key]
                low, high = control.base**control.min, control.base**control.max
                a, b = np.clip(np.exp(rng.uniform(np.log(d / 30), np.log(3 * d), 2)), low, high)
                lr_moves = iter(np.geomspace(a, b, 10))
                value = next(lr_moves)
            return float(value)
        if name == "momentum":
            return round(float(rng.integers(0, 100)) * 0.01, 2)  # 0 .. 0.99
        if name == "steps":
            return int(rng.integers(100, 801))
        if name == "noise":
            # Gaussian gradient noise, often switched off again; its range depends on the surface.
            if rng.random() < 0.3:
                return 0.0
            return float(np.clip(rng.uniform(0, control.max), control.min, control.max))
        return str(rng.choice([s for s in names if s != ex.surface.name]))

    for i in range(n):
        name = block[i % len(block)]
        control = ex.controls[name]
        value = draw(name, control)
        while value == control.value:  # the browser sends only changes: draw again
            value = draw(name, control)
        t0 = time.perf_counter()
        control.value = value
        seconds.setdefault(name, []).append(time.perf_counter() - t0)
        if ex.error is not None:
            failures.append((name, value, ex.error))
    return failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 Explorers, 400 changes")
    quick = parser.parse_args().quick
    explorers, changes = (10, 400) if quick else (50, 2000)
    t0 = time.perf_counter()
    registry, _ = widget_registry()
    print(
        f"lossviz {lossviz.__version__} from {Path(lossviz.__file__).parent}; "
        f"ipywidgets {ipywidgets.__version__} (counting {registry}); "
        f"load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )

    Explorer("rosenbrock", steps=300).close()  # the imports and first-use costs
    start = rss_mb()
    widgets_start = widget_count()
    row("start (imports, one Explorer built and closed)", start, start, widgets=widgets_start)

    for _ in range(explorers):
        Explorer("rosenbrock", steps=300).close()
    closed_widgets = widget_count()
    closed = row(
        f"after {explorers} Explorers created and closed",
        rss_mb(),
        start,
        per=explorers,
        widgets=closed_widgets,
    )
    print(
        f"{'':<52} goal < {GOAL_MB:g} MB above the start: {mark(closed < GOAL_MB)}"
        f"   < {GOAL_MB_PER_EXPLORER:g} MB per Explorer: "
        f"{mark(closed / explorers < GOAL_MB_PER_EXPLORER)}"
        f"   widgets left registered: {closed_widgets - widgets_start:+d} "
        f"({(closed_widgets - widgets_start) / explorers:+.1f} per Explorer)",
        flush=True,
    )

    for _ in range(explorers):
        Explorer("rosenbrock", steps=300)  # dropped, never closed
    dropped_widgets = widget_count()
    dropped = row(
        f"after {explorers} more created and dropped, not closed",
        rss_mb(),
        start,
        per=2 * explorers,
        widgets=dropped_widgets,
    )
    print(
        f"{'':<52} the {explorers} dropped alone: {dropped - closed:+.1f} MB "
        f"({(dropped - closed) / explorers:+.2f} MB per Explorer), "
        f"{dropped_widgets - closed_widgets:+d} widgets "
        f"({(dropped_widgets - closed_widgets) / explorers:+.1f} per Explorer)",
        flush=True,
    )

    ex = Explorer("rosenbrock", steps=300)
    ex.canvas.syncing_data_url = False  # as once a frontend has connected
    before = rss_mb()
    widgets_before = widget_count()
    rng = np.random.default_rng(0)
    failures = []
    seconds: dict[str, list[float]] = {}
    t_changes = time.perf_counter()
    done = 0
    for chunk in np.array_split(np.arange(changes), 4):
        failures += student_changes(ex, len(chunk), rng, seconds)
        done += len(chunk)
        mb = rss_mb()
        print(
            f"{f'after {done} control changes on one Explorer':<52} RSS {mb:8.1f} MB   "
            f"{mb - start:+8.1f} MB above the start   {mb - before:+8.1f} MB over these "
            f"changes   widgets registered: {widget_count()} "
            f"({widget_count() - widgets_before:+d})",
            flush=True,
        )
    print(
        f"{'':<52} {changes} changes in {time.perf_counter() - t_changes:.0f} s; "
        f"{len(failures)} ended in an error" + (f" (first: {failures[0]})" if failures else ""),
        flush=True,
    )
    print(
        f"{'':<52} median per change: "
        + ", ".join(f"{k} {np.median(v) * 1e3:.0f} ms (n={len(v)})" for k, v in seconds.items()),
        flush=True,
    )
    ex.close()
    print(f"{time.perf_counter() - t0:.0f} s; load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
