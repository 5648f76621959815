"""The engine: shapes, lockstep batches equal single runs, divergence, noise, errors."""

import warnings

import autograd.numpy as anp
import numpy as np
import pytest

import lossviz
from lossviz import Optimizer, Surface, descend, engine
from lossviz.engine import FAR
from lossviz.optimizers import adagrad, adam, gd, momentum, nesterov, newton, rmsprop


@pytest.fixture
def bowl():
    """f = (x^2 + 10 y^2) / 2: Hessian diag(1, 10), minimum at the origin."""
    return Surface.from_function(
        lambda x, y: 0.5 * (x**2 + 10 * y**2), ((-3, 3), (-3, 3)), minima=[(0, 0)],
        start=(2.0, 1.0), name="bowl",
    )


def manual_run(surface, opt, start, steps):
    """The plain loop an optimizer defines: the reference for the engine."""
    p = np.asarray(start, dtype=float)
    state = opt.init(p)
    path = [p]
    for _ in range(steps):
        extra = {"hessian": surface.hessian(p)} if opt.needs_hessian else {}
        step, state = opt.update(surface.grad(p), state, p, **extra)
        p = p + step
        path.append(p)
    return np.array(path)


def test_shapes_and_order(bowl):
    starts = np.array([[2.0, 1.0], [-1.0, 2.0], [0.5, -2.5]])
    run = descend(bowl, [gd(0.1), adam(0.1)], start=starts, steps=20)
    assert run.path.shape == (6, 21, 2)
    assert run.loss.shape == (6, 21)
    assert run.names == ["gd"] * 3 + ["adam"] * 3
    assert run.labels == ["gd", "adam"]
    assert run.diverged.shape == (6,) and not run.diverged.any()
    np.testing.assert_array_equal(run.path[:, 0], np.concatenate([starts, starts]))
    np.testing.assert_allclose(run.loss, bowl(run.path))
    np.testing.assert_array_equal(run.runs_of("adam"), [3, 4, 5])
    assert len(run) == 6 and run.steps == 20


def test_default_start_is_the_surface_start(bowl):
    run = descend(bowl, "gd", steps=3)
    np.testing.assert_array_equal(run.path[0, 0], bowl.start)


@pytest.mark.parametrize(
    "opts",
    [
        [gd(0.05), momentum(0.05), nesterov(0.05), adam(0.1)],
        [rmsprop(0.05), newton(0.5), gd(0.05)],  # fused and stepped-alone runs interleaved
    ],
    ids=["moment-rule", "mixed"],
)
def test_batch_equals_single_runs(bowl, opts):
    starts = np.array([[2.0, 1.0], [-1.0, 2.0], [0.5, -2.5], [2.9, 2.9]])
    run = descend(bowl, opts, start=starts, steps=60)
    for i, opt in enumerate(opts):
        for j, start in enumerate(starts):
            np.testing.assert_allclose(
                run.path[i * len(starts) + j], manual_run(bowl, opt, start, 60),
                rtol=1e-13, atol=1e-14,  # 60 steps of rounding at coordinates of about 3
            )


def test_batch_equals_single_runs_when_a_squared_gradient_overflows():
    # g_x = 1e200, so g_x**2 overflows to inf in every run's second moment. The
    # tiny-rate gd, momentum and nesterov runs stay finite (step -1e-10 in x) and
    # must not turn NaN because adaptive runs share their batch. Newton (damped, with
    # zero curvature in x) leaves the bounds at once: it diverges alone as in the batch.
    steep = Surface.from_function(
        lambda x, y: 1e200 * x + 0.5 * y**2, ((-3, 3), (-3, 3)), start=(1.0, 1.0), name="steep"
    )
    opts = [gd(1e-210), momentum(1e-210), adam(0.1), nesterov(1e-210), adagrad(0.1, eps=0),
            rmsprop(0.01), gd(1e-210), newton(0.5)]
    starts = np.array([[1.0, 1.0], [-2.0, 0.5]])
    run = descend(steep, opts, start=starts, steps=30)
    for i, opt in enumerate(opts):
        alone = descend(steep, opt, start=starts, steps=30)
        rows = slice(i * len(starts), (i + 1) * len(starts))
        np.testing.assert_array_equal(run.path[rows], alone.path)
        np.testing.assert_array_equal(run.diverged[rows], alone.diverged)
        for j, start in enumerate(starts):
            n = alone.diverged_step[j] if alone.diverged[j] else 31
            with np.errstate(over="ignore"):  # the plain loop meets the same overflow
                manual = manual_run(steep, opt, start, n - 1)
            np.testing.assert_allclose(alone.path[j, :n], manual, rtol=1e-13, atol=1e-15)
    assert run.diverged.tolist() == [False] * 14 + [True] * 2
    np.testing.assert_array_equal(run.path[0, 1], [1.0 - 1e-10, 1.0 - 1e-210])


