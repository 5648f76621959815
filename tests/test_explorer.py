"""The Explorer, headless: controls change exactly what they should in the drawn artists."""

import asyncio
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import autograd.numpy as anp
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.backend_bases import MouseEvent

import lossviz
from lossviz import Explorer, Surface, descend
from lossviz.schedules import cosine


def run_in_fresh_loop(coroutine):
    """Run ``coroutine`` in a new event loop, in a thread: a session may already run a loop
    in this one (playwright's, for the browser tests)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def drawn_paths(ex):
    """The path data of the drawn lines, shape (runs, points, 2)."""
    return np.array([np.column_stack(line.get_data()) for line in ex._path_artists.lines])


def expected_run(ex, **overrides):
    """`descend` with the Explorer's current settings (the reference for the drawn paths)."""
    opts = {}
    for name, hyper in ex.hyperparameters.items():
        opts[name] = lossviz.optimizer(name, **hyper)
    kwargs = dict(start=ex.start, steps=ex.controls["steps"].value,
                  noise=ex.controls["noise"].value, seed=ex.seed)
    kwargs |= overrides
    return descend(ex.surface, opts, **kwargs)


@pytest.fixture
def ex():
    explorer = Explorer("rosenbrock", optimizers=("gd", "momentum", "adam"), steps=150)
    yield explorer
    explorer.close()


def test_initial_frame_matches_descend(ex):
    assert ex.error is None
    assert set(ex.controls) >= {"surface", "optimizers", "lr", "momentum", "schedule", "steps",
                                "noise"}
    np.testing.assert_allclose(drawn_paths(ex), expected_run(ex).path)
    np.testing.assert_allclose(ex.run.path, expected_run(ex).path)
    assert [line.get_label() for line in ex._path_artists.lines] == ["gd", "momentum", "adam"]
    assert ex.figure.axes[0].get_xlim() == ex.surface.bounds[0]


def test_lr_slider_in_all_mode_scales_every_optimizer(ex):
    before = {n: h["lr"] for n, h in ex.hyperparameters.items()}
    shown = ex.controls["lr"].value
    assert shown == pytest.approx(before["gd"])  # it shows the first optimizer's rate
    ex.controls["lr"].value = shown * 3
    after = {n: h["lr"] for n, h in ex.hyperparameters.items()}
    assert after == pytest.approx({n: 3 * lr for n, lr in before.items()})
    np.testing.assert_allclose(drawn_paths(ex), expected_run(ex).path)


def test_tuning_one_optimizer_leaves_the_others(ex):
    before = drawn_paths(ex)
    ex.controls["tune"].value = "adam"
    assert ex.controls["lr"].value == pytest.approx(ex.hyperparameters["adam"]["lr"], rel=0.05)
    ex.controls["lr"].value = 0.1
    after = drawn_paths(ex)
    assert ex.hyperparameters["adam"]["lr"] == pytest.approx(0.1)
    np.testing.assert_array_equal(after[:2], before[:2])  # gd and momentum unchanged
    assert not np.allclose(after[2], before[2])
    np.testing.assert_allclose(after, expected_run(ex).path)


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


def test_schedule_changes_paths_and_preview(ex):
    ex.set(schedule="cosine")
    factors = ex._schedule_artists.line.get_ydata()
    np.testing.assert_allclose(factors, cosine(1.0, steps=150)(np.arange(150)))
    opts = {n: lossviz.optimizer(n, **{**h, "lr": cosine(h["lr"], steps=150)})
            for n, h in ex.hyperparameters.items()}
    np.testing.assert_allclose(drawn_paths(ex), descend(ex.surface, opts, start=ex.start,
                                                        steps=150).path)
    # Only the chosen schedule's parameters are on show.
    shown = [w.description for w in ex._schedule_box.children]
    assert shown == ["lowest rate ×"]
    ex.set(schedule="step_decay", schedule_every=20, schedule_factor=0.5)
    assert [w.description for w in ex._schedule_box.children] == ["decay every",
                                                                   "decay factor"]
    np.testing.assert_allclose(ex._schedule_artists.line.get_ydata()[:41],
                               [1.0] * 20 + [0.5] * 20 + [0.25])


def test_steps_and_noise(ex):
    ex.set(steps=40)
    assert drawn_paths(ex).shape == (3, 41, 2)
    assert ex._path_artists.lines[0].axes.figure is ex.figure
    clean = drawn_paths(ex)
    ex.set(noise=5.0)
    noisy = drawn_paths(ex)
    assert not np.allclose(clean, noisy)
    np.testing.assert_allclose(noisy, expected_run(ex).path)


