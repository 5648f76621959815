"""Speed of every registered surface's gradient, and of one Explorer frame on each.

Prints, per surface:
1. one gradient call on 4 points (the engine's batch for four optimizers from one start,
   every step of a live frame), 1,000 points and 40,000 points (a 200 x 200 grid of starts):
   median and 95th percentile over repeated timeit samples, in us. ``surface`` is what the
   engine calls (``s._gradient``); where a derivative is written as terms of the
   coordinates (``gradient_by_terms``), both ways of computing them are timed too: on each
   point's Python floats (what the surface does up to ``FEW_POINTS`` points) and on whole
   arrays (beyond);
2. ``descend(s, ["gd", "momentum", "nesterov", "adam"], steps=500)``, the compute part of
   one live Explorer frame (median of 20 runs, in ms; the widget's frame budget is 20 ms);
3. for the model surfaces, one mini-batch gradient ``s.stochastic_grad(p, 10, rng)`` on
   four points, by hand and by autograd (median, in us).

Run: .venv/bin/python benchmarks/bench_gradients.py [--no-descend]
"""

from __future__ import annotations

import sys
import timeit
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _timing import measure  # noqa: E402

import lossviz  # noqa: E402
from lossviz import descend  # noqa: E402
from lossviz.surfaces import beale, goldstein_price, six_hump_camel, surface_names  # noqa: E402
from lossviz.surfaces.base import FEW_POINTS, _terms_on_floats  # noqa: E402

OPTIMIZERS = ["gd", "momentum", "nesterov", "adam"]
SIZES = (4, 1000, 40_000)
SAMPLES = 21
# Derivatives written as terms of the coordinates (`gradient_by_terms`, `hessian_by_terms`),
# which the surface computes on Python floats up to `FEW_POINTS` points and on whole arrays
# beyond: (surface, derivative) -> terms(x, y). Both ways are timed at every size.
TERMS: dict[tuple[str, str], Callable] = {
    ("beale", "gradient"): beale._gradient_terms,
    ("beale", "hessian"): beale._hessian_terms,
    ("six_hump_camel", "gradient"): six_hump_camel._gradient_terms,
    ("six_hump_camel", "hessian"): six_hump_camel._hessian_terms,
    ("goldstein_price", "gradient"): goldstein_price._gradient_terms,
    ("goldstein_price", "hessian"): goldstein_price._hessian_terms,
}


def forms(terms: Callable) -> dict[str, Callable[[np.ndarray], object]]:
    """The two ways a surface computes ``terms``: on each point's floats, on whole arrays."""
    return {
        "floats": lambda p: _terms_on_floats(terms, p),
        "arrays": lambda p: terms(p[..., 0], p[..., 1]),
    }


def points(s, n: int) -> np.ndarray:
    """``n`` seeded random points in the bounds of ``s``, shape (n, 2)."""
    (xmin, xmax), (ymin, ymax) = s.bounds
    return np.random.default_rng(0).uniform((xmin, ymin), (xmax, ymax), size=(n, 2))


def microseconds(fn: Callable[[np.ndarray], object], p: np.ndarray) -> tuple[float, float]:
    """Median and 95th percentile of one call ``fn(p)``, in us, over `SAMPLES` timeit samples.

    Each sample runs enough calls to last about 20 ms (estimated from one timed call).
    """
    fn(p)
    once = timeit.timeit(lambda: fn(p), number=1)
    calls = max(1, int(0.02 / max(once, 1e-7)))
    per_call = np.array(timeit.repeat(lambda: fn(p), number=calls, repeat=SAMPLES)) / calls * 1e6
    return float(np.median(per_call)), float(np.percentile(per_call, 95))


def timing_row(label: str, fn: Callable[[np.ndarray], object], s) -> str:
    cells = [f"{label:<34}"]
    for n in SIZES:
        median, p95 = microseconds(fn, points(s, n))
        cells.append(f"{median:10.1f} {p95:9.1f}")
    return "  ".join(cells)


def minibatch_microseconds(stochastic_grad, s, calls: int, repeats: int = 9) -> float:
    """Median time of one mini-batch gradient of 10 examples on four points, in us."""
    p = points(s, 4)
    rng = np.random.default_rng(0)
    timer = timeit.Timer(lambda: stochastic_grad(p, 10, rng))
    return float(np.median(timer.repeat(number=calls, repeat=repeats))) / calls * 1e6


def main() -> None:
    with_descend = "--no-descend" not in sys.argv
    print(f"lossviz {lossviz.__version__}, numpy {np.__version__}")
    print(f"derivatives by terms: on Python floats up to {FEW_POINTS} points, else on arrays")
    header = "  ".join(f"{f'{n:,} points':>10} {'(p95)':>9}" for n in SIZES)
    print(f"{'gradient, in us (median, p95)':<34}  {header}")
    for name in surface_names():
        s = lossviz.surface(name)
        print(timing_row(name, s._gradient, s), flush=True)
        for (surface_name, derivative), terms in TERMS.items():
            if surface_name != name:
                continue
            if derivative == "hessian":
                print(timing_row("  hessian (surface)", s._hessian, s), flush=True)
            for form, fn in forms(terms).items():
                print(timing_row(f"  {derivative} on {form}", fn, s), flush=True)
    if with_descend:
        print(f"\n{'surface':<20} {'descend x 500':>15}")
        for name in surface_names():
            s = lossviz.surface(name)
            times = measure(lambda s=s: descend(s, OPTIMIZERS, steps=500), 20)
            print(f"{name:<20} {np.median(times) * 1e3:12.2f} ms", flush=True)
    print(f"\n{'model':<20} {'mini-batch (hand)':>18} {'(autograd)':>12}")
    for name in ["linear_regression", "logistic_regression", "tiny_network"]:
        s = lossviz.surface(name)
        hand = minibatch_microseconds(s.stochastic_grad, s, 2000)
        reference = minibatch_microseconds(s.autograd_stochastic_grad, s, 200)
        print(f"{name:<20} {hand:15.1f} us {reference:9.1f} us", flush=True)


if __name__ == "__main__":
    main()
