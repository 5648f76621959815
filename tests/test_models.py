"""The toy models: their data, their loss surfaces, and mini-batch gradients."""

import importlib
import math
import warnings

import autograd.differential_operators
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import lossviz
import lossviz.models as models
from lossviz.models import ModelSurface, linear_regression, logistic_regression, tiny_network
from lossviz.models.base import draw_dataset, mean_loss, newton_minimum
from lossviz.models.logistic_regression import separable
from lossviz.surfaces import surface, surface_names

tiny_network_module = importlib.import_module("lossviz.models.tiny_network")

FACTORIES = {
    "linear_regression": linear_regression,
    "logistic_regression": logistic_regression,
    "tiny_network": tiny_network,
}
NAMES = list(FACTORIES)


def sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


def loss_by_loop(name, p, x, y):
    """The mean loss written out one example at a time, independent of the package."""
    a, b = p
    total = 0.0
    for xi, yi in zip(x, y, strict=True):
        if name == "linear_regression":
            total += (a * xi + b - yi) ** 2
        elif name == "logistic_regression":
            prob = sigmoid(a * xi[0] + b * xi[1])
            total += -(yi * math.log(prob) + (1 - yi) * math.log(1 - prob))
        else:
            total += (b * math.tanh(a * xi) - yi) ** 2
    return total / len(y)


def central_difference(s, p, h=1e-6):
    p = np.asarray(p, dtype=np.float64)
    columns = []
    for i in range(2):
        step = np.zeros(2)
        step[i] = h
        columns.append((s(p + step) - s(p - step)) / (2 * h))
    return np.stack(columns, axis=-1)


def points_in_bounds(s, k=7, seed=1):
    (xmin, xmax), (ymin, ymax) = s.bounds
    rng = np.random.default_rng(seed)
    return np.stack([rng.uniform(xmin, xmax, k), rng.uniform(ymin, ymax, k)], axis=-1)


# -- registry and basic shape -------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_models_are_registered_surfaces(name):
    assert name in surface_names()
    s = surface(name, seed=3)
    assert isinstance(s, ModelSurface)
    assert s.name == name
    assert s.params["seed"] == 3
    assert s.description.endswith(".")
    assert set(models.__all__) == {"ModelSurface", *NAMES}


@pytest.mark.parametrize("name", NAMES)
def test_minima_and_start_lie_inside_the_bounds(name):
    s = FACTORIES[name]()
    (xmin, xmax), (ymin, ymax) = s.bounds
    for x, y in [*s.minima, s.start]:
        assert xmin < x < xmax and ymin < y < ymax


# -- data ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_data_are_reproducible_by_seed_and_differ_between_seeds(name):
    a, b, c = FACTORIES[name](seed=5), FACTORIES[name](seed=5), FACTORIES[name](seed=6)
    for attribute in ["x_train", "y_train", "x_heldout", "y_heldout"]:
        np.testing.assert_array_equal(getattr(a, attribute), getattr(b, attribute))
    np.testing.assert_array_equal(a.minima, b.minima)
    assert not np.array_equal(a.x_train, c.x_train)
    assert not np.allclose(a.minima, c.minima)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(("n", "holdout", "n_heldout"), [(40, 0.25, 10), (41, 0.3, 12), (10, 0, 0)])
def test_heldout_split_is_disjoint_and_of_the_right_size(name, n, holdout, n_heldout):
    s = FACTORIES[name](n=n, holdout=holdout)
    assert len(s.x_heldout) == len(s.y_heldout) == n_heldout
    assert len(s.x_train) == len(s.y_train) == n - n_heldout
    train_rows = {tuple(np.atleast_1d(x)) for x in s.x_train}
    assert not any(tuple(np.atleast_1d(x)) in train_rows for x in s.x_heldout)


@pytest.mark.parametrize("name", NAMES)
def test_data_have_the_documented_shapes_and_are_read_only(name):
    s = FACTORIES[name](n=20)
    features = (2,) if name == "logistic_regression" else ()
    assert s.x_train.shape == (15, *features) and s.y_train.shape == (15,)
    assert s.x_heldout.shape == (5, *features) and s.y_heldout.shape == (5,)
    with pytest.raises(ValueError):
        s.x_train[0] = 0.0