@pytest.mark.parametrize(
    "opt", [adam(0.05, eps=0), rmsprop(0.01, eps=0), adagrad(0.1, eps=0)], ids=lambda o: o.name
)
def test_eps_zero_and_a_zero_gradient_do_not_diverge(opt):
    # On the saddle x^2 - y^2 + y^4 / 4 from (1, 0) the y gradient is exactly 0 at every
    # step: with eps = 0 its step is 0 / 0 unless guarded; it must be 0.
    run = descend("saddle", [opt, adam(0.05)], start=(1.0, 0.0), steps=50)
    assert not run.diverged.any()
    np.testing.assert_array_equal(run.path[0, :, 1], 0.0)
    assert abs(run.path[0, -1, 0]) < 0.9  # x slides towards the saddle


def test_final_of_runs_diverged_at_their_start():
    # Far outside the bounds: diverged at step 0, yet the start itself is finite.
    run = descend("quadratic", ["gd", "adam"], start=[(1000.0, 0.0), (1.0, 1.0)], steps=10)
    np.testing.assert_array_equal(run.diverged_step, [0, -1, 0, -1])
    np.testing.assert_array_equal(run.final[[0, 2]], [[1000.0, 0.0], [1000.0, 0.0]])
    np.testing.assert_array_equal(run.final_loss[[0, 2]], run.surface([1000.0, 0.0]))
    assert np.isfinite(run.final_loss).all()
    np.testing.assert_array_equal(run.final[[1, 3]], run.path[[1, 3], -1])
    np.testing.assert_array_equal(run.final_loss[[1, 3]], run.loss[[1, 3], -1])
    # A start whose loss is not finite: the start, with that loss.
    pole = Surface.from_function(lambda x, y: 1 / x**2 + y**2, ((-1, 1), (-1, 1)), start=(0, 0.5))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run = descend(pole, "gd", steps=3)
        final, final_loss = run.final, run.final_loss
    assert run.diverged_step.tolist() == [0]
    np.testing.assert_array_equal(final, [[0.0, 0.5]])
    assert final_loss.tolist() == [np.inf]


def test_custom_optimizer_pair(bowl):
    def init(params):
        return 0

    def update(grad, state, params):
        return -0.1 * np.sign(grad), state + 1

    sign_descent = Optimizer(init, update, name="sign")
    run = descend(bowl, {"signs": sign_descent, "plain": "gd"}, start=(1.0, 1.0), steps=3)
    assert run.labels == ["signs", "plain"]
    np.testing.assert_allclose(run.path[0, -1], [0.7, 0.7])


def test_duplicate_names_get_distinct_labels(bowl):
    run = descend(bowl, [adam(0.1), adam(0.01)], steps=2)
    assert run.labels == ["adam", "adam (2)"]


def test_schedule_drives_the_learning_rate(bowl):
    opt = gd(lr=lambda t: 0.1 / (1 + t))
    run = descend(bowl, opt, start=(1.0, 0.0), steps=3)
    # x <- x (1 - lr_t): 1 * 0.9 * 0.95 * (1 - 0.1/3)
    np.testing.assert_allclose(run.path[0, -1, 0], 0.9 * 0.95 * (1 - 0.1 / 3))


def test_divergence_is_data_not_an_exception(bowl):
    # Largest stable gd rate is 2 / 10 = 0.2; 0.25 diverges along y.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run = descend(bowl, [gd(0.25), gd(0.15)], start=(1.0, 1.0), steps=400)
    assert run.diverged.tolist() == [True, False]
    n = run.diverged_step[0]
    assert 0 < n < 400 and run.diverged_step[1] == -1
    assert np.isnan(run.path[0, n:]).all() and np.isnan(run.loss[0, n:]).all()
    assert np.isfinite(run.path[0, :n]).all()
    # It stopped because it left the region far around the bounds.
    # The bowl's bounds are (-3, 3) on both axes: width 6, centre 0.
    assert np.abs(run.path[0, n - 1]).max() <= (0.5 + FAR) * 6
    np.testing.assert_allclose(run.final[0], run.path[0, n - 1])


