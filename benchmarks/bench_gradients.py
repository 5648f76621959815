"""Speed of every registered surface's gradient, and of one Explorer frame on each.

Prints, per surface:
1. the cost of one gradient call ``s._gradient(p)`` on a (4, 2) array, the engine's
   batch for four optimizers from one start (median of repeated timeit runs, in us);
2. ``descend(s, ["gd", "momentum", "nesterov", "adam"], steps=500)``, the compute part of
   one live Explorer frame (median of 20 runs, in ms; the widget's frame budget is 20 ms);
3. for the model surfaces, one mini-batch gradient ``s.stochastic_grad(p, 10, rng)`` on the
   same (4, 2) array, by hand and by autograd (median, in us).

Run: .venv/bin/python benchmarks/bench_gradients.py [--no-descend]
"""

from __future__ import annotations

import sys
import timeit
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _timing import measure  # noqa: E402

import lossviz  # noqa: E402
from lossviz import descend  # noqa: E402
from lossviz.surfaces import surface_names  # noqa: E402

OPTIMIZERS = ["gd", "momentum", "nesterov", "adam"]


def gradient_microseconds(s, calls: int = 2000, repeats: int = 9) -> float:
    """Median time of one ``s._gradient`` call on four points in the bounds, in us."""
    (xmin, xmax), (ymin, ymax) = s.bounds
    p = np.random.default_rng(0).uniform((xmin, ymin), (xmax, ymax), size=(4, 2))
    gradient = s._gradient
    gradient(p)
    per_call = np.array(timeit.repeat(lambda: gradient(p), number=calls, repeat=repeats)) / calls
    return float(np.median(per_call)) * 1e6


def minibatch_microseconds(stochastic_grad, s, calls: int, repeats: int = 9) -> float:
    """Median time of one mini-batch gradient of 10 examples on four points, in us."""
    (xmin, xmax), (ymin, ymax) = s.bounds
    p = np.random.default_rng(0).uniform((xmin, ymin), (xmax, ymax), size=(4, 2))
    rng = np.random.default_rng(0)
    timer = timeit.Timer(lambda: stochastic_grad(p, 10, rng))
    return float(np.median(timer.repeat(number=calls, repeat=repeats))) / calls * 1e6


def main() -> None:
    with_descend = "--no-descend" not in sys.argv
    print(f"lossviz {lossviz.__version__}, numpy {np.__version__}")
    print(f"{'surface':<20} {'gradient (4, 2)':>16} {'descend x 500':>15}")
    for name in surface_names():
        s = lossviz.surface(name)
        # Autograd is ~100x slower: fewer calls keep the run short without changing the median.
        calls = 2000 if s._gradient is not s._autograd_gradient else 100
        line = f"{name:<20} {gradient_microseconds(s, calls):13.1f} us"
        if with_descend:
            times = measure(lambda s=s: descend(s, OPTIMIZERS, steps=500), 20)
            line += f" {np.median(times) * 1e3:12.2f} ms"
        print(line, flush=True)
    print(f"\n{'model':<20} {'mini-batch (hand)':>18} {'(autograd)':>12}")
    for name in ["linear_regression", "logistic_regression", "tiny_network"]:
        s = lossviz.surface(name)
        hand = minibatch_microseconds(s.stochastic_grad, s, 2000)
        reference = minibatch_microseconds(s.autograd_stochastic_grad, s, 200)
        print(f"{name:<20} {hand:15.1f} us {reference:9.1f} us", flush=True)


if __name__ == "__main__":
    main()
