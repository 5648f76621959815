"""Maps of outcomes in the Explorer: the stability map panel with its ring and click, the
basin layer, and their computation off the event loop."""

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import numpy as np
import pytest

import lossviz
from lossviz import Explorer
from lossviz.widgets.background import QUIET, Background
from lossviz.widgets.panels import BasinLayer


@pytest.fixture
def quadratic():
    ex = Explorer("quadratic", optimizers=("gd", "momentum"), condition=10.0, steps=150)
    ex.set(tune="momentum", stability_map=True)
    yield ex
    ex.close()


def basin_layer(ex) -> BasinLayer:
    return next(layer for layer in ex.panels["map"].layers if isinstance(layer, BasinLayer))


def test_the_stability_map_shows_for_the_tuned_optimizer_with_its_border(quadratic):
    panel = quadratic.panels["stability"]
    smap = panel.shown
    assert smap is not None and smap.optimizer == "momentum" and smap.beta_name == "beta"
    assert panel.ax.get_visible() and not quadratic.panels["schedule"].ax.get_visible()
    # The same map as the core computes for this state.
    again = lossviz.stability_map(
        quadratic.surface, "momentum", smap.lrs, smap.betas, start=quadratic.start, steps=150
    )
    np.testing.assert_array_equal(smap.steps_to_converge, again.steps_to_converge)
    np.testing.assert_array_equal(smap.diverged, again.diverged)
    # A quadratic: the analytic border 2(1 + beta) / lambda_max is drawn.
    border = panel.map.border
    assert border is not None
    x, y = border.get_data()
    np.testing.assert_allclose(np.asarray(x), 2 * (1 + np.asarray(y)) / 10.0, rtol=1e-9)
    assert "Stability map</b> of momentum" in quadratic.readout.value


def test_the_ring_follows_the_sliders_without_a_new_map(quadratic):
    panel = quadratic.panels["stability"]
    smap = panel.shown
    quadratic.set(lr=0.05, momentum=0.5)
    assert panel.shown is smap  # lr and momentum do not change the map
    x, y = panel.map.current.get_data()
    assert (x[0], y[0]) == pytest.approx((0.05, 0.5))
    quadratic.set(steps=100)
    assert panel.shown is not smap and panel.shown.steps == 100


def test_a_click_on_a_cell_sets_exactly_that_pair(quadratic):
    panel = quadratic.panels["stability"]
    smap = panel.shown
    i, j = 7, 11
    # A click slightly off the cell's centre, inside the cell.
    click = SimpleNamespace(
        inaxes=panel.ax, button=1, xdata=smap.lrs[i] * 1.05, ydata=smap.betas[j] + 0.01
    )
    quadratic._on_click(click)
    hyper = quadratic.hyperparameters["momentum"]
    assert hyper["lr"] == pytest.approx(smap.lrs[i]) and hyper["beta"] == smap.betas[j]
    assert quadratic.hyperparameters["gd"] == quadratic.state.hyper["gd"]  # the other kept


def test_every_cell_of_a_map_is_a_pair_the_sliders_can_take():
    # On the tiny network momentum's default rate is 0.5: thirty times it would pass the
    # rate slider's top (10). The map's rates stay inside, and a click on its top-right
    # cell sets that pair.
    ex = Explorer("tiny_network", optimizers=("momentum",), stability_map=True, steps=100)
    try:
        panel = ex.panels["stability"]
        smap = panel.shown
        low, high = ex.controls["lr"].base ** np.array(
            [ex.controls["lr"].min, ex.controls["lr"].max]
        )
        assert smap is not None and low <= smap.lrs.min() and smap.lrs.max() <= high * (1 + 1e-12)
        assert smap.lrs[-1] / smap.lrs[0] == pytest.approx(10**3.5)  # 3.5 decades still
        click = SimpleNamespace(inaxes=panel.ax, button=1, xdata=smap.lrs[-1], ydata=smap.betas[-1])
        ex._on_click(click)
        assert ex.error is None
        hyper = ex.hyperparameters["momentum"]
        assert hyper["lr"] == pytest.approx(smap.lrs[-1]) and hyper["beta"] == smap.betas[-1]
    finally:
        ex.close()


