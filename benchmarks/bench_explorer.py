"""Kernel-side frame time of the Explorer (issue: the Explorer widget).

A frame is what the kernel does for one slider move: the control change, the
recompute of every path, the figure drawn into the ipympl canvas and the image
diff encoded as PNG, exactly as ipympl sends it to a live frontend (the canvas
is put in the state it has once a frontend is connected: no data-URL copy).

Prints median and 95th percentile for:
1. the default Explorer (Rosenbrock; gd, momentum, nesterov, adam; 500 steps), a
   learning-rate change (goal: median < 20 ms, p95 < 35 ms);
2. the naive baseline in the same run: an ``ipywidgets.interact``-style callback that
   rebuilds the figure (contour grid, contours, paths, loss panel) and encodes it as
   PNG on every change (goal: the Explorer at least 5 times faster);
3. a burst of 50 changes inside an event loop, as a drag delivers them to the kernel
   (goal: under twice one frame).

Run: .venv/bin/python benchmarks/bench_explorer.py
"""

from __future__ import annotations

import asyncio
import io
import sys
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

sys.path.insert(0, str(Path(__file__).parent))
from _timing import measure, report  # noqa: E402

import lossviz  # noqa: E402
from lossviz import Explorer, descend  # noqa: E402
from lossviz.views import contour_levels, optimizer_colors  # noqa: E402
from lossviz.widgets.explorer import FIGURE_SIZE  # noqa: E402

OPTIMIZERS = ("gd", "momentum", "nesterov", "adam")
STEPS = 500


def naive_frame(surface, hyper: dict[str, dict], start) -> bytes:
    """What an interact-style notebook does on each change: rebuild everything, PNG it."""
    fig = Figure(figsize=FIGURE_SIZE, dpi=100)
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


def main() -> None:
    ex = Explorer("rosenbrock", optimizers=OPTIMIZERS, steps=STEPS)
    ex.canvas.syncing_data_url = False  # as once a frontend has connected
    lr = ex.controls["lr"]
    base = lr.value
    values = iter(np.tile([base * 0.9, base * 1.1], 10_000))

    def frame():
        lr.value = next(values)

    assert ex.error is None, ex.error
    explorer_times = measure(frame, 100, warmup=5)
    stats = dict(ex.stats)

    hyper = ex.hyperparameters
    naive_times = measure(lambda: naive_frame(ex.surface, hyper, ex.start), 20, warmup=2)

    ex.coalesce = True  # as inside a kernel

    async def drag():
        for _ in range(50):
            lr.value = next(values)
        await asyncio.sleep(0)

    burst_times = measure(lambda: asyncio.run(drag()), 20, warmup=2)

    print(
        f"lossviz {lossviz.__version__}; Explorer on rosenbrock, {', '.join(OPTIMIZERS)}, "
        f"{STEPS} steps"
    )
    report("Explorer frame: lr change -> recompute -> blit -> PNG diff", explorer_times, goal_ms=20)
    print(
        f"{'':<58} p95 goal < 35 ms: "
        f"{'met' if np.percentile(explorer_times, 95) * 1e3 < 35 else 'MISSED'}"
    )
    report("naive baseline: rebuild figure + contour + PNG per change", naive_times)
    speedup = np.median(naive_times) / np.median(explorer_times)
    print(
        f"{'speed-up over the baseline (medians)':<58} {speedup:9.1f} x"
        f"   goal >= 5 x: {'met' if speedup >= 5 else 'MISSED'}"
    )
    report("burst of 50 lr changes in one event-loop turn (a drag)", burst_times)
    ratio = np.median(burst_times) / np.median(explorer_times)
    print(
        f"{'burst / one frame (medians)':<58} {ratio:9.2f}"
        f"   goal < 2: {'met' if ratio < 2 else 'MISSED'}"
    )
    print(
        f"frames drawn during the frame benchmark: {stats['blits']} blitted, "
        f"{stats['full_draws']} full"
    )


if __name__ == "__main__":
    main()
