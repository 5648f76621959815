"""Fixtures for tests that drive Debian's Chromium against local JupyterLab, Notebook 7 and
Voila servers.

One JupyterLab server, one Notebook 7 server, one Voila server and one browser serve the
whole session (each server starts when a test first asks for it); each test
gets a fresh browser context (``page``). Servers serve a temporary copy of ``notebooks/``
to which the harness demo notebook (``jupyter_harness.DEMO_NOTEBOOK``) is added. The
helpers that drive pages are in ``jupyter_harness``; a test of a lesson reads::

    import jupyter_harness as harness
    import pytest

    pytestmark = pytest.mark.browser

    def test_learning_rate_slider_redraws_the_map(page, jupyterlab):
        harness.open_notebook(page, jupyterlab, "01_tour.ipynb")
        assert harness.restart_and_run_all(page)
        harness.assert_no_errors(page)
        canvas = harness.find_canvas(page)
        before = harness.canvas_state(canvas)
        harness.press_key(harness.find_slider(page, "learning rate"), "ArrowRight")
        harness.wait_canvas_change(canvas, before)

For Notebook 7, the fixture ``notebook7`` replaces ``jupyterlab`` (``open_notebook`` opens
``/notebooks/01_tour.ipynb`` there), and a new student's ``harness.run_all_from_menu(page)``
can replace the restart; there an arrow key on a focused slider runs Notebook 7's own
shortcut (the next heading) before the slider sees it, so sliders are dragged with
``harness.drag_slider(handle)``. For Voila, ``harness.open_voila(page, voila, "01_tour.ipynb")``
replaces the first two lines. To click a point of a map, ``harness.click_canvas(canvas,
*harness.figure_fraction((x, y), ax_bounds, xlim, ylim))``.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import jupyter_harness as harness  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """When a browser test fails, save a screenshot of every open page and report it."""
    report = yield
    browser = item.funcargs.get("browser")
    if report.when == "call" and report.failed and browser is not None:
        report.sections.append(("open pages", describe_pages(browser)))
    return report


def describe_pages(browser) -> str:
    """Screenshot every page of ``browser`` into a new temp folder; list them with their
    blocked requests and console errors."""
    folder = Path(tempfile.mkdtemp(prefix="lossviz-browser-failure-"))
    lines = []
    pages = [page for context in browser.contexts for page in context.pages]
    for number, page in enumerate(pages):
        shot = folder / f"page-{number}.png"
        try:
            page.screenshot(path=shot, full_page=True)
        except Exception as error:  # the page may be why the test failed
            shot = f"no screenshot ({error})"
        lines += [
            page.url.split("?")[0],
            f"  screenshot: {shot}",
            f"  blocked requests: {getattr(page, 'blocked_urls', '?')}",
            f"  console errors: {getattr(page, 'console_errors', '?')}",
        ]
    return "\n".join(lines)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's Chromium; skips without it, except in CI (``CI`` set), where it fails."""
    path = harness.find_chromium()
    if path is None:
        missing_tool(
            "Chromium not found: install Debian's chromium package (apt-get install chromium)"
        )
    return path


def missing_tool(message: str):
    """Skip the test, except in CI (``CI`` set), where a missing tool is a failure."""
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def notebooks_dir(tmp_path_factory) -> Path:
    """A temporary copy of the repo's ``notebooks/``, plus the harness demo notebook."""
    return harness.prepare_notebooks(
        REPO / "notebooks", tmp_path_factory.mktemp("served") / "notebooks"
    )


@pytest.fixture(scope="session")
def jupyterlab(notebooks_dir, tmp_path_factory):
    """A JupyterLab server on 127.0.0.1 serving ``notebooks_dir``, with this venv's kernel."""
    server = harness.start_jupyterlab(notebooks_dir, tmp_path_factory.mktemp("jupyterlab-home"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def notebook7(notebooks_dir, tmp_path_factory):
    """A Notebook 7 server (``jupyter notebook``) on 127.0.0.1 serving ``notebooks_dir``.

    Skips without the ``notebook`` package, except in CI (``CI`` set), where it fails.
    """
    if importlib.util.find_spec("notebook") is None:
        missing_tool("notebook is not installed: pip install -e '.[test]'")
    server = harness.start_notebook7(notebooks_dir, tmp_path_factory.mktemp("notebook7-home"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def voila(notebooks_dir, tmp_path_factory):
    """A Voila server on 127.0.0.1 serving the tree ``notebooks_dir``.

    A notebook's page is ``voila.url("voila/render/NAME.ipynb")``.
    """
    server = harness.start_voila(notebooks_dir, tmp_path_factory.mktemp("voila-home"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser(chromium_path):
    """Headless Debian Chromium, launched through Playwright (with a fresh profile)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing_tool("playwright is not installed: pip install -e '.[test]'")
    with sync_playwright() as playwright:
        browser = harness.launch_chromium(playwright, chromium_path)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser):
    """Factory of pages that can reach only loopback, each in a fresh browser context."""
    contexts = []

    def make(viewport=(1280, 900)):
        context, page = harness.new_local_page(browser, viewport)
        contexts.append(context)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    """A fresh page that can reach only loopback (data:, blob: too)."""
    return new_page()
