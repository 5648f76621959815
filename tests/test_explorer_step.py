"""Inside a step in the Explorer: the scrubber, play, arrows, the curvature glyph and the
step table, through public names only (``ex.controls``, ``ex.set``, ``ex.panels``,
``ex.run``, ``ex.state``, ``ex.stats``)."""

import warnings

import ipywidgets
import numpy as np
import pytest

from lossviz import Explorer
from lossviz.curvature import local_quadratic
from lossviz.views.step import ARROW_KINDS
from lossviz.widgets.control_table import ARROW_KINDS as CONTROL_ARROW_KINDS
from lossviz.widgets.panels import StepLayer, StepLineLayer


@pytest.fixture
def ex():
    explorer = Explorer("rosenbrock", optimizers=("gd", "momentum", "adam"), steps=150)
    explorer.canvas.syncing_data_url = False
    yield explorer
    explorer.close()


def layer(ex, kind):
    for panel in ex.panels.values():
        for candidate in panel.layers:
            if isinstance(candidate, kind):
                return candidate
    raise AssertionError(f"no {kind.__name__}")


def pixels(ex):
    return np.asarray(ex.canvas.get_renderer().buffer_rgba()).copy()


def test_the_arrow_kinds_are_one_list():
    assert ARROW_KINDS == CONTROL_ARROW_KINDS


def test_the_step_starts_at_the_end_and_is_traced_once_inside(ex):
    assert ex.state.step == 150 and ex.controls["step"].max == 150
    assert ex.controls["play"].max == 150
    markers = layer(ex, StepLayer).step.markers
    np.testing.assert_array_equal(markers.get_offsets(), ex.run.path[:, 150])
    # At the end no step is taken: a drag there does not pay for recording every step.
    assert ex.run.grad is None
    computes = ex.stats["computes"]
    ex.set(step=149)
    assert ex.run.grad is not None and ex.run.grad.shape == (3, 150, 2)
    assert ex.stats["computes"] == computes + 1  # the one run that records the steps


def test_scrubbing_redraws_without_descend(ex):
    ex.set(step=0)  # the first step inside records the run once
    before = dict(ex.stats)
    for k in [*range(0, 151, 10), 150, 0]:
        ex.controls["step"].value = k
        assert ex.state.step == k and ex.error is None
        np.testing.assert_array_equal(
            layer(ex, StepLayer).step.markers.get_offsets(), ex.run.path[:, k]
        )
        assert layer(ex, StepLineLayer).line.get_xdata()[0] == k
    assert ex.stats["computes"] == before["computes"]
    assert ex.stats["full_draws"] == before["full_draws"]
    assert ex.stats["blits"] > before["blits"]


def test_without_the_step_controls_nothing_is_traced_or_drawn():
    ex = Explorer("rosenbrock", optimizers=("gd", "adam"), controls=("lr", "steps"))
    try:
        assert ex.run.grad is None
        assert layer(ex, StepLayer).step is None  # never made: nothing to draw or rebuild
        assert not any(artist.get_visible() for artist in layer(ex, StepLayer).artists())
        ex.set(optimizers=("gd", "adam", "rmsprop"))
        assert layer(ex, StepLayer).step is None
        assert not layer(ex, StepLineLayer).line.get_visible()
        assert "at step" not in ex.readout.value
    finally:
        ex.close()


def test_arrows_point_along_what_the_optimizer_saw_and_did(ex):
    ex.set(step=20, arrows=("gradient", "update", "velocity"))
    quivers = layer(ex, StepLayer).step.arrows
    run = ex.run
    expected = {"gradient": -run.grad[:, 20], "update": run.update[:, 20],
                "velocity": run.velocity[:, 20]}  # fmt: skip
    for kind, vectors in expected.items():
        quiver = quivers[kind]
        assert quiver.get_visible()
        drawn = np.column_stack([quiver.U, quiver.V])
        for d, v, at, point in zip(drawn, vectors, quiver.get_offsets(), run.path[:, 20],
                                   strict=True):  # fmt: skip
            if not np.isfinite(v).all() or not v.any():
                assert not d.any()  # gd keeps no velocity: a zero vector draws nothing
                continue
            np.testing.assert_allclose(at, point)
            cosine = d @ v / np.linalg.norm(d) / np.linalg.norm(v)
            assert cosine == pytest.approx(1.0, abs=1e-9), kind
    ex.set(arrows=("update",))
    quivers = layer(ex, StepLayer).step.arrows  # new choices: the layer was built again
    assert [k for k, q in quivers.items() if q.get_visible()] == ["update"]


def test_arrow_lengths_are_comparable_across_optimizers(ex):
    """One scale per kind for every optimizer: a larger gradient never draws shorter."""
    ex.set(step=5, arrows="gradient")
    quiver = layer(ex, StepLayer).step.arrows["gradient"]
    drawn = np.hypot(quiver.U, quiver.V)
    true = np.linalg.norm(ex.run.grad[:, 5], axis=-1)
    order = np.argsort(true)
    assert (np.diff(drawn[order]) >= -1e-12).all()