def test_surface_switch_resets_view_and_contours(ex):
    old_contour = ex._surface_artists.filled
    ex.figure.axes[0].set_xlim(0, 0.5)  # as if the student had zoomed in
    ex.set(surface="himmelblau")
    assert ex.surface.name == "himmelblau"
    assert ex._surface_artists.filled is not old_contour
    assert old_contour not in ex.figure.axes[0].get_children()
    assert ex.figure.axes[0].get_xlim() == ex.surface.bounds[0]
    np.testing.assert_array_equal(ex.start, ex.surface.start)
    np.testing.assert_allclose(drawn_paths(ex), expected_run(ex).path)
    assert ex.figure.axes[0].get_title() == "himmelblau"


def test_optimizer_selection_rebuilds_artists(ex):
    ex.set(optimizers=("adam", "rmsprop", "nesterov", "gd"))
    assert [line.get_label() for line in ex._path_artists.lines] == [
        "adam", "rmsprop", "nesterov", "gd"]
    assert len(ex._loss_artists.lines) == 4
    assert list(ex.controls["tune"].options) == ["all", "adam", "rmsprop", "nesterov", "gd"]
    np.testing.assert_allclose(drawn_paths(ex), expected_run(ex).path)
    map_lines = [a for a in ex.figure.axes[0].get_lines() if a.get_label() in ("gd", "adam")]
    assert len(map_lines) == 2  # old artists were removed, not left behind


def click(ex, x, y):
    ax = ex.figure.axes[0]
    px, py = ax.transData.transform((x, y))
    for kind in ("button_press_event", "button_release_event"):
        MouseEvent(kind, ex.canvas, px, py, button=1)._process()


def test_click_on_the_map_sets_the_start(ex):
    click(ex, 0.5, 2.0)
    np.testing.assert_allclose(ex.start, [0.5, 2.0], atol=0.02)
    np.testing.assert_allclose(drawn_paths(ex)[:, 0], np.tile(ex.start, (3, 1)))
    np.testing.assert_allclose(drawn_paths(ex), expected_run(ex).path)
    # A click on the loss panel does nothing.
    ax = ex.figure.axes[1]
    px, py = ax.transAxes.transform((0.5, 0.5))
    MouseEvent("button_press_event", ex.canvas, px, py, button=1)._process()
    np.testing.assert_allclose(ex.start, [0.5, 2.0], atol=0.02)


def test_divergence_is_shown(ex):
    ex.set(lr={"gd": 0.01})
    assert ex.run.diverged[0]
    assert "diverged at step" in ex.readout.value
    end = ex._path_artists.ends[0]
    assert end.get_marker() == "X"
    assert "⚠" in ex.readout.value


def test_lr_change_blits_instead_of_full_redraw(ex):
    full = ex.stats["full_draws"]
    blits = ex.stats["blits"]
    ex.controls["lr"].value = ex.controls["lr"].value * 1.05
    assert ex.stats["blits"] == blits + 1
    assert ex.stats["full_draws"] == full


def test_burst_of_changes_in_a_kernel_loop_makes_one_final_frame(ex):
    values = np.geomspace(1e-4, 5e-4, 50)
    ex.coalesce = True  # as inside a kernel, whose event loop delivers the changes

    async def drag():
        frames = ex.stats["frames"]
        for v in values:  # a drag: 50 comm messages handled back to back
            ex.controls["lr"].value = v
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        return ex.stats["frames"] - frames

    assert run_in_fresh_loop(drag()) == 1
    assert ex.hyperparameters["gd"]["lr"] == pytest.approx(values[-1])
    np.testing.assert_allclose(drawn_paths(ex), expected_run(ex).path)


def test_frames_are_immediate_outside_a_kernel_even_with_a_running_loop(ex):
    async def change():
        frames = ex.stats["frames"]
        ex.controls["lr"].value = ex.controls["lr"].value * 1.1
        return ex.stats["frames"] - frames

    assert run_in_fresh_loop(change()) == 1


def test_burst_without_a_loop_ends_on_the_final_value(ex):
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


def test_bad_values_give_clear_errors(ex):
    with pytest.raises(ValueError, match="no control named 'learning_rate'"):
        ex.set(learning_rate=0.1)
    with pytest.raises(ValueError, match="unknown surface 'nope'; choose one of"):
        ex.set(surface="nope")
    with pytest.raises(ValueError, match="optimizers must be one or more of"):
        ex.set(optimizers=("gd", "sgd9000"))
    with pytest.raises(ValueError, match="lr must be a finite number > 0"):
        ex.set(lr=-1.0)
    with pytest.raises(ValueError, match="beta must be in"):
        ex.set(momentum=1.5)
    with pytest.raises(ValueError, match="steps must be an integer >= 1"):
        ex.set(steps=0)
    with pytest.raises(ValueError, match="start must be one finite point"):
        ex.set(start=(np.nan, 1.0))
    with pytest.raises(ValueError, match="gd has no momentum hyperparameter"):
        ex.set(momentum={"gd": 0.5})
    with pytest.raises(ValueError, match="noise must be between"):
        ex.set(noise=-1.0)
    with pytest.raises(ValueError, match="unknown schedule"):
        Explorer("rosenbrock", schedule="sometimes")
    assert ex.error is None  # the widget itself is fine


