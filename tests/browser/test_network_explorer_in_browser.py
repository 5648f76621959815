"""The NetworkExplorer as a student meets it: JupyterLab and Voila in Debian's Chromium.

A notebook shows a NetworkExplorer; it must draw; a click on another plane must redraw
the canvas with the kernel on that plane, and a new learning rate (typed into the
slider's readout) must train again, with the progress bar seen while it trains.
"""

from __future__ import annotations

import json

import jupyter_harness as harness
import pytest

pytestmark = pytest.mark.browser

WIDGET = ".lossviz-network-explorer"
CELLS = [
    "from lossviz import NetworkExplorer\n"
    "nx = NetworkExplorer(width=8, steps=1500, resolution=25)\n"
    "nx",
]


@pytest.fixture(scope="module")
def network_notebook(notebooks_dir):
    return harness.write_notebook(notebooks_dir / "network_explorer.ipynb", CELLS).name


def settings(page) -> dict:
    code = (
        "import json\n"
        "print(json.dumps({'plane': nx.plane.kind, 'lr': nx.trained.optimizer.hyper['lr'],"
        " 'error': nx.error}))"
    )
    return json.loads(harness.kernel_output(page, code).strip().splitlines()[-1])


def screenshot(page, name: str) -> None:
    harness.keep_screenshot(page, WIDGET, name)


def test_network_explorer_in_jupyterlab(page, jupyterlab, network_notebook):
    harness.open_notebook(page, jupyterlab, network_notebook)
    assert harness.restart_and_run_all(page), "a cell raised"
    harness.assert_no_errors(page)
    canvas = harness.find_canvas(page, within=WIDGET)
    assert harness.canvas_state(canvas)["width"] >= 800
    screenshot(page, "network-explorer-pca.png")

    # Another plane: the kernel slices again (no training) and the canvas changes.
    before = harness.wait_canvas_settled(canvas)
    page.locator(WIDGET).get_by_role("button", name="random, filter-normalised").click()
    harness.wait_canvas_change(canvas, before, timeout=60_000)
    wait = harness.wait_canvas_settled(canvas)
    assert wait["inked"] > 0
    state = settings(page)
    assert state == {"plane": "filter", "lr": 0.01, "error": None}
    screenshot(page, "network-explorer-filter.png")

    # A new learning rate, typed into the slider's readout: training again, with progress.
    readout = page.locator(WIDGET).locator(".widget-readout").first
    readout.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("0.03")
    page.keyboard.press("Enter")
    progress = page.locator(WIDGET).locator(".widget-hprogress, .progress").first
    progress.wait_for(state="visible", timeout=30_000)
    harness.wait_canvas_change(canvas, wait, timeout=120_000)
    harness.wait_kernel_idle(page)
    for _ in range(120):  # the worker's result arrives on the event loop
        state = settings(page)
        if state["lr"] == pytest.approx(0.03, rel=0.05):
            break
        page.wait_for_timeout(500)
    assert state["lr"] == pytest.approx(0.03, rel=0.05) and state["error"] is None
    harness.assert_no_errors(page)


def test_network_explorer_in_voila(page, voila, network_notebook):
    harness.open_voila(page, voila, network_notebook)
    harness.assert_no_errors(page)
    canvas = harness.find_canvas(page, within=WIDGET)
    assert harness.canvas_state(canvas)["inked"] > 0
    before = harness.wait_canvas_settled(canvas)
    page.locator(WIDGET).get_by_role("button", name="random, not normalised").click()
    harness.wait_canvas_change(canvas, before, timeout=60_000)
    harness.assert_no_errors(page)
