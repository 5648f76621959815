"""The still views: `draw_run` draws a run's data where it belongs, in one style, with a legend
that hides nothing. Artists' data are compared, not pixels."""

import subprocess
import sys

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

import lossviz
from lossviz.views import (
    draw_paths,
    draw_run,
    draw_starts,
    optimizer_color,
    update_paths,
)
from lossviz.views.contour import MINIMUM_STYLE
from lossviz.views.paths import START_STYLE
from lossviz.views.schedule_preview import draw_schedules, schedule_title


def axes(figsize=(6.0, 5.0), ncols=1):
    """Axes on a pyplot-free figure with an Agg canvas, so extents can be measured."""
    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)
    return fig, fig.subplots(1, ncols)


def data(artist) -> np.ndarray:
    return np.asarray(artist.get_xydata(), dtype=np.float64)


def legend_texts(artists) -> list[str]:
    return [t.get_text() for t in artists.legend.get_texts()]


def two_rates():
    """gd at a safe rate and at a diverging one on the condition-10 bowl (limit 0.2)."""
    rates = {"lr = 0.1": 0.1, "lr = 0.3": 0.3}
    return lossviz.descend(
        "quadratic", {k: lossviz.optimizer("gd", lr=v) for k, v in rates.items()}, steps=30
    )


RUNS = {
    "one start": lambda: lossviz.descend("himmelblau", ["gd", "momentum", "adam"], steps=80),
    "two starts": lambda: lossviz.descend(
        "saddle", ["gd", "momentum"], start=[[1.8, 0.001], [1.8, 0.0]], steps=60
    ),
    "a diverged run": two_rates,
}


@pytest.mark.parametrize("make", RUNS.values(), ids=RUNS.keys())
def test_each_run_is_one_line_with_its_path_as_data(make):
    run = make()
    _, ax = axes()
    artists = draw_run(ax, run)
    assert artists.runs == list(range(len(run)))
    assert len(artists.paths.lines) == len(run)
    for line, path in zip(artists.paths.lines, run.path, strict=True):
        np.testing.assert_array_equal(data(line), path)


@pytest.mark.parametrize("make", RUNS.values(), ids=RUNS.keys())
def test_starts_ends_and_stars_sit_on_the_runs_data(make):
    run = make()
    _, ax = axes()
    artists = draw_run(ax, run)
    np.testing.assert_array_equal(data(artists.paths.start), run.starts)
    for end, final in zip(artists.paths.ends, run.final, strict=True):
        np.testing.assert_array_equal(data(end), [final])
    np.testing.assert_array_equal(data(artists.surface.minima), run.surface.minima)


def test_a_diverged_run_ends_in_a_cross_at_its_last_finite_point():
    run = two_rates()
    assert run.diverged.tolist() == [False, True]
    _, ax = axes()
    safe, diverged = draw_run(ax, run).paths.ends
    last = run.diverged_step[1] - 1
    assert np.all(np.isfinite(run.path[1, last])) and not np.all(np.isfinite(run.path[1, last + 1]))
    np.testing.assert_array_equal(data(diverged), [run.path[1, last]])
    assert diverged.get_marker() == "X" and safe.get_marker() == "o"
    np.testing.assert_array_equal(data(safe), [run.path[0, -1]])


def test_legend_names_every_run_then_the_markers():
    run = lossviz.descend("himmelblau", ["gd", "momentum", "adam"], steps=20)
    _, ax = axes()
    assert legend_texts(draw_run(ax, run)) == [*run.names, "start", "known minimum"]


def test_legend_names_each_start_and_a_divergence():
    run = lossviz.descend("saddle", ["gd", "momentum"], start=[[1.8, 0.001], [1.8, 0.0]], steps=20)
    _, ax = axes()
    assert legend_texts(draw_run(ax, run)) == [
        "gd from (1.8, 0.001)",
        "gd from (1.8, 0)",
        "momentum from (1.8, 0.001)",
        "momentum from (1.8, 0)",
        "start",
        "known minimum",
    ]
    _, ax = axes()
    assert legend_texts(draw_run(ax, two_rates())) == [
        "lr = 0.1",
        "lr = 0.3",
        "start",
        "diverged (last finite point)",
        "known minimum",
    ]


def test_colour_is_the_optimizer_and_line_style_the_start():
    run = lossviz.descend("saddle", ["gd", "momentum"], start=[[1.8, 0.001], [1.8, 0.0]], steps=20)
    _, ax = axes()
    lines = draw_run(ax, run).paths.lines
    assert [line.get_color() for line in lines] == [optimizer_color(n) for n in run.names]
    assert [line.get_linestyle() for line in lines] == ["-", "--", "-", "--"]


