"""The stability map: where each (learning rate, momentum) pair converges, diverges or neither,
held to the analytic borders on quadratics, to the same runs made one at a time, and to its
messages; and the view that draws it, by its artists' data."""

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

import lossviz
from lossviz import Surface, stability_border, stability_map
from lossviz.curvature import stability_limit
from lossviz.views.colors import DIVERGED_COLOR
from lossviz.views.stability_map import (
    cell_edges,
    draw_stability_map,
    update_current_pair,
    update_stability_map,
)

LRS = np.geomspace(0.01, 1.0, 40)
"""A log grid: one cell is a factor of 100 ** (1 / 39), about 1.13."""
CELL = LRS[1] / LRS[0]

BOWLS = [
    lossviz.surface("quadratic", condition=10.0, angle=30.0),
    lossviz.surface("quadratic", condition=4.0, angle=-70.0),
]


def largest_converging_lr(smap, column: int) -> tuple[float, float]:
    """The largest rate that converged in a column, and the next rate on the grid."""
    i = int(np.nonzero(smap.converged[:, column])[0].max())
    return smap.lrs[i], smap.lrs[i + 1]


def assert_border_within_one_cell(smap, column: int, border: float) -> None:
    """The map's border, halfway (in log) between its last converging rate and the next, is
    the analytic one to within one cell; no rate below it diverges, every rate two cells above
    it does. (The rate just below may converge too slowly for the steps.)"""
    below, above = largest_converging_lr(smap, column)
    assert abs(np.log(np.sqrt(below * above) / border)) <= np.log(CELL)
    assert not smap.diverged[smap.lrs < border, column].any()
    assert smap.diverged[smap.lrs > border * CELL**2, column].all()


# -- the analytic borders --------------------------------------------------------------------
@pytest.mark.parametrize("bowl", BOWLS, ids=lambda s: f"condition {s.params['condition']:g}")
def test_gd_converges_below_two_over_lambda_max(bowl):
    curvature = stability_limit(bowl).curvature
    assert curvature == pytest.approx(bowl.params["condition"])
    smap = stability_map(bowl, "gd", LRS)
    assert smap.steps_to_converge.shape == (40, 1) and smap.betas is None
    assert_border_within_one_cell(smap, 0, 2.0 / curvature)


@pytest.mark.parametrize("bowl", BOWLS, ids=lambda s: f"condition {s.params['condition']:g}")
@pytest.mark.parametrize(
    ("name", "formula"),
    [
        ("momentum", lambda beta, lam: 2 * (1 + beta) / lam),
        ("nesterov", lambda beta, lam: 2 * (1 + beta) / ((1 + 2 * beta) * lam)),
    ],
)
def test_momentum_borders_on_a_quadratic(bowl, name, formula):
    betas = np.array([0.0, 0.3, 0.6, 0.8])
    curvature = stability_limit(bowl).curvature
    smap = stability_map(bowl, name, LRS, betas=betas)
    assert smap.steps_to_converge.shape == (40, 4)
    borders = stability_border(name, betas, curvature)
    np.testing.assert_allclose(borders, formula(betas, curvature))
    for j in range(len(betas)):
        assert_border_within_one_cell(smap, j, borders[j])


@pytest.mark.parametrize("name", ["gd", "momentum", "nesterov"])
@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9])
def test_the_border_is_where_the_iteration_matrix_reaches_the_unit_circle(name, beta):
    """The derived formulas against the eigenvalues of each method's linear step on one
    eigendirection (curvature lam), state (x, lr v), with a = lr lam."""

    def spectral_radius(a: float) -> float:
        b = 0.0 if name == "gd" else beta
        if name == "nesterov":
            step = [[1 - a * (1 + b), -b * b], [a, b]]
        else:  # heavy ball: x' = x - lr (b v + lam x), lr v' = b lr v + a x
            step = [[1 - a, -b], [a, b]]
        return float(np.abs(np.linalg.eigvals(np.array(step))).max())

    lam = 7.0
    border = stability_border(name, None if name == "gd" else [beta], lam)[0]
    assert spectral_radius(0.999 * border * lam) < 1.0
    assert spectral_radius(1.001 * border * lam) > 1.0


