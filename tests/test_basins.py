"""Basins of attraction: each start of a grid labelled by the known minimum it ends at, held to
Himmelblau's four wells, to the same runs made one at a time, and to its messages; and the view
that draws them, by its artists' data."""

import importlib

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

import lossviz
from lossviz import Surface, basins
from lossviz.basins import DIVERGED, NOT_CONVERGED
from lossviz.views.basins import (
    BASIN_HUES,
    basin_colors,
    draw_basin_layer,
    draw_basins,
    update_basin_layer,
)
from lossviz.views.colors import DIVERGED_COLOR
from lossviz.views.contour import draw_surface

SMALL_STEP_GD = lossviz.optimizer("gd", lr=0.01)


@pytest.fixture(scope="module")
def himmelblau():
    return basins("himmelblau", SMALL_STEP_GD, resolution=80, steps=300)


def test_himmelblau_under_small_step_gd_has_four_basins_each_around_its_minimum(himmelblau):
    b = himmelblau
    assert b.labels.shape == (80, 80) and b.labels.dtype.kind == "i"
    assert sorted(np.unique(b.labels).tolist()) == [0, 1, 2, 3]
    starts = b.starts
    for i, minimum in enumerate(b.minima):
        near = np.linalg.norm(starts - minimum, axis=-1) < 1.0
        assert near.sum() > 20
        assert (b.labels[near] == i).all()


def test_row_i_is_y_i_and_column_j_is_x_j(himmelblau):
    b = himmelblau
    s = lossviz.surface("himmelblau")
    (xmin, xmax), (ymin, ymax) = s.bounds
    np.testing.assert_allclose(b.x, np.linspace(xmin, xmax, 80))
    np.testing.assert_allclose(b.y, np.linspace(ymin, ymax, 80))
    assert b.starts[3, 70].tolist() == [b.x[70], b.y[3]]


def test_labels_equal_the_same_runs_one_by_one(himmelblau):
    b = himmelblau
    rng = np.random.default_rng(0)
    for i, j in rng.integers(0, 80, size=(12, 2)):
        run = lossviz.descend("himmelblau", SMALL_STEP_GD, start=(b.x[j], b.y[i]), steps=300)
        distance = np.linalg.norm(run.final[0] - b.minima[b.labels[i, j]])
        assert distance < b.tol


def test_tolerance_is_one_percent_of_the_diagonal(himmelblau):
    assert himmelblau.tol == pytest.approx(0.01 * np.hypot(10.0, 10.0))


def test_a_rate_too_large_diverges_everywhere_and_too_small_converges_nowhere():
    bowl = lossviz.surface("quadratic", condition=10.0)
    # An even grid leaves out the axis y = 0, the only starts the steep direction spares.
    assert (basins(bowl, lossviz.optimizer("gd", lr=0.5), 10).labels == DIVERGED).all()
    slow = basins(bowl, lossviz.optimizer("gd", lr=1e-4), 10, steps=20)
    assert (slow.labels == NOT_CONVERGED).all()


def test_momentum_moves_the_borders_between_wells(himmelblau):
    heavy = basins("himmelblau", lossviz.optimizer("momentum", lr=0.01, beta=0.9), 80)
    changed = (heavy.labels != himmelblau.labels) & (heavy.labels >= 0)
    assert changed.mean() > 0.1


def test_schedules_noise_and_minibatches_as_in_descend():
    decaying = lossviz.optimizer("gd", lr=lossviz.schedule("exponential", lr=0.02, gamma=0.99))
    scheduled = basins("himmelblau", decaying, 12)
    assert sorted(np.unique(scheduled.labels).tolist()) == [0, 1, 2, 3]
    noisy = basins("himmelblau", SMALL_STEP_GD, 12, noise=1.0, seed=4)
    np.testing.assert_array_equal(
        noisy.labels, basins("himmelblau", SMALL_STEP_GD, 12, noise=1.0, seed=4).labels
    )
    model = basins("tiny_network", lossviz.optimizer("gd", lr=0.5), 6, steps=100, batch_size=8)
    assert model.labels.shape == (6, 6) and set(np.unique(model.labels)) <= {-2, -1, 0, 1}


