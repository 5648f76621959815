"""The Explorer, headless: controls change exactly what they should in the drawn artists.

Everything is read through public names: ``ex.state``, ``ex.run``, ``ex.controls``,
``ex.panels`` (each with its ``ax`` and artists) and ``ex.stats``.
"""

import asyncio
import base64
import gc
import io
import itertools
import subprocess
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor

import autograd.numpy as anp
import ipywidgets
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.backend_bases import MouseEvent

import lossviz
from lossviz import Explorer, Surface, descend
from lossviz.schedules import cosine
from lossviz.widgets import explorer as explorer_module
from lossviz.widgets.panels import PathsLayer


def run_in_fresh_loop(coroutine):
    """Run ``coroutine`` in a new event loop, in a thread: a session may already run a loop
    in this one (playwright's, for the browser tests)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def paths_layer(ex):
    return next(layer for layer in ex.panels["map"].layers if isinstance(layer, PathsLayer))


def drawn_paths(ex):
    """The path data of the drawn lines, shape (runs, points, 2)."""
    lines = paths_layer(ex).paths.lines
    return np.array([np.column_stack(line.get_data()) for line in lines])


def expected_run(ex, **overrides):
    """`descend` with the Explorer's current settings (the reference for the drawn paths)."""
    opts = {name: lossviz.optimizer(name, **hyper) for name, hyper in ex.hyperparameters.items()}
    kwargs = dict(start=ex.start, steps=ex.state.steps, noise=ex.state.noise, seed=ex.seed)
    kwargs |= overrides
    return descend(ex.surface, opts, **kwargs)


def registered_widgets():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return len(ipywidgets.Widget.widgets)


def pixels(ex):
    return np.asarray(ex.canvas.get_renderer().buffer_rgba()).copy()


@pytest.fixture
def ex():
    explorer = Explorer("rosenbrock", optimizers=("gd", "momentum", "adam"), steps=150)
    yield explorer
    explorer.close()


def test_initial_frame_matches_descend(ex):
    assert ex.error is None
    assert set(ex.controls) >= {"surface", "optimizers", "lr", "lr_scale", "momentum",
                                "schedule", "steps", "noise"}
    np.testing.assert_allclose(drawn_paths(ex), expected_run(ex).path)
    np.testing.assert_allclose(ex.run.path, expected_run(ex).path)
    assert [line.get_label() for line in paths_layer(ex).paths.lines] == [
        "gd", "momentum", "adam"]
    assert ex.panels["map"].ax.get_xlim() == ex.surface.bounds[0]
    assert set(ex.panels) == {"map", "loss", "schedule", "fit", "stability", "map3d"}


def test_all_mode_shows_one_factor_on_every_rate(ex):
    before = {n: h["lr"] for n, h in ex.hyperparameters.items()}
    shown = {n for n, c in ex.controls.items() if c.layout.display != "none"}
    assert "lr_scale" in shown and "lr" not in shown
    assert ex.controls["lr_scale"].value == 1.0
    assert ex.controls["lr_scale"].description == "learning rates ×"
    ex.controls["lr_scale"].value = 3.0
    after = {n: h["lr"] for n, h in ex.hyperparameters.items()}
    assert after == pytest.approx({n: 3 * lr for n, lr in before.items()})
    np.testing.assert_allclose(drawn_paths(ex), expected_run(ex).path)
    # The readout lists the rates in use.
    for lr in after.values():
        assert f"<td>{lr:.3g}</td>" in ex.readout.value


def test_tuning_one_optimizer_leaves_the_others(ex):
    before = drawn_paths(ex)
    ex.controls["tune"].value = "adam"
    shown = {n for n, c in ex.controls.items() if c.layout.display != "none"}
    assert "lr" in shown and "lr_scale" not in shown
    assert ex.controls["lr"].value == pytest.approx(ex.hyperparameters["adam"]["lr"])
    ex.controls["lr"].value = 0.1
    after = drawn_paths(ex)
    assert ex.hyperparameters["adam"]["lr"] == pytest.approx(0.1)
    np.testing.assert_array_equal(after[:2], before[:2])  # gd and momentum unchanged
    assert not np.allclose(after[2], before[2])
    np.testing.assert_allclose(after, expected_run(ex).path)


def test_the_slider_shows_the_rate_in_use_under_a_factor(ex):
    ex.set(lr_scale=2.0, tune="gd")
    assert ex.controls["lr"].value == pytest.approx(ex.hyperparameters["gd"]["lr"])
    ex.controls["lr"].value = 4e-4
    assert ex.hyperparameters["gd"]["lr"] == pytest.approx(4e-4)


def test_a_value_the_browser_sends_back_snapped_is_not_a_move(ex):
    # A browser slider snaps a value the kernel wrote to its own step and may send it
    # back; taken as a move, an echo on the hidden lr slider would set every rate to one.
    ex.set(tune="gd")
    rate = ex.hyperparameters["gd"]["lr"]
    assert ex.controls["lr"].value == rate
    ex.controls["lr"].value = rate * 10**0.004  # within half a step (0.02 in log10)
    assert ex.hyperparameters["gd"]["lr"] == rate
    ex.controls["lr"].value = rate * 10**0.02  # a step: the student moved it
    assert ex.hyperparameters["gd"]["lr"] == pytest.approx(rate * 10**0.02)
    rates = {n: h["lr"] for n, h in ex.hyperparameters.items()}
    ex.set(tune="all")
    ex.controls["lr_scale"].value = 1.1
    assert {n: h["lr"] for n, h in ex.hyperparameters.items()} == pytest.approx(
        {n: 1.1 * r for n, r in rates.items()})


def test_set_and_slider_mean_the_same(ex):
    # One meaning per control: set(lr=...) does what moving the slider does.
    by_slider = Explorer("rosenbrock", optimizers=("gd", "momentum", "adam"), steps=150)
    for tune, lr in (("adam", 2e-3), ("all", 3e-3)):
        ex.set(tune=tune, lr=lr)
        by_slider.controls["tune"].value = tune
        by_slider.controls["lr"].value = lr
        assert ex.state == by_slider.state
    ex.set(lr_scale=0.5)
    by_slider.controls["lr_scale"].value = 0.5
    assert ex.state == by_slider.state
    np.testing.assert_array_equal(drawn_paths(ex), drawn_paths(by_slider))
    by_slider.close()


def test_set_with_mapping_and_number(ex):
    ex.set(lr={"adam": 0.02}, momentum=0.5)
    h = ex.hyperparameters
    assert h["adam"]["lr"] == 0.02
    assert h["momentum"]["beta"] == 0.5 and h["adam"]["beta1"] == 0.5
    np.testing.assert_allclose(drawn_paths(ex), expected_run(ex).path)


