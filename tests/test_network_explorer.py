"""The network explorer: train a small network, see its loss over a plane, by code or control."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import ipywidgets
import numpy as np
import pytest

import lossviz
from lossviz import NetworkExplorer
from lossviz.widgets import network_explorer as module
from lossviz.widgets.network_state import (
    LINE_ALPHAS,
    NetworkState,
    apply_changes,
    choose_plane,
    first_order_optimizers,
    train_network,
)

SMALL = {"width": 4, "steps": 60, "resolution": 11, "lr": 0.05}


@pytest.fixture
def nx():
    explorer = NetworkExplorer(**SMALL)
    yield explorer
    explorer.close()


def test_it_trains_and_draws_both_slices_on_one_set_of_shades(nx):
    training = nx.training
    assert training.trajectory.shape == (61, nx.network.n_params)
    assert training.train_loss[-1] < training.train_loss[0]
    slices = nx.slices
    assert slices.grid.shape == (11, 11, 2) and slices.train.shape == slices.test.shape == (11, 11)
    both = np.concatenate([slices.train.ravel(), slices.test.ravel()])
    assert slices.levels[0] <= both.min() and slices.levels[-1] >= both.max()
    # Every map point is the network's loss at center + a d1 + b d2.
    d1, d2 = nx.plane.directions
    a, b = slices.grid[3, 7]
    theta = nx.plane.center + a * d1 + b * d2
    assert slices.train[3, 7] == pytest.approx(float(nx.trained.train_loss(theta)), rel=1e-9)
    assert slices.test[3, 7] == pytest.approx(float(nx.trained.test_loss(theta)), rel=1e-9)
    # The centre of the plane is the trained weights; the path ends there.
    np.testing.assert_allclose(nx.plane.center, training.trajectory[-1])
    np.testing.assert_allclose(nx.plane.path[-1], [0.0, 0.0], atol=1e-9)
    # Drawn: contours on both maps, the path on them, two curves per line panel.
    for name in ("slice_train", "slice_test"):
        ax = nx.panels[name].ax
        assert ax.collections, name
        path = nx.panels[name].artists.path
        np.testing.assert_allclose(path.get_xydata(), nx.plane.path)
    curves = nx.panels["curves"].ax.get_lines()
    np.testing.assert_allclose(curves[0].get_ydata(), training.train_loss)
    np.testing.assert_allclose(curves[1].get_ydata(), training.test_loss)
    line = nx.panels["line"].ax.get_lines()
    np.testing.assert_allclose(line[0].get_xdata(), LINE_ALPHAS)
    i0, i1 = np.argmin(abs(LINE_ALPHAS)), np.argmin(abs(LINE_ALPHAS - 1))
    assert line[0].get_ydata()[i0] == pytest.approx(training.train_loss[0], rel=1e-9)
    assert line[0].get_ydata()[i1] == pytest.approx(training.train_loss[-1], rel=1e-9)
    assert nx.picture()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_readout_states_the_network_the_losses_and_the_plane(nx):
    text = nx.readout.value
    t = nx.training
    assert f"{nx.network.n_params:,} parameters" in text
    assert f"training {t.train_loss[-1]:.4g}" in text and f"held-out {t.test_loss[-1]:.4g}" in text
    assert f"held-out {t.test_accuracy[-1]:.1%}" in text
    assert f"{nx.plane.in_plane:.1%} of the path's movement" in text
    first, second = nx.plane.explained
    assert f"{first:.1%} + {second:.1%}" in nx.figure._suptitle.get_text()


def test_a_change_recomputes_only_what_it_changes(nx):
    trained, plane = nx.trained, nx.plane
    nx.set(span=2.0)
    assert nx.trained is trained and nx.plane is plane  # a new grid of the same plane
    nx.set(plane="filter")
    assert nx.trained is trained and nx.plane is not plane
    assert nx.plane.bounds == ((-2.0, 2.0), (-2.0, 2.0))
    assert nx.slices.grid[0, 0].tolist() == [-2.0, -2.0]
    nx.set(direction_seed=3)
    assert nx.trained is trained
    nx.set(lr=0.01)
    assert nx.trained is not trained
    assert not np.allclose(nx.training.trajectory[-1], trained.training.trajectory[-1])
    assert nx.settings["lr"] == 0.01 and nx.controls["lr"].value == pytest.approx(0.01)


def test_planes_random_directions_are_nearly_orthogonal_and_hold_little_of_the_path(nx):
    pca = nx.plane
    assert pca.kind == "pca" and 0.9 < pca.in_plane <= 1.0 + 1e-12
    nx.set(plane="filter", width=32)  # 1,281 parameters
    assert abs(nx.plane.cosine) < 0.15
    assert nx.plane.in_plane < 0.2 and nx.plane.explained is None
    nx.set(plane="raw")
    # Raw directions are scaled as a whole to the trained weights' norm.
    norms = np.linalg.norm(nx.plane.directions, axis=1)
    np.testing.assert_allclose(norms, np.linalg.norm(nx.plane.center))


def test_a_controls_change_goes_through_the_same_route(nx):
    nx.controls["plane"].value = "filter"
    assert nx.plane.kind == "filter" and nx.settings["plane"] == "filter"
    nx.controls["width"].value = 2
    assert nx.network.sizes == (2, 2, 2, 1)
    nx.controls["data"].value = "noisy_curve"
    assert nx.data.task == "regression" and nx.training.train_accuracy is None
    assert "accuracy" not in nx.readout.value
    assert nx.controls["batch_size"].label == "full"  # None shows as a choice, not a blank
    nx.controls["batch_size"].value = 16
    assert nx.settings["batch_size"] == 16
    nx.controls["batch_size"].value = 0
    assert nx.settings["batch_size"] is None
    nx.set(batch_size=4)
    assert nx.controls["batch_size"].label == "4"


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ({"lr": -1}, "lr must be a number in (0, 10]"),
        ({"data": "mnist"}, "data must be one of 'two_moons', 'spirals', 'noisy_curve'"),
        ({"optimizer": "newton"}, "optimizer must be one of"),
        ({"plane": "hessian"}, "plane must be one of 'pca', 'filter', 'raw'"),
        ({"resolution": 500}, "resolution must be an integer between 5 and 81"),
        ({"width": 2.5}, "width must be an integer"),
        ({"colour": "red"}, "unknown setting 'colour'"),
    ],
)
def test_bad_values_are_refused_by_name_and_nothing_changes(nx, values, words):
    before = nx.settings
    with pytest.raises(ValueError) as error:
        nx.set(**values)
    assert words in str(error.value)
    assert nx.settings == before
    with pytest.raises((ValueError, TypeError)):  # an unknown keyword is Python's TypeError
        NetworkExplorer(**{**SMALL, **values})


def test_newton_is_not_offered_for_training():
    offered = first_order_optimizers()
    assert "newton" not in offered and {"gd", "momentum", "adam"} <= set(offered)


def test_a_diverging_training_is_shown_not_raised():
    nx = NetworkExplorer(
        width=4, steps=40, resolution=9, optimizer="gd", lr=10.0, data="noisy_curve"
    )
    try:
        step = nx.trained.diverged_step
        assert step is not None and step >= 1
        assert f"training diverged at step {step}" in nx.readout.value
        np.testing.assert_allclose(nx.plane.center, nx.training.trajectory[step - 1])
        assert np.isfinite(nx.plane.path).all()
    finally:
        nx.close()


def test_the_slice_is_a_surface_descend_and_the_explorer_work_on(nx):
    optimizers = [lossviz.optimizer("gd", lr=0.05), lossviz.optimizer("adam", lr=0.05)]
    run = lossviz.descend(nx.surface, optimizers, steps=20, start=(0.5, 0.5))
    assert run.path.shape == (2, 21, 2) and np.isfinite(run.path).all()
    explorer = nx.explorer(steps=15)
    try:
        assert explorer.surface is nx.surface or explorer.surface.name == nx.surface.name
        assert explorer.run.path.shape[1] == 16
    finally:
        explorer.close()


def test_close_leaves_no_widgets():
    before = len(ipywidgets.Widget.widgets)
    nx = NetworkExplorer(**SMALL)
    assert len(ipywidgets.Widget.widgets) > before
    nx.close()
    assert len(ipywidgets.Widget.widgets) == before
    assert nx.closed


def test_in_a_kernel_a_control_computes_in_the_background_and_stale_work_stops(monkeypatch):
    """On an event loop a control's change trains in a worker thread, with progress; a
    newer change stops the older training at its next progress tick, and only the newest
    result is drawn."""
    monkeypatch.setattr(module, "in_kernel", lambda: True)
    nx = NetworkExplorer(**{**SMALL, "steps": 400})
    threads, progress = set(), []
    real_train = module.train_network

    def train_network(state, progress_callback=None):
        threads.add(threading.current_thread().name)
        return real_train(state, progress_callback)

    monkeypatch.setattr(module, "train_network", train_network)
    shown = nx._show_progress

    def show_progress(what, done, total):
        progress.append((what, done, total))
        shown(what, done, total)

    monkeypatch.setattr(nx, "_show_progress", show_progress)

    async def main():
        nx.controls["lr"].value = 0.02
        await asyncio.sleep(0.05)
        nx.controls["lr"].value = 0.03
        for _ in range(400):
            await asyncio.sleep(0.05)
            if nx.settings["lr"] == 0.03 and nx.progress.layout.visibility == "hidden":
                if nx.trained.optimizer.hyper.get("lr") == 0.03:
                    break

    try:
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, main()).result()
        assert threads and all(name.startswith("lossviz") for name in threads)
        assert nx.trained.optimizer.hyper["lr"] == 0.03  # the newest setting, drawn
        assert progress and progress[-1][0] == "slicing"
        assert any(what == "training" for what, _, _ in progress)
        assert nx.error is None
    finally:
        nx.close()


def test_state_stages_are_pure_functions():
    state = apply_changes(NetworkState(), {"width": 3, "steps": 30})
    a, b = train_network(state), train_network(state)
    np.testing.assert_array_equal(a.training.trajectory, b.training.trajectory)
    plane = choose_plane(apply_changes(state, {"plane": "filter"}), a)
    again = choose_plane(apply_changes(state, {"plane": "filter"}), a)
    np.testing.assert_array_equal(plane.directions, again.directions)
