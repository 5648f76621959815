"""lossviz.networks: the MLP, data, training, filter-normalised and PCA planes, slices."""

from __future__ import annotations

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad, hessian

import lossviz
from lossviz.networks import (
    MLP,
    interpolate,
    loss_function,
    noisy_curve,
    pca_directions,
    project,
    random_directions,
    slice_surface,
    spirals,
    train,
    two_moons,
)
from lossviz.networks.mlp import ACTIVATIONS, IN_PLACE_ACTIVATIONS, NetworkOnPlane

NET = MLP((2, 6, 5, 1), seed=3)
DATA = two_moons(n=60, seed=2)
LOSS = loss_function(NET, DATA.X_train, DATA.y_train, DATA.task)


@pytest.mark.parametrize("normalize", ["filter", None])
def test_filter_normalisation_gives_every_block_its_norm_in_theta(normalize):
    theta = NET.init()
    directions = random_directions(NET, theta, seed=5, normalize=normalize)
    blocks = NET.blocks()
    for d in directions:
        d_norms = np.sqrt(np.bincount(blocks, weights=d**2))
        theta_norms = np.sqrt(np.bincount(blocks, weights=theta**2))
        assert np.allclose(d_norms, theta_norms) == (normalize == "filter")


def test_blocks_are_one_unit_incoming_weights_and_bias():
    net = MLP((2, 3, 1))
    theta = np.arange(net.n_params, dtype=float)
    (W0, b0), (W1, b1) = net.layers(theta)
    blocks = net.blocks()
    assert sorted(theta[blocks == 1]) == sorted([W0[0, 1], W0[1, 1], b0[1]])
    assert sorted(theta[blocks == 3]) == sorted([*W1[:, 0], b1[0]])


def test_layers_are_views_of_the_flat_vector_and_predict_is_the_formula():
    net = MLP((2, 3, 1))
    theta = np.random.default_rng(0).normal(size=net.n_params)
    (W0, b0), (W1, b1) = net.layers(theta)
    X = DATA.X_train[:7]
    assert np.allclose(net.predict(theta, X), (np.tanh(X @ W0 + b0) @ W1 + b1)[:, 0])


def test_batch_evaluation_equals_one_by_one():
    thetas = np.random.default_rng(1).normal(size=(4, 3, NET.n_params))
    batched = NET.predict(thetas, DATA.X_train)
    assert batched.shape == (4, 3, len(DATA.y_train))
    for index in np.ndindex(4, 3):
        assert np.allclose(batched[index], NET.predict(thetas[index], DATA.X_train))
        assert np.isclose(LOSS(thetas)[index], LOSS(thetas[index]))


def test_binary_cross_entropy_is_safe_for_large_logits():
    from lossviz.networks import binary_cross_entropy

    values = binary_cross_entropy(np.array([1e4, -1e4]), np.array([0.0, 1.0]))
    assert np.isfinite(values) and np.isclose(values, 1e4)


@pytest.mark.parametrize("make", [two_moons, spirals, noisy_curve])
def test_data_sets_are_reproducible_from_their_seed(make):
    a, b, c = make(seed=4), make(seed=4), make(seed=5)
    for x, y in zip(a[:4], b[:4], strict=True):
        assert np.array_equal(x, y)
    assert not np.array_equal(a.X_train, c.X_train)
    assert len(a.X_test) > 0 and a.X_train.shape[1] == (1 if a.task == "regression" else 2)


@pytest.mark.parametrize(
    ("name", "lr"),
    [
        ("gd", 0.5),
        ("momentum", 0.2),
        ("nesterov", 0.2),
        ("adagrad", 0.1),
        ("rmsprop", 0.01),
        ("adam", 0.02),
    ],
)
def test_training_lowers_the_loss_with_every_optimizer(name, lr):
    run = train(NET, DATA, lossviz.optimizer(name, lr=lr), steps=60)
    assert run.trajectory.shape == (61, NET.n_params)
    assert np.array_equal(run.trajectory[0], NET.init())
    assert run.train_loss[-1] < 0.9 * run.train_loss[0]
    assert run.test_loss.shape == run.train_accuracy.shape == (61,)