def test_momentum_slider_changes_only_methods_with_momentum(ex):
    before = drawn_paths(ex)
    ex.controls["momentum"].value = 0.5
    after = drawn_paths(ex)
    np.testing.assert_array_equal(after[0], before[0])  # gd has no momentum
    assert not np.allclose(after[1], before[1], equal_nan=True)
    assert not np.allclose(after[2], before[2], equal_nan=True)


def test_second_parameter_is_shown_only_for_adaptive_methods(ex):
    assert ex.controls["beta2"].layout.display != "none"
    before = drawn_paths(ex)
    ex.controls["beta2"].value = 0.9
    after = drawn_paths(ex)
    np.testing.assert_array_equal(after[:2], before[:2])
    assert ex.hyperparameters["adam"]["beta2"] == pytest.approx(0.9)
    ex.set(optimizers=("gd", "momentum"))
    assert ex.controls["beta2"].layout.display == "none"


def shown_controls(ex):
    return [n for n, c in ex.controls.items() if c.layout.display != "none"]


def test_schedule_changes_paths_and_preview(ex):
    ex.set(schedule="cosine")
    preview = ex.panels["schedule"].preview.line
    np.testing.assert_allclose(preview.get_ydata(), cosine(1.0, steps=150)(np.arange(150)))
    opts = {n: lossviz.optimizer(n, **{**h, "lr": cosine(h["lr"], steps=150)})
            for n, h in ex.hyperparameters.items()}
    np.testing.assert_allclose(drawn_paths(ex), descend(ex.surface, opts, start=ex.start,
                                                        steps=150).path)
    # Only the chosen schedule's parameters are on show.
    assert [n for n in shown_controls(ex) if n.startswith("schedule_")] == ["schedule_floor"]
    ex.set(schedule="step_decay", schedule_every=20, schedule_factor=0.5)
    assert [n for n in shown_controls(ex) if n.startswith("schedule_")] == [
        "schedule_every", "schedule_factor"]
    np.testing.assert_allclose(preview.get_ydata()[:41], [1.0] * 20 + [0.5] * 20 + [0.25])


def test_a_warm_up_longer_than_the_run_is_used_as_shown(ex):
    ex.set(schedule="warmup_cosine", schedule_warmup=300)  # steps = 150
    assert ex.controls["schedule_warmup"].value == 300
    factors = ex.panels["schedule"].preview.line.get_ydata()
    np.testing.assert_allclose(factors, np.arange(1, 151) / 300)  # still rising at the end


def test_steps_and_noise(ex):
    ex.set(steps=40)
    assert drawn_paths(ex).shape == (3, 41, 2)
    assert ex.panels["loss"].ax.get_xlim() == (0, 40)
    clean = drawn_paths(ex)
    ex.set(noise=5.0)
    noisy = drawn_paths(ex)
    assert not np.allclose(clean, noisy)
    np.testing.assert_allclose(noisy, expected_run(ex).path)


def test_surface_switch_resets_view_and_contours(ex):
    map_panel = ex.panels["map"]
    old_contour = map_panel.surface_artists.filled
    map_panel.ax.set_xlim(0, 0.5)  # as if the student had zoomed in
    ex.set(surface="himmelblau")
    assert ex.surface.name == "himmelblau"
    assert map_panel.surface_artists.filled is not old_contour
    assert old_contour not in map_panel.ax.get_children()
    assert map_panel.ax.get_xlim() == ex.surface.bounds[0]
    np.testing.assert_array_equal(ex.start, ex.surface.start)
    np.testing.assert_allclose(drawn_paths(ex), expected_run(ex).path)
    assert map_panel.ax.get_title() == "himmelblau"


def test_optimizer_selection_rebuilds_artists(ex):
    ex.set(optimizers=("adam", "rmsprop", "nesterov", "gd"))
    assert [line.get_label() for line in paths_layer(ex).paths.lines] == [
        "adam", "rmsprop", "nesterov", "gd"]
    assert len(ex.panels["loss"].curves.lines) == 4
    assert list(ex.controls["tune"].options) == ["all", "adam", "rmsprop", "nesterov", "gd"]
    np.testing.assert_allclose(drawn_paths(ex), expected_run(ex).path)
    map_lines = [
        a
        for a in ex.panels["map"].ax.get_lines()
        if a.get_label() in ("gd", "adam") and a.get_visible()
    ]
    assert len(map_lines) == 2  # old artists are hidden (kept for later) or removed
    assert shown_legends(ex) == [paths_layer(ex).legend]


def shown_legends(ex):
    return [legend for legend in ex.figure.legends if legend.get_visible()]


def test_artists_of_a_tag_met_again_are_shown_again_and_the_kept_ones_are_few(ex):
    first = ex.state.optimizers
    lines, legend = list(paths_layer(ex).paths.lines), paths_layer(ex).legend
    curves = list(ex.panels["loss"].curves.lines)
    ex.set(optimizers=(*first, "rmsprop"))
    assert not legend.get_visible() and shown_legends(ex) == [paths_layer(ex).legend]
    ex.set(optimizers=first)
    assert paths_layer(ex).paths.lines == lines and paths_layer(ex).legend is legend
    assert ex.panels["loss"].curves.lines == curves
    assert all(line.get_visible() for line in [*lines, *curves])
    np.testing.assert_allclose(drawn_paths(ex), expected_run(ex).path)
    # Every subset of five optimizers, one after the other: a bounded number is kept.
    names = ("gd", "momentum", "nesterov", "adam", "rmsprop")
    for size in (1, 2, 3):
        for chosen in itertools.combinations(names, size):
            ex.set(optimizers=chosen)
            assert [t.get_text() for t in shown_legends(ex)[0].get_texts()][:size] == list(
                chosen
            )
    assert len(ex.figure.legends) <= 8
    assert len(ex.panels["map"].ax.get_lines()) <= 2 * 12 + 1 + 3  # paths, start, step lines
    ex.close()
    assert ex.figure.legends == []  # closing removes the kept ones too


def test_removing_every_tag_keeps_the_last_and_says_why(ex):
    ex.set(optimizers=("gd",))
    ex.controls["optimizers"].value = []
    assert list(ex.controls["optimizers"].value) == ["gd"]
    assert ex.state.optimizers == ("gd",)
    assert "optimizers must be one or more of" in ex.error
    ex.controls["optimizers"].value = ["gd", "adam"]  # and the widget goes on working
    assert ex.error is None and ex.state.optimizers == ("gd", "adam")


