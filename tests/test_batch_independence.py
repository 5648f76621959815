"""A point's numbers do not depend on the batch it is evaluated in, bit for bit.

`descend` advances many runs in one array; the Explorer computes several settings'
runs together, and `basins` tens of thousands of starts. A run must be the same
whether it is computed alone or beside others ("a batch equals the same runs one by
one"), so every surface's loss, gradient, Hessian and one-pass loss and gradient must
give each point the same bits at every batch size: a form that is faster on few
points, a matrix product whose summation order depends on the number of rows, or a
sum taken in another order on many points would each break it.
"""

from __future__ import annotations

import numpy as np
import pytest

import lossviz
from lossviz import descend
from lossviz.optimizers import adagrad, adam, gd, momentum, nesterov, newton, rmsprop

VARIANTS = [
    ("rosenbrock", {"a": 2.0, "b": 300.0}),
    ("quadratic", {"condition": 100.0, "angle": 30.0}),
    ("multi_well", {"depths": (0.5, 2.0, 1.0, 0.7, 1.5), "width": 0.4}),
    ("multi_well", {"depths": (1.0, 1.0), "width": 1.5}),
    ("rastrigin", {"amplitude": 1.0}),
]
CASES = [(name, {}) for name in lossviz.surface_names()] + VARIANTS
IDS = [name + "".join(f"-{k}={v}" for k, v in params.items()) for name, params in CASES]
# Around the sizes where a surface or the engine changes how it computes: few points,
# whole groups of 16 rows, the engine's one pass (32), 64, 256, blocks of 1024.
SIZES = [1, 2, 3, 4, 15, 16, 17, 31, 32, 33, 64, 65, 255, 256, 257, 1030, 2100]


def points(s, n: int, seed: int = 0) -> np.ndarray:
    """``n`` random points in the bounds widened by half their size, shape (n, 2)."""
    (xmin, xmax), (ymin, ymax) = s.bounds
    dx, dy = (xmax - xmin) / 4, (ymax - ymin) / 4
    rng = np.random.default_rng(seed)
    return rng.uniform((xmin - dx, ymin - dy), (xmax + dx, ymax + dy), size=(n, 2))


def bits(a) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(a, dtype=np.float64)).view(np.int64)


def functions(s) -> dict:
    out = {
        "loss": lambda p: np.asarray(s._value(p), dtype=np.float64),
        "gradient": s._gradient,
        "hessian": s._hessian,
    }
    if s._loss_and_gradient is not None:
        out["one-pass loss"] = lambda p: s._loss_and_gradient(p)[0]
        out["one-pass gradient"] = lambda p: s._loss_and_gradient(p)[1]
    return out


@pytest.mark.parametrize(("name", "params"), CASES, ids=IDS)
def test_each_point_gets_the_same_bits_in_every_batch(name, params):
    s = lossviz.surface(name, **params)
    p = points(s, max(SIZES))
    alone = {
        "loss": np.array([np.asarray(s._value(q), dtype=np.float64)[0] for q in p[:40, None]]),
        "gradient": np.stack([s._gradient(q)[0] for q in p[:40, None]]),
        "hessian": np.stack([s._hessian(q)[0] for q in p[:40, None]]),
    }
    wrong = []
    for what, f in functions(s).items():
        reference = alone[what.removeprefix("one-pass ")]
        for n in SIZES:
            got = f(p[:n])
            # The first points (up to 40) against the same points alone; a big batch's
            # last points against the same points in a batch of their own.
            m = min(n, 40)
            if not np.array_equal(bits(got[:m]), bits(reference[:m])):
                wrong.append(f"{what} at {n} points")
            if n > 40 and not np.array_equal(bits(got[-7:]), bits(f(p[n - 7 : n]))):
                wrong.append(f"{what} at the last 7 of {n} points")
    assert not wrong, f"{name}: differs from the points alone: {', '.join(wrong)}"


@pytest.mark.parametrize("name", lossviz.surface_names())
def test_a_run_in_a_mixed_batch_equals_the_run_alone(name):
    s = lossviz.surface(name)
    starts = np.array([s.start, *points(s, 2, seed=3)])
    opts = [
        gd(1e-3),
        momentum(1e-3, beta=0.9),
        nesterov(1e-3, beta=0.8),
        adagrad(0.05, eps=0.0),
        rmsprop(0.01),
        adam(0.01),
        newton(0.5, damping=1e-3),
    ]
    together = descend(s, opts, start=starts, steps=150)
    for i, opt in enumerate(opts):
        rows = together.runs_of(together.labels[i])
        for j, start in enumerate(starts):
            alone = descend(s, opt, start=start, steps=150)
            np.testing.assert_array_equal(
                bits(together.path[rows][j]), bits(alone.path[0]), f"{opt.name} from {start}"
            )