def replay_draw(name, seed):
    """Each factory's data with its default arguments, drawn as its docstring describes."""
    rng = np.random.default_rng(seed)
    if name == "linear_regression":  # n = 40, y = 2 x - 1 + 0.5 e
        x = rng.uniform(-1.0, 3.0, 40)
        return x, 2.0 * x - 1.0 + 0.5 * rng.standard_normal(40)
    if name == "logistic_regression":  # n = 60, centres at +-(separation / 2) u = +-u
        y = rng.permutation(np.arange(60) % 2).astype(np.float64)
        u = np.array([np.cos(np.radians(30.0)), np.sin(np.radians(30.0))])
        return (2 * y - 1)[:, None] * u + rng.standard_normal((60, 2)), y
    x = rng.uniform(-2.0, 2.0, 40)  # tiny_network: n = 40, y = 2 tanh(1.5 x) + 0.1 e
    return x, 2.0 * np.tanh(1.5 * x) + 0.1 * rng.standard_normal(40)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("seed", [0, 7])
def test_data_are_drawn_in_the_documented_order(name, seed):
    x, y = replay_draw(name, seed)
    s = FACTORIES[name](seed=seed)
    np.testing.assert_array_equal(np.concatenate([s.x_train, s.x_heldout]), x)
    np.testing.assert_array_equal(np.concatenate([s.y_train, s.y_heldout]), y)


@pytest.mark.parametrize(
    ("name", "first_x", "last_y"),
    [
        # Printed by the factories before they shared draw_dataset (commit c60e599): a seed
        # must keep giving the data the lessons were written about.
        ("linear_regression", 1.5478467492858172, 0.8635578654951894),
        ("logistic_regression", [-0.870479536904522, 0.15647493507633586], 1.0),
        ("tiny_network", 0.5478467492858172, -1.1852657780193288),
    ],
)
def test_seed_zero_gives_the_data_it_always_gave(name, first_x, last_y):
    s = FACTORIES[name](seed=0)
    np.testing.assert_array_equal(s.x_train[0], first_x)
    assert s.y_heldout[-1] == last_y


def test_draw_dataset_seeds_one_generator_and_holds_out_the_last_examples():
    def draw(rng, n):
        return rng.uniform(0.0, 1.0, n), rng.standard_normal(n)

    (x_train, y_train), (x_heldout, y_heldout) = draw_dataset(draw, 10, 0.3, 4)
    rng = np.random.default_rng(4)
    x, y = rng.uniform(0.0, 1.0, 10), rng.standard_normal(10)
    np.testing.assert_array_equal(np.concatenate([x_train, x_heldout]), x)
    np.testing.assert_array_equal(np.concatenate([y_train, y_heldout]), y)
    assert len(y_heldout) == 3


def test_logistic_labels_are_balanced_zeros_and_ones():
    s = logistic_regression(n=60, holdout=0.0)
    assert sorted(set(s.y_train)) == [0.0, 1.0]
    assert s.y_train.sum() == 30


# -- the loss -----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_loss_equals_the_formula_written_out_example_by_example(name):
    s = FACTORIES[name](n=12, holdout=0.25, seed=3)
    for p in [(0.3, -0.7), (1.2, 0.4), (-2.0, 1.5)]:
        assert float(s(p)) == pytest.approx(loss_by_loop(name, p, s.x_train, s.y_train), rel=1e-12)
        held = loss_by_loop(name, p, s.x_heldout, s.y_heldout)
        assert float(s.heldout_loss(p)) == pytest.approx(held, rel=1e-12)


def test_linear_regression_loss_by_hand():
    # Noise-free data on y = 2x - 1: at (w, b) = (1, 0) each residual is x - (2x - 1) = 1 - x,
    # so the loss is mean((x - 1)^2) over the training inputs.
    s = linear_regression(n=4, noise=0.0, true_w=2.0, true_b=-1.0, holdout=0.0)
    np.testing.assert_allclose(s.y_train, 2 * s.x_train - 1)
    assert float(s([1.0, 0.0])) == pytest.approx(np.mean((s.x_train - 1) ** 2))
    # Summed over the data the residuals at the true line are exactly 0; the closed form
    # the surface evaluates, about a fit p* found to rounding, is 0 to rounding.
    assert float(s.data_loss([2.0, -1.0])) == 0.0
    assert float(s([2.0, -1.0])) == pytest.approx(0.0, abs=1e-25)


def test_heldout_loss_is_nan_without_a_heldout_split():
    s = tiny_network(holdout=0)
    assert np.isnan(s.heldout_loss([[1.0, 1.0], [0.0, 0.0]])).all()