def test_stability_border_by_hand():
    assert stability_border("gd", None, 10.0).tolist() == [0.2]
    np.testing.assert_allclose(stability_border("momentum", [0.5], 10.0), [0.3])
    np.testing.assert_allclose(stability_border("nesterov", [0.5], 10.0), [0.15])


# -- what a map holds ------------------------------------------------------------------------
def test_steps_to_converge_is_the_first_step_from_which_the_loss_stays_close():
    bowl = BOWLS[0]
    smap = stability_map(bowl, "gd", [0.05, 0.15], steps=200, tol=1e-3)
    run = lossviz.descend(bowl, lossviz.optimizer("gd", lr=0.15), steps=200)
    gap = run.loss[0] - bowl.global_minimum_loss
    assert smap.tolerance == pytest.approx(1e-3 * gap[0])
    close = gap <= smap.tolerance
    t = int(smap.steps_to_converge[1, 0])
    assert close[t:].all() and not close[t - 1]
    assert smap.final_loss[1, 0] == pytest.approx(run.loss[0, -1])


def test_a_batch_of_pairs_equals_the_same_runs_one_by_one():
    """adam on Himmelblau (betas is beta1), with a schedule and mini-batches of a model too."""
    cases = [
        ("himmelblau", "adam", [0.03, 0.3, 3.0], [0.0, 0.5, 0.9], {}),
        ("tiny_network", "momentum", [0.05, 0.5, 5.0], [0.0, 0.8], {"batch_size": 8, "seed": 3}),
    ]
    for name, opt, lrs, betas, extra in cases:
        s = lossviz.surface(name)
        cosine = lossviz.schedule("cosine", lr=1.0, steps=80)
        smap = stability_map(s, opt, lrs, betas=betas, steps=80, schedule=cosine, **extra)
        for i, lr in enumerate(lrs):
            for j, beta in enumerate(betas):
                alone = stability_map(
                    s, opt, [lr], betas=[beta], steps=80, schedule=cosine, **extra
                )
                assert alone.steps_to_converge[0, 0] == smap.steps_to_converge[i, j]
                assert alone.diverged[0, 0] == smap.diverged[i, j]
                hyper = {"lr": lossviz.schedules.cosine(lr, steps=80), smap.beta_name: beta}
                run = lossviz.descend(s, lossviz.optimizer(opt, **hyper), steps=80, **extra)
                np.testing.assert_allclose(smap.final_loss[i, j], run.final_loss[0], rtol=1e-12)
                assert smap.diverged[i, j] == run.diverged[0]


def test_a_map_too_big_for_per_run_factor_tables_equals_pairs_one_by_one_exactly():
    """Past 256 Ki elements per table (144 pairs x 1000 steps) the engine keeps each pair's
    step factors once, not once per run and coordinate: the numbers stay the same."""
    lrs, betas = np.geomspace(0.01, 3.0, 12), np.linspace(0.0, 0.95, 12)
    for opt in ("momentum", "adam"):
        smap = stability_map("himmelblau", opt, lrs, betas=betas, steps=1000)
        assert smap.converged.any() and not smap.converged.all()
        for i, j in [(0, 0), (4, 11), (9, 3), (11, 7)]:
            alone = stability_map("himmelblau", opt, [lrs[i]], betas=[betas[j]], steps=1000)
            assert alone.final_loss[0, 0] == smap.final_loss[i, j]
            assert alone.steps_to_converge[0, 0] == smap.steps_to_converge[i, j]
            assert alone.diverged[0, 0] == smap.diverged[i, j]


