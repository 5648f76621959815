"""How long a student waits, in JupyterLab, from a key press on a slider to a redrawn canvas.

Starts JupyterLab and Debian's headless Chromium with the browser-test harness, opens a
notebook, restarts its kernel and runs all cells, then drags a slider with the keyboard:
ArrowRight ``--sweep`` times (10), ArrowLeft as many, and so on, measuring in the page,
with ``performance.now()``, the time from each ``keydown`` event to the first change of
any ipympl canvas's pixels. The pixels are checked after every ``drawImage`` on a canvas
(how ipympl puts a frame on it), timed before the check, and every 250 ms as a fallback;
not on every animation frame, since hashing every canvas that often took the page's main
thread from the very message handling and image decoding being timed (10-15 ms a press).
Prints the median and the 95th percentile in milliseconds. (Pressing the two keys in
turn would go back and forth between two positions, whose runs the Explorer keeps after
the first time: a kinder case than a drag.)

The tour, run to its end, leaves its Explorer at 2000 steps (its last exercise sets
them): that is the Explorer measured, three optimizers of 2000 steps on Rosenbrock.

    python benchmarks/bench_browser_slider.py                     # notebooks/01_tour.ipynb
    python benchmarks/bench_browser_slider.py --demo              # the harness demo notebook
    python benchmarks/bench_browser_slider.py notebooks/02_x.ipynb --slider "learning rate"
    python benchmarks/bench_browser_slider.py --play      # the tour's play button
    python benchmarks/bench_browser_slider.py --movie     # the same steps, sent ahead
    python benchmarks/bench_browser_slider.py --round-trip  # the floor: no figure at all

``--play`` opens a one-cell notebook with an Explorer that shows its step controls
(Rosenbrock, four optimizers, 300 steps, arrows on), moves the step slider to 0, presses
play (linked to the slider in the browser, 20 steps a second) and, for a few seconds,
records in the page every time a canvas's pixels change: how many frames a second the
student sees, the median and 95th percentile gap between them, and how far the slider got.

``--movie`` makes the same Explorer's ``ex.movie()`` (101 frames, every third step,
``--fps`` a second, 20 by default: play's rate), presses the movie's play and, on every
animation frame until the last frame shows, records which frame the page shows (the
step of the image in the movie's stack, once loaded): how many distinct frames a second
the student sees, the gaps between them, and whether any was skipped or blank.

``--round-trip`` measures the floor under any figure: a one-cell notebook with a slider
whose observer (in the kernel) writes its value into a text label, nothing drawn. The time
from each ``keydown`` to the label's new text is the round trip every slider pays (the
slider's message to the kernel, the kernel's reply, the page's update) before a figure is
drawn, encoded, sent and decoded.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "browser"))
import jupyter_harness as harness  # noqa: E402

DEFAULT_NOTEBOOK = REPO / "notebooks" / "01_tour.ipynb"

# Arms a one-shot measurement: resolves window.__benchResult with the milliseconds from the
# next keydown to the first canvas whose pixels differ from now, or null after timeoutMs.
_ARM_JS = """(timeoutMs) => {
    const state = STATE;
    const canvases = [...document.querySelectorAll('.jupyter-matplotlib-canvas-div')]
        .map((div) => div.querySelector('canvas'));
    const before = canvases.map((canvas) => state(canvas).hash);
    const contexts = canvases.map((canvas) => canvas.getContext('2d'));
    let pressed = null, done = false;
    window.__benchResult = undefined;
    const finish = (result) => {
        if (done) return;
        done = true;
        contexts.forEach((context) => { delete context.drawImage; });
        document.removeEventListener('keydown', onKey, true);
        window.__benchResult = result;
    };
    const check = (how) => {
        if (pressed === null || done) return;
        const now = performance.now();  // before hashing, which takes a few ms a canvas
        const changed = canvases.findIndex((canvas, i) => state(canvas).hash !== before[i]);
        if (changed >= 0) finish({ms: now - pressed, canvas: changed, how});
    };
    contexts.forEach((context) => {
        const drawImage = CanvasRenderingContext2D.prototype.drawImage;
        context.drawImage = function (...args) {
            const result = drawImage.apply(this, args);
            check('drawImage');
            return result;
        };
    });
    // A slow fallback for a change made some other way than drawImage (none is known):
    // hashing every canvas on every animation frame took main-thread time from the very
    // message handling and image decoding being timed (about 10-15 ms a press).
    const poll = () => { if (!done) { check('poll'); setTimeout(poll, 250); } };
    const onKey = () => { pressed = performance.now(); setTimeout(poll, 250); };
    document.addEventListener('keydown', onKey, true);
    setTimeout(() => finish({ms: null}), timeoutMs);
    return canvases.length;
}""".replace("STATE", harness.CANVAS_STATE_JS)

# Resolves once no canvas has changed for quietMs: the previous redraw is over.
_SETTLE_JS = """async (quietMs) => {
    const state = STATE;
    const canvases = [...document.querySelectorAll('.jupyter-matplotlib-canvas-div')]
        .map((div) => div.querySelector('canvas'));
    const snapshot = () => canvases.map((canvas) => state(canvas).hash).join(',');
    let last = snapshot(), since = performance.now();
    while (performance.now() - since < quietMs) {
        await new Promise((resolve) => requestAnimationFrame(resolve));
        const now = snapshot();
        if (now !== last) { last = now; since = performance.now(); }
    }
}""".replace("STATE", harness.CANVAS_STATE_JS)


# Records, for ``seconds``, the page time of every animation frame in which a canvas changed.
_WATCH_JS = """async (seconds) => {
    const state = STATE;
    const canvases = [...document.querySelectorAll('.jupyter-matplotlib-canvas-div')]
        .map((div) => div.querySelector('canvas'));
    const snapshot = () => canvases.map((canvas) => state(canvas).hash).join(',');
    let last = snapshot();
    const changes = [], start = performance.now();
    while (performance.now() - start < seconds * 1000) {
        await new Promise((resolve) => requestAnimationFrame(resolve));
        const now = snapshot();
        if (now !== last) { last = now; changes.push(performance.now() - start); }
    }
    return changes;
}""".replace("STATE", harness.CANVAS_STATE_JS)


# Starts recording, on every animation frame until the movie shows its last frame (or
# ``seconds`` pass), each change of the frame shown: the step of the loaded image in the
# movie's stack (its class ``lossviz-step-<k>``); also counts animation frames on which
# that image was not loaded (a blank frame). window.__movieWatch then holds the record.
MOVIE_WATCH_JS = """([seconds, last]) => { window.__movieWatch = undefined; (async () => {
    const movies = document.querySelectorAll('.lossviz-movie');
    const frames = movies[movies.length - 1].querySelector('.lossviz-movie-frames');
    const shown = [];
    let previous = null, blank = 0, polls = 0;
    const start = performance.now();
    while (performance.now() - start < seconds * 1000) {
        await new Promise((resolve) => requestAnimationFrame(resolve));
        polls += 1;
        const image = frames.querySelector('img');
        if (!image || !image.complete || image.naturalWidth === 0) { blank += 1; continue; }
        const step = Number([...image.classList].find((c) => c.startsWith('lossviz-step-'))
            .slice('lossviz-step-'.length));
        if (step !== previous) {
            previous = step;
            shown.push({ms: performance.now() - start, step});
            if (step === last) break;
        }
    }
    window.__movieWatch = {shown, blank, polls};
})(); }"""

PLAY_CELL = (
    "from lossviz import Explorer\n\n"
    'ex = Explorer("rosenbrock", steps=300, controls=("lr", "step", "arrows"),\n'
    '              arrows=("gradient", "update"))\n'
    "ex"
)
MOVIE_FRAMES = 101

ROUND_TRIP_CELL = (
    "import ipywidgets as widgets\n\n"
    'slider = widgets.FloatSlider(value=1.0, min=0.0, max=10.0, step=0.1, description="value")\n'
    'echo = widgets.Label("kernel saw 1.0", layout=widgets.Layout(width="20em"))\n\n\n'
    "def show(change):\n"
    '    echo.value = f"kernel saw {change[\'new\']:.1f}"\n\n\n'
    'slider.observe(show, names="value")\n'
    "widgets.VBox([slider, echo])"
)

# Arms a one-shot measurement of the round trip: resolves window.__benchResult with the
# milliseconds from the next keydown to the first change of the echo label's text.
_ARM_ECHO_JS = """(timeoutMs) => {
    const labels = [...document.querySelectorAll('.widget-label')]
        .filter((label) => label.textContent.startsWith('kernel saw'));
    const label = labels[labels.length - 1];
    const before = label.textContent;
    let pressed = null, done = false;
    window.__benchResult = undefined;
    const observer = new MutationObserver(() => {
        if (pressed !== null && !done && label.textContent !== before) {
            finish({ms: performance.now() - pressed, how: 'label text'});
        }
    });
    const finish = (result) => {
        if (done) return;
        done = true;
        observer.disconnect();
        document.removeEventListener('keydown', onKey, true);
        window.__benchResult = result;
    };
    const onKey = () => { pressed = performance.now(); };
    observer.observe(label, {childList: true, characterData: true, subtree: true});
    document.addEventListener('keydown', onKey, true);
    setTimeout(() => finish({ms: null}), timeoutMs);
    return 1;
}"""


def write_round_trip_notebook(path: Path) -> Path:
    """The --round-trip notebook: a slider and the label its kernel-side observer writes."""
    import nbformat

    kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(ROUND_TRIP_CELL)], metadata={"kernelspec": kernelspec}
    )
    nbformat.write(notebook, path)
    return path


def write_play_notebook(path: Path, movie_fps: float | None = None) -> Path:
    """The --play notebook; with ``movie_fps``, a second cell makes the Explorer's movie."""
    import nbformat

    cells = [nbformat.v4.new_code_cell(PLAY_CELL)]
    if movie_fps is not None:
        cells.append(
            nbformat.v4.new_code_cell(
                f"movie = ex.movie(frames={MOVIE_FRAMES}, fps={movie_fps})\nmovie"
            )
        )
    kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": kernelspec}),
                   path)  # fmt: skip
    return path


