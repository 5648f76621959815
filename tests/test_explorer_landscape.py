"""The 3-D view: the surface as a landscape with the paths on it, as a toggle."""

import numpy as np
import pytest

from lossviz import Explorer


@pytest.fixture
def ex():
    explorer = Explorer("himmelblau", optimizers=("gd", "adam"), steps=100)
    yield explorer
    explorer.close()


def test_the_toggle_swaps_the_map_for_the_landscape(ex):
    assert ex.panels["map"].ax.get_visible() and not ex.panels["map3d"].ax.get_visible()
    ex.set(view3d=True)
    assert ex.panels["map3d"].ax.get_visible() and not ex.panels["map"].ax.get_visible()
    assert ex.error is None and ex.panels["map3d"].ax.name == "3d"
    ex.set(view3d=False)
    assert ex.panels["map"].ax.get_visible() and not ex.panels["map3d"].ax.get_visible()


def test_the_paths_walk_on_the_landscape_and_the_step_is_marked(ex):
    ex.set(view3d=True, step=30)
    landscape = ex.panels["map3d"].landscape
    run = ex.run
    for i, line in enumerate(landscape.lines):
        x, y, z = line.get_data_3d()
        np.testing.assert_allclose(np.column_stack([x, y]), run.path[i])
        np.testing.assert_allclose(z, landscape.height(run.loss[i]))
    for i, marker in enumerate(landscape.markers):
        x, y, z = marker.get_data_3d()
        np.testing.assert_allclose([x[0], y[0]], run.path[i, 30])
        assert z[0] == pytest.approx(landscape.height(run.loss[i, 30]))
    # Heights: the loss above the grid's lowest (Himmelblau's span few decades: linear),
    # on a log scale where it spans many (Rosenbrock).
    assert not landscape.logarithmic
    assert landscape.height(np.array([landscape.low + 10.0]))[0] == pytest.approx(10.0)
    ex.set(surface="rosenbrock")
    landscape = ex.panels["map3d"].landscape
    assert landscape.logarithmic
    assert landscape.height(np.array([landscape.low + 10.0]))[0] == pytest.approx(1.0)


def test_the_landscape_follows_the_controls(ex):
    ex.set(view3d=True)
    for values in ({"lr_scale": 3.0}, {"surface": "rosenbrock"}, {"optimizers": ("gd",)},
                   {"step": 0}, {"lr_scale": 100.0}):  # fmt: skip
        ex.set(**values)
        assert ex.error is None
        assert len(ex.panels["map3d"].landscape.lines) == len(ex.run)
    with pytest.raises(ValueError, match="view3d must be True or False"):
        ex.set(view3d="yes")