@pytest.mark.parametrize("name", NAMES)
def test_gradient_matches_central_differences(name):
    s = FACTORIES[name]()
    p = points_in_bounds(s)
    np.testing.assert_allclose(s.grad(p), central_difference(s, p), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", NAMES)
def test_gradient_vanishes_and_hessian_is_positive_definite_at_the_minima(name):
    s = FACTORIES[name]()
    assert len(s.minima) == (2 if name == "tiny_network" else 1)
    np.testing.assert_allclose(s.grad(s.minima), 0.0, atol=1e-10)
    assert (np.linalg.eigvalsh(s.hessian(s.minima)) > 0).all()
    # And they are the lowest points of the training loss on a fine grid.
    assert s(s.minima).min() <= s(s.grid(150)).min()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_linear_regression_minimum_is_the_least_squares_fit(seed):
    s = linear_regression(seed=seed)
    design = np.stack([s.x_train, np.ones_like(s.x_train)], axis=-1)
    fit, *_ = np.linalg.lstsq(design, s.y_train, rcond=None)
    np.testing.assert_allclose(s.minima[0], fit, rtol=1e-12)


def test_tiny_network_has_mirror_minima_and_a_saddle_at_the_origin():
    s = tiny_network()
    first, second = s.minima
    np.testing.assert_allclose(second, -first, atol=1e-14)
    assert first[0] > 0
    np.testing.assert_allclose(first, [1.5, 2.0], atol=0.1)  # near the true weights
    np.testing.assert_allclose(s(first), s(second), rtol=1e-14)
    np.testing.assert_array_equal(s.grad([0.0, 0.0]), [0.0, 0.0])
    low, high = np.linalg.eigvalsh(s.hessian([0.0, 0.0]))
    assert low < 0 < high
    # Both axes are level at mean(y^2), the loss of predicting 0 everywhere.
    axes = [[0.0, 2.0], [0.0, -1.0], [1.7, 0.0], [-0.4, 0.0]]
    np.testing.assert_allclose(s(axes), np.mean(s.y_train**2), rtol=1e-14)


def test_logistic_regression_refuses_separable_data():
    with pytest.raises(ValueError, match="separat"):
        logistic_regression(n=20, separation=12.0)


def test_separable_by_hand():
    x = np.array([[1.0, 0.0], [2.0, 1.0], [-1.0, 0.5], [-1.0, -1.0]])
    assert separable(x, np.array([1.0, 1.0, 0.0, 0.0]))
    # Flipping class 0 through the origin gives directions 0, -153, 153 and 45 degrees:
    # no gap wider than 180 degrees, so no line through the origin separates them.
    assert not separable(x, np.array([1.0, 0.0, 1.0, 0.0]))


# -- predictions --------------------------------------------------------------------------------
def test_predict_gives_each_models_output():
    line = linear_regression()
    np.testing.assert_allclose(line.predict([2.0, -1.0], [0.0, 1.0, 3.0]), [-1.0, 1.0, 5.0])
    logistic = logistic_regression()
    prob = logistic.predict([1.0, -2.0], [[1.0, 0.0], [0.0, 0.0], [0.0, 1.0]])
    np.testing.assert_allclose(prob, [sigmoid(1.0), 0.5, sigmoid(-2.0)])
    network = tiny_network()
    np.testing.assert_allclose(network.predict([1.0, 3.0], [0.5]), [3 * math.tanh(0.5)])


@pytest.mark.parametrize("weights", [(1e4, -1e4), (-800.0, 900.0), (1e300, 1e300)])
def test_logistic_prediction_with_huge_weights_neither_warns_nor_leaves_zero_to_one(weights):
    # 1 / (1 + e^-z) overflows (with a RuntimeWarning) once -z > 709.
    s = logistic_regression()
    x = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0], [1.0, 1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        prob = s.predict(weights, x)
    assert ((prob >= 0.0) & (prob <= 1.0)).all()
    z = x @ np.array(weights)
    np.testing.assert_array_equal(prob[np.abs(z) > 40], (z[np.abs(z) > 40] > 0).astype(float))


@pytest.mark.parametrize("name", NAMES)
def test_loss_is_the_mean_loss_of_the_predictions(name):
    s = FACTORIES[name]()
    p = s.minima[0]
    prediction = s.predict(p, s.x_train)
    if name == "logistic_regression":
        y = s.y_train
        expected = -np.mean(y * np.log(prediction) + (1 - y) * np.log(1 - prediction))
    else:
        expected = np.mean((prediction - s.y_train) ** 2)
    assert float(s(p)) == pytest.approx(expected, rel=1e-12)


# -- leading shapes -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("shape", [(), (5,), (3, 4)])
def test_every_method_is_vectorised_over_the_leading_shape(name, shape):
    s = FACTORIES[name]()
    rng = np.random.default_rng(0)
    p = rng.uniform(-2, 2, (*shape, 2))
    flat = p.reshape(-1, 2)
    assert s(p).shape == shape
    assert s.heldout_loss(p).shape == shape
    assert s.grad(p).shape == (*shape, 2)
    assert s.hessian(p).shape == (*shape, 2, 2)
    assert s.stochastic_grad(p, 5, np.random.default_rng(0)).shape == (*shape, 2)
    assert s.predict(p, s.x_heldout).shape == (*shape, len(s.y_heldout))
    # Each point gets what it would get on its own.
    one_by_one = np.array([s.grad(q) for q in flat]).reshape(*shape, 2)
    np.testing.assert_allclose(s.grad(p), one_by_one, rtol=1e-12, atol=1e-15)
    held = np.array([float(s.heldout_loss(q)) for q in flat]).reshape(shape)
    np.testing.assert_allclose(s.heldout_loss(p), held, rtol=1e-12)


# -- hand gradients -----------------------------------------------------------------------------
# Default and unusual data (few or many points, no noise, no held-out split, negative weights).
CASES = [
    ("linear_regression", {}),
    ("linear_regression", {"n": 7, "noise": 2.0, "true_w": -3.0, "true_b": 4.0, "seed": 1}),
    ("linear_regression", {"noise": 0.0, "holdout": 0, "seed": 2}),
    ("logistic_regression", {}),
    ("logistic_regression", {"n": 200, "separation": 0.5, "angle": -100.0, "seed": 3}),
    ("logistic_regression", {"n": 8, "separation": 1.0, "seed": 7}),
    ("tiny_network", {}),
    ("tiny_network", {"n": 12, "noise": 0.3, "true_w1": -0.8, "true_w2": 2.5, "seed": 5}),
    ("tiny_network", {"n": 100, "noise": 0.0, "true_w1": 3.0, "true_w2": -1.0, "seed": 6}),
]
CASE_IDS = [name + "".join(f"-{k}={v}" for k, v in kw.items()) for name, kw in CASES]


@pytest.fixture(params=CASES, ids=CASE_IDS)
def model(request):
    name, kwargs = request.param
    return FACTORIES[name](**kwargs)


def assert_hand_gradient_is_autograd(hand, reference):
    atol = 1e-12 * (1.0 + np.abs(reference).max())
    np.testing.assert_allclose(hand, reference, rtol=1e-11, atol=atol)


@pytest.fixture
def autograd_calls(monkeypatch):
    """A list that records every differentiation autograd does while the test runs."""
    calls = []
    make_vjp = autograd.differential_operators._make_vjp

    def counted(*args, **kwargs):
        calls.append(args[0])
        return make_vjp(*args, **kwargs)

    monkeypatch.setattr(autograd.differential_operators, "_make_vjp", counted)
    return calls


def test_the_engine_never_differentiates_a_model_by_autograd(model, autograd_calls):
    # The engine asks for a gradient at every step; through autograd each costs ~100x more.
    lossviz.descend(model, ["gd", "adam"], steps=5)
    lossviz.descend(model, "gd", start=model.grid(12).reshape(-1, 2), steps=5)
    lossviz.descend(model, "gd", steps=5, batch_size=3, seed=0)
    assert autograd_calls == []


@pytest.mark.parametrize("shape", [(2,), (9, 2), (3, 4, 2)])
def test_hand_gradient_is_autograd(model, shape):
    (xmin, xmax), (ymin, ymax) = model.bounds
    p = np.random.default_rng(3).uniform((xmin, ymin), (xmax, ymax), size=shape)
    assert_hand_gradient_is_autograd(model.grad(p), model.autograd_grad(p))
    special = np.concatenate([model.minima, model.start[None], [[0.0, 0.0]]])
    assert_hand_gradient_is_autograd(model.grad(special), model.autograd_grad(special))


@pytest.mark.parametrize("shape", [(2,), (9, 2), (3, 4, 2)])
def test_hand_minibatch_gradient_is_autograd(model, shape):
    (xmin, xmax), (ymin, ymax) = model.bounds
    p = np.random.default_rng(4).uniform((xmin, ymin), (xmax, ymax), size=shape)
    for batch_size in (1, 3, len(model.y_train)):
        for seed in range(3):
            hand = model.stochastic_grad(p, batch_size, np.random.default_rng(seed))
            reference = model.autograd_stochastic_grad(p, batch_size, np.random.default_rng(seed))
            assert hand.shape == shape
            assert_hand_gradient_is_autograd(hand, reference)


@settings(max_examples=40, deadline=None)
@given(
    name=st.sampled_from(NAMES),
    seed=st.integers(0, 1000),
    n=st.integers(6, 80),
    p=st.lists(st.tuples(st.floats(-30, 30), st.floats(-30, 30)), min_size=1, max_size=8),
)
def test_hand_gradient_is_autograd_for_random_data_and_weights(name, seed, n, p):
    try:
        s = FACTORIES[name](n=n, seed=seed)
    except ValueError:  # separable classes, or no minimum found: no surface to test
        assume(False)
    p = np.array(p)
    assert_hand_gradient_is_autograd(s.grad(p), s.autograd_grad(p))
    batch_size = min(5, len(s.y_train))
    hand = s.stochastic_grad(p, batch_size, np.random.default_rng(seed))
    reference = s.autograd_stochastic_grad(p, batch_size, np.random.default_rng(seed))
    assert_hand_gradient_is_autograd(hand, reference)


def test_a_model_without_a_hand_gradient_uses_autograd(autograd_calls):
    line = linear_regression()
    plain = ModelSurface(
        "plain",
        line._model,
        line._example_loss,
        (line.x_train, line.y_train),
        (line.x_heldout, line.y_heldout),
        line.bounds,
    )
    p = points_in_bounds(line)
    np.testing.assert_allclose(plain.grad(p), line.grad(p), rtol=1e-11, atol=1e-12)
    np.testing.assert_array_equal(
        plain.stochastic_grad(p, 4, np.random.default_rng(1)),
        line.autograd_stochastic_grad(p, 4, np.random.default_rng(1)),
    )
    autograd_calls.clear()
    lossviz.descend(plain, "gd", steps=5)
    assert len(autograd_calls) > 0


# -- faster forms of the loss ------------------------------------------------------------------
LINEAR_CASES = [kw for name, kw in CASES if name == "linear_regression"]
TINY_CASES = [kw for name, kw in CASES if name == "tiny_network"]


@pytest.mark.parametrize("kwargs", LINEAR_CASES, ids=str)
@pytest.mark.parametrize("distance", [1e-8, 1e-4, 1.0, 10.0, 1e3, 1e6])
def test_linear_regressions_closed_form_loss_is_the_mean_over_its_data(kwargs, distance):
    s = linear_regression(**kwargs)
    p = s.minima[0] + distance * np.random.default_rng(5).standard_normal((3, 4, 2))
    if kwargs.get("noise") == 0.0:
        # Noise-free, L(p*) is 0 to rounding, so near p* the loss is as small as the error
        # of rounding the weights (p* or the residuals to a few ulps, times H (p - p*)):
        # the two forms agree to that, not relatively.
        np.testing.assert_allclose(s(p), s.data_loss(p), rtol=1e-12, atol=1e-14 * distance)
    else:
        np.testing.assert_allclose(s(p), s.data_loss(p), rtol=1e-12, atol=0)
    assert s(p).shape == (3, 4)


def test_a_model_without_a_closed_form_is_its_data_loss():
    module = importlib.import_module("lossviz.models.logistic_regression")
    s = logistic_regression()
    plain = ModelSurface(
        "plain", module._probability, module._cross_entropy,
        (s.x_train, s.y_train), (s.x_heldout, s.y_heldout), s.bounds,
    )  # fmt: skip
    p = points_in_bounds(s)
    np.testing.assert_array_equal(plain(p), plain.data_loss(p))


@pytest.mark.parametrize("scale", [1.0, 10.0, 1e3, 1e6])
def test_logistic_regressions_closed_form_loss_is_the_mean_over_its_data(scale):
    # log(1 + e^z) as (z + |z|) / 2 + log(1 + e^-|z|), the sums of z and y z through
    # constant vectors: equal to the data's mean to rounding, far out on the ramp too.
    s = logistic_regression()
    p = scale * np.random.default_rng(8).uniform(-1, 1, (3, 700, 2))
    np.testing.assert_allclose(s(p), s.data_loss(p), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(s.grad(p), s.autograd_grad(p), rtol=1e-12, atol=1e-15)
    assert s(p).shape == (3, 700)


@pytest.mark.parametrize("name", ["logistic_regression", "tiny_network"])
def test_a_models_numbers_do_not_depend_on_where_a_point_is_in_a_batch(name):
    # Blocks of whole groups of rows: OpenBLAS sums a row alike wherever it falls.
    s = lossviz.surface(name)
    p = np.random.default_rng(9).uniform(-3, 3, (2100, 2))
    loss, gradient = s(p), s.grad(p)
    for i in (0, 5, 17, 1023, 1024, 1030, 2099):
        for batch in (p[i : i + 1], p[max(i - 40, 0) : i + 1]):
            assert s(batch)[-1] == loss[i]
        if name == "logistic_regression":
            assert (s.grad(p[i : i + 1])[0] == gradient[i]).all()


def assert_equal_to_rounding(p, one_pass, reference):
    """Equal but for rounding: the one pass sums terms of up to about ``w2^2 t^2`` and
    cancels them near a minimum, so its error is a few ulps of ``1 + w2^2``."""
    scale = 1.0 + p[..., 1] ** 2
    if reference.ndim > scale.ndim:
        scale = scale[..., None]
    error = np.abs(one_pass - reference)
    np.testing.assert_array_less(error, np.broadcast_to(1e-14 * scale, error.shape))


@pytest.mark.parametrize("kwargs", TINY_CASES, ids=str)
def test_tiny_networks_one_pass_loss_and_gradient_are_its_loss_and_gradient(kwargs):
    # The loss, the gradient and the two in one pass read the same five sums, computed
    # alike at any number of points (bit for bit on this machine's OpenBLAS); the mean of
    # squared residuals and autograd's gradient round otherwise, and agree to a few ulps of
    # the largest term.
    s = tiny_network(**kwargs)
    rng = np.random.default_rng(6)
    # The engine's shapes (runs, 2): runs around, below and above a block of points.
    for runs in (1, 5, 31, 32, 64, 65, 700, 3000):
        p = rng.uniform(-30, 30, (runs, 2))
        loss, gradient = s._loss_and_gradient(p)
        np.testing.assert_array_equal(loss, s(p))
        np.testing.assert_array_equal(gradient, s.grad(p))
        # The data's mean and autograd's gradient of it: equal to rounding.
        assert_equal_to_rounding(p, loss, s.data_loss(p))
        assert_equal_to_rounding(p, gradient, s.autograd_grad(p))
        # Near the minima, where the loss's terms cancel most.
        near = s.minima[rng.integers(0, 2, runs)] + rng.normal(0, 1e-3, (runs, 2))
        loss, gradient = s._loss_and_gradient(near)
        assert_equal_to_rounding(near, loss, s.data_loss(near))
        assert_equal_to_rounding(near, gradient, s.autograd_grad(near))
    p = rng.uniform(-3, 3, (3, 4, 2))
    loss, gradient = s._loss_and_gradient(p)
    assert loss.shape == (3, 4) and gradient.shape == (3, 4, 2)
    np.testing.assert_array_equal(loss, s(p))
    np.testing.assert_array_equal(gradient, s.grad(p))
    p = rng.uniform(-3, 3, (8, 4, 2))
    np.testing.assert_array_equal(s._loss_and_gradient(p)[1], s.grad(p))
    loss, gradient = s._loss_and_gradient(np.array([0.4, -1.2]))
    assert loss.shape == () and gradient.shape == (2,)
    assert float(loss) == float(s([0.4, -1.2]))


def test_the_tiny_networks_sums_are_the_five_sums_over_its_data():
    # S[0] = (2/m) (C, B), S[1] = (2/m) (A, E), S[2] = (2/m) (D, 0).
    s = tiny_network()
    x, y, m = s.x_train, s.y_train, len(s.y_train)
    p = np.random.default_rng(3).uniform(-3, 3, (5, 2))
    t = np.tanh(p[:, 0:1] * x)
    expected = (2.0 / m) * np.array([
        [np.sum(x * t, axis=1), np.sum(y * t, axis=1)],
        [np.sum(t**2, axis=1), np.sum(x * y * t**2, axis=1)],
        [np.sum(x * t**3, axis=1), np.zeros(5)],
    ]).transpose(0, 2, 1)  # fmt: skip
    sums = tiny_network_module._sums(x, y)(p)
    np.testing.assert_allclose(sums, expected, rtol=1e-13, atol=1e-15)
    np.testing.assert_array_equal(tiny_network_module._sums(x, y)(p, cubes=False), sums[:2])


@pytest.mark.parametrize("kwargs", TINY_CASES, ids=str)
def test_tiny_networks_one_pass_is_odd_bit_for_bit(kwargs):
    # tanh is odd, so L(-p) = L(p) and grad L(-p) = -grad L(p): exactly, since every
    # product and sum of the one pass only changes sign. basins relies on it.
    s = tiny_network(**kwargs)
    p = np.random.default_rng(7).uniform(-30, 30, (3000, 2))
    loss, gradient = s._loss_and_gradient(p)
    mirror_loss, mirror_gradient = s._loss_and_gradient(-p)
    np.testing.assert_array_equal(mirror_loss, loss)
    np.testing.assert_array_equal(mirror_gradient, -gradient)
    # Alone or in a batch, at any place in it: the same numbers (bit for bit on this
    # machine's OpenBLAS, given blocks of whole groups of rows).
    for i in (0, 1, 5, 17, 1023, 1024, 2999):
        alone_loss, alone_gradient = s._loss_and_gradient(p[i : i + 1])
        assert alone_loss[0] == loss[i] and (alone_gradient[0] == gradient[i]).all()


# -- mini-batch gradients -----------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_full_batch_stochastic_gradient_is_the_gradient(name):
    s = FACTORIES[name]()
    p = points_in_bounds(s)
    full = s.stochastic_grad(p, len(s.y_train), np.random.default_rng(4))
    np.testing.assert_allclose(full, s.grad(p), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", NAMES)
def test_stochastic_gradient_is_deterministic_for_a_seed(name):
    s = FACTORIES[name]()
    p = points_in_bounds(s)
    first = s.stochastic_grad(p, 4, np.random.default_rng(9))
    np.testing.assert_array_equal(first, s.stochastic_grad(p, 4, np.random.default_rng(9)))
    assert not np.allclose(first, s.stochastic_grad(p, 4, np.random.default_rng(10)))
    assert not np.allclose(first, s.grad(p))


@pytest.mark.parametrize("name", NAMES)
def test_stochastic_gradient_uses_one_batch_for_all_points(name):
    s = FACTORIES[name]()
    p = points_in_bounds(s, k=3)
    together = s.stochastic_grad(p, 3, np.random.default_rng(2))
    for q, g in zip(p, together, strict=True):
        np.testing.assert_allclose(s.stochastic_grad(q, 3, np.random.default_rng(2)), g)


@pytest.mark.parametrize("name", NAMES)
def test_stochastic_gradient_is_unbiased(name):
    s = FACTORIES[name]()
    p = s.start
    rng = np.random.default_rng(0)
    draws = np.array([s.stochastic_grad(p, 5, rng) for _ in range(4000)])
    standard_error = draws.std(axis=0) / np.sqrt(len(draws))
    assert (np.abs(draws.mean(axis=0) - s.grad(p)) < 5 * standard_error).all()


@pytest.mark.parametrize("batch_size", [0, -1, 31, 2.0, 2.5, True, "3", None])
def test_bad_batch_size_raises_naming_it(batch_size):
    s = linear_regression()  # 30 training examples
    with pytest.raises(ValueError, match="batch_size must be an integer between 1 and 30; got "):
        s.stochastic_grad([0.0, 0.0], batch_size, np.random.default_rng(0))


def test_numpy_integer_batch_size_is_accepted():
    s = linear_regression()
    assert s.stochastic_grad([0.0, 0.0], np.int64(30), np.random.default_rng(0)).shape == (2,)


# -- bad factory arguments ----------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n": 1}, "n must be an integer"),
        ({"n": 10.5}, "n must be an integer"),
        ({"holdout": 1.0}, r"holdout must be a number in \[0, 1\)"),
        ({"holdout": -0.1}, r"holdout must be a number in \[0, 1\)"),
        ({"n": 4, "holdout": 0.9}, "at least 2"),
        ({"seed": -1}, "seed must be an integer >= 0"),
        ({"seed": "a"}, "seed must be an integer >= 0"),
    ],
)
def test_bad_arguments_raise_naming_them(name, kwargs, match):
    with pytest.raises(ValueError, match=match):
        FACTORIES[name](**kwargs)


@pytest.mark.parametrize(
    ("factory", "kwargs", "match"),
    [
        (linear_regression, {"noise": -0.1}, "noise must be a number >= 0; got -0.1"),
        (linear_regression, {"true_w": float("nan")}, "true_w must be a finite number"),
        (tiny_network, {"noise": "0.1"}, "noise must be a number >= 0; got '0.1'"),
        (tiny_network, {"true_w1": 0.0}, "must be nonzero"),
        (logistic_regression, {"separation": 0.0}, "separation must be a number > 0; got 0.0"),
        (logistic_regression, {"separation": "2"}, "separation must be a number > 0; got '2'"),
        (logistic_regression, {"angle": float("inf")}, "angle must be a finite number; got inf"),
        (tiny_network, {"true_w2": None}, "true_w2 must be a number; got None"),
    ],
)
def test_bad_model_arguments_raise_naming_them(factory, kwargs, match):
    with pytest.raises(ValueError, match=match):
        factory(**kwargs)


# -- hand Hessians (of the full training loss) ----------------------------------------------------
def assert_hand_hessian_is_autograd(hand, reference):
    assert hand.shape == reference.shape and hand.dtype == np.float64
    atol = 1e-12 * (1.0 + np.abs(reference).max())
    np.testing.assert_allclose(hand, reference, rtol=1e-9, atol=atol)


def test_newton_never_differentiates_a_model_by_autograd(model, autograd_calls):
    # Newton's method asks for a Hessian at every step; through autograd each costs ~1000x more.
    lossviz.descend(model, "newton", steps=5)
    assert autograd_calls == []


@pytest.mark.parametrize("shape", [(2,), (9, 2), (3, 4, 2)])
def test_hand_hessian_is_autograd(model, shape):
    (xmin, xmax), (ymin, ymax) = model.bounds
    p = np.random.default_rng(5).uniform((xmin, ymin), (xmax, ymax), size=shape)
    hand = model.hessian(p)
    assert hand.shape == (*shape, 2)
    assert_hand_hessian_is_autograd(hand, model.autograd_hessian(p))
    special = np.concatenate([model.minima, model.start[None], [[0.0, 0.0]]])
    assert_hand_hessian_is_autograd(model.hessian(special), model.autograd_hessian(special))


@pytest.mark.parametrize("shape", [(2,), (9, 2), (3, 4, 2)])
def test_hand_hessian_matches_central_differences_of_the_hand_gradient(model, shape):
    (xmin, xmax), (ymin, ymax) = model.bounds
    p = np.random.default_rng(6).uniform((xmin, ymin), (xmax, ymax), size=shape)
    h = 1e-6
    columns = []
    for j in range(2):
        step = np.zeros(2)
        step[j] = h
        columns.append((model.grad(p + step) - model.grad(p - step)) / (2 * h))
    numeric = np.stack(columns, axis=-1)  # H[..., i, j] = d grad_i / d p_j
    atol = 1e-8 * (1.0 + np.abs(model.grad(p)).max()) / h
    np.testing.assert_allclose(numeric, model.hessian(p), rtol=1e-5, atol=atol)


@settings(max_examples=40, deadline=None)
@given(
    name=st.sampled_from(NAMES),
    seed=st.integers(0, 1000),
    n=st.integers(6, 80),
    p=st.lists(st.tuples(st.floats(-30, 30), st.floats(-30, 30)), min_size=1, max_size=8),
)
def test_hand_hessian_is_autograd_for_random_data_and_weights(name, seed, n, p):
    try:
        s = FACTORIES[name](n=n, seed=seed)
    except ValueError:  # separable classes, or no minimum found: no surface to test
        assume(False)
    p = np.array(p)
    assert_hand_hessian_is_autograd(s.hessian(p), s.autograd_hessian(p))


def test_linear_regression_hessian_by_hand():
    # L = (1/m) sum_i (w x_i + b - y_i)^2: constant Hessian (2/m) sum_i [[x_i^2, x_i], [x_i, 1]].
    s = linear_regression(n=3, holdout=0, seed=0)
    x = s.x_train
    expected = (2.0 / 3.0) * np.array([[np.sum(x * x), np.sum(x)], [np.sum(x), 3.0]])
    np.testing.assert_allclose(s.hessian([[0.0, 0.0], [5.0, -7.0]]), [expected] * 2, rtol=1e-14)


def test_a_model_without_a_hand_hessian_uses_autograd(autograd_calls):
    network = tiny_network()
    plain = ModelSurface(
        "plain",
        network._model,
        network._example_loss,
        (network.x_train, network.y_train),
        (network.x_heldout, network.y_heldout),
        network.bounds,
    )
    p = points_in_bounds(network)
    np.testing.assert_allclose(plain.hessian(p), network.hessian(p), rtol=1e-9, atol=1e-12)
    assert len(autograd_calls) > 0


@pytest.mark.parametrize("name", ["logistic_regression", "tiny_network"])
def test_newton_minimum_with_the_hand_derivatives_is_autograds(name):
    s = FACTORIES[name]()
    loss = mean_loss(s._example_loss, s.x_train, s.y_train)
    guess = s.minima[0] + np.array([0.2, -0.1])
    by_hand = newton_minimum(loss, guess, gradient=s.grad, hessian=s.hessian)
    by_autograd = newton_minimum(loss, guess)
    np.testing.assert_allclose(by_hand, by_autograd, rtol=0, atol=1e-12)
    np.testing.assert_allclose(by_hand, s.minima[0], rtol=0, atol=1e-12)