def test_non_finite_gradient_diverges_quietly():
    s = Surface.from_function(lambda x, y: anp.sqrt(x**2 + y**2) ** 3, ((-1, 1), (-1, 1)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run = descend(s, gd(1e6), start=(0.5, 0.5), steps=50)
    assert run.diverged[0]


def test_noise_is_seeded(bowl):
    a = descend(bowl, gd(0.1), steps=30, noise=0.5, seed=1)
    b = descend(bowl, gd(0.1), steps=30, noise=0.5, seed=1)
    c = descend(bowl, gd(0.1), steps=30, noise=0.5, seed=2)
    clean = descend(bowl, gd(0.1), steps=30)
    np.testing.assert_array_equal(a.path, b.path)
    assert not np.allclose(a.path, c.path)
    assert not np.allclose(a.path, clean.path)
    np.testing.assert_array_equal(descend(bowl, gd(0.1), steps=30, noise=0.0, seed=5).path,
                                  clean.path)


def test_convergence_step(bowl):
    run = descend(bowl, [gd(0.15), gd(1e-4), gd(0.5)], start=(2.0, 1.0), steps=300)
    steps = run.convergence_step()
    assert 0 < steps[0] < 300  # converged
    assert steps[1] == -1  # far too slow
    assert steps[2] == -1  # diverged
    tol = 1e-3 * np.hypot(6, 6)
    assert np.linalg.norm(run.path[0, steps[0] :], axis=-1).max() < tol


def test_named_surface_and_string_optimizers():
    run = descend("quadratic", ["gd", "adam"], steps=5)
    assert run.surface.name == "quadratic" and run.labels == ["gd", "adam"]


def test_zero_steps(bowl):
    run = descend(bowl, "adam", steps=0)
    assert run.path.shape == (1, 1, 2)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"steps": -1}, ValueError, "steps must be an integer >= 0"),
        ({"steps": 2.5}, ValueError, "steps must be an integer >= 0"),
        ({"noise": -0.1}, ValueError, "noise must be a number >= 0; got -0.1"),
        ({"noise": "lots"}, ValueError, "noise must be a number"),
        ({"start": (1.0, 2.0, 3.0)}, ValueError, "trailing coordinate axis of length 2"),
        ({"start": (np.nan, 0.0)}, ValueError, "start must be finite"),
        ({"optimizers": []}, ValueError, "optimizers is empty"),
        ({"optimizers": "sgd9000"}, ValueError, "unknown optimizer 'sgd9000'"),
        ({"optimizers": 3.0}, TypeError, "optimizers must be"),
        ({"batch_size": 4}, ValueError, "batch_size needs a model surface"),
        ({"batch_size": 0}, ValueError, "batch_size must be an integer >= 1"),
        ({"optimizers": gd(lambda t: -1.0 + t)}, ValueError, "learning rate of gd must be"),
    ],
)
def test_bad_arguments(bowl, kwargs, error, match):
    kwargs = {"optimizers": "gd", "steps": 5} | kwargs
    with pytest.raises(error, match=match):
        descend(bowl, **kwargs)


def test_unknown_surface():
    with pytest.raises(ValueError, match="unknown surface 'nope'; choose one of"):
        descend("nope", "gd")


def test_large_batches_match_single_runs(bowl):
    # Past a size the engine expands its per-step factors step by step, to bound memory.
    rng = np.random.default_rng(3)
    starts = rng.uniform(-3, 3, size=(300, 2))
    opts = [adam(0.05, beta1=0.8), momentum(0.05)]
    run = descend(bowl, opts, start=starts, steps=500)
    for i, opt in enumerate(opts):
        for j in (0, 137, 299):
            np.testing.assert_allclose(run.path[i * 300 + j], manual_run(bowl, opt, starts[j], 500),
                                       rtol=1e-12, atol=1e-15)


# -- keeping only the tail ----------------------------------------------------------------------
def sign_descent(lr):
    """A user's own optimizer: the engine steps it on its own slice of the batch."""
    return Optimizer(lambda p: 0, lambda g, state, p: (-lr * np.sign(g), state + 1), name="sign")


TAIL_OPTIMIZERS = {
    "gd": gd(0.02),
    "momentum": momentum(0.02, beta=0.9),
    "nesterov": nesterov(0.02, beta=0.8),
    "adagrad": adagrad(0.5),
    "rmsprop": rmsprop(0.05),
    "adam": adam(0.1),
    "adam eps=0": adam(0.1, eps=0),
    "newton": newton(0.5, damping=0.1),
    "user's own": sign_descent(0.05),
    "gd, cosine schedule": gd(lossviz.schedule("cosine", lr=0.05, steps=40)),
    "adam, exponential schedule": adam(lossviz.schedule("exponential", lr=0.3, gamma=0.97)),
    "gd, diverging": gd(2.0),
    "momentum, diverging": momentum(0.5, beta=0.9),
}
TAIL_SURFACES = {
    "bowl by autograd": Surface.from_function(
        lambda x, y: 0.5 * (x**2 + 10 * y**2), ((-3, 3), (-3, 3)), minima=[(0, 0)], name="bowl"
    ),
    "quadratic": "quadratic",
    "himmelblau": "himmelblau",
    "rosenbrock": "rosenbrock",
    "rastrigin": "rastrigin",
    "tiny_network": "tiny_network",
    "logistic_regression": "logistic_regression",
    "linear_regression": "linear_regression",
    # Where x < 0 the loss is NaN but the gradient 1/x finite: only the loss tells.
    "log": Surface.from_function(lambda x, y: anp.log(x) + y**2, ((0.1, 3), (-1, 1)), name="log"),
}