@pytest.mark.parametrize("name", ["adam", "rmsprop", "adagrad"])
def test_a_quadratic_map_of_an_optimizer_without_a_border_formula_draws(name):
    # The analytic border is known for gd, momentum and nesterov; on a quadratic the map of
    # any other optimizer is drawn without one (it was refused with an error).
    ex = Explorer("quadratic", optimizers=(name,), stability_map=True, steps=100)
    try:
        panel = ex.panels["stability"]
        assert ex.error is None and panel.shown is not None and panel.shown.optimizer == name
        assert panel.map is not None and panel.map.border is None
    finally:
        ex.close()


def test_no_border_where_the_formula_does_not_hold():
    ex = Explorer("rosenbrock", optimizers=("adam",), stability_map=True, steps=100)
    try:
        panel = ex.panels["stability"]
        assert panel.shown is not None and panel.shown.beta_name == "beta1"
        assert panel.map.border is None
    finally:
        ex.close()


def test_the_basin_layer_colours_the_map_and_follows_the_settings():
    ex = Explorer("himmelblau", optimizers=("gd",), steps=200, basins=True)
    try:
        shown = basin_layer(ex).shown
        assert shown is not None and basin_layer(ex).image.get_visible()
        again = lossviz.basins(ex.surface, lossviz.optimizer("gd", **ex.hyperparameters["gd"]),
                               resolution=len(shown.x), steps=200)  # fmt: skip
        np.testing.assert_array_equal(shown.labels, again.labels)
        assert set(np.unique(shown.labels)) >= {0, 1, 2, 3}
        ex.set(lr=ex.hyperparameters["gd"]["lr"] * 3)
        assert basin_layer(ex).shown is not shown  # new settings, new basins
        ex.set(basins=False)
        assert basin_layer(ex).image is None and "Basins" not in ex.readout.value
    finally:
        ex.close()


def test_maps_are_refused_where_they_mean_nothing():
    def f(x, y):
        return x**2 + y**2

    own = lossviz.Surface.from_function(f, ((-1, 1), (-1, 1)))  # lists no minimum
    ex = Explorer(own, optimizers=("gd",), basins=True, stability_map=True)
    try:
        assert "basins" not in ex.controls or ex.controls["basins"].layout.display == "none"
        assert basin_layer(ex).image is None and not ex.panels["stability"].ax.get_visible()
        assert ex.error is None
    finally:
        ex.close()


# -- the background worker -------------------------------------------------------------------
def test_background_runs_in_a_thread_and_drops_stale_results():
    """On an event loop, stages run in a worker thread; a newer request makes the older
    one's results stale, and they never arrive."""
    background = Background()
    background.threaded = True
    results, progress, threads = [], [], set()

    def stage(value, wait=0.0):
        def run():
            threads.add(threading.current_thread().name)
            time.sleep(wait)
            return value

        return run

    async def main():
        background.submit("map", [stage("old", 0.3)], lambda r, i, n: results.append(r),
                          progress.append, "map")  # fmt: skip
        background.submit("map", [stage("new 1", 0.2), stage("new 2", 0.5)],
                          lambda r, i, n: results.append(r), progress.append, "map")  # fmt: skip
        await asyncio.sleep(2.0)

    # In a thread: a session may already run a loop in this one (playwright's).
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, main()).result()
    background.close()
    assert results == ["new 1", "new 2"]
    assert threads and all(name.startswith("lossviz") for name in threads)
    assert "computing map…" in progress and progress[-1] == ""


def test_background_starts_only_once_the_requests_pause():
    """A drag's burst of requests (each a new setting) starts only its last one, `QUIET`
    seconds after it: the stale ones never compete with the drag's frames; a request after
    a pause starts too."""
    background = Background()
    background.threaded = True
    ran = []

    def stage(value):
        return lambda: (ran.append(value), value)[1]

    async def main():
        for k in range(6):  # a drag: a new setting every 30 ms
            background.submit("map", [stage(k)], lambda r, i, n: None, lambda line: None, "map")
            await asyncio.sleep(0.03)
        await asyncio.sleep(QUIET + 0.3)
        background.submit("map", [stage("later")], lambda r, i, n: None, lambda line: None, "map")
        await asyncio.sleep(QUIET + 0.3)

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, main()).result()
    background.close()
    assert ran == [5, "later"]


def test_background_outside_a_loop_runs_at_once():
    background = Background()
    results = []
    background.submit("map", [lambda: 1, lambda: 2], lambda r, i, n: results.append((r, i, n)),
                      lambda line: None, "map")  # fmt: skip
    assert results == [(1, 0, 2), (2, 1, 2)]
