"""Speed of the maps of outcomes (issue 12): basins and stability maps.

Prints median and 95th percentile, for a few surfaces (a model surface among them) and for
momentum and adam, of:
1. `lossviz.basins` at 200 x 200 starts x 300 steps (goal < 1 s);
2. `lossviz.stability_map` at 40 x 40 (lr, beta) pairs x 300 steps (goal < 0.5 s);
and, beside each, the one `descend` call it makes, alone, to show what the engine costs
and what the labelling adds (left out where one basins call takes over ten seconds).

Each case runs once unmeasured, then as many times as fit in about ten seconds (at least
twice): the slow model surfaces get few repeats.

Run: .venv/bin/python benchmarks/bench_outcomes.py [surface ...]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _timing import measure, report  # noqa: E402

import lossviz  # noqa: E402

SURFACES = ["quadratic", "himmelblau", "rosenbrock", "linear_regression", "tiny_network"]
OPTIMIZERS = {"momentum": {"beta": 0.9}, "adam": {}}
RESOLUTION, PAIRS, STEPS = 200, 40, 300
BUDGET = 10.0  # seconds of measuring per case


def timed(label: str, fn, goal_ms: float | None = None) -> float:
    """Report ``fn``'s times; return the unmeasured first call's, in seconds."""
    t0 = time.perf_counter()
    fn()  # unmeasured: imports, caches
    first = time.perf_counter() - t0
    repeats = int(np.clip(BUDGET / max(first, 1e-6), 2, 20))
    report(label, measure(fn, repeats, warmup=0), goal_ms)
    return first


def main(names: list[str]) -> None:
    print(f"lossviz {lossviz.__version__}, numpy {np.__version__}")
    lrs = np.geomspace(1e-3, 1.0, PAIRS)
    betas = np.linspace(0.0, 0.99, PAIRS)
    for name in names:
        surface = lossviz.surface(name)
        starts = surface.grid(RESOLUTION).reshape(-1, 2)
        for opt_name, hyper in OPTIMIZERS.items():
            opt = lossviz.optimizer(opt_name, lr=0.01, **hyper)
            first = timed(
                f"{name}: basins {RESOLUTION}x{RESOLUTION} x {STEPS}, {opt_name}",
                lambda s=surface, o=opt: lossviz.basins(s, o, RESOLUTION, STEPS),
                goal_ms=1000,
            )
            if first > BUDGET:
                continue  # a model's slow gradient: the engine's share is plain
            timed(
                "    its descend alone",
                lambda s=surface, o=opt, p=starts: lossviz.descend(s, o, start=p, steps=STEPS),
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


if __name__ == "__main__":
    main(sys.argv[1:] or SURFACES)
