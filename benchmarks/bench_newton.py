"""Speed of Newton's method with hand-derived Hessians (issue: Newton at the speed of the others).

Prints median and 95th percentile, for every built-in surface and model, of:
1. `descend` with gd, momentum and adam x 300 steps (no goal: what Newton is compared with);
2. the same plus newton, each optimizer with its `default_hyperparameters` (goal < 5 ms);
3. 300 calls of the hand Hessian at one point, the Hessians newton asks for in 2 (no goal),
   and the floor under 2: 300 x (the gradient at the 4 points + the Hessian at 1), the
   surface's own calls with no optimizer arithmetic at all (`descend` takes fewer
   Hessians where the Newton run settles, bit for bit, and reuses its last step);
4. `default_hyperparameters(surface, "newton")`, which runs Newton's method until a rate
   does not diverge (goal < 20 ms);
5. newton alone x 500 steps at its default rate, as a lesson on Newton's method runs it
   (no goal), and beside it the same with the engine never looking whether the run has
   settled (``engine.SETTLED_EVERY`` out of reach): what filling in a settled path saves.
First, for reference, 2 on Rosenbrock with autograd's Hessian, as before the hand Hessians.

Run: .venv/bin/python benchmarks/bench_newton.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _timing import measure, report  # noqa: E402

import lossviz  # noqa: E402
from lossviz import Surface, descend, engine  # noqa: E402
from lossviz.defaults import default_hyperparameters  # noqa: E402

FIRST_ORDER = ["gd", "momentum", "adam"]
STEPS = 300


def optimizers(surface: Surface, names: list[str]) -> dict:
    return {n: lossviz.optimizer(n, **default_hyperparameters(surface, n)) for n in names}


def main() -> None:
    print(f"lossviz {lossviz.__version__}, numpy {np.__version__}")
    rosenbrock = lossviz.surface("rosenbrock")
    # The same surface without its hand Hessian: Newton steps through autograd.
    autograd_rosenbrock = Surface(
        "rosenbrock",
        rosenbrock._function,
        rosenbrock.bounds,
        minima=rosenbrock.minima,
        start=rosenbrock.start,
        gradient=rosenbrock._gradient,
    )
    opts = optimizers(rosenbrock, [*FIRST_ORDER, "newton"])
    report(
        "rosenbrock, autograd Hessian: gd, momentum, adam, newton",
        measure(lambda: descend(autograd_rosenbrock, opts, steps=STEPS), 5, warmup=1),
    )

    for name in lossviz.surface_names():
        surface = lossviz.surface(name)
        first_order = optimizers(surface, FIRST_ORDER)
        with_newton = optimizers(surface, [*FIRST_ORDER, "newton"])
        point = surface.start[None].copy()  # (1, 2), as the engine asks for one start
        report(
            f"{name}: gd, momentum, adam x {STEPS} steps",
            measure(lambda s=surface, o=first_order: descend(s, o, steps=STEPS), 30),
        )
        report(
            f"{name}: gd, momentum, adam, newton x {STEPS} steps",
            measure(lambda s=surface, o=with_newton: descend(s, o, steps=STEPS), 30),
            goal_ms=5,
        )
        report(
            f"{name}: {STEPS} hand Hessians at one point",
            measure(lambda s=surface, p=point: [s.hessian(p) for _ in range(STEPS)], 20),
        )
        points = np.repeat(point, 4, axis=0)  # (4, 2): the 4 runs' positions
        report(
            f"{name}: floor: {STEPS} x (gradient at 4 points + Hessian at 1)",
            measure(
                lambda s=surface, p=points, q=point: [
                    (s._gradient(p), s._hessian(q)) for _ in range(STEPS)
                ],
                20,
            ),
        )
        report(
            f"{name}: default_hyperparameters(newton)",
            measure(lambda s=surface: default_hyperparameters(s, "newton"), 20),
            goal_ms=20,
        )
        alone = optimizers(surface, ["newton"])
        report(
            f"{name}: newton alone x 500 steps",
            measure(lambda s=surface, o=alone: descend(s, o, steps=500), 20),
        )
        every = engine.SETTLED_EVERY
        engine.SETTLED_EVERY = 10**9
        try:
            report(
                "    the same, stepped to the end",
                measure(lambda s=surface, o=alone: descend(s, o, steps=500), 20),
            )
        finally:
            engine.SETTLED_EVERY = every


if __name__ == "__main__":
    main()