def tail_starts(s):
    """A 6 x 6 grid over the bounds, and one start far outside them (diverged at step 0)."""
    s = lossviz.surface(s)
    (xmin, xmax), _ = s.bounds
    return np.concatenate([s.grid(6).reshape(-1, 2), [[xmax + 20 * (xmax - xmin), 0.0]]])


def assert_tail_is_the_end_of_the_path(whole, ends, tail):
    first = whole.steps - tail
    assert ends.steps == whole.steps and ends.first_index == first
    assert ends.names == whole.names and ends.labels == whole.labels
    np.testing.assert_array_equal(ends.path, whole.path[:, first:])
    np.testing.assert_array_equal(ends.loss, whole.loss[:, first:])
    np.testing.assert_array_equal(ends.diverged, whole.diverged)
    np.testing.assert_array_equal(ends.diverged_step, whole.diverged_step)
    np.testing.assert_array_equal(ends.final, whole.final)
    np.testing.assert_array_equal(ends.final_loss, whole.final_loss)


@pytest.mark.parametrize("opt", TAIL_OPTIMIZERS.values(), ids=TAIL_OPTIMIZERS.keys())
@pytest.mark.parametrize("name", TAIL_SURFACES.keys())
def test_a_tail_equals_the_end_of_the_whole_path(name, opt):
    s, starts = TAIL_SURFACES[name], tail_starts(TAIL_SURFACES[name])
    whole = descend(s, opt, start=starts, steps=40)
    for tail in (0, 4, 40):
        assert_tail_is_the_end_of_the_path(
            whole, descend(s, opt, start=starts, steps=40, tail=tail), tail
        )


def test_a_tail_on_a_surface_finite_in_reach_takes_no_loss_before_it(monkeypatch):
    # Divergence is then told by position alone: the loss only at the tail's indices and at
    # the last finite positions of runs that diverge (here: one start outside reach).
    s = lossviz.surface("himmelblau")
    assert s.finite_in_reach
    starts = tail_starts(s)
    whole = descend(s, gd(0.03), start=starts, steps=40)
    assert whole.diverged_step[-1] == 0 and (whole.diverged_step[:-1] != 0).all()
    assert (whole.diverged_step > 0).any()  # some diverge along the way too
    sizes = []
    value = s._value
    monkeypatch.setattr(s, "_value", lambda p: (sizes.append(p.shape[:-1]), value(p))[1])
    ends = descend(s, gd(0.03), start=starts, steps=40, tail=4)
    made = sizes[:]  # the calls descend made (the checks below read final_loss)
    assert_tail_is_the_end_of_the_path(whole, ends, 4)
    runs = (len(starts),)
    assert made.count(runs) == 5  # indices 36 .. 40
    # Besides, only the last finite positions of the runs that diverged.
    others = sum(int(np.prod(size)) for size in made) - 5 * len(starts)
    assert 0 < others <= whole.diverged.sum()
    # Without the promise, every index's loss.
    plain = Surface(s.name, s._function, s.bounds, gradient=s._gradient)
    sizes.clear()
    monkeypatch.setattr(plain, "_value", lambda p: (sizes.append(p.shape[:-1]), value(p))[1])
    descend(plain, gd(0.03), start=starts, steps=40, tail=4)
    assert sizes.count(runs) >= 37


def test_a_tail_without_its_loss_keeps_the_same_positions_and_takes_no_loss(monkeypatch):
    # What `basins` asks for: where runs go and whether they diverge. The loss is then
    # taken only at the last finite positions of runs that diverge, never for all runs.
    s = lossviz.surface("himmelblau")
    starts = tail_starts(s)
    ends = descend(s, gd(0.03), start=starts, steps=40, tail=4)
    sizes = []
    value = s._value
    monkeypatch.setattr(s, "_value", lambda p: (sizes.append(p.shape[:-1]), value(p))[1])
    bare = engine._descend(s, gd(0.03), start=starts, steps=40, tail=4, tail_loss=False)
    assert (len(starts),) not in sizes
    assert 0 < sum(int(np.prod(size)) for size in sizes) <= ends.diverged.sum()
    np.testing.assert_array_equal(bare.path, ends.path)
    np.testing.assert_array_equal(bare.diverged_step, ends.diverged_step)
    np.testing.assert_array_equal(bare.final, ends.final)
    assert np.isnan(bare.loss).all()
    np.testing.assert_array_equal(bare.final_loss[ends.diverged], ends.final_loss[ends.diverged])
    assert np.isnan(bare.final_loss[~ends.diverged]).all()
    # Where the surface does not promise a finite loss, the loss tells divergence: kept.
    plain = Surface(s.name, s._function, s.bounds, gradient=s._gradient)
    kept = engine._descend(plain, gd(0.03), start=starts, steps=40, tail=4, tail_loss=False)
    np.testing.assert_array_equal(kept.loss, ends.loss)