def test_hidden_and_fixed_controls():
    ex = Explorer("quadratic", optimizers=("gd",), controls=("lr",), steps=30)
    shown = {name for name, c in ex.controls.items() if c.layout.display != "none"}
    assert shown == {"lr"}
    ex.close()


def test_reset_restores_defaults(ex):
    defaults = ex.hyperparameters
    ex.set(lr=1e-5, start=(0.0, 0.0), noise=1.0, schedule="cosine", steps=40)
    ex.reset()
    assert ex.hyperparameters == defaults
    np.testing.assert_array_equal(ex.start, ex.surface.start)
    assert ex.controls["schedule"].value == "constant" and ex.controls["noise"].value == 0.0
    assert ex.controls["steps"].value == 150


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
    assert ex.controls["batch_size"].layout.display != "none"
    ex.set(batch_size=8)
    np.testing.assert_allclose(drawn_paths(ex), expected_run(ex, batch_size=8).path)
    ex.set(surface="rosenbrock")
    assert ex.controls["batch_size"].layout.display == "none"
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
    for _ in range(50):
        Explorer("quadratic", optimizers=("gd",), steps=5).close()
    assert plt.get_fignums() == before


def test_static_fallback_image(ex):
    bundle = ex._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["image/png"][:8] == "iVBORw0K"  # base64 of the PNG signature


def test_import_lossviz_stays_free_of_widgets():
    code = (
        "import sys, matplotlib; backend = matplotlib.get_backend(); import lossviz; "
        "assert 'ipywidgets' not in sys.modules and 'ipympl' not in sys.modules; "
        "assert matplotlib.get_backend() == backend; "
        "compute = ['lossviz.engine', 'lossviz.surfaces', 'lossviz.optimizers', "
        "'lossviz.models', 'lossviz.schedules', 'lossviz.defaults']; "
        "print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr


def test_compute_modules_never_import_matplotlib():
    code = (
        "import sys; import lossviz; "
        "print(sorted(m for m in sys.modules if m.startswith(('matplotlib', 'ipywidgets'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_model_surface_shows_data_and_fitted_models():
    ex = Explorer("linear_regression", optimizers=("gd", "adam"), steps=40)
    fit_ax = ex._ax_fit
    assert fit_ax.get_visible()
    for line, w in zip(ex._fit_artists.fits, ex.run.final, strict=True):
        x, y = line.get_data()
        np.testing.assert_allclose(y, w[0] * x + w[1])
    assert "held-out loss" in ex.readout.value
    heldout = ex.surface.heldout_loss(ex.run.final)
    assert f"{heldout[0]:.4g}" in ex.readout.value
    ex.set(surface="quadratic")
    assert not fit_ax.get_visible() and ex._fit_artists is None
    assert "held-out loss" not in ex.readout.value
    ex.close()


def test_readout_states_the_largest_stable_rate():
    ex = Explorer("quadratic", optimizers=("gd",), steps=20)
    # quadratic(condition=10): Hessian eigenvalues 1 and 10, so 2 / 10.
    assert "2/λ<sub>max</sub> = 0.2." in ex.readout.value
    ex.close()


@pytest.mark.parametrize("pyplot_first", [True, False])
def test_importing_the_explorer_keeps_the_users_matplotlib_backend(pyplot_first):
    # ipympl switches pyplot to itself when imported after matplotlib; lessons' static
    # plt.show() figures must stay static.
    first = "import matplotlib.pyplot as plt; " if pyplot_first else ""
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


def test_initial_noise_above_the_slider_range_is_kept():
    ex = Explorer("quadratic", optimizers=("gd",), noise=50.0, steps=10)
    assert ex.controls["noise"].value == 50.0
    assert ex.controls["noise"].max >= 50.0
    with pytest.raises(ValueError, match="noise must be a finite number >= 0"):
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
    ex.controls["surface"].value = "custom"
    assert ex.surface is steep
    ex.close()


def test_the_schedule_panel_leaves_when_it_would_show_a_flat_line():
    ex = Explorer("quadratic", optimizers=("gd",), steps=20, controls=("lr",))
    assert not ex._ax_lr.get_visible()
    assert ex._ax_loss.get_position().height > 0.6  # the loss takes the whole column
    ex.set(schedule="cosine")  # a lesson may still set a schedule: then it is drawn
    assert ex._ax_lr.get_visible()
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
