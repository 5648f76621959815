"""Optimizers: torch.optim's update rules, hand-computed steps, the engine's fused rule equal to
each plain update, convergence, purity."""

import doctest
import importlib

import numpy as np
import pytest

import lossviz
from lossviz import Surface
from lossviz.optimizers import Optimizer, adagrad, adam, gd, momentum, nesterov, newton, rmsprop

# -- reference implementations, written the way torch.optim's docs state them --------------------


def torch_sgd(grads, lr, momentum=0.0, nesterov=False):
    buf, steps = None, []
    for g in grads:
        d = g
        if momentum:
            buf = g.copy() if buf is None else momentum * buf + g
            d = g + momentum * buf if nesterov else buf
        steps.append(-lr * d)
    return steps


def torch_adagrad(grads, lr, eps):
    state_sum, steps = 0.0, []
    for g in grads:
        state_sum = state_sum + g * g
        steps.append(-lr * g / (np.sqrt(state_sum) + eps))
    return steps


def torch_rmsprop(grads, lr, alpha, eps):
    square_avg, steps = 0.0, []
    for g in grads:
        square_avg = alpha * square_avg + (1 - alpha) * g * g
        steps.append(-lr * g / (np.sqrt(square_avg) + eps))
    return steps


def torch_adam(grads, lr, beta1, beta2, eps):
    exp_avg = exp_avg_sq = 0.0
    steps = []
    for n, g in enumerate(grads, start=1):
        exp_avg = beta1 * exp_avg + (1 - beta1) * g
        exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * g * g
        step_size = lr / (1 - beta1**n)
        denom = np.sqrt(exp_avg_sq) / np.sqrt(1 - beta2**n) + eps
        steps.append(-step_size * exp_avg / denom)
    return steps


REFERENCES = [
    (gd(lr=0.1), lambda gs: torch_sgd(gs, 0.1)),
    (momentum(lr=0.1, beta=0.8), lambda gs: torch_sgd(gs, 0.1, momentum=0.8)),
    (nesterov(lr=0.1, beta=0.8), lambda gs: torch_sgd(gs, 0.1, momentum=0.8, nesterov=True)),
    (adagrad(lr=0.3, eps=1e-10), lambda gs: torch_adagrad(gs, 0.3, 1e-10)),
    (rmsprop(lr=0.01, alpha=0.9, eps=1e-8), lambda gs: torch_rmsprop(gs, 0.01, 0.9, 1e-8)),
    (
        adam(lr=0.05, beta1=0.9, beta2=0.999, eps=1e-8),
        lambda gs: torch_adam(gs, 0.05, 0.9, 0.999, 1e-8),
    ),
]


def run_steps(opt, grads, params):
    state, steps = opt.init(params), []
    for g in grads:
        step, state = opt.update(g, state, params)
        params = params + step
        steps.append(step)
    return steps


@pytest.mark.parametrize("opt, reference", REFERENCES, ids=lambda x: getattr(x, "name", ""))
def test_update_rule_matches_torch_definition(opt, reference):
    rng = np.random.default_rng(1)
    grads = [rng.normal(size=(3, 2)) * 10.0 ** rng.integers(-3, 3) for _ in range(25)]
    ours = run_steps(opt, grads, np.zeros((3, 2)))
    np.testing.assert_allclose(ours, reference(grads), rtol=1e-12, atol=1e-15)


# -- one hand-computed step per formula ------------------------------------------------------------


def test_gd_hand_computed():
    steps = run_steps(gd(lr=0.5), [np.array([2.0, -4.0])], np.zeros(2))
    assert steps[0].tolist() == [-1.0, 2.0]


def test_momentum_hand_computed():
    # v1 = 1, v2 = 0.5 * 1 + 3 = 3.5; steps -lr * v
    steps = run_steps(momentum(lr=0.1, beta=0.5), [np.array([1.0]), np.array([3.0])], np.zeros(1))
    np.testing.assert_allclose(np.concatenate(steps), [-0.1, -0.35])


def test_nesterov_hand_computed():
    # v1 = 1 -> d = 1 + 0.5 * 1 = 1.5; v2 = 0.5 + 3 = 3.5 -> d = 3 + 1.75 = 4.75
    steps = run_steps(nesterov(lr=0.1, beta=0.5), [np.array([1.0]), np.array([3.0])], np.zeros(1))
    np.testing.assert_allclose(np.concatenate(steps), [-0.15, -0.475])