def test_adding_an_optimizer_keeps_the_others_settings(ex):
    ex.set(lr={"gd": 5e-4})
    ex.set(optimizers=("gd", "momentum", "adam", "newton"))
    assert ex.hyperparameters["gd"]["lr"] == 5e-4
    assert ex.hyperparameters["newton"] == lossviz.defaults.default_hyperparameters(
        ex.surface, "newton")


def click(ex, x, y, ax=None):
    ax = ax or ex.panels["map"].ax
    px, py = ax.transData.transform((x, y))
    for kind in ("button_press_event", "button_release_event"):
        MouseEvent(kind, ex.canvas, px, py, button=1)._process()


def test_click_on_the_map_sets_the_start(ex):
    click(ex, 0.5, 2.0)
    np.testing.assert_allclose(ex.start, [0.5, 2.0], atol=0.02)
    np.testing.assert_allclose(drawn_paths(ex)[:, 0], np.tile(ex.start, (3, 1)))
    np.testing.assert_allclose(drawn_paths(ex), expected_run(ex).path)
    # A click on the loss panel does nothing.
    ax = ex.panels["loss"].ax
    px, py = ax.transAxes.transform((0.5, 0.5))
    MouseEvent("button_press_event", ex.canvas, px, py, button=1)._process()
    np.testing.assert_allclose(ex.start, [0.5, 2.0], atol=0.02)


def test_every_route_gives_the_same_state():
    routes = [Explorer("himmelblau", optimizers=("gd", "adam"), steps=50) for _ in range(3)]
    by_widget, by_set, by_click = routes
    by_widget.controls["steps"].value = 80
    by_set.set(steps=80)
    by_click.set(steps=80)
    point = (1.25, -0.5)
    by_widget._on_control("start", point)  # what a click hands on
    by_set.set(start=point)
    ax = by_click.panels["map"].ax
    px, py = ax.transData.transform(point)
    MouseEvent("button_press_event", by_click.canvas, px, py, button=1)._process()
    assert by_widget.state == by_set.state
    np.testing.assert_allclose(by_click.state.start, point, atol=0.02)
    # Reset by button and by method.
    by_widget.controls["reset"].click()
    by_set.reset()
    assert by_widget.state == by_set.state
    for e in routes:
        e.close()


def test_divergence_is_shown(ex):
    ex.set(lr={"gd": 0.01})
    assert ex.run.diverged[0]
    assert "diverged at step" in ex.readout.value
    end = paths_layer(ex).paths.ends[0]
    assert end.get_marker() == "X"
    assert "⚠" in ex.readout.value


def test_lr_change_blits_instead_of_full_redraw(ex):
    stats = dict(ex.stats)
    ex.controls["lr_scale"].value = 1.05
    assert ex.stats["blits"] == stats["blits"] + 1
    assert ex.stats["full_draws"] == stats["full_draws"]
    assert ex.stats["computes"] == stats["computes"] + 1


def test_a_rescaling_loss_axis_redraws_that_panel_alone(ex):
    map_before = ex.panels["map"].surface_artists.filled
    stats = dict(ex.stats)
    ex.set(lr_scale=3.0)  # gd and momentum climb out of the valley: the loss axis grows
    assert ex.stats["panel_redraws"] == stats["panel_redraws"] + 1
    assert ex.stats["full_draws"] == stats["full_draws"]
    assert ex.panels["map"].surface_artists.filled is map_before
    np.testing.assert_allclose(drawn_paths(ex), expected_run(ex).path)


@pytest.mark.parametrize("change", [
    {"lr_scale": 1.3},  # a blit
    {"lr_scale": 3.0},  # the loss panel redrawn alone
    {"schedule": "step_decay", "schedule_every": 30},  # the schedule preview appears
    {"optimizers": ("gd", "momentum", "adam", "rmsprop", "newton")},  # legend and loss alone
    {"optimizers": ("adam",)},
])
def test_a_blitted_frame_equals_a_full_redraw_pixel_for_pixel(ex, change):
    ex.canvas.syncing_data_url = False
    ex.set(schedule="cosine")  # the schedule panel shows, to cover it too
    ex.set(**change)
    blitted = pixels(ex)
    ex.loop.draw_full()
    np.testing.assert_array_equal(blitted, pixels(ex))


def test_a_panel_that_draws_past_its_cell_makes_a_full_draw(ex):
    # A y-label too long for the loss panel's cell: its redraw would reach the map's cell,
    # so the frame is drawn in full instead, and equals a full redraw.
    ex.canvas.syncing_data_url = False
    ex.panels["loss"].ax.set_ylabel("a loss label far too long " * 4)
    stats = dict(ex.stats)
    ex.set(lr_scale=3.0)  # the loss axis grows: that panel alone would be redrawn
    assert ex.stats["full_draws"] == stats["full_draws"] + 1
    assert ex.stats["panel_redraws"] == stats["panel_redraws"]
    drawn = pixels(ex)
    ex.loop.draw_full()
    np.testing.assert_array_equal(drawn, pixels(ex))


def test_drew_outside_reads_only_the_pixels_outside_the_cell():
    from lossviz.widgets.frames import _drew_outside

    before = np.zeros((40, 60, 4), dtype=np.uint8)
    rows, columns = slice(10, 30), slice(5, 50)
    inside = before.copy()
    inside[10:30, 5:50] = 255
    assert not _drew_outside(inside, before, rows, columns)
    for r, c in [(9, 20), (30, 20), (15, 4), (15, 50), (0, 0), (39, 59)]:
        outside = inside.copy()
        outside[r, c, 2] = 1  # one byte of one pixel
        assert _drew_outside(outside, before, rows, columns), (r, c)


def test_a_legend_met_again_is_copied_and_equals_a_full_redraw(ex, monkeypatch):
    """A tag added and removed again: the legend strip's pixels come from the first time
    it was drawn (no legend is drawn), and the frame equals a full redraw."""
    from lossviz.views.tiled_legend import TiledLegend

    ex.canvas.syncing_data_url = False
    before = ex.state.optimizers
    ex.set(optimizers=(*before, "rmsprop"))
    ex.set(optimizers=before)
    drawn = []
    draw = TiledLegend.draw

    def drawing(self, renderer):  # a hidden legend (kept for later) draws nothing
        if self.get_visible():
            drawn.append(self)
        return draw(self, renderer)

    monkeypatch.setattr(TiledLegend, "draw", drawing)
    ex.set(optimizers=(*before, "rmsprop"))
    ex.set(optimizers=before)
    assert drawn == []
    copied = pixels(ex)
    ex.loop.draw_full()
    assert len(drawn) == 1
    np.testing.assert_array_equal(copied, pixels(ex))


