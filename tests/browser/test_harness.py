"""The harness drives a widget notebook like a student would: run it, press keys, click, drag.

These tests run against the harness demo notebook (a log slider redraws a line; a click
moves a marker), not a lesson, so that they test the harness itself: in JupyterLab, in
Notebook 7 (``jupyter notebook``, run from its menu bar) and in Voila.
"""

from __future__ import annotations

import sys

import jupyter_harness as harness
import pytest

pytestmark = pytest.mark.browser

EXPONENT = "exponent"  # the demo slider's description


@pytest.fixture(scope="module")
def lab_demo(browser, jupyterlab):
    """The demo notebook open in JupyterLab, just restarted and run; shared by this module."""
    context, page = harness.new_local_page(browser)
    harness.open_notebook(page, jupyterlab, harness.DEMO_NOTEBOOK)
    page.ran_clean = harness.restart_and_run_all(page)
    yield page
    context.close()


def test_notebook_runs_without_error_in_this_venv_kernel(lab_demo, tmp_path):
    assert lab_demo.ran_clean
    harness.assert_no_errors(lab_demo)
    printed = "".join(harness.output_texts(lab_demo))
    assert f"kernel prefix: {sys.prefix}\n" in printed
    harness.find_canvas(lab_demo).scroll_into_view_if_needed()
    lab_demo.screenshot(path=tmp_path / "jupyterlab-demo.png")  # kept for a person to look at


def test_canvas_draws(lab_demo):
    state = harness.canvas_state(harness.find_canvas(lab_demo))
    assert (state["width"], state["height"]) == (400, 300)
    assert 0.01 < state["inked"] / (state["width"] * state["height"]) < 0.5


def test_arrow_right_on_slider_redraws_canvas(lab_demo):
    canvas = harness.find_canvas(lab_demo)
    slider = harness.find_slider(lab_demo, EXPONENT)
    value, before = harness.slider_readout(slider), harness.canvas_state(canvas)

    harness.press_key(slider, "ArrowRight")

    harness.wait_canvas_change(canvas, before)
    assert float(harness.slider_readout(slider)) > float(value)


def test_click_on_canvas_reaches_matplotlib_at_data_coordinates(lab_demo):
    canvas = harness.find_canvas(lab_demo)
    before = harness.canvas_state(canvas)
    label = lab_demo.locator(".widget-label", has_text="click")

    x, y = harness.figure_fraction((0.25, 0.75), harness.DEMO_AXES_BOUNDS, *harness.DEMO_LIMITS)
    harness.click_canvas(canvas, x, y)

    harness.wait_canvas_change(canvas, before)
    label.filter(has_text="clicked at").wait_for(timeout=10_000)
    clicked = [float(v) for v in label.inner_text().removeprefix("clicked at ").split(",")]
    assert clicked == pytest.approx([0.25, 0.75], abs=0.01)


def test_voila_renders_canvas_and_slider_answers_keyboard(page, voila):
    harness.open_voila(page, voila, harness.DEMO_NOTEBOOK)
    harness.assert_no_errors(page)
    canvas = harness.find_canvas(page)
    slider = harness.find_slider(page, EXPONENT)
    before = harness.canvas_state(canvas)

    harness.press_key(slider, "ArrowLeft")

    harness.wait_canvas_change(canvas, before)
    assert float(harness.slider_readout(slider)) < 1.0


@pytest.fixture(scope="module")
def notebook7_demo(browser, notebook7):
    """The demo notebook open in Notebook 7, run from the menu bar (Run > Run All Cells)."""
    context, page = harness.new_local_page(browser)
    harness.open_notebook(page, notebook7, harness.DEMO_NOTEBOOK)
    page.ran_clean = harness.run_all_from_menu(page)
    yield page
    context.close()


