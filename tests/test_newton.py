"""Newton's two forms: the plain ``update`` (a linear solve) and the engine's batched
closed form (`newton_step`, Cramer's rule) take the same steps."""

import sys

import numpy as np
import pytest

import lossviz
from lossviz import Optimizer, Surface, descend
from lossviz.optimizers import gd, newton
from lossviz.optimizers.newton import newton_step
from lossviz.schedules import cosine


def plain_loop(surface, opt, start, steps):
    """The loop a student writes from `newton`'s docstring, with its own ``update``."""
    p = np.asarray(start, dtype=float)
    state = opt.init(p)
    path = [p]
    for _ in range(steps):
        step, state = opt.update(surface.grad(p), state, p, hessian=surface.hessian(p))
        p = p + step
        path.append(p)
    return np.array(path)


@pytest.mark.parametrize("name", lossviz.surface_names())
@pytest.mark.parametrize("damping", [0.0, 1e-3, 2.0])
def test_closed_form_step_equals_the_linear_solve(name, damping):
    """At 200 random points of every surface, both forms give the same step."""
    s = lossviz.surface(name)
    (xmin, xmax), (ymin, ymax) = s.bounds
    rng = np.random.default_rng(1)
    p = np.column_stack([rng.uniform(xmin, xmax, 200), rng.uniform(ymin, ymax, 200)])
    g, h = s.grad(p), s.hessian(p)
    opt = newton(lr=0.7, damping=damping)
    expected, _ = opt.update(g, opt.init(p), p, hessian=h)
    got = newton_step(g, h, np.full(200, -0.7), np.full(200, damping))
    # Cramer's rule and LU differ by rounding, relative to the condition of H + damping I.
    np.testing.assert_allclose(got, expected, rtol=1e-7, atol=1e-9 * np.abs(expected).max())


@pytest.mark.parametrize("name", ["quadratic", "rosenbrock", "himmelblau", "logistic_regression"])
def test_engine_steps_newton_as_its_update_does(name):
    s = lossviz.surface(name)
    opt = newton(lr=cosine(0.4, steps=15), damping=1e-3)  # a schedule as the rate
    run = descend(s, opt, steps=15)
    assert not run.diverged[0]
    np.testing.assert_allclose(run.path[0], plain_loop(s, opt, s.start, 15), rtol=1e-9, atol=1e-12)


def test_newton_runs_in_a_mixed_batch_equal_their_single_runs():
    """gd, two Newtons with different settings and a user's own optimizer, from two starts."""
    s = lossviz.surface("rosenbrock")
    starts = np.array([[-1.5, 2.0], [0.5, -0.5]])

    def halving_init(p):
        return None

    def halving_update(g, state, params=None):
        return -0.5 * (params - 1.0), state  # halves the distance to (1, 1)

    own = Optimizer(halving_init, halving_update, name="halving")
    opts = [gd(1e-3), newton(1.0, damping=1e-3), own, newton(0.5, damping=0.1)]
    together = descend(s, opts, start=starts, steps=40)
    for i, opt in enumerate(opts):
        alone = descend(s, opt, start=starts, steps=40)
        rows = together.runs_of(together.labels[i])
        np.testing.assert_array_equal(together.path[rows], alone.path)


@pytest.mark.parametrize("n", [1, 3, 8])
def test_a_few_points_step_on_floats_as_the_arrays_do(n, monkeypatch):
    """Up to SCALAR_UP_TO points `newton_step` computes on Python floats: the same numbers,
    bit for bit, as the array form, with rates and dampings per point or shared, and with
    overflowing, infinite and NaN entries."""
    module = sys.modules["lossviz.optimizers.newton"]
    assert n <= module.SCALAR_UP_TO
    rng = np.random.default_rng(n)
    g = rng.normal(size=(n, 2)) * 10.0 ** rng.integers(-8, 8, size=(n, 2))
    h = rng.normal(size=(n, 2, 2)) * 10.0 ** rng.integers(-8, 8, size=(n, 1, 1))
    h[0, 0, 0] = 1e300  # a determinant that overflows
    if n > 1:
        g[1, 0] = np.inf
        h[-1, 1, 1] = np.nan
    cases = [(np.full(n, -0.7), rng.uniform(0, 2, n)), (-0.3, 1e-3), (rng.uniform(-1, 0, n), 0.0)]
    for scale, damping in cases:
        with np.errstate(all="ignore"):
            floats = newton_step(g, h, scale, damping)
            monkeypatch.setattr(module, "SCALAR_UP_TO", 0)
            arrays = newton_step(g, h, scale, damping)
            monkeypatch.setattr(module, "SCALAR_UP_TO", 8)
        assert floats.shape == (n, 2) and floats.dtype == np.float64
        np.testing.assert_array_equal(floats, arrays)


def test_singular_system_takes_the_least_squares_step():
    """f = x^2 / 2 is flat in y: with no damping, H + 0 I is singular. Both forms step
    by the least-squares solution: x goes to 0 in one step, y does not move."""
    s = Surface.from_function(lambda x, y: 0.5 * x**2 + 0.0 * y, ((-2, 2), (-2, 2)), name="trough")
    opt = newton(lr=1.0, damping=0.0)
    run = descend(s, opt, start=(1.5, 0.5), steps=2)
    np.testing.assert_allclose(run.path[0], [[1.5, 0.5], [0.0, 0.5], [0.0, 0.5]], atol=1e-12)
    np.testing.assert_allclose(run.path[0], plain_loop(s, opt, (1.5, 0.5), 2), atol=1e-12)
    # A batch where only some systems are singular: the others keep Cramer's rule.
    h = np.array([[[1.0, 0.0], [0.0, 0.0]], [[2.0, 0.0], [0.0, 4.0]]])
    g = np.array([[1.0, 3.0], [2.0, 4.0]])
    np.testing.assert_allclose(newton_step(g, h, -1.0, 0.0), [[-1.0, 0.0], [-1.0, -1.0]])


def test_newton_needs_its_hessian_and_the_right_shape():
    opt = newton()
    p = np.zeros(2)
    with pytest.raises(ValueError, match="newton needs the Hessian"):
        opt.update(np.ones(2), opt.init(p), p)
    with pytest.raises(ValueError, match=r"hessian must have shape \(2, 2\)"):
        opt.update(np.ones(2), opt.init(p), p, hessian=np.eye(3))
