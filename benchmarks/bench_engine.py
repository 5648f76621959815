"""Speed of the descent engine (issue: the computational core).

Prints median and 95th percentile for:
1. `descend` with gd, momentum, nesterov and adam x 500 steps on Rosenbrock, one start
   (the compute part of one live Explorer frame; goal < 5 ms);
2. the same on a user's own Rosenbrock through autograd only (goal < 80 ms);
3. a 200 x 200 grid of starts x 300 steps of adam (goal < 1 s).

Run: .venv/bin/python benchmarks/bench_engine.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _timing import measure, report  # noqa: E402

import lossviz  # noqa: E402
from lossviz import Surface, descend  # noqa: E402


def main() -> None:
    rosenbrock = lossviz.surface("rosenbrock")
    opts = {
        "gd": lossviz.optimizer("gd", lr=1e-3),
        "momentum": lossviz.optimizer("momentum", lr=1e-3),
        "nesterov": lossviz.optimizer("nesterov", lr=1e-3),
        "adam": lossviz.optimizer("adam", lr=0.05),
    }
    user = Surface.from_function(
        lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2,
        rosenbrock.bounds,
        minima=[(1, 1)],
        start=rosenbrock.start,
        name="user rosenbrock",
    )
    (xmin, xmax), (ymin, ymax) = rosenbrock.bounds
    gx, gy = np.meshgrid(np.linspace(xmin, xmax, 200), np.linspace(ymin, ymax, 200))
    grid = np.stack([gx, gy], axis=-1).reshape(-1, 2)
    adam = lossviz.optimizer("adam", lr=0.05)

    print(f"lossviz {lossviz.__version__}, numpy {np.__version__}")
    report(
        "4 optimizers x 500 steps, Rosenbrock (hand gradient)",
        measure(lambda: descend(rosenbrock, opts, steps=500), 200),
        goal_ms=5,
    )
    report(
        "4 optimizers x 500 steps, user function (autograd)",
        measure(lambda: descend(user, opts, steps=500), 30),
        goal_ms=80,
    )
    report(
        "200 x 200 starts x 300 steps of adam, Rosenbrock",
        measure(lambda: descend(rosenbrock, adam, start=grid, steps=300), 7, warmup=1),
        goal_ms=1000,
    )


if __name__ == "__main__":
    main()