def test_notebook7_runs_from_the_menu_in_this_venv_kernel(notebook7_demo, tmp_path):
    assert notebook7_demo.url.split("?")[0].endswith(f"/notebooks/{harness.DEMO_NOTEBOOK}")
    assert notebook7_demo.evaluate("() => window.jupyterapp.name") == "Jupyter Notebook"
    assert notebook7_demo.ran_clean
    harness.assert_no_errors(notebook7_demo)
    printed = "".join(harness.output_texts(notebook7_demo))
    assert f"kernel prefix: {sys.prefix}\n" in printed
    state = harness.canvas_state(harness.find_canvas(notebook7_demo))
    assert (state["width"], state["height"]) == (400, 300)
    notebook7_demo.screenshot(path=tmp_path / "notebook7-demo.png")  # for a person to look at


def test_mouse_drag_on_slider_redraws_canvas_in_notebook7(notebook7_demo):
    canvas = harness.find_canvas(notebook7_demo)
    slider = harness.slider_near(canvas, EXPONENT)
    harness.scroll_into_view(slider)
    value, before = float(harness.slider_readout(slider)), harness.wait_canvas_settled(canvas)

    harness.drag_slider(slider)  # the demo's exponent starts at the middle: the drag goes up

    harness.wait_canvas_change(canvas, before)
    assert float(harness.slider_readout(slider)) > value


@pytest.mark.xfail(
    reason="Notebook 7 handles keys before the page does (JupyterLab lets them bubble "
    "first): ArrowRight on a focused slider runs its command-mode shortcut "
    "notebook:move-cursor-heading-below-or-expand, which stops the event",
    strict=False,
)
def test_arrow_key_on_slider_in_notebook7(notebook7_demo):
    canvas = harness.find_canvas(notebook7_demo)
    slider = harness.slider_near(canvas, EXPONENT)
    harness.scroll_into_view(slider)
    value = slider.get_attribute("aria-valuenow")
    harness.press_key(slider, "ArrowRight")
    notebook7_demo.wait_for_function(
        "([handle, value]) => handle.getAttribute('aria-valuenow') !== value",
        arg=[slider.element_handle(), value],
        timeout=5_000,
    )


@pytest.fixture(scope="module")
def failing_notebook(notebooks_dir):
    """A notebook that writes to stderr, then raises, then would print."""
    cells = ["import sys\nprint('careful', file=sys.stderr)", "1 / 0", "print('unreached')"]
    return harness.write_notebook(notebooks_dir / "harness_failing.ipynb", cells).name


def assert_reported(page):
    errors = harness.error_outputs(page)
    assert len(errors) == 2
    assert "careful" in errors[0] and "ZeroDivisionError" in errors[1]
    assert not any("unreached" in text for text in harness.output_texts(page))
    with pytest.raises(AssertionError, match="2 error output"):
        harness.assert_no_errors(page)


def test_errors_in_cells_are_reported_in_jupyterlab(page, jupyterlab, failing_notebook):
    harness.open_notebook(page, jupyterlab, failing_notebook)
    assert not harness.restart_and_run_all(page)
    assert_reported(page)


def test_errors_in_cells_are_reported_in_notebook7(page, notebook7, failing_notebook):
    harness.open_notebook(page, notebook7, failing_notebook)
    assert not harness.run_all_from_menu(page)
    assert_reported(page)


def test_errors_in_cells_are_reported_in_voila(page, voila, failing_notebook):
    harness.open_voila(page, voila, failing_notebook)
    assert_reported(page)


def test_pages_reach_only_this_machine(page, jupyterlab):
    page.goto(jupyterlab.url("lab"), wait_until="domcontentloaded")  # its CSP allows fetch
    outcomes = page.evaluate(
        """async (local) => {
            const fetched = (url) => fetch(url).then((r) => r.status, () => 'blocked');
            const socket = (url) => new Promise((resolve) => {
                const ws = new WebSocket(url);
                ws.onopen = () => { ws.close(); resolve('open'); };
                ws.onerror = ws.onclose = () => resolve('blocked');
            });
            return [await fetched(local), await fetched('https://example.org/'),
                    await socket('wss://example.org/')];
        }""",
        jupyterlab.url("api/status"),
    )
    assert outcomes == [200, "blocked", "blocked"]
    assert {"https://example.org/", "wss://example.org/"} <= set(page.blocked_urls)