def test_adagrad_hand_computed():
    # s1 = 9 -> -1 * 3/3 = -1; s2 = 9 + 16 = 25 -> -1 * 4/5 = -0.8
    steps = run_steps(adagrad(lr=1.0, eps=0.0), [np.array([3.0]), np.array([4.0])], np.zeros(1))
    np.testing.assert_allclose(np.concatenate(steps), [-1.0, -0.8])


def test_rmsprop_hand_computed():
    # s1 = 0.5 * 4 = 2 -> -0.1 * 2 / sqrt(2); s2 = 0.5 * 2 + 0.5 * 16 = 9 -> -0.1 * 4 / 3
    opt = rmsprop(lr=0.1, alpha=0.5, eps=0.0)
    steps = run_steps(opt, [np.array([2.0]), np.array([4.0])], np.zeros(1))
    np.testing.assert_allclose(np.concatenate(steps), [-0.2 / np.sqrt(2), -0.4 / 3])


def test_adam_hand_computed():
    # m1 = 0.5 * 2 = 1, v1 = 0.75 * 4 = 3; m_hat = 2, v_hat = 4 -> -0.1 * 2 / 2 = -0.1
    # m2 = 0.5 + 0.5 * 4 = 2.5, v2 = 0.75 + 0.75 * 16 = 12.75
    # m_hat = 2.5 / 0.75, v_hat = 12.75 / 0.9375 = 13.6 -> -0.1 * (10/3) / sqrt(13.6)
    opt = adam(lr=0.1, beta1=0.5, beta2=0.25, eps=0.0)
    steps = run_steps(opt, [np.array([2.0]), np.array([4.0])], np.zeros(1))
    np.testing.assert_allclose(np.concatenate(steps), [-0.1, -0.1 * (10 / 3) / np.sqrt(13.6)])


@pytest.mark.parametrize(
    "opt", [adagrad(0.1, eps=0.0), rmsprop(0.1, eps=0.0), adam(0.1, eps=0.0)], ids=lambda o: o.name
)
def test_eps_zero_and_a_zero_gradient_give_a_zero_step(opt):
    # The x gradient is exactly 0: with eps = 0 its step would be 0 / 0. The guard does not
    # even compute it (errstate would raise).
    with np.errstate(all="raise"):
        steps = run_steps(opt, [np.array([0.0, 2.0]), np.array([0.0, -1.0])], np.zeros(2))
    np.testing.assert_array_equal(np.array(steps)[:, 0], 0.0)
    assert np.isfinite(steps).all() and (np.array(steps)[:, 1] != 0).all()


def test_adam_zero_second_moment_gives_a_zero_step():
    # beta2 = 0 keeps only the last squared gradient: after g = 2, g = 0 the second
    # moment is 0 while the first is not (1 / 2); the step is 0, not -inf.
    opt = adam(lr=0.1, beta1=0.5, beta2=0.0, eps=0.0)
    steps = run_steps(opt, [np.array([2.0]), np.array([0.0])], np.zeros(1))
    np.testing.assert_array_equal(np.concatenate(steps), [-0.1, 0.0])


@pytest.mark.parametrize(
    "opt, field, expected",
    [
        (momentum(0.1, beta=0.5), "velocity", 5.0),  # 0.5 * 2 + 4
        (nesterov(0.1, beta=0.5), "velocity", 5.0),
        (adagrad(0.1), "sum_sq", 20.0),  # 4 + 16
        (rmsprop(0.1, alpha=0.5), "square_avg", 9.0),  # 0.5 * (0.5 * 4) + 0.5 * 16
        (adam(0.1, beta1=0.5, beta2=0.25), "exp_avg", 2.5),  # 0.5 * (0.5 * 2) + 0.5 * 4
        (adam(0.1, beta1=0.5, beta2=0.25), "exp_avg_sq", 12.75),  # 0.25 * 3 + 0.75 * 16
    ],
    ids=lambda x: getattr(x, "name", None) or (x if isinstance(x, str) else ""),
)
def test_state_holds_torchs_buffers(opt, field, expected):
    state = opt.init(np.zeros(1))
    for g in (2.0, 4.0):
        _, state = opt.update(np.array([g]), state)
    assert state.count == 2
    np.testing.assert_allclose(getattr(state, field), [expected])


def test_newton_hand_computed():
    h = np.array([[2.0, 1.0], [1.0, 4.0]])
    p = np.array([1.0, -2.0])
    opt = newton(lr=1.0, damping=0.0)
    step, _ = opt.update(h @ p, opt.init(p), p, hessian=h)
    np.testing.assert_allclose(p + step, [0.0, 0.0], atol=1e-15)
    # damping 1 and lr 0.5: step = -0.5 (H + I)^-1 g
    opt = newton(lr=0.5, damping=1.0)
    step, _ = opt.update(h @ p, opt.init(p), p, hessian=h)
    np.testing.assert_allclose(step, -0.5 * np.linalg.solve(h + np.eye(2), h @ p))