def test_the_first_selection_met_again_comes_back_from_the_full_draws_pixels(ex, monkeypatch):
    """The legend and loss axis of the selection the Explorer opened with were kept at its
    full draw: removing a tag added since copies them, and the frame equals a full redraw."""
    from lossviz.views.tiled_legend import TiledLegend

    ex.canvas.syncing_data_url = False
    before = ex.state.optimizers
    legends, loss_draws = [], []
    draw = TiledLegend.draw

    def drawing(self, renderer):
        if self.get_visible():
            legends.append(self)
        return draw(self, renderer)

    monkeypatch.setattr(TiledLegend, "draw", drawing)
    loss_ax = ex.panels["loss"].ax
    draw_axes = loss_ax.draw
    monkeypatch.setattr(loss_ax, "draw", lambda r: (loss_draws.append(1), draw_axes(r))[1])
    ex.set(optimizers=(*before, "newton"))
    assert len(legends) == 1  # a legend never drawn before
    assert ex.panels["loss"].ax.get_ylim()[0] < 1e-10  # newton reaches far below the rest
    assert len(loss_draws) == 1  # rescaled to show it
    limits = ex.panels["loss"].ax.get_ylim()
    ex.set(optimizers=before)
    assert len(legends) == 1 and len(loss_draws) == 1  # both from the full draw's pixels
    ex.set(optimizers=(*before, "newton"))
    assert ex.panels["loss"].ax.get_ylim() == limits
    assert len(legends) == 1 and len(loss_draws) == 1  # both from the first time's
    copied = pixels(ex)
    ex.loop.draw_full()
    np.testing.assert_array_equal(copied, pixels(ex))


def test_adding_or_removing_a_tag_redraws_the_legend_and_loss_not_the_map(ex):
    for optimizers in (("gd", "momentum", "adam", "newton"), ("gd", "adam")):
        stats = dict(ex.stats)
        ex.set(optimizers=optimizers)
        assert ex.stats["full_draws"] == stats["full_draws"]
        assert ex.stats["panel_redraws"] == stats["panel_redraws"] + 2
        labels = [t.get_text() for t in shown_legends(ex)[0].get_texts()]
        assert labels == [*optimizers, "start", "known minimum"]


def test_view_only_changes_redraw_without_recomputing(ex):
    computes = ex.stats["computes"]
    run = ex.run
    ex.set(loss_scale="linear")
    assert ex.panels["loss"].ax.get_yscale() == "linear"
    ex.controls["tune"].value = "gd"
    assert ex.stats["computes"] == computes and ex.run is run
    ex.set(loss_scale="log")
    assert ex.panels["loss"].ax.get_yscale() == "log"


def test_the_log_loss_axis_is_labelled_in_plain_text(ex):
    # Unicode superscripts, not mathtext: a rescale mid-drag parses no new label.
    ex.set(loss_scale="log")
    ex.figure.canvas.draw()
    labels = [t.get_text() for t in ex.panels["loss"].ax.get_yticklabels() if t.get_text()]
    assert labels and all(label.startswith("10") and "$" not in label for label in labels)
    assert any(set(label) & set("⁰¹²³⁴⁵⁶⁷⁸⁹") for label in labels)


def test_burst_of_changes_in_a_kernel_loop_makes_one_final_frame(ex):
    values = np.geomspace(0.5, 2.0, 50)
    ex.coalesce = True  # as inside a kernel, whose event loop delivers the changes

    async def drag():
        frames = ex.stats["frames"]
        for v in values:  # a drag: 50 comm messages handled back to back
            ex.controls["lr_scale"].value = v
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        return ex.stats["frames"] - frames

    assert run_in_fresh_loop(drag()) == 1
    assert ex.state.lr_scale == pytest.approx(values[-1])
    np.testing.assert_allclose(drawn_paths(ex), expected_run(ex).path)


def test_frames_are_immediate_outside_a_kernel_even_with_a_running_loop(ex):
    async def change():
        frames = ex.stats["frames"]
        ex.controls["lr_scale"].value = 1.1
        return ex.stats["frames"] - frames

    assert run_in_fresh_loop(change()) == 1


def test_burst_without_a_loop_ends_on_the_final_value(ex):
    ex.set(tune="gd")
    for v in np.geomspace(1e-4, 5e-4, 50):
        ex.controls["lr"].value = v
    np.testing.assert_allclose(drawn_paths(ex), expected_run(ex).path)
    assert ex.hyperparameters["gd"]["lr"] == pytest.approx(5e-4)


def test_errors_in_a_user_surface_show_in_the_widget_and_it_keeps_working():
    def loss(x, y):
        if anp.any(x > 1.5):
            raise ArithmeticError("this loss is undefined for x > 1.5")
        return x**2 + y**2

    s = Surface.from_function(loss, ((-1, 1), (-1, 1)), minima=[(0, 0)], start=(0.5, 0.5),
                              name="fragile")
    ex = Explorer(s, optimizers=("gd",), steps=20, lr=0.1)
    assert ex.error is None
    good = drawn_paths(ex)
    ex.set(lr=1.5)  # overshoots past x = 1.5
    assert ex.error == "ArithmeticError: this loss is undefined for x > 1.5"
    assert "this loss is undefined for x &gt; 1.5" in ex.status.value
    np.testing.assert_array_equal(drawn_paths(ex), good)  # the last good frame stays
    ex.set(lr=0.2)
    assert ex.error is None and ex.status.value == ""
    np.testing.assert_allclose(drawn_paths(ex), expected_run(ex).path)
    ex.close()