@pytest.mark.parametrize("name", lossviz.surface_names())
def test_every_surface_that_says_its_loss_is_finite_in_reach_is(name):
    s = lossviz.surface(name)
    assert s.finite_in_reach
    (cx, rx), (cy, ry) = engine._far_box(s)
    u = np.random.default_rng(4).uniform(-1, 1, (20000, 2))
    corners = np.array([[a, b] for a in (-1, 0, 1) for b in (-1, 0, 1)], dtype=float)
    edges = np.concatenate([np.sign(u) * [1, 0] + u * [0, 1], np.sign(u) * [0, 1] + u * [1, 0]])
    for v in (u, corners, edges):
        points = np.stack([cx + rx * v[:, 0], cy + ry * v[:, 1]], axis=1)
        assert np.isfinite(s(points)).all()
    with pytest.raises(TypeError, match="finite_in_reach must be True or False; got 'yes'"):
        Surface("bowl", lambda x, y: x * x + y * y, ((-1, 1), (-1, 1)), finite_in_reach="yes")


@pytest.mark.parametrize("name", TAIL_SURFACES.keys())
def test_a_tail_of_a_mixed_batch_equals_the_end_of_the_whole_path(name):
    # User's own, Newton and moment-rule runs interleaved: the engine reorders them inside.
    s, starts = TAIL_SURFACES[name], tail_starts(TAIL_SURFACES[name])
    opts = list(TAIL_OPTIMIZERS.values())[::-1]
    assert {o.name for o in opts} >= set(lossviz.optimizer_names())  # every built-in one
    whole = descend(s, opts, start=starts, steps=60)
    assert_tail_is_the_end_of_the_path(whole, descend(s, opts, start=starts, steps=60, tail=6), 6)
    # Runs diverged at the start, before the tail, inside it, and not at all (but on the
    # cross-entropy, whose gradient is bounded: no run diverges along the way).
    assert {0, -1} <= set(whole.diverged_step.tolist())
    if name != "logistic_regression":
        assert ((whole.diverged_step > 0) & (whole.diverged_step < 54)).any()


def test_a_tail_with_noise_or_mini_batches_equals_the_end_of_the_whole_path():
    cases = [
        ("himmelblau", [adam(0.1), gd(0.05), newton(0.5)], dict(noise=2.0, seed=4)),
        ("tiny_network", [gd(0.5), momentum(0.5)], dict(batch_size=8, seed=2)),
    ]
    for name, opts, extra in cases:
        starts = tail_starts(name)
        whole = descend(name, opts, start=starts, steps=50, **extra)
        ends = descend(name, opts, start=starts, steps=50, tail=5, **extra)
        assert_tail_is_the_end_of_the_path(whole, ends, 5)


def test_a_tail_run_stops_once_every_run_has_diverged():
    calls = []

    def gradient(p):
        calls.append(len(p))
        return 10.0 * p

    # gd at rate 1 multiplies p by -9 each step; out of reach past 21 from the centre:
    # from (1, 1) at step 2 (81), from (0.1, -0.1) at step 3 (72.9). No gradient after that.
    steep = Surface("steep", lambda x, y: 5.0 * (x**2 + y**2), ((-1, 1), (-1, 1)),
                    gradient=gradient)
    starts = [(1.0, 1.0), (0.1, -0.1)]
    ends = descend(steep, gd(1.0), start=starts, steps=1000, tail=10)
    assert len(calls) == 3 and ends.diverged_step.tolist() == [2, 3]
    assert_tail_is_the_end_of_the_path(descend(steep, gd(1.0), start=starts, steps=1000), ends, 10)