def test_training_on_regression_and_mini_batches_is_seeded():
    data = noisy_curve(n=40)
    net = MLP((1, 8, 1))
    a = train(net, data, lossviz.optimizer("adam", lr=0.05), steps=40, batch_size=8, seed=1)
    b = train(net, data, lossviz.optimizer("adam", lr=0.05), steps=40, batch_size=8, seed=1)
    assert np.array_equal(a.trajectory, b.trajectory) and a.train_accuracy is None
    assert a.train_loss[-1] < a.train_loss[0]


def test_training_gradient_is_backpropagation_checked_against_finite_differences():
    theta = NET.init()
    g = grad(LOSS)(theta)
    eps = 1e-6
    for i in (0, 7, NET.n_params - 1):
        e = np.zeros(NET.n_params)
        e[i] = eps
        assert np.isclose(g[i], (LOSS(theta + e) - LOSS(theta - e)) / (2 * eps), atol=1e-7)


def test_progress_is_called_to_the_end():
    calls = []
    train(NET, DATA, "adam", steps=30, progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (30, 30)


def test_slice_centre_value_is_the_loss_at_center():
    center = NET.init()
    d1, d2 = random_directions(NET, center)
    s = slice_surface(LOSS, center, d1, d2)
    assert np.isclose(s([0.0, 0.0]), LOSS(center))
    assert np.isclose(s([0.3, -0.2]), LOSS(center + 0.3 * d1 - 0.2 * d2))


def test_slice_grid_is_one_batched_evaluation_equal_to_point_by_point():
    center = NET.init()
    d1, d2 = random_directions(NET, center)
    s = slice_surface(LOSS, center, d1, d2)
    grid = s.grid(7)
    values = s(grid)
    assert values.shape == (7, 7)
    assert np.isclose(values[2, 5], LOSS(center + grid[2, 5, 0] * d1 + grid[2, 5, 1] * d2))


def test_slice_gradient_and_hessian_equal_autograd_of_the_composed_function():
    center = NET.init()
    d1, d2 = random_directions(NET, center, seed=1)

    def composed(p):
        return LOSS(center + p[0] * d1 + p[1] * d2)

    s = slice_surface(LOSS, center, d1, d2)
    points = np.array([[0.0, 0.0], [0.4, -0.3], [-0.7, 0.2]])
    expected_g = np.array([grad(composed)(p) for p in points])
    expected_h = np.array([hessian(composed)(p) for p in points])
    assert np.allclose(s.grad(points), expected_g)
    assert np.allclose(s.autograd_grad(points), expected_g)
    assert np.allclose(s.hessian(points), expected_h)


def test_descend_runs_on_a_slice_surface():
    center = NET.init()
    d1, d2 = random_directions(NET, center)
    s = slice_surface(LOSS, center, d1, d2)
    run = lossviz.descend(s, ["adam", "gd"], start=(0.5, 0.5), steps=20)
    assert run.path.shape == (2, 21, 2) and np.isfinite(run.path).all()


def test_a_path_in_a_plane_is_explained_entirely_by_its_pca_plane():
    rng = np.random.default_rng(0)
    end, u, v = rng.normal(size=(3, NET.n_params))
    t = np.linspace(0, 1, 30)[:, None]
    path = end + (1 - t) * u + np.sin(3 * t) * v * (1 - t)
    directions, share = pca_directions(path)
    assert np.isclose(share.sum(), 1.0)
    assert np.allclose(directions @ directions.T, np.eye(2))
    coords = project(path, end, *directions)
    assert np.allclose(end + coords @ directions, path)


def test_pca_plane_of_a_training_path_explains_most_of_it():
    run = train(NET, DATA, lossviz.optimizer("adam", lr=0.02), steps=100)
    _, share = pca_directions(run.trajectory)
    assert share[0] >= share[1] and 0.5 < share.sum() <= 1.0


def test_interpolate_ends_at_the_two_losses():
    run = train(NET, DATA, lossviz.optimizer("adam", lr=0.02), steps=30)
    a, b = run.trajectory[0], run.trajectory[-1]
    values = interpolate(LOSS, a, b, [0.0, 0.5, 1.0])
    assert np.allclose(values[[0, 2]], [LOSS(a), LOSS(b)])
    assert anp.isfinite(values).all()


def test_static_views_draw_the_slice_path_and_the_line():
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from lossviz.views.slices import draw_interpolation, draw_slice

    run = train(NET, DATA, lossviz.optimizer("adam", lr=0.02), steps=40)
    directions, _ = pca_directions(run.trajectory)
    end = run.trajectory[-1]
    path = project(run.trajectory, end, *directions)
    s = slice_surface(LOSS, end, *directions, bounds=((-3, 3), (-3, 3)))
    fig = Figure()
    left, right = fig.subplots(1, 2)
    artists = draw_slice(left, s, path, resolution=9)
    assert np.allclose(artists.path.get_xydata(), path)
    assert np.allclose(artists.start.get_xydata(), path[:1])
    alphas = np.linspace(-0.5, 1.5, 9)
    lines = draw_interpolation(
        right, alphas, {"training": interpolate(LOSS, run.trajectory[0], end, alphas)}
    )
    assert np.allclose(lines[0].get_xdata(), alphas)


# -- the fast evaluation of a slice (NetworkOnPlane, plane_values) equals the formula ------------
def one_by_one(loss, center, d1, d2, points):
    """The plain evaluation: ``loss(center + a d1 + b d2)``, one model at a time."""
    flat = np.asarray(points).reshape(-1, 2)
    values = [loss(center + a * d1 + b * d2) for a, b in flat]
    return np.array(values).reshape(np.shape(points)[:-1])


def random_plane(net, seed):
    """A seeded random centre and two random directions, shape (n_params,) each."""
    rng = np.random.default_rng(seed)
    center = net.init() + 0.5 * rng.normal(size=net.n_params)
    return center, *rng.normal(size=(2, net.n_params))


NETWORKS = [
    (activation, sizes, data)
    for activation in ACTIVATIONS
    for sizes, data in [
        ((2, 6, 5, 1), DATA),
        ((2, 7, 1), DATA),
        ((1, 4, 4, 3, 1), noisy_curve(n=40, seed=1)),
    ]
]


@pytest.mark.parametrize(("activation", "sizes", "data"), NETWORKS)
@pytest.mark.parametrize("seed", [0, 1])
def test_slice_values_equal_one_by_one_evaluation_on_random_planes(activation, sizes, data, seed):
    net = MLP(sizes, activation=activation, seed=seed)
    loss = loss_function(net, data.X_train, data.y_train, data.task)
    center, d1, d2 = random_plane(net, seed)
    s = slice_surface(loss, center, d1, d2, bounds=((-2, 1.5), (-1, 2.5)))
    grid = s.grid(9)
    scattered = np.random.default_rng(seed).uniform(-2, 2, size=(3, 7, 2))
    for points in (grid, grid[2:5], scattered, grid[3, 4]):  # a grid, rows of it, any, one
        assert np.allclose(s(points), one_by_one(loss, center, d1, d2, points), rtol=1e-10, atol=0)


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_slice_values_of_a_batch_equal_its_points_one_at_a_time(activation):
    net = MLP((2, 6, 5, 1), activation=activation, seed=2)
    loss = loss_function(net, DATA.X_train, DATA.y_train, DATA.task)
    center, d1, d2 = random_plane(net, 3)
    s = slice_surface(loss, center, d1, d2)
    grid = s.grid(6)
    singles = np.array([[s(point) for point in row] for row in grid])
    assert np.allclose(s(grid), singles, rtol=1e-10, atol=0)
    assert np.allclose(s(grid.reshape(-1, 2)), singles.ravel(), rtol=1e-10, atol=0)


def test_slice_values_far_out_where_the_grid_shortcut_does_not_apply():
    center, d1, d2 = random_plane(NET, 4)
    s = slice_surface(LOSS, center, d1, d2, bounds=((-400, 400), (-400, 400)))
    grid = s.grid(5)
    plane = NetworkOnPlane(NET, center, d1, d2, DATA.X_train)
    assert plane.grid_hidden(grid[0, :, 0], grid[:, 0, 1]) is None  # |2u| > EXPONENT_LIMIT
    assert np.allclose(s(grid), one_by_one(LOSS, center, d1, d2, grid), rtol=1e-10, atol=0)


def test_network_on_plane_outputs_equal_predict_with_several_outputs_and_no_hidden_layer():
    X = DATA.X_train
    a, b = np.array([0.3, -1.2, 2.0]), np.array([0.7, 0.1, -0.4])
    for net in (MLP((2, 5, 3), seed=1), MLP((2, 1)), MLP((2, 4, 2), activation="relu")):
        center, d1, d2 = random_plane(net, 5)
        expected = net.predict(center + a[:, None] * d1 + b[:, None] * d2, X)
        got = NetworkOnPlane(net, center, d1, d2, X).outputs(a, b)
        assert got.shape == expected.shape
        assert np.allclose(got, expected, rtol=1e-10, atol=1e-14)


def test_grid_tanh_layer_is_tanh_even_where_its_exponentials_overflow():
    # One input, one hidden unit: u = a (column), v = -b (row), hidden = tanh(a - b).
    net = MLP((1, 1, 1))
    center, d1, d2 = np.zeros((3, net.n_params))
    d1[0], d2[0] = 1.0, -1.0  # the first weight
    xs, ys = np.array([-340.0, -5.0, 0.0, 0.25, 340.0]), np.array([340.0, 0.0, -340.0])
    hidden = NetworkOnPlane(net, center, d1, d2, np.ones((1, 1))).grid_hidden(xs, ys)
    for row, y in enumerate(ys):  # exp(680) exp(680) overflows, exp(-680) exp(-680) underflows
        assert np.allclose(hidden(slice(None), row)[:, 0, 0], np.tanh(xs - y), rtol=0, atol=1e-15)
    too_far = NetworkOnPlane(net, center, d1, d2, np.ones((1, 1))).grid_hidden(xs * 1.1, ys)
    assert too_far is None


def test_in_place_activations_are_the_activations():
    z = np.linspace(-30, 30, 2001)
    assert set(IN_PLACE_ACTIVATIONS) == set(ACTIVATIONS)
    for name, activation in ACTIVATIONS.items():
        expected = activation(z)
        assert np.allclose(IN_PLACE_ACTIVATIONS[name](z.copy()), expected, rtol=0, atol=1e-15)


@pytest.mark.parametrize("network_loss", [True, False])
def test_slicing_a_grid_reports_progress_and_prints_nothing(network_loss, capsys):
    calls = []
    loss = LOSS if network_loss else (lambda theta: LOSS(theta))  # any loss(theta)
    center = NET.init()
    d1, d2 = random_directions(NET, center)
    s = slice_surface(loss, center, d1, d2, progress=lambda *call: calls.append(call))
    grid = s.grid(41 if network_loss else 120)  # more than one chunk either way
    s(grid)
    points = grid[..., 0].size
    done = [d for d, _ in calls]
    assert calls[-1] == (points, points) and {total for _, total in calls} == {points}
    assert 1 < len(calls) <= 100 and done == sorted(done)
    silent = slice_surface(loss, center, d1, d2)
    assert np.array_equal(silent(grid), s(grid))
    assert capsys.readouterr().out == ""


def test_training_prints_nothing_unless_asked(capsys):
    train(NET, DATA, "adam", steps=5)
    assert capsys.readouterr().out == ""