def movie(page, fps: float, seconds: float = 30.0) -> None:
    """Press the movie's play from its first frame and report the frames the page showed."""
    box = page.locator(".lossviz-movie").last
    box.locator(".lossviz-movie-frames img").wait_for(timeout=30_000)
    box.scroll_into_view_if_needed()
    frames = json.loads(harness.kernel_output(page, "print(list(movie.steps))"))
    status = page.evaluate(_KERNEL_STATUS_JS)
    page.evaluate(MOVIE_WATCH_JS, [seconds, frames[-1]])
    box.locator(".widget-play button").first.click()
    page.wait_for_function("() => window.__movieWatch !== undefined", timeout=seconds * 2000)
    result = page.evaluate("() => window.__movieWatch")
    # The first record is the frame already shown when play was pressed: the rate and the
    # gaps count from the first frame play brought.
    shown = result["shown"][1:]
    gaps = [b["ms"] - a["ms"] for a, b in zip(shown, shown[1:], strict=False)]
    steps = [s["step"] for s in shown]
    span = (shown[-1]["ms"] - shown[0]["ms"]) / 1000 if len(shown) > 1 else float("nan")
    unseen = sorted(set(frames[1:]) - set(steps))
    print(
        f"movie: {MOVIE_FRAMES} frames sent ahead, play at {fps:g} a second "
        f"(interval {round(1000 / fps)} ms), kernel {status} when pressed"
    )
    print(
        f"  distinct frames shown after step 0: {len(shown)} in {span:.2f} s "
        f"({(len(shown) - 1) / span:.1f} a second), up to step {steps[-1] if steps else '?'}, "
        f"{len(unseen)} of {len(frames) - 1} never seen {unseen[:8] or ''}"
    )
    print(
        f"  animation frames polled: {result['polls']}, "
        f"with the shown image not loaded: {result['blank']}"
    )
    if gaps:
        print(
            f"  gap between frames: median {statistics.median(gaps):.0f} ms, "
            f"p95 {percentile(gaps, 95):.0f} ms, max {max(gaps):.0f} ms"
        )