def test_a_tail_keeps_no_step_but_its_own():
    ends = descend("himmelblau", "adam", start=np.zeros((5, 2)), steps=300, tail=30)
    assert ends.path.shape == (5, 31, 2) and ends.loss.shape == (5, 31)
    assert ends.grad is None and len(ends) == 5
    with pytest.raises(ValueError, match="convergence_step needs the whole path; this run kept"):
        ends.convergence_step()
    # A tail of every step is the whole path, and converges as the whole path does.
    whole = descend("himmelblau", "adam", start=np.zeros((5, 2)), steps=300)
    everything = descend("himmelblau", "adam", start=np.zeros((5, 2)), steps=300, tail=300)
    np.testing.assert_array_equal(everything.convergence_step(), whole.convergence_step())


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"tail": -1}, "tail must be an integer between 0 and 5; got -1"),
        ({"tail": 6}, "tail must be an integer between 0 and 5; got 6"),
        ({"tail": 2.0}, "tail must be an integer between 0 and 5; got 2.0"),
        ({"tail": 2, "trace": True}, "trace records every step, tail keeps the last few"),
    ],
)
def test_bad_tails(bowl, kwargs, match):
    with pytest.raises(ValueError, match=match):
        descend(bowl, "gd", steps=5, **kwargs)


# -- the factors of the moment rule, however the engine holds them ------------------------------
def test_the_factor_tables_equal_each_optimizers_own_step_factors():
    from lossviz.engine import _learning_rate_table, _step_factor_tables
    from lossviz.optimizers.moments import step_factors

    opts = [*[o for o in TAIL_OPTIMIZERS.values() if o.moments is not None],
            adam(0.1, beta1=0.0), adam(0.01, beta1=0.5, beta2=0.9), rmsprop(0.1, alpha=0.5)]
    steps = 120
    lr = _learning_rate_table([o.moments.lr for o in opts], steps, [o.name for o in opts])
    tables = _step_factor_tables([o.moments for o in opts], lr)
    assert tables.shape == (3, steps, len(opts))
    for j, opt in enumerate(opts):
        own = step_factors(opt.moments, lr[:, j], np.arange(steps))
        for table, factor in zip(tables, own, strict=True):
            np.testing.assert_array_equal(table[:, j], np.broadcast_to(factor, (steps,)))


def test_large_batches_of_one_or_many_optimizers_equal_small_ones_exactly(bowl):
    # Past 256 Ki elements per factor table the engine holds the factors per optimizer
    # (many optimizers) or as one number per step (one optimizer), not per run.
    rng = np.random.default_rng(5)
    starts = rng.uniform(-3, 3, size=(1400, 2))
    one = descend(bowl, adam(0.05, beta1=0.8), start=starts, steps=100)
    few = descend(bowl, adam(0.05, beta1=0.8), start=starts[:7], steps=100)
    np.testing.assert_array_equal(one.path[:7], few.path)
    opts = [momentum(lr, beta=beta) for lr in (0.01, 0.05, 0.1, 0.19) for beta in (0.0, 0.5, 0.9)]
    opts += [adam(lr, beta1=beta) for lr in (0.01, 0.1, 1.0) for beta in (0.0, 0.5, 0.9)]
    many = descend(bowl, opts, start=starts[:70], steps=100)
    for i, opt in enumerate(opts):
        alone = descend(bowl, opt, start=starts[:70], steps=100)
        np.testing.assert_array_equal(many.path[i * 70 : (i + 1) * 70], alone.path)


# -- a model's loss and gradient in one pass ----------------------------------------------------
def without_one_pass(s):
    """The same model surface, made to take its loss and gradient apart."""
    apart = lossviz.models.tiny_network(**s.params)
    apart._loss_and_gradient = None
    return apart


def counted_one_pass(s):
    """``s`` with its one-pass loss and gradient counting the points it is called at."""
    calls = []
    one_pass = s._loss_and_gradient

    def counting(p):
        calls.append(len(p))
        return one_pass(p)

    s._loss_and_gradient = counting
    return calls


def assert_runs_equal(a, b):
    """Equal runs. Bit for bit on this machine's OpenBLAS; a matrix-vector kernel chosen for
    another CPU may round a row's sum differently, so numbers may differ there by rounding."""
    for field in ("diverged", "diverged_step"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field), err_msg=field)
    for field in ("path", "loss", "final", "final_loss", "grad"):
        first, second = getattr(a, field), getattr(b, field)
        if first is None or second is None:  # grad: only traced runs keep it
            assert first is None and second is None, field
            continue
        np.testing.assert_allclose(first, second, rtol=1e-9, atol=1e-12, err_msg=field)


def test_one_pass_loss_and_gradient_change_no_number():
    s = lossviz.models.tiny_network()
    apart = without_one_pass(s)
    calls = counted_one_pass(s)
    starts = tail_starts(s)  # a start outside reach among them: diverged at index 0
    opts = [momentum(0.05, beta=0.9), adam(0.3), gd(5.0), newton(0.5), sign_descent(0.05)]
    for extra in ({}, {"trace": True}, {"tail": 6}, {"noise": 0.5, "seed": 1}):
        calls.clear()
        one = descend(s, opts, start=starts, steps=60, **extra)
        assert_runs_equal(one, descend(apart, opts, start=starts, steps=60, **extra))
        # One call per step, on every run; the last positions' loss alone by `_value`.
        assert calls == [len(one)] * 60
    assert one.diverged.any() and not one.diverged.all()