def test_a_schedule_gives_the_shape_and_each_lr_its_peak():
    """Built with any peak rate, the same schedule makes the same map."""
    bowl = BOWLS[0]
    one = stability_map(
        bowl, "gd", LRS, schedule=lossviz.schedule("exponential", lr=1.0, gamma=0.99)
    )
    other = stability_map(
        bowl, "gd", LRS, schedule=lossviz.schedule("exponential", lr=0.3, gamma=0.99)
    )
    np.testing.assert_array_equal(one.steps_to_converge, other.steps_to_converge)
    np.testing.assert_allclose(one.final_loss, other.final_loss, rtol=1e-12)


def test_adam_sweeps_beta1_and_keeps_the_other_hyperparameters():
    smap = stability_map(
        "himmelblau", "adam", [0.1], betas=[0.5], steps=5, hyperparameters={"beta2": 0.99}
    )
    assert smap.beta_name == "beta1"
    assert smap.hyperparameters == {"beta2": 0.99, "eps": 1e-8}
    assert smap.pair(0, 0) == {"lr": 0.1, "beta1": 0.5}


def test_without_betas_the_momentum_is_fixed_and_recorded():
    smap = stability_map(
        "quadratic", "momentum", [0.1, 0.2], steps=5, hyperparameters={"beta": 0.7}
    )
    assert smap.betas is None and smap.beta_name is None
    assert smap.hyperparameters == {"beta": 0.7}
    assert smap.pair(1) == {"lr": 0.2}


def test_a_click_picks_the_nearest_cell_and_its_pair():
    smap = stability_map("quadratic", "momentum", LRS, betas=[0.0, 0.5, 0.9], steps=5)
    i, j = smap.cell(LRS[17] * 1.05, 0.62)
    assert (i, j) == (17, 1)
    assert smap.pair(i, j) == {"lr": LRS[17], "beta": 0.5}
    with pytest.raises(IndexError, match="outside this map of 40 x 3 pairs"):
        smap.pair(40, 0)


# -- messages ---------------------------------------------------------------------------------
NO_MINIMA = Surface("flat", lambda x, y: x * 0.0 + y * 0.0, ((-1, 1), (-1, 1)))

BAD_CALLS = [
    (dict(optimizer_name="sgd"), "optimizer_name must be a registered optimizer's name, one of gd"),
    (dict(lrs=[]), r"lrs must be a non-empty 1-D sequence of numbers"),
    (dict(lrs=0.1), r"lrs must be a non-empty 1-D sequence of numbers"),
    (dict(lrs=[0.1, -1.0]), r"lrs\[1\] must be a number > 0; got -1.0"),
    (dict(lrs=[0.1, "0.2"]), r"lrs\[1\] must be a number > 0; got '0.2'"),
    (dict(lrs=[0.2, 0.1]), r"lrs must be increasing"),
    (
        dict(optimizer_name="gd", betas=[0.5]),
        r"betas sets the momentum coefficient, and 'gd' has none",
    ),
    (dict(betas=[0.5, 1.0]), r"betas\[1\] must be a number in \[0, 1\); got 1.0"),
    (dict(betas=[0.5, 0.5]), r"betas must be increasing"),
    (
        dict(hyperparameters={"lr": 0.1}),
        r"hyperparameters must not set lr: the map sweeps it \(give lrs\)",
    ),
    (
        dict(hyperparameters={"beta": 0.1}),
        r"hyperparameters must not set beta: the map sweeps it \(give betas\)",
    ),
    (dict(hyperparameters={"gamma": 0.1}), r"optimizer 'momentum' has no hyperparameter 'gamma'"),
    (dict(hyperparameters=[0.1]), r"hyperparameters must be a mapping of names to values"),
    (dict(start=[[0.0, 0.0], [1.0, 1.0]]), r"start must be one finite point of shape \(2,\)"),
    (dict(steps=0), r"steps must be an integer >= 1; got 0"),
    (dict(tol=0.0), r"tol must be a number in \(0, 1\); got 0.0"),
    (dict(schedule="cosine"), r"schedule must be a schedule t -> rate"),
    (dict(schedule=lambda t: 0.0 * t), r"schedule must give finite rates >= 0, not all 0"),
    (dict(noise=-1.0), r"noise must be a number >= 0; got -1.0"),
    (dict(surface_or_name=NO_MINIMA), r"stability_map needs a surface that lists its minima"),
]