_KERNEL_STATUS_JS = """() => {
    const widget = window.jupyterapp.shell.currentWidget;
    return widget.sessionContext.session.kernel.status;
}"""


def play(page, seconds: float) -> None:
    """Press play from step 0 and report the frames the page showed."""
    step = (
        page.locator(".widget-slider:visible")
        .filter(has=page.locator(".widget-label", has_text=re.compile(r"^\s*step\s*$", re.I)))
        .first.locator("[role=slider]")
        .first
    )
    step.wait_for(timeout=30_000)
    step.scroll_into_view_if_needed()
    step.focus()
    step.press("Home")
    page.evaluate(_SETTLE_JS, 300)
    before = int(harness.slider_readout(step))
    page.locator(".widget-play:visible button").first.click()
    changes = page.evaluate(_WATCH_JS, seconds)
    after = int(harness.slider_readout(step))
    page.locator(".widget-play:visible button").nth(1).click()  # pause
    gaps = [b - a for a, b in zip(changes, changes[1:], strict=False)]
    print(
        f"play for {seconds:g} s: the step slider went {before} -> {after} "
        f"({(after - before) / seconds:.1f} steps a second; play sends 20)"
    )
    print(f"  canvas changes seen: {len(changes)} ({len(changes) / seconds:.1f} a second)")
    if gaps:
        print(
            f"  gap between changes: median {statistics.median(gaps):.0f} ms, "
            f"p95 {percentile(gaps, 95):.0f} ms"
        )


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile, linearly interpolated between order statistics."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebook", nargs="?", type=Path, help=f"default {DEFAULT_NOTEBOOK}")
    parser.add_argument("--demo", action="store_true", help="use the harness demo notebook")
    parser.add_argument(
        "--slider",
        help="part of the slider's description (default: 'learning rate' for a lesson, "
        "the first slider for --demo)",
    )
    parser.add_argument("--repeats", type=int, default=40)
    parser.add_argument(
        "--sweep",
        type=int,
        default=10,
        help="presses in one direction before turning (a keyboard drag up and back; 1 "
        "alternates two positions, which a kernel may have computed already)",
    )
    parser.add_argument("--warmup", type=int, default=2, help="presses not measured")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per press")
    parser.add_argument(
        "--play",
        type=float,
        nargs="?",
        const=6.0,
        default=None,
        metavar="SECONDS",
        help="press the tour's play button and watch for this long (default 6 s)",
    )
    parser.add_argument(
        "--movie",
        action="store_true",
        help="make the --play Explorer's movie (frames sent ahead) and play it",
    )
    parser.add_argument(
        "--round-trip",
        action="store_true",
        help="the floor: key press to a label the kernel writes, no figure",
    )
    parser.add_argument("--fps", type=float, default=20.0, help="the movie's frames a second")
    return parser.parse_args(argv)