def test_one_pass_loss_and_gradient_are_left_out_for_mini_batches():
    s = lossviz.models.tiny_network()
    calls = counted_one_pass(s)
    starts = s.grid(4).reshape(-1, 2)
    for tail in (None, 5):
        extra = dict(start=starts, steps=30, batch_size=8, tail=tail)
        apart = descend(without_one_pass(s), gd(0.5), **extra)
        assert_runs_equal(descend(s, gd(0.5), **extra), apart)
    assert calls == []


def test_few_runs_take_the_gradient_alone_and_the_loss_afterwards():
    # Below ONE_PASS_FROM runs the one pass costs more than it saves; the numbers are the same.
    s = lossviz.models.tiny_network()
    calls = counted_one_pass(s)
    opts = [gd(0.5), momentum(0.05, beta=0.9), adam(0.3), newton(0.5)]
    assert len(opts) < engine.ONE_PASS_FROM
    for extra in ({}, {"tail": 6}):
        few = descend(s, opts, steps=60, **extra)
        assert_runs_equal(few, descend(without_one_pass(s), opts, steps=60, **extra))
    assert calls == []
    many = descend(s, gd(0.5), start=s.grid(6).reshape(-1, 2), steps=20)
    assert len(many) >= engine.ONE_PASS_FROM and calls == [len(many)] * 20


def test_a_tail_run_where_every_run_diverges_stops_as_before_with_one_pass(monkeypatch):
    monkeypatch.setattr(engine, "ONE_PASS_FROM", 1)
    s = lossviz.models.tiny_network()
    calls = counted_one_pass(s)
    (xmin, xmax), _ = s.bounds
    starts = np.array([[xmax + 20 * (xmax - xmin), 0.0], [0.3, 0.2]])
    ends = descend(s, gd(1e4), start=starts, steps=200, tail=10)
    assert ends.diverged.all() and len(calls) < 200
    assert_runs_equal(ends, descend(without_one_pass(s), gd(1e4), start=starts, steps=200, tail=10))


def test_a_batch_that_settles_stops_stepping_and_its_path_is_the_whole_one(monkeypatch):
    # gd and newton keep no state: once a step leaves every run where it was, bit for bit,
    # the engine fills in the rest. The paths and losses equal those stepped to the end,
    # bit for bit, on every surface; and on most, far fewer gradients are taken.
    fewer = 0
    for name in lossviz.surface_names():
        s = lossviz.surface(name)
        gradient = s._gradient
        for opts in ([newton(1.0)], [newton(0.5), gd(1e-3)], [gd(0.01)]):
            calls = []
            monkeypatch.setattr(
                s, "_gradient", lambda p, calls=calls, g=gradient: (calls.append(1), g(p))[1]
            )
            short = descend(s, opts, steps=500, trace=True)
            taken = len(calls)
            monkeypatch.setattr(engine, "SETTLED_EVERY", 10**9)  # never looks
            whole = descend(s, opts, steps=500, trace=True)
            monkeypatch.setattr(engine, "SETTLED_EVERY", 8)
            for field in ("path", "loss", "grad", "update", "velocity", "effective_lr", "lr"):
                a, b = getattr(short, field), getattr(whole, field)
                np.testing.assert_array_equal(a.view(np.int64), b.view(np.int64), field)
            np.testing.assert_array_equal(short.diverged_step, whole.diverged_step)
            fewer += taken < 250
        monkeypatch.setattr(s, "_gradient", gradient)
    assert fewer >= 17  # newton alone settles within half the steps on most surfaces