def labels_from_whole_paths(surface, opt, resolution, steps, **extra):
    """The rule of `basins` read off the whole paths of `lossviz.descend`: a start ends at
    the minimum nearest its last point if it did not diverge and its last tenth of steps
    (at least two points) lies within tol of that minimum."""
    s = lossviz.surface(surface)
    run = lossviz.descend(s, opt, start=s.grid(resolution).reshape(-1, 2), steps=steps, **extra)
    (xmin, xmax), (ymin, ymax) = s.bounds
    tol = 0.01 * np.hypot(xmax - xmin, ymax - ymin)
    last_tenth = run.path[:, steps - max(1, steps // 10) :]
    labels = np.full(len(run), NOT_CONVERGED)
    for i, points in enumerate(last_tenth):
        if run.diverged[i]:
            labels[i] = DIVERGED
            continue
        nearest = np.argmin(np.linalg.norm(points[-1] - s.minima, axis=-1))
        if (np.linalg.norm(points - s.minima[nearest], axis=-1) < tol).all():
            labels[i] = nearest
    return labels.reshape(resolution, resolution)


@pytest.mark.parametrize(
    ("surface", "opt", "steps", "extra"),
    [
        ("himmelblau", SMALL_STEP_GD, 300, {}),
        ("himmelblau", lossviz.optimizer("momentum", lr=0.02, beta=0.9), 200, {}),
        ("himmelblau", lossviz.optimizer("adam", lr=0.3), 150, {"noise": 0.5, "seed": 1}),
        ("six_hump_camel", lossviz.optimizer("newton", lr=0.5), 40, {}),
        ("rastrigin", lossviz.optimizer("nesterov", lr=0.002, beta=0.5), 100, {}),
        ("quadratic", lossviz.optimizer("gd", lr=0.21), 100, {}),  # diverging along y
        ("tiny_network", lossviz.optimizer("rmsprop", lr=0.05), 60, {"batch_size": 8}),
        (
            "styblinski_tang",
            lossviz.optimizer("gd", lr=lossviz.schedule("cosine", lr=0.05, steps=100)),
            100,
            {},
        ),
    ],
    ids=lambda v: getattr(v, "name", None) if isinstance(v, lossviz.Optimizer) else None,
)
def test_labels_equal_the_rule_read_off_whole_paths(surface, opt, steps, extra):
    b = basins(surface, opt, 24, steps, **extra)
    expected = labels_from_whole_paths(surface, opt, 24, steps, **extra)
    np.testing.assert_array_equal(b.labels, expected)


NO_MINIMA = Surface("flat", lambda x, y: x * 0.0 + y * 0.0, ((-1, 1), (-1, 1)))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (dict(surface_or_name=NO_MINIMA), "basins needs a surface that lists its minima"),
        (dict(optimizer_or_name=["gd", "adam"]), "optimizer must be one optimizer or a registered"),
        (dict(optimizer_or_name="sgd"), "unknown optimizer 'sgd'; choose one of gd"),
        (dict(resolution=1), "resolution must be an integer between 2 and 1000; got 1"),
        (dict(resolution=20.0), "resolution must be an integer between 2 and 1000; got 20.0"),
        (dict(steps=0), "steps must be an integer >= 1; got 0"),
        (dict(tol=0.0), "tol must be a number > 0; got 0.0"),
        (dict(resolution=1000, steps=2000), r"resolution\*\*2 \* \(steps \+ 1\) must be at most"),
        (dict(noise=-1.0), r"noise must be a number >= 0; got -1.0"),
        (dict(batch_size=4), "batch_size needs a model surface built from data"),
        (dict(workers=0), "workers must be an integer >= 1; got 0"),
        (dict(workers=1.5), "workers must be an integer >= 1; got 1.5"),
    ],
)
def test_messages_name_the_argument_and_what_it_allows(change, message):
    call = dict(surface_or_name="himmelblau", optimizer_or_name="gd", resolution=4, steps=3)
    call.update(change)
    with pytest.raises(ValueError, match=message):
        basins(**call)


# -- the view ---------------------------------------------------------------------------------
def axes(figsize=(6.0, 5.0)):
    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)
    return fig, fig.subplots()


def rgba(color):
    return np.array(to_rgba(color))