def test_newton_needs_a_hessian():
    opt = newton()
    with pytest.raises(ValueError, match="Hessian"):
        opt.update(np.ones(2), opt.init(np.ones(2)), np.ones(2))


# -- the engine's fused rule (lossviz.optimizers.moments) equals each plain update ------------


def decaying(t):
    """A learning-rate schedule, for integer and array ``t`` alike."""
    return 0.05 * 0.99**t


FUSED = [
    gd(0.1),
    gd(decaying),
    momentum(0.01, beta=0.9),
    momentum(decaying, beta=0.0),
    nesterov(0.01, beta=0.9),
    nesterov(decaying, beta=0.5),
    adagrad(0.3),
    adagrad(0.3, eps=0.0),
    adagrad(decaying, eps=1e-3),
    rmsprop(0.01),
    rmsprop(0.01, alpha=0.5, eps=0.0),
    rmsprop(decaying, alpha=0.0),
    adam(0.05),
    adam(0.05, eps=0.0),
    adam(decaying, beta1=0.5, beta2=0.0, eps=0.0),
    adam(0.1, beta1=0.0, beta2=0.9),
]


def replaying(grads):
    """A flat surface whose gradient, call after call, is the next row of ``grads`` (k, 2),
    wherever the path is: it drives `descend` with a fixed gradient sequence."""
    rows = iter(grads)
    return Surface(
        "replay",
        lambda x, y: 0.0 * x,
        ((-1e6, 1e6), (-1e6, 1e6)),
        start=(0.0, 0.0),
        gradient=lambda p: np.broadcast_to(next(rows), np.shape(p)),
    )


@pytest.mark.parametrize("opt", FUSED, ids=repr)
def test_plain_update_equals_the_engines_fused_rule(opt):
    # 200 gradients whose coordinates span 6 decades (1e-4 to 1e2) with random signs; x is
    # exactly 0 for the first 5 steps, where eps = 0 meets a zero denominator.
    rng = np.random.default_rng(7)
    grads = rng.choice([-1.0, 1.0], size=(200, 2)) * 10.0 ** rng.uniform(-4, 2, size=(200, 2))
    grads[:5, 0] = 0.0
    run = lossviz.descend(replaying(grads), opt, start=(0.0, 0.0), steps=200)
    plain = np.cumsum([np.zeros(2), *run_steps(opt, grads, np.zeros(2))], axis=0)
    assert not run.diverged.any()
    # Equal to rounding at the path's scale (atol for points that pass near 0).
    np.testing.assert_allclose(run.path[0], plain, rtol=1e-12, atol=1e-13 * np.abs(plain).max())


# -- schedules as learning rates -----------------------------------------------------------------


def test_learning_rate_schedule_is_used_per_step():
    opt = gd(lr=lambda t: 0.1 * 0.5**t)
    steps = run_steps(opt, [np.array([1.0])] * 3, np.zeros(1))
    np.testing.assert_allclose(np.concatenate(steps), [-0.1, -0.05, -0.025])


# -- properties that hold for every optimizer ----------------------------------------------------

ALL = [gd(0.01), momentum(0.01), nesterov(0.01), adagrad(0.1), rmsprop(0.01), adam(0.01)]


@pytest.mark.parametrize("opt", ALL, ids=lambda o: o.name)
@pytest.mark.parametrize("shape", [(2,), (5, 2), (3, 4, 7)])
def test_any_shape_and_inputs_never_modified(opt, shape):
    rng = np.random.default_rng(0)
    params, grad = rng.normal(size=shape), rng.normal(size=shape)
    state = opt.init(params)
    step, state = opt.update(grad, state, params)  # one step so the state is non-trivial
    before = [params.copy(), grad.copy(), *(np.array(x, copy=True) for x in state)]
    step, new_state = opt.update(grad, state, params)
    after = [params, grad, *state]
    for b, a in zip(before, after, strict=True):
        np.testing.assert_array_equal(a, b)
    assert step.shape == shape
    assert new_state.count == state.count + 1


def quadratic_grad(p):
    return np.array([1.0, 10.0]) * p


def rosenbrock_grad(p):
    x, y = p[..., 0], p[..., 1]
    return np.stack([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)], axis=-1)