@pytest.mark.parametrize("values, message", [
    ({"learning_rate": 0.1}, "no control named 'learning_rate'"),
    ({"surface": "nope"}, "unknown surface 'nope'; choose one of"),
    ({"optimizers": ("gd", "sgd9000")}, "optimizers must be one or more of"),
    ({"lr": -1.0}, r"lr must be a number in \[1e-07, 10\]; got -1.0"),
    ({"lr": "0.1"}, r"lr must be a number in \[1e-07, 10\]; got '0.1'"),
    ({"lr": 1e300}, r"lr must be a number in \[1e-07, 10\]; got 1e\+300"),
    ({"lr_scale": 0}, r"lr_scale must be a number in \[0.01, 100\]; got 0"),
    ({"momentum": 1.5}, r"momentum must be a number in \[0, 0.99\]"),
    ({"steps": 0}, "steps must be an integer between 1 and 2000; got 0"),
    ({"steps": 2.5}, "steps must be an integer between 1 and 2000; got 2.5"),
    ({"start": (np.nan, 1.0)}, "start must be one finite point"),
    ({"start": (1e308, 1e308)}, "start must be one finite point"),
    ({"momentum": {"gd": 0.5}}, "gd has no momentum hyperparameter"),
    ({"noise": -1.0}, "noise must be a number >= 0; got -1.0"),
    ({"batch_size": 8}, "batch_size applies to model surfaces only"),
    ({"condition": 100}, "condition is a parameter of the quadratic surface"),
    ({"tune": "sgd"}, "tune must be one of all, gd, momentum, adam; got 'sgd'"),
    ({"loss_scale": "sqrt"}, "loss_scale must be one of log, linear"),
    ({"reset": True}, "reset is a button"),
])
def test_bad_values_give_clear_errors_and_change_nothing(ex, values, message):
    state, frames = ex.state, ex.stats["frames"]
    with pytest.raises(ValueError, match=message):
        ex.set(**values)
    assert ex.state == state and ex.stats["frames"] == frames
    assert ex.error is None  # the widget itself is fine


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="unknown schedule"):
        Explorer("rosenbrock", schedule="sometimes")
    with pytest.raises(ValueError, match="unknown surface"):
        Explorer("nowhere")
    with pytest.raises(TypeError, match="unexpected arguments: colour"):
        Explorer("quadratic", colour="red")
    with pytest.raises(ValueError, match="controls has unknown names"):
        Explorer("quadratic", controls=("lr", "speed"))
    with pytest.raises(ValueError, match="optimizers must be one or more of"):
        Explorer("quadratic", optimizers=("gd", 3))


def test_hidden_and_fixed_controls():
    ex = Explorer("quadratic", optimizers=("gd",), controls=("lr",), steps=30)
    assert set(shown_controls(ex)) == {"lr"}
    ex.close()


def test_reset_restores_defaults(ex):
    defaults = ex.hyperparameters
    ex.set(lr=1e-5, start=(0.0, 0.0), noise=1.0, schedule="cosine", steps=40, lr_scale=3.0)
    ex.reset()
    assert ex.hyperparameters == defaults
    np.testing.assert_array_equal(ex.start, ex.surface.start)
    assert ex.controls["schedule"].value == "constant" and ex.controls["noise"].value == 0.0
    assert ex.controls["steps"].value == 150 and ex.controls["lr_scale"].value == 1.0


def test_reset_returns_to_the_lessons_own_settings():
    ex = Explorer("himmelblau", optimizers=("gd", "adam"), steps=80, lr={"gd": 0.002},
                  start=(1.0, 1.0), schedule="exponential", schedule_gamma=0.98)
    setup = ex.hyperparameters
    ex.set(lr=0.05, start=(0.0, 0.0), steps=20, schedule="constant")
    ex.reset()
    assert ex.hyperparameters == setup and setup["gd"]["lr"] == 0.002
    np.testing.assert_array_equal(ex.start, [1.0, 1.0])
    assert ex.controls["steps"].value == 80
    assert ex.controls["schedule"].value == "exponential"
    assert ex.controls["schedule_gamma"].value == 0.98
    np.testing.assert_allclose(drawn_paths(ex)[:, 0], [[1.0, 1.0]] * 2)
    # On another surface, reset means that surface's defaults.
    ex.set(surface="quadratic")
    ex.set(lr=0.3)
    ex.reset()
    assert ex.hyperparameters["gd"]["lr"] == 0.1
    np.testing.assert_array_equal(ex.start, ex.surface.start)
    ex.close()


def test_model_surfaces_offer_mini_batches():
    ex = Explorer("linear_regression", optimizers=("gd",), steps=30)
    assert ex.state.batch_size is None and ex.controls["batch_size"].value == 0
    assert ex.controls["batch_size"].layout.display != "none"
    ex.set(batch_size=8)
    np.testing.assert_allclose(drawn_paths(ex), expected_run(ex, batch_size=8).path)
    ex.controls["batch_size"].value = 0  # the slider's 0 is the full set: None in the state
    assert ex.state.batch_size is None
    np.testing.assert_allclose(drawn_paths(ex), expected_run(ex).path)
    ex.set(surface="rosenbrock")
    assert ex.controls["batch_size"].layout.display == "none"
    ex.close()
    ex = Explorer("linear_regression", optimizers=("gd",), steps=30, batch_size=None)
    assert ex.state.batch_size is None
    ex.close()


def test_every_surface_and_optimizer_default_runs_without_error():
    ex = Explorer("quadratic", optimizers=tuple(lossviz.optimizer_names()), steps=60)
    for name in lossviz.surface_names():
        ex.set(surface=name)
        assert ex.error is None, (name, ex.error)
        assert ex.run.path.shape == (7, 61, 2)
    ex.close()


def test_no_pyplot_figures_leak():
    before = plt.get_fignums()
    for _ in range(20):
        Explorer("quadratic", optimizers=("gd",), steps=5).close()
    assert plt.get_fignums() == before


def test_close_leaves_no_widget_registered_and_lets_the_explorer_go():
    before = registered_widgets()
    ex = Explorer("linear_regression", optimizers=("gd", "adam"), steps=20)
    assert registered_widgets() > before
    ex.set(optimizers=("gd", "adam", "momentum"), schedule="cosine")
    ex.close()
    assert registered_widgets() == before
    assert ex.figure.axes == []
    import weakref

    ref = weakref.ref(ex)
    del ex
    gc.collect()
    assert ref() is None


def test_rerunning_a_cell_closes_the_explorer_it_displayed(monkeypatch):
    where = {"value": ("cell-1", "run-1")}
    monkeypatch.setattr(explorer_module._DisplayedIn, "_where",
                        staticmethod(lambda: where["value"]))
    first = Explorer("quadratic", optimizers=("gd",), steps=5)
    other = Explorer("quadratic", optimizers=("gd",), steps=5)
    first._repr_mimebundle_()
    other._repr_mimebundle_()  # two Explorers from one run of a cell both stay
    assert not first._closed and not other._closed
    where["value"] = ("cell-2", "run-2")
    kept = Explorer("quadratic", optimizers=("gd",), steps=5)
    kept._repr_mimebundle_()
    first._repr_mimebundle_()  # shown again from another cell
    where["value"] = ("cell-1", "run-3")  # the first cell runs again
    second = Explorer("quadratic", optimizers=("gd",), steps=5)
    second._repr_mimebundle_()
    assert other._closed  # replaced
    assert not first._closed  # still shown by cell-2
    assert not kept._closed and not second._closed
    for e in (first, kept, second):
        e.close()


