"""An Explorer's movie as a student meets it in JupyterLab, in Debian's Chromium.

The movie's frames were sent ahead, so the browser plays them alone: with the kernel
asleep in a cell, a click on the movie's play must show every frame, in order, each as
soon as play reaches it (never a blank frame), all while the kernel sleeps.
"""

from __future__ import annotations

import json

import jupyter_harness as harness
import pytest

pytestmark = pytest.mark.browser

MOVIE = ".lossviz-movie"
CELLS = [
    "from lossviz import Explorer\n"
    'ex = Explorer("rosenbrock", steps=60, controls=("lr", "step", "arrows"),\n'
    '              arrows=("gradient", "update"))\n'
    "ex",
    "movie = ex.movie(frames=21, fps=10)\nmovie",
    "import time\nasleep = time.time()\ntime.sleep(6)\nawake = time.time()",
]

# Starts watching, on every animation frame until the last step shows (or ``seconds``
# pass), each change of the frame the movie shows (the step in its image's class), with
# the page's clock (Date.now(), the kernel's time.time() in milliseconds), and how many
# animation frames found the shown image not loaded; window.__movieWatch then holds them.
WATCH_JS = """([seconds, last]) => { window.__movieWatch = undefined; (async () => {
    const movies = document.querySelectorAll('.lossviz-movie');
    const frames = movies[movies.length - 1].querySelector('.lossviz-movie-frames');
    const shown = [];
    let previous = null, blank = 0;
    const start = performance.now();
    while (performance.now() - start < seconds * 1000) {
        await new Promise((resolve) => requestAnimationFrame(resolve));
        const image = frames.querySelector('img');
        if (!image || !image.complete || image.naturalWidth === 0) { blank += 1; continue; }
        const step = Number([...image.classList].find((c) => c.startsWith('lossviz-step-'))
            .slice('lossviz-step-'.length));
        if (step !== previous) {
            previous = step;
            shown.push({step, at: Date.now()});
            if (step === last) break;
        }
    }
    window.__movieWatch = {shown, blank};
})(); }"""

KERNEL_STATUS_JS = (
    "() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status"
)


@pytest.fixture(scope="module")
def movie_notebook(notebooks_dir):
    return harness.write_notebook(notebooks_dir / "movie.ipynb", CELLS).name


def kernel_json(page, expression: str):
    text = harness.kernel_output(page, f"import json\nprint(json.dumps({expression}))")
    return json.loads(text.strip().splitlines()[-1])


def start_cell(page, index: int) -> None:
    """Run cell ``index`` as Shift+Enter does, without waiting for it to finish."""
    page.evaluate(
        """(index) => {
            const notebook = window.jupyterapp.shell.currentWidget.content;
            notebook.activeCellIndex = index;
            window.__cellRun = window.jupyterapp.commands.execute('notebook:run-cell');
        }""",
        index,
    )


def screenshot(page, name: str) -> None:
    harness.keep_screenshot(page, MOVIE, name)


def test_the_browser_plays_the_movie_while_the_kernel_sleeps(page, jupyterlab, movie_notebook):
    harness.open_notebook(page, jupyterlab, movie_notebook)
    assert harness.restart_and_run_all(page), "a cell raised"
    harness.assert_no_errors(page)
    movie = page.locator(MOVIE).first
    movie.locator(".lossviz-movie-frames img.lossviz-step-0").wait_for(timeout=30_000)
    harness.scroll_into_view(movie)
    steps = kernel_json(page, "list(movie.steps)")
    assert steps == list(range(0, 61, 3))
    screenshot(page, "movie-step-0.png")

    # The kernel sleeps in a cell; only then is play pressed.
    start_cell(page, 2)
    page.wait_for_function(
        f"() => ({KERNEL_STATUS_JS})() === 'busy' && [...document.querySelectorAll("
        "'.jp-NotebookPanel .jp-InputArea-prompt')].some((p) => p.textContent.includes('*'))",
        timeout=30_000,
    )
    page.evaluate(WATCH_JS, [20, steps[-1]])
    movie.locator(".widget-play button").first.click()
    page.wait_for_function("() => window.__movieWatch !== undefined", timeout=30_000)
    watched = page.evaluate("() => window.__movieWatch")
    still_asleep = page.evaluate(KERNEL_STATUS_JS) == "busy"
    harness.wait_kernel_idle(page)
    asleep, awake = kernel_json(page, "[asleep * 1000, awake * 1000]")

    shown = [s["step"] for s in watched["shown"]]
    assert shown == steps, "every frame, in order"
    assert watched["blank"] == 0, "a frame was not loaded when shown"
    times = [s["at"] for s in watched["shown"]]
    assert still_asleep and all(asleep <= t <= awake for t in times), (
        f"frames shown at {times}, the kernel slept from {asleep} to {awake}"
    )
    screenshot(page, "movie-last.png")

    # Once awake, the kernel has only stored what the browser did; the movie stays put.
    synced = "[movie.play.value, movie.slider.index, movie.stack.selected_index]"
    assert kernel_json(page, synced) == [20, 20, 20]
    shown_last = movie.locator(".lossviz-movie-frames img").get_attribute("class")
    assert f"lossviz-step-{steps[-1]}" in shown_last.split()
    # The slider scrubs the frames too.
    handle = movie.locator(".widget-slider [role=slider]").first
    harness.press_key(handle, "Home")
    movie.locator(".lossviz-movie-frames img.lossviz-step-0").wait_for(timeout=15_000)
    harness.assert_no_errors(page)
    assert harness.page_errors(page) == []
    assert [e for e in page.console_errors if "Could not create a view" in e] == []