def test_each_start_takes_its_minimums_colour_and_the_legend_names_each(himmelblau):
    b = himmelblau
    fig, ax = axes()
    artists = draw_basins(ax, b)
    image = artists.image.get_array()  # (80, 80, 4), row i at y[i] (origin lower)
    assert image.shape == (80, 80, 4) and artists.image.origin == "lower"
    for i in range(4):
        where = b.labels == i
        np.testing.assert_allclose(
            image[where], np.broadcast_to(rgba(artists.colors[i]), (where.sum(), 4))
        )
    texts = [t.get_text() for t in artists.legend.get_texts()]
    assert texts == [
        "basin of (3, 2)",
        "basin of (-2.81, 3.13)",
        "basin of (-3.78, -3.28)",
        "basin of (3.58, -1.85)",
        "diverged",
        "no minimum in 300 steps",
        "known minimum",
    ]
    left, right, bottom, top = artists.image.get_extent()
    assert (left + right) / 2 == pytest.approx(0.0) and right - left == pytest.approx(10 + 10 / 79)
    assert ax.get_xlim() == (-5.0, 5.0) and ax.get_ylim() == (-5.0, 5.0)


def test_the_basins_lie_over_the_terrain_and_under_the_contour_lines(himmelblau):
    _, ax = axes()
    artists = draw_basins(ax, himmelblau)
    z = artists.image.get_zorder()
    assert artists.surface.filled.get_zorder() < z < artists.surface.lines.get_zorder()
    assert z < artists.surface.minima.get_zorder()


def test_diverged_and_unconverged_starts_have_their_own_colours():
    bowl = lossviz.surface("quadratic", condition=10.0)
    for lr, steps, color in [(0.5, 300, DIVERGED_COLOR), (1e-4, 20, "#9A9A9A")]:
        _, ax = axes()
        artists = draw_basins(ax, basins(bowl, lossviz.optimizer("gd", lr=lr), 10, steps=steps))
        image = artists.image.get_array()
        np.testing.assert_allclose(image.reshape(-1, 4), np.broadcast_to(rgba(color), (100, 4)))
        assert color not in artists.colors


def test_colours_are_colour_blind_safe_hues_and_touching_basins_differ():
    assert len(set(basin_colors(np.random.default_rng(0).normal(size=(6, 2))))) == 6
    lattice = lossviz.surface("rastrigin").minima  # 25 wells on a grid of step 1
    colors = basin_colors(lattice)
    for i, j in np.argwhere(np.linalg.norm(lattice[:, None] - lattice[None], axis=-1) < 1.5):
        assert i == j or colors[i] != colors[j]
    assert len(set(colors)) <= len(BASIN_HUES)


def test_many_minima_share_one_legend_entry():
    b = basins("rastrigin", lossviz.optimizer("gd", lr=0.002), 20, steps=50)
    _, ax = axes()
    texts = [t.get_text() for t in draw_basins(ax, b).legend.get_texts()]
    assert texts[0] == "basin of its star (25 wells)" and len(texts) == 4


def test_the_layer_updates_in_place(himmelblau):
    _, ax = axes()
    draw_surface(ax, himmelblau.surface)
    image = draw_basin_layer(ax, himmelblau)
    coarse = basins("himmelblau", lossviz.optimizer("gd", lr=0.3), 20)
    update_basin_layer(image, coarse)
    assert image.get_array().shape == (20, 20, 4)
    assert image.get_extent()[1] == pytest.approx(5 + 5 / 19)


def test_the_legend_covers_no_basin_and_no_neighbour(himmelblau):
    """Outside the axes on the right; tight_layout leaves room for it beside other axes
    (Jupyter shows it whole, saving with bbox_inches="tight")."""
    fig = Figure(figsize=(12.0, 5.0))
    FigureCanvasAgg(fig)
    ax, neighbour = fig.subplots(1, 2)
    artists = draw_basins(ax, himmelblau)
    fig.tight_layout()
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    box = artists.legend.get_window_extent(renderer)
    assert not box.overlaps(ax.get_window_extent(renderer))
    assert not box.overlaps(neighbour.get_window_extent(renderer))