def test_static_fallback_image(ex):
    bundle = ex._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["image/png"][:8] == "iVBORw0K"  # base64 of the PNG signature


def test_import_lossviz_stays_free_of_widgets():
    code = (
        "import sys, matplotlib; backend = matplotlib.get_backend(); import lossviz; "
        "assert 'ipywidgets' not in sys.modules and 'ipympl' not in sys.modules; "
        "assert matplotlib.get_backend() == backend; "
        "print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr


def test_compute_modules_never_import_matplotlib():
    code = (
        "import sys; import lossviz, lossviz.curvature, lossviz.widgets.state, "
        "lossviz.widgets.control_table; "
        "print(sorted(m for m in sys.modules if m.startswith(('matplotlib', 'ipywidgets'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_model_surface_shows_data_and_fitted_models():
    ex = Explorer("linear_regression", optimizers=("gd", "adam"), steps=40)
    fit = ex.panels["fit"]
    assert fit.ax.get_visible()
    for line, w in zip(fit.fit.fits, ex.run.final, strict=True):
        x, y = line.get_data()
        np.testing.assert_allclose(y, w[0] * x + w[1])
    assert "held-out loss" in ex.readout.value
    heldout = ex.surface.heldout_loss(ex.run.final)
    assert f"{heldout[0]:.4g}" in ex.readout.value
    ex.set(surface="quadratic")
    assert not fit.ax.get_visible()
    assert "held-out loss" not in ex.readout.value
    ex.close()


def test_readout_states_the_largest_stable_rate():
    ex = Explorer("quadratic", optimizers=("gd",), steps=20)
    # quadratic(condition=10): Hessian eigenvalues 1 and 10, so 2 / 10.
    assert "2/λ<sub>max</sub> = 0.2." in ex.readout.value
    ex.close()


def test_surface_parameters_as_sliders():
    ex = Explorer("quadratic", optimizers=("gd", "momentum"), steps=100, condition=10,
                  angle=30, lr=0.05, momentum=0.9,
                  controls=("condition", "tune", "lr", "momentum", "steps", "reset"))
    assert "condition" in shown_controls(ex) and "angle" not in shown_controls(ex)
    assert ex.controls["condition"].value == 10
    contours = ex.panels["map"].surface_artists.filled
    ex.controls["condition"].value = 100.0
    assert ex.surface.params == {"condition": 100.0, "angle": 30.0}
    assert ex.panels["map"].surface_artists.filled is not contours
    assert ex.hyperparameters["gd"]["lr"] == 0.05  # the settings stay; the valley changes
    np.testing.assert_allclose(drawn_paths(ex), expected_run(ex).path)
    assert "2/λ<sub>max</sub> = 0.02." in ex.readout.value
    ex.reset()
    assert ex.surface.params["condition"] == 10
    ex.set(surface="rosenbrock")
    assert "condition" not in shown_controls(ex)
    ex.close()


def test_an_optimizer_object_and_a_function_surface_work():
    def step_by_sign(lr):
        def init(params):
            return ()

        def update(grad, state, params):
            return -lr * np.sign(grad), state

        return lossviz.Optimizer(init, update, name="signgd", hyper={"lr": lr})

    bowl = Surface.from_function(lambda x, y: x**2 + 4 * y**2, ((-2, 2), (-2, 2)),
                                 minima=[(0, 0)], start=(1.5, 1.0), name="bowl")
    mine = step_by_sign(0.05)
    ex = Explorer(bowl, optimizers=("gd", mine), steps=40)
    assert ex.state.optimizers == ("gd", "signgd") and ex.error is None
    np.testing.assert_allclose(ex.run.path, descend(bowl, {"gd": lossviz.optimizer(
        "gd", **ex.hyperparameters["gd"]), "signgd": mine}, steps=40).path)
    assert list(ex.controls["tune"].options) == ["gd"]  # the object is not tuned
    ex.set(lr_scale=2.0) if "lr_scale" in shown_controls(ex) else ex.set(lr=0.01)
    assert ex.hyperparameters["signgd"] == {"lr": 0.05}
    # set() takes Surfaces and Optimizer objects too.
    other = Surface.from_function(lambda x, y: (x - 1) ** 2 + y**2, ((-2, 2), (-2, 2)),
                                  minima=[(1, 0)], name="shifted")
    ex.set(surface=other, optimizers=(mine, "adam"))
    assert ex.surface is other and ex.state.optimizers == ("signgd", "adam")
    assert ("shifted", "shifted") in ex.controls["surface"].options
    ex.set(surface="bowl")
    assert ex.surface is bowl
    ex.close()


def test_importing_the_explorer_keeps_the_users_matplotlib_backend():
    for first in ("import matplotlib.pyplot as plt; ", ""):
        code = (
            f"import matplotlib; matplotlib.use('svg'); {first}"
            "from lossviz import Explorer; ex = Explorer('quadratic', steps=5); "
            "import matplotlib.pyplot as plt; print(matplotlib.get_backend(), plt.get_fignums())"
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert out.stdout.strip() == "svg []", out.stdout + out.stderr


def test_static_html_export_shows_the_last_frame(tmp_path):
    import nbformat
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "from lossviz import Explorer\nExplorer('quadratic', optimizers=('gd',), steps=20)"
    )])
    NotebookClient(nb, timeout=120, kernel_name="python3", store_widget_state=False,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    body, _ = HTMLExporter().from_notebook_node(nb)
    page = body.split("<main>", 1)[1]
    assert 'src="data:image/png;base64,' in page.split("jp-OutputArea-output", 1)[1]
    # The picture is the drawn frame, the path included: not the blank figure a kernel has
    # before its event loop draws the first frame.
    png = next(o for o in nb.cells[0].outputs if "image/png" in o.get("data", {}))
    pixels = plt.imread(io.BytesIO(base64.b64decode(png["data"]["image/png"])))[..., :3]
    gd_blue = np.array([0x00, 0x72, 0xB2]) / 255
    assert (np.abs(pixels - gd_blue).max(axis=-1) < 0.02).sum() > 50


def test_initial_noise_above_the_slider_range_is_kept():
    ex = Explorer("quadratic", optimizers=("gd",), noise=50.0, steps=10)
    assert ex.controls["noise"].value == 50.0
    assert ex.controls["noise"].max >= 50.0
    with pytest.raises(ValueError, match="noise must be a number >= 0"):
        Explorer("quadratic", noise=-1.0)
    ex.close()


def test_a_custom_surface_with_a_registered_name_is_told_apart():
    steep = lossviz.surface("quadratic", condition=100.0, angle=45.0)
    ex = Explorer(steep, optimizers=("gd",), steps=10)
    labels = [label for label, _ in ex.controls["surface"].options]
    assert labels[0] == "quadratic (custom)" and "quadratic" in labels[1:]
    assert ex.surface is steep
    ex.set(surface="quadratic")
    assert ex.surface is not steep and ex.surface.params["condition"] == 10.0
    ex.controls["surface"].value = "quadratic (custom)"
    assert ex.surface is steep
    ex.close()


def test_the_schedule_panel_leaves_when_it_would_show_a_flat_line():
    ex = Explorer("quadratic", optimizers=("gd",), steps=20, controls=("lr",))
    assert not ex.panels["schedule"].ax.get_visible()
    assert ex.panels["loss"].ax.get_position().height > 0.6  # the loss takes the column
    ex.set(schedule="cosine")  # a lesson may still set a schedule: then it is drawn
    assert ex.panels["schedule"].ax.get_visible()
    ex.close()


def test_noisy_run_near_a_minimum_is_reported_as_such():
    ex = Explorer("quadratic", optimizers=("gd",), steps=300, noise=0.5)
    assert ex.run.convergence_step()[0] == -1
    assert "near a minimum, still moving" in ex.readout.value
    ex.close()


def test_frame_png_encoder_round_trips():
    import io

    from PIL import Image

    from lossviz.widgets.canvas import encode_png

    rng = np.random.default_rng(0)
    pixels = (rng.integers(0, 256, (37, 53, 4)) * (rng.random((37, 53, 1)) < 0.2)).astype(np.uint8)
    decoded = np.asarray(Image.open(io.BytesIO(encode_png(pixels))).convert("RGBA"))
    np.testing.assert_array_equal(decoded, pixels)

    # Diff frames: all-zero rows are put together from cached segments, the other rows
    # compressed band by band; every arrangement decodes to the same pixels.
    def diff_frame(height, width, changed_rows):
        frame = np.zeros((height, width, 4), dtype=np.uint8)
        frame[changed_rows] = rng.integers(1, 256, (len(changed_rows), width, 4))
        return frame

    frames = [
        diff_frame(400, 820, [3, 4, 5, 200, 399]),  # zero runs of 3, 194 and 198 rows
        diff_frame(400, 820, []),  # nothing changed
        diff_frame(400, 820, list(range(400))),  # everything changed
        diff_frame(1, 1, [0]),
        diff_frame(1, 7, []),
        diff_frame(300, 5, list(range(0, 300, 2))),  # bands of one row each
        diff_frame(64, 33, list(range(10, 64))),
    ]
    frames.append(np.ascontiguousarray(frames[0][:, ::2]))  # another width, same rows
    frames.append(frames[0][::-1])  # a view, not C-contiguous in memory order
    for frame in frames:
        png = encode_png(frame)
        decoded = np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))
        np.testing.assert_array_equal(decoded, frame)
        # Told which rows may be nonzero, the encoder never reads the others.
        mask = frame.reshape(len(frame), -1).any(axis=1)
        dirty = frame.copy()
        dirty[~mask] = rng.integers(0, 256, dirty[~mask].shape)
        assert encode_png(dirty, mask) == png
    # A frame that changed nothing is small: under 1 % of its 1.3 MB of pixels.
    assert len(encode_png(frames[1])) < 0.01 * frames[1].size