def test_one_optimizer_at_two_rates_gets_two_colours_but_alone_its_own():
    run = two_rates()
    _, ax = axes()
    first, second = draw_run(ax, run).paths.lines
    assert first.get_color() == optimizer_color("gd") != second.get_color()
    _, ax = axes()
    (alone,) = draw_run(ax, run, runs=[1], legend=False).paths.lines
    assert alone.get_color() == optimizer_color("gd")


def test_runs_picks_and_orders_the_paths_the_legend_keeps_run_order():
    run = lossviz.descend("monkey_saddle", ["gd", "momentum"], start=[[1.2, 0], [1.2, 0.02]])
    _, ax = axes()
    artists = draw_run(ax, run, runs=[2, 0, 1])
    assert artists.runs == [2, 0, 1]
    for line, i in zip(artists.paths.lines, [2, 0, 1], strict=True):
        np.testing.assert_array_equal(data(line), run.path[i])
    drawn = [line for line in ax.lines if line in artists.paths.lines]
    assert drawn == artists.paths.lines  # later ones on top
    assert legend_texts(artists)[:3] == [
        "gd from (1.2, 0)",
        "gd from (1.2, 0.02)",
        "momentum from (1.2, 0)",
    ]


def test_runs_alone_draws_only_its_own_start():
    run = lossviz.descend("saddle", ["gd"], start=[[1.8, 0.5], [1.8, 0.0]], steps=5)
    _, ax = axes()
    artists = draw_run(ax, run, runs=[1], legend=False)
    assert artists.legend is None
    np.testing.assert_array_equal(data(artists.paths.start), [[1.8, 0.0]])


@pytest.mark.parametrize("runs", [[], [3], [-1]])
def test_runs_must_be_indices_of_the_run(runs):
    run = two_rates()
    _, ax = axes()
    with pytest.raises(ValueError, match="runs must be indices"):
        draw_run(ax, run, runs=runs)


def test_step_markers_put_a_dot_on_every_step():
    _, ax = axes()
    (line, _) = draw_run(ax, two_rates(), step_markers=True).paths.lines
    assert line.get_marker() == "o"
    _, ax = axes()
    (line, _) = draw_run(ax, two_rates()).paths.lines
    assert line.get_marker() in ("None", "none", "", None)


@pytest.mark.parametrize(
    "name, figsize, ncols",
    [
        ("himmelblau", (6.0, 6.0), 1),
        ("six_hump_camel", (6.0, 4.0), 1),
        ("multi_well", (13.0, 5.0), 2),
        ("saddle", (5.0, 5.0), 1),
        ("plateau_ridge", (10.0, 5.0), 1),
    ],
)
def test_the_legend_covers_no_star_no_start_and_no_end(name, figsize, ncols):
    surface = lossviz.surface(name)
    run = lossviz.descend(surface, ["gd", "momentum", "adam"], steps=100)
    fig, ax = axes(figsize, ncols)
    ax, neighbour = (ax, None) if ncols == 1 else ax
    artists = draw_run(ax, run)
    fig.tight_layout()
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    box = artists.legend.get_window_extent(renderer)
    # Half the star's size in pixels: no part of a marker may be under the legend.
    margin = MINIMUM_STYLE["markersize"] / 2 * fig.dpi / 72
    box = box.expanded((box.width + 2 * margin) / box.width, (box.height + 2 * margin) / box.height)
    points = np.concatenate([surface.minima, run.starts, run.final])
    for x, y in ax.transData.transform(points):
        assert not box.contains(x, y), (name, (x, y), box)
    if neighbour is not None:  # tight_layout leaves room for it beside the map
        assert not artists.legend.get_window_extent(renderer).overlaps(
            neighbour.get_window_extent(renderer)
        )


def test_every_view_marks_starts_and_minima_in_one_style():
    run = lossviz.descend("himmelblau", ["gd"], steps=5)
    _, ax = axes()
    start = draw_starts(ax, run.starts)
    from_paths = draw_paths(ax, ["gd"], [optimizer_color("gd")]).start
    from_run = draw_run(ax, run).paths.start
    for marker in (start, from_paths, from_run):
        assert marker.get_marker() == START_STYLE["marker"]
        assert marker.get_markersize() == START_STYLE["markersize"]
        assert marker.get_markerfacecolor() == START_STYLE["markerfacecolor"]
        assert marker.get_markeredgecolor() == START_STYLE["markeredgecolor"]
    np.testing.assert_array_equal(data(start), run.starts)
    np.testing.assert_array_equal(data(draw_starts(ax, (1.0, 2.0))), [[1.0, 2.0]])


def test_update_paths_marks_a_start_whose_run_diverged_at_step_0():
    # A start far outside the bounds diverges at once: its path is NaN throughout.
    run = lossviz.descend("quadratic", ["gd"], start=[[1e3, 0.0], [1.0, 1.0]], steps=3)
    assert run.diverged_step[0] == 0
    _, ax = axes()
    artists = draw_paths(ax, ["a", "b"], ["C0", "C1"])
    update_paths(artists, run)
    np.testing.assert_array_equal(data(artists.start), run.starts)