CONVERGENCE = [
    # optimizer, problem gradient, start, steps, tolerance on the distance to the minimum
    (gd(0.15), quadratic_grad, (2.0, 1.0), 300, 1e-6),
    (momentum(0.05, 0.8), quadratic_grad, (2.0, 1.0), 300, 1e-6),
    (nesterov(0.05, 0.8), quadratic_grad, (2.0, 1.0), 300, 1e-6),
    (adagrad(0.8), quadratic_grad, (2.0, 1.0), 800, 1e-4),
    (rmsprop(0.01), quadratic_grad, (2.0, 1.0), 1500, 1e-2),
    (adam(0.05), quadratic_grad, (2.0, 1.0), 1500, 1e-4),
    (gd(0.001), rosenbrock_grad, (-1.5, 2.0), 40000, 1e-3),
    (momentum(0.0005, 0.9), rosenbrock_grad, (-1.5, 2.0), 20000, 1e-3),
    (nesterov(0.0005, 0.9), rosenbrock_grad, (-1.5, 2.0), 20000, 1e-3),
    (adagrad(0.5), rosenbrock_grad, (-1.5, 2.0), 20000, 1e-3),
    (rmsprop(0.001), rosenbrock_grad, (-1.5, 2.0), 20000, 1e-2),
    (adam(0.02), rosenbrock_grad, (-1.5, 2.0), 20000, 1e-3),
]


@pytest.mark.parametrize(
    "opt, grad, start, steps, tol",
    CONVERGENCE,
    ids=lambda x: getattr(x, "name", None) or getattr(x, "__name__", None),
)
def test_converges(opt, grad, start, steps, tol):
    minimum = np.zeros(2) if grad is quadratic_grad else np.ones(2)
    p = np.array(start)
    state = opt.init(p)
    for _ in range(steps):
        step, state = opt.update(grad(p), state, p)
        p = p + step
    assert np.linalg.norm(p - minimum) < tol


def test_newton_converges_on_rosenbrock():
    def hessian(p):
        x, y = p
        return np.array([[2 - 400 * (y - x * x) + 800 * x * x, -400 * x], [-400 * x, 200.0]])

    opt = newton(lr=1.0, damping=0.0)
    p = np.array([-1.2, 1.0])
    state = opt.init(p)
    for _ in range(30):
        step, state = opt.update(rosenbrock_grad(p), state, p, hessian=hessian(p))
        p = p + step
    np.testing.assert_allclose(p, [1.0, 1.0], atol=1e-10)


@pytest.mark.parametrize("name", ["gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"])
def test_docstring_examples_run(name):
    module = importlib.import_module(f"lossviz.optimizers.{name}")
    assert doctest.testmod(module).failed == 0


# -- building by name, and bad arguments ---------------------------------------------------------


def test_optimizer_by_name():
    assert lossviz.optimizer_names() == [
        "gd",
        "momentum",
        "nesterov",
        "adagrad",
        "rmsprop",
        "adam",
        "newton",
    ]
    opt = lossviz.optimizer("momentum", lr=0.2, beta=0.5)
    assert isinstance(opt, Optimizer)
    assert opt.name == "momentum" and opt.hyper == {"lr": 0.2, "beta": 0.5}
    expected = "adam(lr=0.01, beta1=0.9, beta2=0.999, eps=1e-08)"
    assert repr(lossviz.optimizer("adam", lr=0.01)) == expected


@pytest.mark.parametrize(
    "name, hyper, match",
    [
        ("gd", {"lr": -0.1}, "lr must be a number > 0; got -0.1"),
        ("gd", {"lr": 0.0}, "lr must be a number > 0; got 0.0"),
        ("gd", {"lr": "fast"}, "lr must be a number"),
        ("momentum", {"beta": 1.0}, r"beta must be a number in \[0, 1\); got 1.0"),
        ("nesterov", {"beta": -0.1}, r"beta must be a number in \[0, 1\)"),
        ("adam", {"beta1": 1.5}, r"beta1 must be a number in \[0, 1\)"),
        ("adam", {"beta2": 1.0}, r"beta2 must be a number in \[0, 1\)"),
        ("adam", {"eps": -1.0}, "eps must be a number >= 0"),
        ("rmsprop", {"alpha": 2.0}, r"alpha must be a number in \[0, 1\)"),
        ("newton", {"damping": -1.0}, "damping must be a number >= 0; got -1"),
        ("gd", {"beta": 0.9}, "optimizer 'gd' has no hyperparameter 'beta'; its hyper"),
        ("sgd9000", {}, "unknown optimizer 'sgd9000'; choose one of gd, momentum"),
    ],
)
def test_bad_hyperparameters(name, hyper, match):
    with pytest.raises(ValueError, match=match):
        lossviz.optimizer(name, **hyper)