def test_set_draws_at_once_where_a_drag_would_coalesce():
    """In a kernel a slider's burst waits for the event loop; code that calls ``set`` and
    reads ``run`` or the readout next gets the new frame, not the one before."""

    async def scenario():
        ex = Explorer("quadratic", optimizers=("gd",), steps=60)
        ex.coalesce = True  # as inside a kernel
        try:
            for lr in (0.05, 0.19, 0.21):
                ex.set(lr=lr)
                assert ex.run.optimizers[0].hyper["lr"] == pytest.approx(lr)
                assert f"{lr:.3g}" in ex.readout.value
            assert ex.run.diverged[0]  # 0.21 is above 2 / lambda_max = 0.2
            ex.reset()
            assert ex.run.optimizers[0].hyper["lr"] == pytest.approx(ex.hyperparameters["gd"]["lr"])
        finally:
            ex.close()

    run_in_fresh_loop(scenario())


def test_a_drag_draws_the_picture_first_and_its_readout_after():
    """In a kernel, a drag's frame sends its picture at once and writes the readout a
    moment later, once for a burst: the browser draws the canvas before laying out the
    table. Code that calls ``set`` gets both at once (test above)."""
    from lossviz.widgets.explorer import READOUT_DELAY

    async def scenario():
        ex = Explorer("quadratic", optimizers=("gd",), steps=60)
        ex.coalesce = True  # as inside a kernel
        readouts = []
        ex.readout.observe(lambda change: readouts.append(change["new"]), names="value")
        try:
            frames = ex.stats["frames"]
            for lr in (0.02, 0.03, 0.04):
                ex.controls["lr"].value = lr
                await asyncio.sleep(0)  # the event loop's turn: one frame
            assert ex.stats["frames"] == frames + 3
            assert ex.run.optimizers[0].hyper["lr"] == pytest.approx(0.04)
            assert readouts == []  # not yet
            await asyncio.sleep(2 * READOUT_DELAY)
            assert len(readouts) == 1 and "0.04" in readouts[0]  # the last frame's, once
            # Code that sets a value while a drag's readout waits: its own is the last.
            ex.controls["lr"].value = 0.05
            await asyncio.sleep(0)
            ex.set(lr=0.06)
            await asyncio.sleep(2 * READOUT_DELAY)
            assert "0.06" in ex.readout.value and "0.05" not in readouts[-1]
        finally:
            ex.close()

    run_in_fresh_loop(scenario())


def test_frame_canvas_sends_whole_frames_where_the_figure_is_transparent():
    """A diff frame is overlaid on the last one, which transparent pixels cannot be: a
    figure with any transparent pixel goes whole, an opaque one as a diff."""
    from matplotlib.figure import Figure

    from lossviz.widgets.canvas import FigureManager, FrameCanvas

    def frames_of(facecolor):
        figure = Figure(figsize=(2, 1), dpi=50, facecolor=facecolor)
        canvas = FrameCanvas(figure)
        manager = FigureManager(canvas, 0)
        figure.add_subplot().plot([0, 1], [0, 1])
        modes = []
        for _ in range(2):
            canvas.draw()
            canvas._png_is_old = True
            assert canvas.get_diff_image() is not None
            modes.append(canvas._current_image_mode)
        canvas.close()
        del manager
        return modes

    assert frames_of("white")[1] == "diff"
    assert frames_of((1, 1, 1, 0.5)) == ["full", "full"]


