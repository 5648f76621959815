"""Kernel-side frame time of the Explorer while a student uses it (issue: the Explorer widget).

A frame is what the kernel does for one control change: the recompute of every
path, the figure drawn into the ipympl canvas and the image encoded as PNG,
exactly as ipympl sends it to a live frontend (the canvas is put in the state it
has once a frontend is connected: no data-URL copy). Outside a kernel the
Explorer makes each frame synchronously inside the assignment
``ex.controls[name].value = v`` (the same call the browser's slider message
ends in), so the time of that assignment is the time of one frame.

What a student does, not the kindest case: a drag sweeps the learning-rate
slider across its range and back (paths that crawl, converge, overshoot and
diverge; loss curves whose range changes), and a student adds every optimizer,
the slowest (newton) included. Prints median and 95th percentile for:

1. a drag on Rosenbrock (gd, momentum, nesterov, adam; 500 steps): the lr slider
   moved up through every one of its positions from 1e-5 to 5e-3 (136 of them: the
   values a browser's slider sends, ``10 ** (min + k * step)``) and back down, every
   position a frame, one warm-up sweep, then 3 timed sweeps (goal: median < 10 ms,
   p95 < 25 ms), with the share of frames that were full draws rather than blits and
   of those that ran `descend` (the Explorer computes a drag's next positions with the
   current one, `lossviz.widgets.run_cache`; the others find their run computed),
   each kind reported apart; then cold drags (a new Explorer, no warm-up, one sweep
   up and back; every position, and every 4th position: a quicker hand) and jumps
   to random positions (a click on the track: no run computed ahead);
2. the naive baseline in the same run: an ``ipywidgets.interact``-style callback that
   rebuilds the figure (contour grid, contours, paths, loss panel) and encodes it as
   PNG on every change (goal: the Explorer's drag median at least 5 times faster);
3. a burst of 50 lr changes inside one event-loop turn, as a drag delivers them to
   a kernel (goal: under twice one drag frame);
4. the same drag on every surface, model surfaces included: every slider position
   from d/100 to 5 d and back, d the surface's default gradient-descent rate,
   clipped into the slider's range (same goals), one line per surface and one for
   all frames together;
5. scrubbing the step slider (``step``) from 0 to the last step and back, every fifth
   position a frame, with every arrow and the curvature glyph on (goal: median < 30 ms,
   and no `descend` while scrubbing);
6. the optimizer tags on every surface: with gd, momentum, nesterov and adam
   selected, ``ex.set(optimizers=...)`` adding newton (its first add, reported alone:
   its legend entry, its run and the loss axis it rescales are new; its default rate
   the Explorer found when it was built, as in a kernel it does on its worker thread
   once the student pauses), removing it, adding rmsprop,
   removing it; then 5 timed cycles of those four changes (goal: each under 50 ms;
   a surface whose changes take over 5 s in all stops after its first timed cycle,
   which keeps the run within minutes where adding newton takes seconds).

Uses the Explorer's public API only (the constructor, ``controls``, ``set``,
``stats``, ``error``, ``surface``, ``close``, ``canvas``; ``coalesce`` for the
burst only where it exists), so it runs against any version of the widget that
keeps it; the naive baseline draws with ``lossviz.views`` as a notebook would.

Run: .venv/bin/python benchmarks/bench_explorer.py [--quick]
(``--quick``: fewer repeats and 3 surfaces, a smoke run of about a minute).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import itertools
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import ipywidgets
import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

sys.path.insert(0, str(Path(__file__).parent))
from _timing import mark, measure, report  # noqa: E402

import lossviz  # noqa: E402
from lossviz import Explorer, descend  # noqa: E402
from lossviz.defaults import default_hyperparameters  # noqa: E402
from lossviz.views import contour_levels, optimizer_colors  # noqa: E402

OPTIMIZERS = ("gd", "momentum", "nesterov", "adam")
STEPS = 500
DRAG_LR = (1e-5, 5e-3)  # the Rosenbrock drag
FAST_DRAG_EVERY = 4  # a quick drag: the slider moves 4 positions between frames
FRAME_GOAL_MS, FRAME_P95_GOAL_MS = 10.0, 25.0
TAG_GOAL_MS = 50.0
CHANGES = ("+newton", "-newton", "+rmsprop", "-rmsprop")  # one tag cycle
QUICK_SURFACES = ("rosenbrock", "goldstein_price", "tiny_network")


@dataclass
class Plan:
    """How much to repeat: the full run, or the --quick smoke run."""

    sweeps: int  # timed sweeps of the Rosenbrock drag, after one warm-up sweep
    surface_sweeps: int  # timed sweeps per surface, after a short warm-up drag
    surface_warmup: int  # positions up (and back) of that warm-up drag
    tag_cycles: int
    tag_budget_s: float  # per surface: stop cycling (after one cycle) past this
    naive_repeats: int
    burst_repeats: int
    surfaces: tuple[str, ...]
    quick: bool


def plan(quick: bool) -> Plan:
    if quick:
        return Plan(
            sweeps=1,
            surface_sweeps=1,
            surface_warmup=5,
            tag_cycles=2,
            tag_budget_s=2.0,
            naive_repeats=5,
            burst_repeats=5,
            surfaces=QUICK_SURFACES,
            quick=True,
        )
    return Plan(
        sweeps=3,
        surface_sweeps=1,
        surface_warmup=10,
        tag_cycles=5,
        tag_budget_s=5.0,
        naive_repeats=20,
        burst_repeats=20,
        surfaces=tuple(lossviz.surface_names()),
        quick=False,
    )


# -- helpers on the public API -----------------------------------------------------------------
def new_explorer(name: str, **kwargs) -> Explorer:
    ex = Explorer(name, optimizers=OPTIMIZERS, steps=STEPS, **kwargs)
    ex.canvas.syncing_data_url = False  # as once a frontend has connected
    if ex.error is not None:
        raise RuntimeError(f"Explorer({name!r}) failed to draw: {ex.error}")
    return ex


def slider_range(control) -> tuple[float, float]:
    """The values a slider allows (a FloatLogSlider's min and max are exponents)."""
    if isinstance(control, ipywidgets.FloatLogSlider):
        return control.base**control.min, control.base**control.max
    return control.min, control.max


def drag_positions(lo: float, hi: float, control, every: int = 1) -> np.ndarray:
    """The values the slider sends from lo to hi: each of its positions (every ``every``-th
    one for a quicker drag), clipped into its range. A browser's slider sends only these:
    ``min + k * step``, for a log slider as ``10 ** exponent``."""
    log = isinstance(control, ipywidgets.FloatLogSlider)
    low, high = np.log10([lo, hi]) if log else (lo, hi)
    first = max(int(np.ceil((low - control.min) / control.step - 1e-9)), 0)
    last = min(
        int(np.floor((high - control.min) / control.step + 1e-9)),
        int(round((control.max - control.min) / control.step)),
    )
    positions = np.round(control.min + np.arange(first, last + 1, every) * control.step, 10)
    return 10.0**positions if log else positions


def sweep(positions: np.ndarray) -> list[float]:
    """The moves of one drag that starts at positions[0]: up to the top and back down.

    Every move changes the value (a slider sends nothing for an unchanged one), so
    every move is a frame, and consecutive sweeps join without a repeated value.
    """
    return [*positions[1:], *positions[-2::-1]]


def stats(ex: Explorer) -> dict[str, int]:
    return {k: int(ex.stats.get(k, 0)) for k in ("frames", "full_draws", "panel_redraws", "blits")}


def delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {k: after[k] - before[k] for k in before}


def drag(ex: Explorer, moves: list[float]) -> tuple[np.ndarray, int, np.ndarray]:
    """Move the lr slider through ``moves``: seconds per move, how many moves ended in an
    error, and per move whether its frame ran `descend` (its run had not been computed
    ahead by an earlier frame: ``stats["cached"]`` did not grow)."""
    control = ex.controls["lr"]
    times = np.empty(len(moves))
    computed = np.zeros(len(moves), dtype=bool)
    errors = 0
    for i, value in enumerate(moves):
        cached = ex.stats.get("cached", 0)
        t0 = time.perf_counter()
        control.value = value
        times[i] = time.perf_counter() - t0
        computed[i] = ex.stats.get("cached", 0) == cached
        errors += ex.error is not None
    return times, errors, computed


def timed_drag(
    ex: Explorer, positions: np.ndarray, sweeps: int, warmup_positions: int | None
) -> tuple[np.ndarray, dict[str, int], int, np.ndarray]:
    """Warm up, then ``sweeps`` timed sweeps; (seconds per frame, stats delta, error frames,
    whether each frame ran `descend`).

    ``warmup_positions``: None for one whole warm-up sweep, else a short drag that far up
    and back.
    """
    ex.controls["lr"].value = positions[0]
    warm = positions if warmup_positions is None else positions[: warmup_positions + 1]
    drag(ex, sweep(warm))
    before = stats(ex)
    times, errors, computed = drag(ex, sweep(positions) * sweeps)
    return times, delta(before, stats(ex)), errors, computed


def draw_note(counts: dict[str, int], moves: int, errors: int, computed: np.ndarray) -> str:
    frames = counts["frames"]
    note = (
        f"full draws {counts['full_draws'] / max(frames, 1):4.0%} ({counts['full_draws']}/{frames})"
        f"   ran descend {computed.mean():4.0%}"
    )
    if counts["panel_redraws"]:  # the rebuilt Explorer redraws a rescaled loss panel alone
        note += f"   a panel redrawn alone {counts['panel_redraws'] / max(frames, 1):4.0%}"
    if frames != moves:
        note += f"   NOTE {frames} frames for {moves} moves"
    if errors:
        note += f"   {errors} frames ended in an error"
    return note


# -- the naive baseline ------------------------------------------------------------------------
def figure_size() -> tuple[float, float]:
    module = sys.modules.get(Explorer.__module__)
    return getattr(module, "FIGURE_SIZE", (8.2, 4.0))


def naive_frame(surface, hyper: dict[str, dict], start, size) -> bytes:
    """What an interact-style notebook does on each change: rebuild everything, PNG it."""
    fig = Figure(figsize=size, dpi=100)
    FigureCanvasAgg(fig)
    ax_map, ax_loss = fig.subplots(1, 2)
    grid = surface.grid(160)
    z = surface(grid)
    levels, _ = contour_levels(z)
    ax_map.contourf(grid[..., 0], grid[..., 1], z, levels=levels, cmap="Greys")
    ax_map.contour(grid[..., 0], grid[..., 1], z, levels=levels, colors="k", linewidths=0.5)
    opts = {n: lossviz.optimizer(n, **h) for n, h in hyper.items()}
    run = descend(surface, opts, start=start, steps=STEPS)
    for path, loss, color, label in zip(
        run.path, run.loss, optimizer_colors(run.labels), run.labels, strict=True
    ):
        ax_map.plot(path[:, 0], path[:, 1], color=color, label=label)
        ax_loss.semilogy(loss, color=color, label=label)
    ax_map.legend()
    buffer = io.BytesIO()
    fig.canvas.print_png(buffer)
    return buffer.getvalue()


# -- the parts ---------------------------------------------------------------------------------
def rosenbrock_drag(p: Plan) -> np.ndarray:
    """Rows 1-3: the drag on Rosenbrock, the naive baseline, the burst. Returns the drag times."""
    ex = new_explorer("rosenbrock")
    lr = ex.controls["lr"]
    positions = drag_positions(*DRAG_LR, lr)
    times, counts, errors, computed = timed_drag(ex, positions, p.sweeps, None)
    report(
        f"drag lr 1e-5..5e-3 and back on rosenbrock, every one of its {len(positions)} "
        f"slider positions a frame ({p.sweeps} sweeps)",
        times,
        FRAME_GOAL_MS,
        p95_goal_ms=FRAME_P95_GOAL_MS,
        note=draw_note(counts, len(times), errors, computed),
    )
    up, down = np.split(times.reshape(p.sweeps, -1), 2, axis=1)
    report("  of which the moves up (rates growing)", up.ravel())
    report("  of which the moves down (rates shrinking)", down.ravel())
    report("  of which the frames that ran descend", times[computed])
    report("  of which the frames whose run was computed ahead", times[~computed])
    # Cold drags: a new Explorer each, no warm-up, one sweep up and back (nothing computed
    # before it; the way back meets the runs the way up computed, as a student's does).
    for every in (1, FAST_DRAG_EVERY):
        cold_times, cold_counts, cold_errors, cold_computed = [], None, 0, []
        for _ in range(p.sweeps):
            cold = new_explorer("rosenbrock")
            moves = drag_positions(*DRAG_LR, cold.controls["lr"], every=every)
            cold.controls["lr"].value = moves[0]
            before = stats(cold)
            times_, errors_, computed_ = drag(cold, sweep(moves))
            counts_ = delta(before, stats(cold))
            cold_counts = (
                counts_
                if cold_counts is None
                else {k: cold_counts[k] + counts_[k] for k in counts_}
            )
            cold_times.append(times_)
            cold_computed.append(computed_)
            cold_errors += errors_
            cold.close()
        what = "every position" if every == 1 else f"every {every}th position (quicker)"
        report(
            f"cold drag, {what} a frame, a new Explorer ({p.sweeps}x)",
            np.concatenate(cold_times),
            FRAME_GOAL_MS,
            p95_goal_ms=FRAME_P95_GOAL_MS,
            note=draw_note(
                cold_counts, sum(map(len, cold_times)), cold_errors, np.concatenate(cold_computed)
            ),
        )
    # A jump: each move lands far from the last (a click on the slider's track), so no
    # frame finds its run computed ahead.
    rng = np.random.default_rng(0)
    jumps = rng.permutation(positions)[: min(len(positions), 60)]
    jump_ex = new_explorer("rosenbrock")
    jump_ex.controls["lr"].value = jumps[0]
    jump_times, jump_errors, jump_computed = drag(jump_ex, list(jumps[1:]))
    jump_ex.close()
    report(
        "jumps: the lr slider set to random positions, one a frame",
        jump_times,
        note=f"ran descend {jump_computed.mean():4.0%}"
        + (f"   {jump_errors} frames ended in an error" if jump_errors else ""),
    )

    surface = ex.surface
    hyper = {n: default_hyperparameters(surface, n) for n in OPTIMIZERS}
    size = figure_size()
    naive = measure(
        lambda: naive_frame(surface, hyper, surface.start, size), p.naive_repeats, warmup=2
    )
    report("naive baseline: rebuild figure + contour + PNG per change", naive)
    speedup = np.median(naive) / np.median(times)
    print(
        f"{'speed-up of the drag over the baseline (medians)':<58} {speedup:9.1f} x"
        f"   goal >= 5 x: {mark(speedup >= 5)}",
        flush=True,
    )

    if hasattr(ex, "coalesce"):
        ex.coalesce = True  # as inside a kernel: frames wait for the event loop
        values = itertools.cycle(sweep(positions))
        frames = []

        async def burst():
            for _ in range(50):
                lr.value = next(values)
            await asyncio.sleep(0)

        def one_burst():
            before = stats(ex)["frames"]
            asyncio.run(burst())
            frames.append(stats(ex)["frames"] - before)

        burst_times = measure(one_burst, p.burst_repeats, warmup=2)
        report(
            "burst of 50 lr changes in one event-loop turn (a drag)",
            burst_times,
            note=f"frames per burst: {min(frames)}..{max(frames)}",
        )
        ratio = np.median(burst_times) / np.median(times)
        print(
            f"{'burst / one drag frame (medians)':<58} {ratio:9.2f}   goal < 2: {mark(ratio < 2)}",
            flush=True,
        )
    else:
        print("burst of 50 lr changes: skipped (this Explorer has no `coalesce` switch)")
    ex.close()
    return times


def every_surface_drag(p: Plan) -> None:
    print(
        f"\nThe same drag on every surface: d/100 .. 5 d and back, d = the surface's default "
        f"gd rate,\n{p.surface_sweeps} timed sweep(s) after a warm-up drag "
        f"{p.surface_warmup} positions up and back",
        flush=True,
    )
    every = []
    for name in p.surfaces:
        ex = new_explorer(name)
        d = default_hyperparameters(ex.surface, "gd")["lr"]
        positions = drag_positions(d / 100, 5 * d, ex.controls["lr"])
        times, counts, errors, computed = timed_drag(
            ex, positions, p.surface_sweeps, p.surface_warmup
        )
        every.append(times)
        report(
            f"drag {name} ({positions[0]:.2g}..{positions[-1]:.2g})",
            times,
            FRAME_GOAL_MS,
            p95_goal_ms=FRAME_P95_GOAL_MS,
            note=draw_note(counts, len(times), errors, computed),
        )
        ex.close()
    report(
        f"drag, all {len(p.surfaces)} surfaces' frames together",
        np.concatenate(every),
        FRAME_GOAL_MS,
        p95_goal_ms=FRAME_P95_GOAL_MS,
    )


def optimizer_tags(p: Plan) -> None:
    print(
        f"\nOptimizer tags on every surface ({', '.join(OPTIMIZERS)} selected): "
        "ex.set(optimizers=...),\na first cycle of +newton, -newton, +rmsprop, -rmsprop (each "
        "change made for the first time: nothing computed or drawn before),\nthen "
        f"{p.tag_cycles} timed cycles of the same changes (runs and legends met again)\n"
        f"(fewer, at least 1, where a surface's changes have taken over {p.tag_budget_s:g} s)",
        flush=True,
    )
    with_newton = (*OPTIMIZERS, "newton")
    with_rmsprop = (*OPTIMIZERS, "rmsprop")
    cycle = (with_newton, OPTIMIZERS, with_rmsprop, OPTIMIZERS)
    first_adds, first_others, all_changes, newton_adds = [], [], [], []
    for name in p.surfaces:
        ex = new_explorer(name)
        problems = []

        def change(selection, ex=ex, problems=problems):
            t0 = time.perf_counter()
            ex.set(optimizers=selection)
            elapsed = time.perf_counter() - t0
            if ex.error is not None:
                problems.append(f"error: {ex.error}")
            elif tuple(ex.controls["optimizers"].value) != selection:
                problems.append(f"selection {tuple(ex.controls['optimizers'].value)}")
            return elapsed

        t_surface = time.perf_counter()
        first = change(with_newton)
        others = [change(selection) for selection in cycle[1:]]
        first_others += others
        times = []
        for _ in range(p.tag_cycles):
            times += [change(s) for s in cycle]
            if time.perf_counter() - t_surface > p.tag_budget_s:
                break
        times = np.array(times)
        cycles = len(times) // len(cycle)
        first_adds.append(first)
        all_changes.append(times)
        newton_adds.append(times[0::4])
        report(f"tags {name}: first add of newton", np.array([first]), TAG_GOAL_MS)
        report(
            f"tags {name}: first -newton, +rmsprop, -rmsprop",
            np.array(others),
            TAG_GOAL_MS,
            note=" ".join(f"{t * 1e3:.0f}" for t in others) + " ms",
        )
        note = f"slowest {times.max() * 1e3:.0f} ms ({CHANGES[int(np.argmax(times)) % 4]})"
        if cycles < p.tag_cycles:
            note += f"   time budget: {cycles} of {p.tag_cycles} cycles"
        if problems:
            note += f"   {len(problems)} changes went wrong, first: {problems[0]}"
        report(
            f"tags {name}: {cycles} add/remove cycles, per change",
            times,
            TAG_GOAL_MS,
            p95_goal_ms=TAG_GOAL_MS,
            note=note,
        )
        ex.close()
    report(
        "tags, all surfaces: first add of newton",
        np.array(first_adds),
        TAG_GOAL_MS,
        p95_goal_ms=TAG_GOAL_MS,
    )
    report(
        "tags, all surfaces: first -newton, +rmsprop, -rmsprop",
        np.array(first_others),
        TAG_GOAL_MS,
        p95_goal_ms=TAG_GOAL_MS,
    )
    report(
        "tags, all surfaces: every timed change",
        np.concatenate(all_changes),
        TAG_GOAL_MS,
        p95_goal_ms=TAG_GOAL_MS,
    )
    report(
        "tags, all surfaces: the timed adds of newton only",
        np.concatenate(newton_adds),
        TAG_GOAL_MS,
        p95_goal_ms=TAG_GOAL_MS,
    )


def step_scrub(p: Plan) -> None:
    """Scrub the step slider across the whole run and back, with every arrow and the
    curvature glyph on: a redraw per position and no `descend` (goal: median < 30 ms)."""
    ex = new_explorer("rosenbrock")
    ex.set(arrows=("gradient", "update", "velocity"), curvature=True, step=0)
    positions = list(range(0, STEPS + 1, 5))
    moves = [*positions[1:], *positions[-2::-1]]
    control = ex.controls["step"]
    for value in moves[:20]:  # warm-up
        control.value = value
    control.value = 0
    computes = ex.stats["computes"]
    times = []
    for _ in range(p.sweeps):
        for value in moves:
            t0 = time.perf_counter()
            control.value = value
            times.append(time.perf_counter() - t0)
    errors = ex.error is not None
    report(
        f"scrub the step 0..{STEPS} and back, arrows + curvature on",
        np.array(times),
        30.0,
        note=f"descend runs during the scrub: {ex.stats['computes'] - computes}"
        + ("; ERROR" if errors else ""),
    )
    ex.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, 3 surfaces")
    p = plan(parser.parse_args().quick)
    t0 = time.perf_counter()
    print(
        f"lossviz {lossviz.__version__}, numpy {np.__version__}, matplotlib "
        f"{matplotlib.__version__}, ipywidgets {ipywidgets.__version__}; "
        f"{', '.join(OPTIMIZERS)}, {STEPS} steps; load average {os.getloadavg()[0]:.2f} "
        f"on {os.cpu_count()} cores{'; --quick' if p.quick else ''}\n"
        f"lossviz from {Path(lossviz.__file__).parent}",
        flush=True,
    )
    rosenbrock_drag(p)
    step_scrub(p)
    every_surface_drag(p)
    optimizer_tags(p)
    print(
        f"\n{time.perf_counter() - t0:.0f} s; load average {os.getloadavg()[0]:.2f} at the end",
        flush=True,
    )


if __name__ == "__main__":
    main()
