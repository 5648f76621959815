"""Whether a drag stays responsive while the Explorer computes a map (issue: maps of outcomes).

With the basin layer or the stability map on, every change of a setting the map depends
on asks for a new map. In a kernel the map is computed by a worker thread
(`lossviz.widgets.background`), in stages from coarse to fine, once the settings have been
still for `~lossviz.widgets.background.QUIET` seconds, and each stage's result comes back
to the kernel's event loop, where it is drawn. A slider message that arrives meanwhile
waits only for what the event loop is doing at that moment (a frame, or drawing a map's
stage), and the worker competes for the interpreter lock only between numpy's array loops.

This script drags a slider as a student does, 30 positions a second (a slow, steady hand),
on an asyncio event loop standing for a kernel's, with the maps' worker thread on: the lr
slider (every position from d/100 to 5 d and back, d the surface's default gd rate) with
the basin layer on, and the gradient noise (0 to 0.5 and back) with the stability map on
(a drag of the rate or momentum only moves that map's ring; one of the noise asks for a
new map at every position). For each drag it prints the median and 95th percentile of the
**response**: from the moment a slider position is due (when the browser's message would
reach the kernel) to the end of its frame, i.e. the time the loop was still busy with
something else plus the frame itself; and the frame alone. Beside it, as the baseline,
the same drag with no map, in the same run. It also says how many map stages were drawn
and how long after the drag's last position the final one arrived.

Goal (from the issue): a drag is not blocked by a map being computed. Read as: with a
map on, the response's median and 95th percentile stay within 1.25 times the same drag's
with no map.

Run: .venv/bin/python benchmarks/bench_responsive.py [surface ...]
(default: himmelblau and tiny_network, a polynomial surface and a model)
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _timing import mark, report  # noqa: E402
from bench_explorer import OPTIMIZERS, drag_positions, sweep  # noqa: E402

from lossviz import Explorer  # noqa: E402
from lossviz.defaults import default_hyperparameters  # noqa: E402
from lossviz.widgets import background  # noqa: E402

SURFACES = ["himmelblau", "tiny_network"]
STEPS = 300
RATE = 30.0  # slider positions a second
# (the map, the Explorer's option that shows it, the slider dragged): the stability map
# maps learning rates and momenta, so a drag of either only moves its ring; a drag of the
# gradient noise makes a new map at every position.
MAPS = [("basin layer", "basins", "lr"), ("stability map", "stability_map", "noise")]
RATIO_GOAL = 1.25


async def drag(ex: Explorer, slider: str, moves: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """Move ``slider`` through ``moves``, one every 1 / `RATE` s: the response of each
    (seconds from when it was due to the end of its frame) and its frame alone."""
    control = ex.controls[slider]
    response, frames = np.empty(len(moves)), np.empty(len(moves))
    start = time.perf_counter() + 0.05
    for i, value in enumerate(moves):
        due = start + i / RATE
        wait = due - time.perf_counter()
        if wait > 0:
            # Sleep until it is due; the loop meanwhile runs whatever the maps' worker has
            # handed it (results to draw), as a kernel's would.
            await asyncio.sleep(wait)
        else:
            await asyncio.sleep(0)  # still let the loop run what is waiting
        t0 = time.perf_counter()
        control.value = value
        t1 = time.perf_counter()
        frames[i], response[i] = t1 - t0, t1 - due
    return response, frames


async def one(name: str, label: str, options: dict, slider: str) -> np.ndarray:
    ex = Explorer(name, optimizers=OPTIMIZERS, steps=STEPS, **options)
    ex.canvas.syncing_data_url = False  # as once a frontend has connected
    stages: list[float] = []
    try:
        if slider == "lr":
            d = default_hyperparameters(ex.surface, "gd")["lr"]
            moves = sweep(drag_positions(d / 100, 5 * d, ex.controls["lr"]))
        else:  # the noise, from 0 to 0.5 and back
            moves = sweep(np.round(np.arange(0.0, 0.505, 0.01), 2))
        await drag(ex, slider, moves[: len(moves) // 4])  # warm-up: the first quarter
        await asyncio.sleep(2.0)  # let the warm-up's maps finish
        drawn = ex.stats.get("frames", 0)
        response, frames = await drag(ex, slider, moves)
        t_end = time.perf_counter()
        # Wait for the final map (its stages' results are frames too), at most 30 s.
        last = ex.stats.get("frames", 0)
        quiet_since = time.perf_counter()
        while time.perf_counter() - quiet_since < 1.0 and time.perf_counter() - t_end < 30:
            await asyncio.sleep(0.05)
            if ex.stats.get("frames", 0) != last:
                last = ex.stats.get("frames", 0)
                quiet_since = time.perf_counter()
                stages.append(quiet_since - t_end)
        map_frames = ex.stats.get("frames", 0) - drawn - len(moves)
        note = f"load {os.getloadavg()[0]:.2f}"
        if options:
            after = f"the last {stages[-1]:.2f} s after the drag" if stages else "none after it"
            note = (
                f"map stages drawn: {map_frames} (during the drag {map_frames - len(stages)}); "
                f"{after}   {note}"
            )
        if ex.error is not None:
            note += f"   ERROR: {ex.error}"
        report(
            f"{name}, drag {slider}, {label}: response",
            response,
            note=note,
        )
        report(f"{name}, drag {slider}, {label}: the frame alone", frames)
        return response
    finally:
        ex.close()


async def main(names: list[str]) -> None:
    print(
        f"A drag at {RATE:g} positions a second on an event loop, with the maps' worker "
        "thread on\n(the response: from when a position is due to the end of its frame)",
        flush=True,
    )
    for name in names:
        for label, option, slider in MAPS:
            alone = await one(name, "no map", {}, slider)
            beside = await one(name, label, {option: True}, slider)
            ratios = [np.percentile(beside, q) / np.percentile(alone, q) for q in (50, 95)]
            print(
                f"{name}, drag {slider}: response with the {label} / with none: median "
                f"{ratios[0]:.2f}, p95 {ratios[1]:.2f}   goal <= {RATIO_GOAL:g}: "
                f"{mark(max(ratios) <= RATIO_GOAL)}",
                flush=True,
            )


if __name__ == "__main__":
    # Outside a kernel the Explorer computes a map at once, inside the change; this script
    # stands for a kernel: the maps go to the worker thread, as they do there.
    background.in_kernel = lambda: True
    asyncio.run(main(sys.argv[1:] or SURFACES))