def test_diff_frames_put_together_give_the_figure():
    """What the browser shows: the first frame whole, then each diff frame laid over the
    last picture (its transparent pixels keep what was there). After every frame of a
    drag, that picture equals the figure's pixels, and unchanged rows are all transparent."""
    import io

    from PIL import Image

    ex = Explorer("rosenbrock", optimizers=("gd", "momentum", "adam"), steps=200)
    ex.canvas.syncing_data_url = False
    canvas = ex.canvas
    sent = []
    canvas.send_binary = sent.append  # what a connected browser would receive

    def next_image():
        png = sent.pop()
        assert not sent  # one image a frame
        return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA")), canvas._current_image_mode

    def figure():
        return np.asarray(canvas.get_renderer().buffer_rgba()).copy()

    canvas._force_full = True  # as when a browser connects
    canvas.draw()
    shown, mode = next_image()
    modes = [mode]
    try:
        for lr in [*np.geomspace(1e-4, 2e-3, 6), 1e-4]:
            before = figure()
            ex.controls["lr"].value = lr
            image, mode = next_image()
            modes.append(mode)
            assert mode == "diff"
            shown = np.where(image[..., 3:] == 0, shown, image)
            now = figure()
            np.testing.assert_array_equal(shown, now)
            unchanged = (now == before).all(axis=(1, 2))
            assert unchanged.sum() > 100 and (image[unchanged] == 0).all()
    finally:
        ex.close()
    assert modes[0] == "full"


def test_a_tag_added_renders_at_most_its_own_legend_entry(ex, monkeypatch):
    """The legend pastes kept pictures of its entries (`TiledLegend`): adding a tag makes
    at most one new picture, the new optimizer's, whatever the other entries."""
    from matplotlib.legend import Legend

    from lossviz.views.tiled_legend import TiledLegend

    legend = paths_layer(ex).legend
    assert isinstance(legend, TiledLegend) and legend.pasteable()
    rendered = []
    real_draw = Legend.draw
    monkeypatch.setattr(Legend, "draw", lambda self, r: (rendered.append(self), real_draw(self, r)))
    ex.set(optimizers=(*ex.state.optimizers, "rmsprop"))
    assert len(rendered) <= 1
    assert [t.get_text() for t in rendered for t in t.get_texts()] in ([], ["rmsprop"])
    assert [t.get_text() for t in shown_legends(ex)[0].get_texts()][-3:] == [
        "rmsprop",
        "start",
        "known minimum",
    ]


STARTS = [(-1.5, 2.0), (-2, 3), (0.5, 0.3), (1.2, 1.4), (-1.9, -0.9), (1.0, 0.9), (0.9, 0.8)]
"""Starts on Rosenbrock whose losses rescale the loss axis, up and down."""


@pytest.mark.parametrize("frames", range(2, len(STARTS) + 1))
def test_a_rescaled_loss_axis_keeps_the_step_labels_and_title_and_equals_a_full_draw(frames):
    """When only the loss axis's limits change, the panel is redrawn around the step
    axis's labels and the title, whose pixels stay. After any number of such frames in a
    row, the picture equals a full draw."""
    ex = Explorer("rosenbrock", optimizers=("gd", "momentum"), steps=200)
    try:
        ylims = set()
        for start in STARTS[:frames]:
            ex.set(start=start)
            ylims.add(ex.panels["loss"].ax.get_ylim())
        assert ex.stats["kept_redraws"] == len(ylims) - 1 > 0  # every rescale kept them
        assert ex.stats["full_draws"] == 1
        frame = pixels(ex)
        ex.loop.draw_full()
        np.testing.assert_array_equal(frame, pixels(ex))
    finally:
        ex.close()


def test_a_moving_label_near_a_kept_one_redraws_the_whole_panel():
    """The loss axis's label (it moves with the tick labels' width) put beside the step
    axis's first label: nothing is kept, and the frames still equal full draws."""
    ex = Explorer("rosenbrock", optimizers=("gd", "momentum"), steps=200)
    try:
        ax = ex.panels["loss"].ax
        ax.set_ylabel("L", rotation=0)
        ax.yaxis.set_label_coords(0.0, -0.1)
        ex.loop.draw_full()
        redraws = ex.stats["panel_redraws"]
        for start in STARTS:
            ex.set(start=start)
            frame = pixels(ex)
            ex.loop.draw_full()
            np.testing.assert_array_equal(frame, pixels(ex), err_msg=f"start={start}")
        assert ex.stats["panel_redraws"] - redraws >= 3  # the axis did rescale, alone
        assert ex.stats["kept_redraws"] == 0
    finally:
        ex.close()


def test_the_default_rates_of_every_optimizer_to_add_are_found_ahead(monkeypatch):
    """Built (and after a surface change), the Explorer has found the default rates of
    the optimizers not selected: adding one computes none, and takes the same rates as an
    Explorer that selected it from the start."""
    import lossviz.widgets.state as state_module
    from lossviz import optimizer_names

    ex = Explorer("rosenbrock", optimizers=("gd", "adam"), steps=50)
    try:
        calls = []
        real = state_module.default_hyperparameters
        monkeypatch.setattr(
            state_module,
            "default_hyperparameters",
            lambda s, name: (calls.append(name), real(s, name))[1],
        )
        everything = tuple(optimizer_names())
        ex.set(optimizers=everything)
        assert calls == []
        ex.set(surface="himmelblau", optimizers=("gd",))
        calls.clear()
        ex.set(optimizers=everything)
        assert calls == []
        monkeypatch.undo()
        fresh = Explorer("himmelblau", optimizers=everything, steps=50)
        try:
            assert ex.state.hyper == fresh.state.hyper
        finally:
            fresh.close()
    finally:
        ex.close()


def test_a_users_function_has_no_default_rates_found_ahead():
    """Through autograd they cost up to a second: found when a tag asks, as before."""
    import lossviz

    own = lossviz.Surface.from_function(lambda x, y: (x - 1) ** 2 + y**2, ((-2, 2), (-2, 2)))
    ex = Explorer(own, optimizers=("gd",), steps=50)
    try:
        assert not ex.catalog.knows_defaults(ex.state.surface, {}, "newton")
        ex.set(optimizers=("gd", "newton"))
        assert ex.catalog.knows_defaults(ex.state.surface, {}, "newton")
        assert ex.error is None
    finally:
        ex.close()