def test_settled_newton_runs_in_a_mixed_batch_stop_taking_hessians(monkeypatch):
    # Once every Newton run's step leaves it where it was, bit for bit, the engine reuses
    # that step instead of taking the Hessian again; the gd, momentum and adam runs beside
    # it go on. Paths, losses and the trace equal those of Hessians taken at every step,
    # bit for bit, on every surface, as whole paths and as tails; on most surfaces far
    # fewer Hessians are taken.
    fewer = 0
    for name in lossviz.surface_names():
        s = lossviz.surface(name)
        hessian = s._hessian
        opts = [gd(1e-3), momentum(1e-3, beta=0.9), adam(0.01), newton(1.0, damping=1e-6)]
        starts = np.array([s.start, np.mean(s.bounds, axis=1)])
        calls = []
        monkeypatch.setattr(
            s, "_hessian", lambda p, calls=calls, h=hessian: (calls.append(len(p)), h(p))[1]
        )
        short = descend(s, opts, start=starts, steps=300, trace=True)
        short_tail = descend(s, opts, start=starts, steps=300, tail=20)
        taken = len(calls)
        monkeypatch.setattr(engine, "SETTLED_EVERY", 10**9)  # never looks
        whole = descend(s, opts, start=starts, steps=300, trace=True)
        whole_tail = descend(s, opts, start=starts, steps=300, tail=20)
        monkeypatch.setattr(engine, "SETTLED_EVERY", 8)
        monkeypatch.setattr(s, "_hessian", hessian)
        for field in ("path", "loss", "grad", "update", "velocity", "effective_lr", "lr"):
            a, b = getattr(short, field), getattr(whole, field)
            np.testing.assert_array_equal(a.view(np.int64), b.view(np.int64), f"{name} {field}")
        np.testing.assert_array_equal(short.diverged_step, whole.diverged_step)
        assert_runs_equal(short_tail, whole_tail)
        fewer += taken < 300  # two descends: 600 Hessians when none settles
    assert fewer >= 8


@pytest.mark.parametrize("name", ["rastrigin", "six_hump_camel"])
def test_newton_runs_going_round_two_points_take_their_two_steps_in_turn(monkeypatch, name):
    # At rate 1 from the default start, Newton's run on these surfaces ends going round two
    # points that differ in the last bits. Once it is back where it was two steps before,
    # the engine takes its last two steps in turn, alone (the whole path filled in) and in
    # a mixed batch (no more Hessians); every number equals Hessians taken at every step.
    s = lossviz.surface(name)
    hessian = s._hessian
    calls = []
    monkeypatch.setattr(s, "_hessian", lambda p: (calls.append(len(p)), hessian(p))[1])
    for opts in ([newton(1.0)], [gd(1e-3), momentum(1e-3, beta=0.9), adam(0.01), newton(1.0)]):
        calls.clear()
        short = descend(s, opts, steps=300, trace=True)
        short_tail = descend(s, opts, steps=300, tail=20)
        taken = len(calls)
        monkeypatch.setattr(engine, "SETTLED_EVERY", 10**9)  # never looks
        whole = descend(s, opts, steps=300, trace=True)
        whole_tail = descend(s, opts, steps=300, tail=20)
        monkeypatch.setattr(engine, "SETTLED_EVERY", 8)
        ends = whole.path[-1, -3:]  # the Newton run's last three points
        assert (ends[0] == ends[2]).all() and (ends[0] != ends[1]).any()  # two points, in turn
        for field in ("path", "loss", "grad", "update", "velocity", "effective_lr", "lr"):
            a, b = getattr(short, field), getattr(whole, field)
            np.testing.assert_array_equal(a.view(np.int64), b.view(np.int64), field)
        assert_runs_equal(short_tail, whole_tail)
        assert taken < 2 * 300 // 4  # two descends: 600 Hessians when it never goes round


def test_newton_runs_settle_only_at_a_constant_rate_without_noise():
    scale = -np.ones((300, 2))
    assert engine._newton_settles(0.0, None, scale)
    assert not engine._newton_settles(0.1, None, scale)
    assert not engine._newton_settles(0.0, 10, scale)
    scale[150:] = -0.5  # a schedule
    assert not engine._newton_settles(0.0, None, scale)
    # A rate that holds the run still for 50 steps and then moves it: not taken as settled.
    s = lossviz.surface("quadratic")
    opts = [gd(0.01), newton(lambda t: 0.0 if t < 50 else 1.0)]
    run = descend(s, opts, start=(1.0, 1.0), steps=100)
    assert (run.path[1, 49] == run.path[1, 0]).all() and (run.path[1, -1] != [1.0, 1.0]).all()


def test_only_stateless_runs_at_a_constant_rate_settle():
    def settles(opts, noise=0.0, steps=500):
        factors = engine._FusedFactors(opts, [o.name for o in opts], 1, steps)
        return engine._settles(None, noise, None, [], factors, None)

    assert settles([gd(0.1)])
    assert not settles([momentum(0.1)])  # a velocity: not a function of the position alone
    assert not settles([adam(0.1)])
    assert not settles([gd(0.1), adagrad(0.1)])
    assert not settles([gd(0.1)], noise=0.1)
    assert not settles([gd(lambda t: 0.1 * (t >= 50))])  # a rate that changes
    # Held still for 50 steps by a zero rate, then moving: it must not be taken as settled.
    s = lossviz.surface("quadratic")
    run = descend(s, gd(lambda t: 0.0 if t < 50 else 0.1), start=(1.0, 1.0), steps=200)
    assert (run.path[0, 49] == run.path[0, 0]).all() and (run.path[0, -1] != [1.0, 1.0]).all()
