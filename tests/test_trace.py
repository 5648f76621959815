"""``descend(..., trace=True)``: what each optimizer saw and did at every step, held against
independent loops written from torch.optim's documented algorithms."""

import numpy as np
import pytest

import lossviz
from lossviz import Optimizer, descend
from lossviz.optimizers import adagrad, adam, gd, momentum, nesterov, newton, rmsprop
from lossviz.schedules import cosine

STEPS = 40


@pytest.fixture(scope="module")
def rosenbrock():
    return lossviz.surface("rosenbrock")


def gradients_along(surface, run, i):
    """The gradient at every point a run stepped from, shape (steps, 2)."""
    return surface.grad(run.path[i, :-1])


def test_without_trace_nothing_is_recorded(rosenbrock):
    run = descend(rosenbrock, ["gd", "adam"], steps=5)
    assert run.grad is run.update is run.velocity is run.effective_lr is run.lr is None
    with pytest.raises(ValueError, match="trace must be True or False"):
        descend(rosenbrock, "gd", steps=5, trace="yes")


def test_shapes_and_update_is_the_path_difference(rosenbrock):
    starts = np.array([[-1.5, 2.0], [0.5, 0.5], [1.5, -0.5]])
    run = descend(rosenbrock, ["gd", "adam", "newton"], start=starts, steps=STEPS, trace=True)
    assert run.grad.shape == run.update.shape == run.velocity.shape == (9, STEPS, 2)
    assert run.effective_lr.shape == (9, STEPS, 2) and run.lr.shape == (9, STEPS)
    np.testing.assert_array_equal(run.update, np.diff(run.path, axis=1))
    # Same runs as without the trace.
    np.testing.assert_array_equal(run.path, descend(rosenbrock, ["gd", "adam", "newton"],
                                                    start=starts, steps=STEPS).path)  # fmt: skip


def test_grad_is_the_gradient_used(rosenbrock):
    run = descend(rosenbrock, ["gd", "momentum"], steps=STEPS, trace=True)
    for i in range(2):
        np.testing.assert_allclose(run.grad[i], gradients_along(rosenbrock, run, i), rtol=1e-12)
    noisy = descend(rosenbrock, "gd", steps=400, noise=0.5, seed=3, trace=True)
    drawn = noisy.grad[0] - gradients_along(rosenbrock, noisy, 0)
    assert drawn.std() == pytest.approx(0.5, rel=0.1) and abs(drawn.mean()) < 0.1


def heavy_ball_buffers(grads, beta):
    """torch.optim.SGD(momentum=beta, dampening=0): buf = g at the first step, then beta buf + g."""
    buffers, buf = [], None
    for g in grads:
        buf = g.copy() if buf is None else beta * buf + g
        buffers.append(buf)
    return np.array(buffers)


def adam_first_moments(grads, beta1):
    """torch.optim.Adam's exp_avg divided by its bias correction 1 - beta1**n."""
    exp_avg, out = np.zeros(2), []
    for n, g in enumerate(grads, start=1):
        exp_avg = beta1 * exp_avg + (1 - beta1) * g
        out.append(exp_avg / (1 - beta1**n))
    return np.array(out)


def test_velocity_is_torchs_momentum_buffer_and_adams_corrected_first_moment(rosenbrock):
    opts = [momentum(1e-3, beta=0.9), nesterov(1e-3, beta=0.8), adam(0.05, beta1=0.7), gd(1e-3)]
    run = descend(rosenbrock, opts, steps=STEPS, trace=True)
    np.testing.assert_allclose(run.velocity[0], heavy_ball_buffers(run.grad[0], 0.9), rtol=1e-12)
    np.testing.assert_allclose(run.velocity[1], heavy_ball_buffers(run.grad[1], 0.8), rtol=1e-12)
    np.testing.assert_allclose(run.velocity[2], adam_first_moments(run.grad[2], 0.7), rtol=1e-12)
    assert np.isnan(run.velocity[3]).all()  # gd keeps no buffer


@pytest.mark.parametrize(
    "opt, direction",
    [
        (gd(2e-3), "grad"),
        (momentum(1e-3, beta=0.9), "velocity"),
        (nesterov(1e-3, beta=0.9), "nesterov"),
        (adagrad(0.3), "grad"),
        (rmsprop(0.01, alpha=0.9), "grad"),
        (adam(0.05), "velocity"),
        (adam(cosine(0.05, steps=STEPS), eps=0.0), "velocity"),
        (newton(0.5), "newton"),
    ],
    ids=lambda v: v if isinstance(v, str) else repr(v),
)
def test_effective_lr_reproduces_every_step(rosenbrock, opt, direction):
    """update = -effective_lr * direction, with the direction each optimizer follows."""
    run = descend(rosenbrock, opt, steps=STEPS, trace=True)
    g, v = run.grad[0], run.velocity[0]
    if direction == "grad":
        d = g
    elif direction == "velocity":
        d = v
    elif direction == "nesterov":
        d = g + opt.hyper["beta"] * v
    else:
        h = rosenbrock.hessian(run.path[0, :-1]) + opt.hyper["damping"] * np.eye(2)
        d = np.linalg.solve(h, g[..., None])[..., 0]
    np.testing.assert_allclose(run.update[0], -run.effective_lr[0] * d, rtol=1e-9, atol=1e-15)