@pytest.mark.parametrize("name", ["linear_regression", "tiny_network"])
@pytest.mark.parametrize("opt", ["momentum", "adam"])
def test_a_models_faster_loss_leaves_every_label_as_its_data_gives_it(name, opt):
    # A closed-form loss (linear regression) and the loss shared with the gradient in one
    # pass (tiny network) are what the engine reads; the data's own mean is the reference.
    s = lossviz.surface(name)
    plain = lossviz.surface(name)
    plain._value, plain._loss_and_gradient = plain._data_loss, None
    o = lossviz.optimizer(opt, lr=0.05)
    np.testing.assert_array_equal(basins(s, o, 30, 150).labels, basins(plain, o, 30, 150).labels)


# -- half the grid on a surface symmetric about the origin; threads ------------------------------
SYMMETRIC = [
    ("tiny_network", {}),
    ("tiny_network", dict(n=12, noise=0.3, true_w1=-0.8, true_w2=2.5, seed=5)),
    ("quadratic", dict(condition=30.0, angle=25.0)),
    ("rastrigin", dict(amplitude=4.0)),
    ("ackley", {}),
    ("six_hump_camel", {}),
]


def not_symmetric(s):
    """The same surface, not saying it is symmetric: `basins` then descends every start."""
    plain = lossviz.surface(s.name, **s.params)
    plain.symmetric_about_origin = False
    return plain


def counted_starts(monkeypatch):
    """The number of starts of every `descend` call `basins` makes, as a list."""
    module = importlib.import_module("lossviz.basins")

    counts = []
    descend = module._descend

    def counting(*args, start, **kwargs):
        counts.append(len(start))
        return descend(*args, start=start, **kwargs)

    monkeypatch.setattr(module, "_descend", counting)
    return counts


@pytest.mark.parametrize(("name", "params"), SYMMETRIC, ids=[n for n, _ in SYMMETRIC])
def test_a_surface_symmetric_about_the_origin_is_symmetric_bit_for_bit(name, params):
    s = lossviz.surface(name, **params)
    assert s.symmetric_about_origin
    (xmin, xmax), (ymin, ymax) = s.bounds
    rng = np.random.default_rng(3)
    p = np.concatenate([rng.uniform((xmin, ymin), (xmax, ymax), (2000, 2)), s.grid(31)[0]])
    # Far outside the bounds too, and alone, as the engine asks for few runs.
    p = np.concatenate([p, 40 * p[:50]])
    for points in (p, p[:3], p[7:8]):
        np.testing.assert_array_equal(s(-points), s(points))
        np.testing.assert_array_equal(s.grad(-points), -s.grad(points))
        np.testing.assert_array_equal(s.hessian(-points), s.hessian(points))
    loss, gradient = (s._loss_and_gradient or (lambda q: (s(q), s.grad(q))))(-p)
    np.testing.assert_array_equal(loss, s(p))
    np.testing.assert_array_equal(gradient, -s.grad(p))


def test_surfaces_not_symmetric_do_not_say_so():
    names = lossviz.surface_names()
    said = {name for name in names if lossviz.surface(name).symmetric_about_origin}
    assert said == {name for name, _ in SYMMETRIC}
    with pytest.raises(TypeError, match="symmetric_about_origin must be True or False; got 1"):
        Surface("bowl", lambda x, y: x * x + y * y, ((-1, 1), (-1, 1)), symmetric_about_origin=1)


