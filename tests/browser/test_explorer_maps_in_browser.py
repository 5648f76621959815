"""The Explorer's maps of outcomes in a live kernel: JupyterLab in Debian's Chromium.

Outside a kernel the basin layer and the stability map are computed at once; in a kernel
a worker thread computes them and hands each stage back to the kernel's event loop. This
is the only test of that path in a real kernel: a notebook shows an Explorer with both
maps on; both must arrive; a drag of the learning-rate slider (keyboard presses) must
redraw the canvas at each press, and once the hand stops the basins must be computed
again for the new rate, with no error.
"""

from __future__ import annotations

import json

import jupyter_harness as harness
import pytest

pytestmark = pytest.mark.browser

WIDGET = ".lossviz-explorer"
CELLS = [
    "from lossviz import Explorer\n"
    'ex = Explorer("himmelblau", optimizers=("gd", "momentum"), steps=200,\n'
    "              basins=True, stability_map=True)\n"
    "ex",
]


@pytest.fixture(scope="module")
def maps_notebook(notebooks_dir):
    return harness.write_notebook(notebooks_dir / "explorer_maps.ipynb", CELLS).name


def maps(page) -> dict:
    """What the kernel's Explorer shows: its rate, each map's settings, its error."""
    code = (
        "import json\n"
        "from lossviz.widgets.panels import BasinLayer\n"
        "layer = next(l for l in ex.panels['map'].layers if isinstance(l, BasinLayer))\n"
        "smap = ex.panels['stability'].shown\n"
        "print(json.dumps({'lr': ex.hyperparameters['gd']['lr'],\n"
        "    'basins': None if layer.shown is None else\n"
        "        [layer.shown.optimizer.hyper['lr'], len(layer.shown.x)],\n"
        "    'stability': None if smap is None else smap.optimizer,\n"
        "    'error': ex.error}))"
    )
    return json.loads(harness.kernel_output(page, code).strip().splitlines()[-1])


def wait_for(page, done, timeout_s: float = 90.0) -> dict:
    """Poll the kernel until ``done(maps(page))``; return the last reading."""
    for _ in range(int(timeout_s * 2)):
        state = maps(page)
        if done(state):
            return state
        page.wait_for_timeout(500)
    return state


def test_explorer_maps_arrive_and_follow_a_drag_in_jupyterlab(page, jupyterlab, maps_notebook):
    harness.open_notebook(page, jupyterlab, maps_notebook)
    assert harness.restart_and_run_all(page), "a cell raised"
    harness.assert_no_errors(page)
    canvas = harness.find_canvas(page, within=WIDGET)

    # Both maps arrive from the worker thread, the basins at their finest stage (96 x 96
    # starts for 200 steps on Himmelblau).
    state = wait_for(page, lambda s: s["basins"] and s["basins"][1] == 96 and s["stability"])
    assert state["error"] is None and state["stability"] == "gd"
    assert state["basins"] == [pytest.approx(state["lr"]), 96]
    harness.keep_screenshot(page, WIDGET, "explorer-maps.png")

    # A drag: every press redraws the canvas while the maps wait for the hand to stop.
    slider = harness.slider_near(canvas, "learning rate")
    for _ in range(4):
        before = harness.canvas_state(canvas)
        harness.press_key(slider, "ArrowRight")
        harness.wait_canvas_change(canvas, before, timeout=15_000)
    # Then the basins follow the new rate, to their finest stage.
    state = wait_for(page, lambda s: s["basins"] and s["basins"] == [pytest.approx(s["lr"]), 96])
    assert state["basins"] == [pytest.approx(state["lr"]), 96] and state["error"] is None
    harness.assert_no_errors(page)