def test_lr_is_the_scheduled_rate(rosenbrock):
    schedule = cosine(1e-3, steps=STEPS, lr_min=1e-4)
    run = descend(rosenbrock, [gd(schedule), adam(0.02), newton(0.5)], steps=STEPS, trace=True)
    np.testing.assert_allclose(run.lr[0], schedule(np.arange(STEPS)), rtol=1e-12)
    np.testing.assert_array_equal(run.lr[1], 0.02)
    np.testing.assert_array_equal(run.lr[2], 0.5)
    # gd's step size is its rate; Adam's per coordinate differs from it.
    np.testing.assert_array_equal(run.effective_lr[0], np.repeat(run.lr[0][:, None], 2, axis=1))
    assert not np.allclose(run.effective_lr[1], 0.02)


def test_a_users_own_optimizer_has_its_gradient_and_update_only(rosenbrock):
    def init(p):
        return None

    def update(g, state, params=None):
        return -1e-3 * g, state

    own = Optimizer(init, update, name="own")
    run = descend(rosenbrock, [gd(1e-3), own, adam(0.05)], steps=STEPS, trace=True)
    for name in ("velocity", "effective_lr", "lr"):
        assert np.isnan(getattr(run, name)[1]).all()
    np.testing.assert_allclose(run.update[1], -1e-3 * run.grad[1], rtol=1e-9)
    # Each run's trace equals its trace alone: the internal reordering is undone.
    for i, opt in enumerate([gd(1e-3), own, adam(0.05)]):
        alone = descend(rosenbrock, opt, steps=STEPS, trace=True)
        for name in ("grad", "update", "velocity", "effective_lr", "lr"):
            np.testing.assert_array_equal(getattr(run, name)[i], getattr(alone, name)[0])


def test_a_diverged_run_is_nan_from_its_divergence_on():
    bowl = lossviz.surface("quadratic", condition=10.0)
    run = descend(bowl, [gd(0.25), gd(0.1)], start=(1.0, 1.0), steps=200, trace=True)
    n = run.diverged_step[0]
    assert run.diverged.tolist() == [True, False] and n > 1
    # Step t is taken from path[t]: steps before n were taken, steps from n on were not.
    for name in ("grad", "effective_lr", "lr"):
        values = getattr(run, name)[0]
        assert np.isfinite(values[:n]).all() and np.isnan(values[n:]).all(), name
    assert np.isnan(run.velocity[0]).all()  # gd keeps no buffer
    assert np.isfinite(run.update[0, : n - 1]).all() and np.isnan(run.update[0, n - 1 :]).all()
    assert np.isfinite(run.grad[1]).all()


def test_zero_steps():
    run = descend("quadratic", ["gd", "adam"], steps=0, trace=True)
    assert run.grad.shape == (2, 0, 2) and run.lr.shape == (2, 0)


# -- the local quadratic model --------------------------------------------------------------
@pytest.mark.parametrize("name", ["rosenbrock", "himmelblau", "saddle", "tiny_network"])
def test_local_quadratic_is_the_taylor_model(name):
    from lossviz.curvature import local_quadratic

    s = lossviz.surface(name)
    (xmin, xmax), (ymin, ymax) = s.bounds
    rng = np.random.default_rng(0)
    p0 = np.array([rng.uniform(xmin, xmax), rng.uniform(ymin, ymax)])
    model = local_quadratic(s, p0)
    h = s.hessian(p0)
    # Eigenpairs: H v = lambda v, orthonormal, ascending.
    for value, vector in zip(model.eigenvalues, model.eigenvectors.T, strict=True):
        np.testing.assert_allclose(h @ vector, value * vector, atol=1e-9 * np.abs(h).max())
    np.testing.assert_allclose(model.eigenvectors.T @ model.eigenvectors, np.eye(2), atol=1e-12)
    assert model.eigenvalues[0] <= model.eigenvalues[1]
    # Second-order accurate: the error shrinks like the cube of the distance.
    direction = np.array([0.6, -0.8])
    errors = [abs(model(p0 + r * direction) - s(p0 + r * direction)) for r in (1e-2, 5e-3)]
    assert errors[1] <= errors[0] / 4 or errors[0] < 1e-12
    assert model(p0) == pytest.approx(float(s(p0)))


def test_local_quadratic_marks_downward_curvature_and_the_stable_rate():
    from lossviz.curvature import local_quadratic, stability_limit

    saddle = local_quadratic(lossviz.surface("quadratic", condition=4.0), (0.3, -0.2))
    assert saddle.stable_rate == pytest.approx(0.5)  # 2 / lambda_max = 2 / 4
    s = lossviz.surface("himmelblau")
    at_minimum = local_quadratic(s, s.global_minimum)
    assert at_minimum.stable_rate == pytest.approx(stability_limit(s).rate)
    hilltop = local_quadratic(s, (-0.270845, -0.923039))  # Himmelblau's local maximum
    assert (hilltop.eigenvalues < 0).all() and np.isnan(hilltop.stable_rate)
    with pytest.raises(ValueError, match="point must be one finite point"):
        local_quadratic(s, (np.nan, 0.0))