@pytest.mark.parametrize(("name", "params"), SYMMETRIC, ids=[n for n, _ in SYMMETRIC])
@pytest.mark.parametrize("resolution", [9, 12])
def test_half_the_grid_and_its_mirror_image_give_every_label_the_whole_grid_does(
    name, params, resolution, monkeypatch
):
    s = lossviz.surface(name, **params)
    plain = not_symmetric(s)
    counts = counted_starts(monkeypatch)
    for opt in ("momentum", "adam", "newton", lossviz.optimizer("rmsprop", lr=0.02)):
        counts.clear()
        half = basins(s, opt, resolution, steps=80)
        assert counts == [(resolution + 1) // 2 * resolution]
        whole = basins(plain, opt, resolution, steps=80)
        assert counts[1:] == [resolution**2]
        np.testing.assert_array_equal(half.labels, whole.labels)
        np.testing.assert_array_equal(half.x, whole.x)
        assert (half.x == -half.x[::-1]).all() and (half.y == -half.y[::-1]).all()


def test_the_mirror_image_is_left_out_where_it_would_not_hold(monkeypatch):
    s = lossviz.surface("tiny_network")
    counts = counted_starts(monkeypatch)
    basins(s, "momentum", 6, steps=5)
    assert counts == [18]
    own = lossviz.Optimizer(lambda p: None, lambda g, state, p: (-0.1 * g, state), name="own")
    for extra in (dict(noise=0.1), dict(batch_size=8), dict(optimizer_or_name=own)):
        counts.clear()
        basins(**{"surface_or_name": s, "optimizer_or_name": "momentum", "resolution": 6,
                  "steps": 5, **extra})  # fmt: skip
        assert counts == [36], extra
    # Bounds that are not symmetric: a quadratic's own, shifted.
    shifted = Surface("bowl", lambda x, y: x * x + y * y, ((-1, 2), (-1, 1)), minima=[(0, 0)],
                      symmetric_about_origin=True)  # fmt: skip
    counts.clear()
    basins(shifted, "gd", 6, steps=5)
    assert counts == [36]


def test_the_grid_on_symmetric_bounds_is_linspace_but_for_its_rounding():
    b = basins("tiny_network", "momentum", 200, steps=1)
    (xmin, xmax), _ = b.surface.bounds
    reference = np.linspace(xmin, xmax, 200)
    assert b.x[0] == xmin and b.x[-1] == xmax
    # linspace rounds xmin + j * step at the scale of the bounds; so does the mean.
    assert np.abs(b.x - reference).max() <= np.spacing(xmax)
    assert not (reference == -reference[::-1]).all()  # what made the mirror image fail


@pytest.mark.parametrize(
    ("name", "opt", "extra"),
    [
        ("tiny_network", "adam", {}),
        ("rosenbrock", "momentum", {}),
        ("linear_regression", "momentum", {}),
        ("logistic_regression", "adam", {}),
        ("logistic_regression", "momentum", dict(batch_size=8, seed=3)),
        ("himmelblau", "momentum", dict(noise=0.5, seed=2, tol=1.0)),
    ],
)
def test_any_number_of_workers_gives_the_same_labels(name, opt, extra, monkeypatch):
    module = importlib.import_module("lossviz.basins")

    monkeypatch.setattr(module, "RUNS_PER_WORKER", 100)
    counts = counted_starts(monkeypatch)
    one = basins(name, opt, 41, steps=60, workers=1, **extra)
    assert len(counts) == 1
    for workers in (2, 3, 8):
        counts.clear()
        many = basins(name, opt, 41, steps=60, workers=workers, **extra)
        np.testing.assert_array_equal(many.labels, one.labels)
        if "noise" in extra:
            assert len(counts) == 1  # the noise of a run depends on the whole batch
        else:
            assert 1 < len(counts) <= workers
            assert all(c % 64 == 0 for c in counts[:-1])


def test_workers_by_default_follow_a_containers_cpu_quota(tmp_path, monkeypatch):
    module = importlib.import_module("lossviz.basins")
    v2 = tmp_path / "v2"
    v2.mkdir()
    (v2 / "cpu.max").write_text("150000 100000\n")  # one and a half CPUs: two threads
    assert module._cpu_quota(str(v2)) == 2
    (v2 / "cpu.max").write_text("max 100000\n")
    assert module._cpu_quota(str(v2)) is None
    v1 = tmp_path / "v1"
    (v1 / "cpu").mkdir(parents=True)
    (v1 / "cpu" / "cpu.cfs_quota_us").write_text("100000\n")
    (v1 / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert module._cpu_quota(str(v1)) == 1
    (v1 / "cpu" / "cpu.cfs_quota_us").write_text("-1\n")  # no quota
    assert module._cpu_quota(str(v1)) is None
    assert module._cpu_quota(str(tmp_path / "none")) is None
    monkeypatch.setattr(module, "_cpu_quota", lambda: 1)
    assert module._default_workers() == 1
    monkeypatch.setattr(module, "_cpu_quota", lambda: 64)
    assert 1 <= module._default_workers() <= module.MAX_WORKERS