@pytest.mark.parametrize(("change", "message"), BAD_CALLS, ids=[m for _, m in BAD_CALLS])
def test_messages_name_the_argument_and_what_it_allows(change, message):
    call = dict(
        surface_or_name="quadratic", optimizer_name="momentum", lrs=[0.1], betas=[0.5], steps=3
    )
    call.update(change)
    with pytest.raises(ValueError, match=message):
        stability_map(**call)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("adam", [0.9], 10.0), "optimizer_name must be one of gd, momentum, nesterov"),
        (("momentum", None, 10.0), "betas must be given for momentum"),
        (("gd", [0.5], 10.0), "betas must be None for gd"),
        (("momentum", [1.0], 10.0), r"betas\[0\] must be a number in \[0, 1\); got 1.0"),
        (("gd", None, 0.0), "curvature must be a number > 0; got 0.0"),
    ],
)
def test_stability_border_messages(args, message):
    with pytest.raises(ValueError, match=message):
        stability_border(*args)


# -- the view ---------------------------------------------------------------------------------
def axes(figsize=(6.0, 5.0)):
    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)
    return fig, fig.subplots()


@pytest.fixture(scope="module")
def heavy_ball():
    bowl = BOWLS[0]
    return stability_map(bowl, "momentum", LRS, betas=np.linspace(0.0, 0.9, 10)), bowl


def test_the_view_colours_steps_greys_the_unconverged_and_hatches_the_diverged(heavy_ball):
    smap, _ = heavy_ball
    _, ax = axes()
    artists = draw_stability_map(ax, smap)
    steps = artists.steps.get_array()  # (betas, lrs)
    assert steps.shape == (10, 40)
    np.testing.assert_array_equal(steps.mask, ~smap.converged.T)
    np.testing.assert_array_equal(steps.compressed(), smap.steps_to_converge.T[smap.converged.T])
    assert artists.steps.norm.vmin == 0 and artists.steps.norm.vmax == smap.steps
    grey = artists.not_converged.get_array()
    np.testing.assert_array_equal(~grey.mask, ~smap.converged.T & ~smap.diverged.T)
    hatched = artists.diverged
    np.testing.assert_array_equal(~hatched.get_array().mask, smap.diverged.T)
    assert hatched.get_hatch() == "xx"
    assert hatched.cmap(0.0)[:3] == pytest.approx(
        tuple(int(DIVERGED_COLOR[k : k + 2], 16) / 255 for k in (1, 3, 5))
    )
    assert ax.get_xscale() == "log"
    assert artists.border is None
    assert len(artists.current.get_xdata()) == 0
    texts = [t.get_text() for t in artists.legend.get_texts()]
    assert texts == ["not converged", "diverged", "current pair"]
    assert artists.colorbar.ax.get_ylabel() == "steps to converge (of 300)"


def test_the_view_draws_the_analytic_border_and_the_current_pair(heavy_ball):
    smap, bowl = heavy_ball
    curvature = stability_limit(bowl).curvature
    _, ax = axes()
    artists = draw_stability_map(ax, smap, current=(0.1, 0.5), curvature=curvature)
    lrs, betas = artists.border.get_data()
    np.testing.assert_allclose(lrs, 2 * (1 + betas) / curvature)
    assert betas.min() <= 0.0 and betas.max() >= 0.9  # over every row
    assert artists.border.get_label() == "theory: lr = 2(1+β)/λmax"
    assert artists.current.get_xydata().tolist() == [[0.1, 0.5]]
    update_current_pair(artists, smap, (0.2, 0.3))
    assert artists.current.get_xydata().tolist() == [[0.2, 0.3]]
    update_current_pair(artists, smap, None)
    assert len(artists.current.get_xdata()) == 0