def test_the_curvature_glyph_follows_the_hessian():
    ex = Explorer("quadratic", optimizers=("gd",), condition=10.0, angle=30.0, steps=50)
    try:
        ex.set(step=3, curvature=True)
        glyph = layer(ex, StepLayer).step
        point = ex.run.path[0, 3]
        model = local_quadratic(ex.surface, point)
        assert glyph.ellipse.get_visible()
        np.testing.assert_allclose(glyph.ellipse.get_center(), point)
        v = model.eigenvectors[:, 0]
        assert glyph.ellipse.get_angle() % 180 == pytest.approx(
            np.degrees(np.arctan2(v[1], v[0])) % 180
        )
        # Half-axes in the ratio 1 / sqrt(lambda): sqrt(10) here.
        assert glyph.ellipse.get_width() / glyph.ellipse.get_height() == pytest.approx(
            np.sqrt(10.0)
        )
        assert "dashed axis: curves down" in glyph.note.get_text()  # the key says how to read it
        assert "2/λ<sub>max</sub> = 0.2" in ex.readout.value
        ex.set(surface="saddle", step=0)  # starts on the saddle's ridge
        glyph = layer(ex, StepLayer).step  # a new surface: the layer was built again
        assert not glyph.ellipse.get_visible()
        down = [line for line in glyph.axes_lines if line.get_linestyle() != "-"]
        assert len(down) == 1 and down[0].get_visible()  # one direction curves down
        assert "a saddle" in ex.readout.value
    finally:
        ex.close()


def test_the_step_table_shows_the_traced_values(ex):
    ex.set(step=12)
    table = ex.readout.value
    assert "at step 12 of 150" in table
    run = ex.run
    assert f"{np.linalg.norm(run.grad[2, 12]):.3g}" in table
    assert f"{run.lr[0, 12]:.3g}" in table
    ex.set(step=150)
    assert "no step taken from here" in ex.readout.value


def test_steps_keep_the_step_at_the_end_or_inside(ex):
    ex.set(steps=80)
    assert ex.state.step == 80 and ex.controls["step"].max == 80
    ex.set(step=30)
    ex.set(steps=200)
    assert ex.state.step == 30
    ex.set(steps=20)
    assert ex.state.step == 20
    ex.set(steps=60, step=50)  # steps applies first
    assert ex.state.step == 50


@pytest.mark.parametrize(
    "values, message",
    [
        ({"step": 151}, "step must be an integer between 0 and 150; got 151"),
        ({"step": -1}, "step must be an integer between 0 and 150"),
        ({"step": 2.5}, "step must be an integer"),
        ({"step": "3"}, "step must be an integer"),
        ({"arrows": ("gradient", "acceleration")}, "arrows must be some of gradient, update"),
        ({"arrows": 3}, "arrows must be some of"),
        ({"curvature": "yes"}, "curvature must be True or False"),
        ({"play": 3}, "play is a button"),
    ],
)
def test_bad_values_are_refused_and_change_nothing(ex, values, message):
    before = ex.state
    with pytest.raises(ValueError, match=message):
        ex.set(**values)
    assert ex.state == before


@pytest.mark.parametrize(
    "values",
    [
        {"step": 0, "arrows": ARROW_KINDS, "curvature": True},
        {"step": 150, "arrows": ARROW_KINDS, "curvature": True},
        {"step": 0, "arrows": (), "curvature": False},
        {"lr_scale": 100.0, "step": 149, "arrows": ARROW_KINDS, "curvature": True},  # diverged
        {"surface": "himmelblau", "step": 0, "arrows": ARROW_KINDS, "curvature": True},
        {"surface": "tiny_network", "noise": 0.5, "arrows": ARROW_KINDS, "curvature": True},
    ],
)
def test_every_end_of_the_new_controls_leaves_the_widget_working(ex, values):
    ex.set(**values)
    assert ex.error is None
    ex.controls["step"].value = ex.controls["step"].max
    ex.controls["step"].value = 0
    assert ex.error is None


def test_a_blitted_step_equals_a_full_redraw_pixel_for_pixel(ex):
    ex.set(arrows=ARROW_KINDS, curvature=True)
    ex.controls["step"].value = 37
    blitted = pixels(ex)
    ex.loop.draw_full()
    np.testing.assert_array_equal(blitted, pixels(ex))


def test_play_is_linked_to_the_step_slider(ex):
    """The link lives in the browser; here its two ends are checked (the browser test
    presses play)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        registered = list(ipywidgets.Widget.widgets.values())
    link = [
        w for w in registered
        if w.__class__.__name__ == "Link"
        and w.source[0] is ex.controls["step"] and w.target[0] is ex.controls["play"]
        and w.source[1] == "value"
    ]  # fmt: skip
    assert len(link) == 1 and link[0].source[1] == link[0].target[1] == "value"


def test_constructor_arguments():
    ex = Explorer("rosenbrock", optimizers="adam", steps=100, step=10,
                  arrows=["velocity"], curvature=True)  # fmt: skip
    try:
        assert (ex.state.step, ex.state.arrows, ex.state.curvature) == (10, ("velocity",), True)
        ex.set(step=50)
        ex.reset()
        assert ex.state.step == 10
    finally:
        ex.close()