def test_the_views_need_no_widgets():
    code = "import sys, lossviz.views; assert 'ipywidgets' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# Schedules as small multiples (lesson 5's seven schedules) ---------------------------------------

SEVEN = [
    lossviz.schedules.constant(0.1),
    lossviz.schedules.step_decay(0.1, every=100, factor=0.5),
    lossviz.schedules.exponential(0.1, gamma=0.99),
    lossviz.schedules.inverse_time(0.1, k=0.01),
    lossviz.schedules.cosine(0.1, steps=300),
    lossviz.schedules.warmup_cosine(0.1, warmup=30, steps=300),
    lossviz.schedules.cyclic(lr_min=0.0, lr_max=0.1, period=100),
]


def test_each_schedule_is_a_line_of_its_rates_on_its_own_panel():
    fig = Figure(figsize=(14, 5.8))
    grid = fig.subplots(2, 4, sharex=True, sharey=True)
    drawn = draw_schedules(grid, SEVEN, steps=300)
    assert len(drawn) == 7
    t = np.arange(300)
    for ax, schedule, artists in zip(grid.flat, SEVEN, drawn, strict=False):
        assert list(ax.lines) == [artists.line]
        np.testing.assert_array_equal(artists.line.get_xdata(), t)
        np.testing.assert_allclose(artists.line.get_ydata(), schedule(t))
        assert ax.get_title() == schedule_title(schedule)
    assert len({artists.line.get_color() for artists in drawn}) == 7
    assert not grid[1, 3].axison  # the spare panel is off


def test_a_schedules_title_names_it_and_its_parameters():
    assert schedule_title(SEVEN[1]) == "step_decay\n(lr=0.1, every=100, factor=0.5)"
    assert schedule_title(SEVEN[6]) == "cyclic\n(lr_min=0, lr_max=0.1, period=100)"
    assert schedule_title(lambda t: 0.1 + 0 * t) == "<lambda>"


def test_the_outer_panels_carry_the_labels_and_each_columns_lowest_its_ticks():
    fig = Figure(figsize=(14, 5.8))
    FigureCanvasAgg(fig)
    grid = fig.subplots(2, 4, sharex=True, sharey=True)
    draw_schedules(grid, SEVEN, steps=300)
    fig.canvas.draw()
    labelled_x = {(r, c) for r in range(2) for c in range(4) if grid[r, c].get_xlabel() == "step"}
    assert labelled_x == {(1, 0), (1, 1), (1, 2), (0, 3)}
    labelled_y = {(r, c) for r in range(2) for c in range(4) if grid[r, c].get_ylabel()}
    assert labelled_y == {(0, 0), (1, 0)}
    for r, c in labelled_x:  # shared x hides inner tick labels; the lowest of a column shows them
        assert shown_ticks(grid[r, c])
    assert not shown_ticks(grid[0, 0])


def shown_ticks(ax) -> list[str]:
    """The x tick labels a reader sees on ``ax`` (after a draw)."""
    return [label.get_text() for label in ax.get_xticklabels() if label.get_visible()]


def test_draw_schedules_needs_an_axes_per_schedule():
    with pytest.raises(ValueError, match="one axes per schedule"):
        draw_schedules(Figure().subplots(1, 3), SEVEN, steps=10)


# -- log axes in plain text ----------------------------------------------------------------------
def test_powers_of_ten_are_matplotlibs_log_labels_in_plain_text():
    from matplotlib.ticker import LogFormatterSciNotation

    from lossviz.views.ticks import PowersOfTen, log_scale

    ours, theirs = PowersOfTen(), LogFormatterSciNotation()
    expected = {1e-12: "10⁻¹²", 1e-5: "10⁻⁵", 1.0: "10⁰", 10.0: "10¹", 1e21: "10²¹"}
    for value, text in expected.items():
        assert ours(value) == text
        assert theirs(value) == f"$\\mathdefault{{10^{{{text[2:].translate(DIGITS)}}}}}$"
    assert ours(2e-3) == "2×10⁻³" and theirs(2e-3) == "$\\mathdefault{2\\times10^{-3}}$"
    fig = Figure()
    ax = fig.subplots()
    ax.plot([1, 2], [1e-9, 1e2])
    log_scale(ax)
    log_scale(ax, "x")
    assert ax.get_yscale() == ax.get_xscale() == "log"
    FigureCanvasAgg(fig).draw()
    labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert labels and not any("$" in label for label in labels)
    with pytest.raises(ValueError, match="which must be 'x' or 'y'; got 'z'"):
        log_scale(ax, "z")


DIGITS = str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")