def choose_notebook(args: argparse.Namespace, served: Path) -> str:
    """Put the notebook to measure in ``served``; return its path relative to it."""
    harness.prepare_notebooks(REPO / "notebooks", served)
    if args.demo:
        return harness.DEMO_NOTEBOOK
    notebook = args.notebook
    if notebook is None:
        if not DEFAULT_NOTEBOOK.exists():
            print(f"{DEFAULT_NOTEBOOK.relative_to(REPO)} does not exist yet: using --demo")
            return harness.DEMO_NOTEBOOK
        notebook = DEFAULT_NOTEBOOK
    notebook = notebook.resolve()
    if not notebook.is_file():
        raise SystemExit(f"no notebook at {notebook}")
    try:
        return str(notebook.relative_to(REPO / "notebooks"))
    except ValueError:  # elsewhere: serve a copy beside the lessons
        shutil.copy(notebook, served / notebook.name)
        return notebook.name


def measure(page, slider, args: argparse.Namespace) -> tuple[list[float], list[str]]:
    """Milliseconds from keydown to changed pixels for each measured press, and what saw it."""
    timings, seen_by = [], []
    for press in range(args.warmup + args.repeats):
        page.evaluate(_SETTLE_JS, 150)
        page.evaluate(_ARM_ECHO_JS if args.round_trip else _ARM_JS, args.timeout * 1000)
        slider.press("ArrowRight" if (press // args.sweep) % 2 == 0 else "ArrowLeft")
        page.wait_for_function(
            "() => window.__benchResult !== undefined", timeout=args.timeout * 1000 + 5000
        )
        result = page.evaluate("() => window.__benchResult")
        if result["ms"] is None:
            seen = "the label" if args.round_trip else "no canvas"
            raise SystemExit(f"press {press + 1}: {seen} changed within {args.timeout} s")
        if press >= args.warmup:
            timings.append(result["ms"])
            seen_by.append(result["how"])
    return timings, seen_by


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    chromium = harness.find_chromium()
    if chromium is None:
        raise SystemExit("Chromium not found: install Debian's chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="bench-browser-") as tmp:
        tmp = Path(tmp)
        if (args.play is not None or args.movie) and args.notebook is None:
            fps = args.fps if args.movie else None
            args.notebook = write_play_notebook(tmp / "play.ipynb", fps)
        if args.round_trip and args.notebook is None:
            args.notebook = write_round_trip_notebook(tmp / "round_trip.ipynb")
        name = choose_notebook(args, tmp / "notebooks")
        started = time.perf_counter()
        server = harness.start_jupyterlab(tmp / "notebooks", tmp / "home")
        try:
            with sync_playwright() as playwright:
                browser = harness.launch_chromium(playwright, chromium)
                try:
                    _, page = harness.new_local_page(browser)
                    harness.open_notebook(page, server, name)
                    harness.restart_and_run_all(page)
                    harness.assert_no_errors(page)
                    if not args.round_trip:
                        harness.find_canvas(page)
                    if args.movie:
                        movie(page, args.fps)
                        return 0
                    if args.play is not None:
                        play(page, args.play)
                        return 0
                    if args.slider is None and not (args.demo or args.round_trip):
                        args.slider = "learning rate"  # the tour's 'learning rates ×'
                    slider = harness.find_slider(page, args.slider)
                    slider.scroll_into_view_if_needed()
                    slider.focus()
                    ready = time.perf_counter() - started
                    timings, seen_by = measure(page, slider, args)
                finally:
                    browser.close()
        finally:
            server.stop()

    label = f"slider {args.slider!r}" if args.slider else "first slider"
    what = "the kernel's label" if args.round_trip else "changed canvas pixels"
    print(f"{name}, {label}: key press to {what}, {len(timings)} presses")
    print(f"  median {statistics.median(timings):7.1f} ms")
    print(f"  p95    {percentile(timings, 95):7.1f} ms")
    print(f"  min    {min(timings):7.1f} ms   max {max(timings):7.1f} ms")
    counts = ", ".join(f"{seen_by.count(how)} by {how}" for how in sorted(set(seen_by)))
    print(f"  (changes seen: {counts}; server start, page load and run-all took {ready:.1f} s)")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except AssertionError as error:  # the notebook failed or never drew: say why, briefly
        sys.exit(f"bench_browser_slider: {error}")
