"""Speed of the maps of outcomes (issue 12): basins and stability maps.

Prints median and 95th percentile, for a few surfaces (two model surfaces among them) and
for momentum and adam, of:
1. `lossviz.basins` at 200 x 200 starts x 300 steps (goal < 1 s), as called (one thread
   per core), and in one thread (``workers=1``, as the Explorer's basin layer calls it).
   Beside them, as the baseline, the same labels read off whole paths, as basins made them
   before ``descend(..., tail=...)``, threads and mirror images: every start of the same
   grid descends in one batch, every step of every run stored, then its last tenth read
   (the line also says whether the labels are equal);
2. `lossviz.stability_map` at 40 x 40 (lr, beta) pairs x 300 steps (goal < 0.5 s), and
   beside it the one `descend` call it makes, alone, to show what the engine costs and
   what building 1,600 optimizers and reading the map add.

3. `lossviz.basins` at 200 x 200 x 300 on every registered surface and model, with
   momentum at that surface's default rate and beta (what the Explorer's tags start
   from), as called (one thread per core) and in one thread: the slowest surface is the
   figure that counts.

Baselines are left out where one basins call takes over ten seconds (a model's gradient
and loss over its data dominate). Each case runs once unmeasured, then as many times as
fit in about ten seconds (at least twice). The machine may be shared: every line ends
with the 1-minute load average when it was measured.

Run: .venv/bin/python benchmarks/bench_outcomes.py [surface ...]   (1 and 2 for the named
surfaces only; without names, 1 and 2 for a few and 3 for all)
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _timing import measure, report  # noqa: E402

import lossviz  # noqa: E402
from lossviz.basins import DIVERGED, NOT_CONVERGED, TOLERANCE  # noqa: E402

SURFACES = ["quadratic", "himmelblau", "rosenbrock", "linear_regression", "tiny_network"]
OPTIMIZERS = {"momentum": {"beta": 0.9}, "adam": {}}
RESOLUTION, PAIRS, STEPS = 200, 40, 300
BUDGET = 10.0  # seconds of measuring per case


def load() -> str:
    return f"load {os.getloadavg()[0]:.2f}"


def timed(label: str, fn, goal_ms: float | None = None, note: str = "") -> float:
    """Report ``fn``'s times; return the unmeasured first call's, in seconds."""
    t0 = time.perf_counter()
    fn()  # unmeasured: imports, caches
    first = time.perf_counter() - t0
    repeats = int(np.clip(BUDGET / max(first, 1e-6), 2, 20))
    times = measure(fn, repeats, warmup=0)
    report(label, times, goal_ms, note=f"{note}{'   ' if note else ''}{load()}")
    return first


def labels_from_whole_paths(s: lossviz.Surface, opt: lossviz.Optimizer) -> np.ndarray:
    """The labels of `lossviz.basins`, computed as it did before the engine kept tails:
    the whole path (runs, steps + 1, 2) of every start of its grid, then its last tenth
    read."""
    starts = lossviz.basins(s, opt, RESOLUTION, steps=1).starts
    run = lossviz.descend(s, opt, start=starts.reshape(-1, 2), steps=STEPS)
    (xmin, xmax), (ymin, ymax) = s.bounds
    tol = TOLERANCE * float(np.hypot(xmax - xmin, ymax - ymin))
    tail = run.path[:, STEPS - max(1, STEPS // 10) :]
    to_minima = np.linalg.norm(tail[:, -1, None, :] - s.minima, axis=-1)
    with np.errstate(invalid="ignore"):
        nearest = np.argmin(np.where(np.isnan(to_minima), np.inf, to_minima), axis=1)
        settled = (np.linalg.norm(tail - s.minima[nearest][:, None, :], axis=-1) < tol).all(axis=1)
    labels = np.where(run.diverged, DIVERGED, np.where(settled, nearest, NOT_CONVERGED))
    return labels.reshape(RESOLUTION, RESOLUTION)


def main(names: list[str]) -> None:
    from lossviz.basins import _default_workers

    print(
        f"lossviz {lossviz.__version__}, numpy {np.__version__}, {os.cpu_count()} cores, "
        f"basins' default workers {_default_workers()}"
    )
    lrs = np.geomspace(1e-3, 1.0, PAIRS)
    betas = np.linspace(0.0, 0.99, PAIRS)
    for name in names:
        surface = lossviz.surface(name)
        for opt_name, hyper in OPTIMIZERS.items():
            opt = lossviz.optimizer(opt_name, lr=0.01, **hyper)
            first = timed(
                f"{name}: basins {RESOLUTION}x{RESOLUTION} x {STEPS}, {opt_name}",
                lambda s=surface, o=opt: lossviz.basins(s, o, RESOLUTION, STEPS),
                goal_ms=1000,
            )
            timed(
                "    in one thread (workers=1)",
                lambda s=surface, o=opt: lossviz.basins(s, o, RESOLUTION, STEPS, workers=1),
                goal_ms=1000,
            )
            if first > BUDGET:
                continue  # a model's slow gradient and loss: the baseline adds nothing
            same = np.array_equal(
                labels_from_whole_paths(surface, opt),
                lossviz.basins(surface, opt, RESOLUTION, STEPS).labels,
            )
            timed(
                "    baseline: the same from whole paths",
                lambda s=surface, o=opt: labels_from_whole_paths(s, o),
                note=f"labels equal: {'yes' if same else 'NO'}",
            )
        for opt_name in OPTIMIZERS:
            timed(
                f"{name}: stability_map {PAIRS}x{PAIRS} x {STEPS}, {opt_name}",
                lambda s=surface, o=opt_name: lossviz.stability_map(s, o, lrs, betas, steps=STEPS),
                goal_ms=500,
            )
            beta = "beta1" if opt_name == "adam" else "beta"
            built = [lossviz.optimizer(opt_name, lr=lr, **{beta: b}) for lr in lrs for b in betas]
            timed(
                "    its descend alone (optimizers built beforehand)",
                lambda s=surface, o=built: lossviz.descend(s, o, steps=STEPS),
            )


def every_surface() -> None:
    """Row 3: basins on every registered surface, the slowest reported last."""
    from lossviz.defaults import default_hyperparameters

    size = f"{RESOLUTION}x{RESOLUTION} x {STEPS}"
    print(f"\nbasins {size} on every surface, momentum at its defaults")
    slowest: dict[str, float] = {}
    for name in lossviz.surface_names():
        s = lossviz.surface(name)
        opt = lossviz.optimizer("momentum", **default_hyperparameters(s, "momentum"))
        for workers, label in ((None, "as called"), (1, "one thread")):
            times = measure(
                lambda s=s, o=opt, w=workers: lossviz.basins(s, o, RESOLUTION, STEPS, workers=w),
                3,
                warmup=1,
            )
            report(f"{name}: basins, {label}", times, goal_ms=1000, note=load())
            slowest[label] = max(slowest.get(label, 0.0), float(np.median(times)))
    for label, seconds in slowest.items():
        print(f"slowest surface, {label}: median {seconds * 1e3:.0f} ms   goal < 1000 ms: "
              f"{'met' if seconds < 1 else 'MISSED'}")  # fmt: skip


if __name__ == "__main__":
    main(sys.argv[1:] or SURFACES)
    if not sys.argv[1:]:
        every_surface()