def test_the_one_row_map_of_gd_has_a_vertical_border():
    _, ax = axes()
    smap = stability_map(BOWLS[0], "gd", LRS)
    artists = draw_stability_map(ax, smap, current=0.05, curvature=10.0)
    assert artists.steps.get_array().shape == (1, 40)
    xs, ys = artists.border.get_data()
    assert np.allclose(xs, 0.2) and ys.min() <= 0 and ys.max() >= 1
    assert artists.current.get_xydata().tolist() == [[0.05, 0.5]]
    with pytest.raises(
        ValueError, match="known for gd, momentum, nesterov only; this map is adam's"
    ):
        draw_stability_map(ax, stability_map("quadratic", "adam", LRS, steps=5), curvature=10.0)


def test_each_pair_lies_in_its_cell_and_cells_meet_halfway():
    edges = cell_edges(LRS, logarithmic=True)
    np.testing.assert_allclose(np.sqrt(edges[:-1] * edges[1:]), LRS)  # even in log
    betas = np.array([0.0, 0.5, 0.9])
    edges = cell_edges(betas, logarithmic=False)
    np.testing.assert_allclose(edges, [-0.25, 0.25, 0.7, 1.1])
    assert ((edges[:-1] < betas) & (betas < edges[1:])).all()


def test_update_shows_a_new_map_of_the_same_grid_and_refuses_another(heavy_ball):
    smap, _ = heavy_ball
    _, ax = axes()
    artists = draw_stability_map(ax, smap)
    other = stability_map(BOWLS[1], "momentum", LRS, betas=np.linspace(0.0, 0.9, 10))
    update_stability_map(artists, other)
    np.testing.assert_array_equal(~artists.diverged.get_array().mask, other.diverged.T)
    np.testing.assert_array_equal(artists.steps.get_array().mask, ~other.converged.T)
    with pytest.raises(ValueError, match="draw it anew"):
        update_stability_map(artists, stability_map(BOWLS[1], "gd", LRS, steps=5))


def test_the_legend_and_colourbar_cover_no_cell_no_label_and_no_title(heavy_ball):
    smap, _ = heavy_ball
    for figsize in [(6.0, 5.0), (5.0, 4.0), (9.0, 4.0)]:
        fig, ax = axes(figsize)
        artists = draw_stability_map(ax, smap, current=(0.1, 0.5), curvature=10.0)
        ax.set_title("a title keeps its place")
        fig.tight_layout()
        fig.canvas.draw()  # places the axis labels
        renderer = fig.canvas.get_renderer()
        legend = artists.legend.get_window_extent(renderer)
        bar = artists.colorbar.ax.get_window_extent(renderer)
        for text in (ax.title, ax.xaxis.label, *ax.get_xticklabels()):
            assert not legend.overlaps(text.get_window_extent(renderer))
        for box in (legend, bar):
            assert not box.overlaps(ax.get_window_extent(renderer))
            assert fig.bbox.contains(box.x0, box.y0) and fig.bbox.contains(box.x1, box.y1)


@pytest.mark.parametrize("name", ["linear_regression", "tiny_network"])
def test_a_models_faster_loss_leaves_the_map_as_its_data_gives_it(name):
    # A closed-form loss (linear regression) and the loss shared with the gradient in one
    # pass (tiny network) are what the engine reads; the data's own mean is the reference.
    s = lossviz.surface(name)
    plain = lossviz.surface(name)
    plain._value, plain._loss_and_gradient = plain._data_loss, None
    lrs, betas = np.geomspace(1e-3, 1.0, 12), np.linspace(0.0, 0.99, 12)
    fast = stability_map(s, "momentum", lrs, betas, steps=200)
    reference = stability_map(plain, "momentum", lrs, betas, steps=200)
    np.testing.assert_array_equal(fast.diverged, reference.diverged)
    np.testing.assert_array_equal(fast.steps_to_converge, reference.steps_to_converge)
    np.testing.assert_allclose(fast.final_loss, reference.final_loss, rtol=1e-12)
    assert fast.diverged.any() and (fast.steps_to_converge >= 0).any()
