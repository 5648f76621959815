"""Per-coordinate step sizes over a run: what an adaptive optimizer gives each parameter."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.legend import Legend
from matplotlib.lines import Line2D

from lossviz.engine import Run
from lossviz.views.run import run_colors, run_labels
from lossviz.views.ticks import log_scale

COORDINATE_LINESTYLES = ("-", "--")
"""The first parameter's step size solid, the second's dashed; colour is the optimizer."""


@dataclass
class StepSizeArtists:
    """What `draw_step_sizes` made: ``lines[j]`` are run ``runs[j]``'s two lines (x, y)."""

    lines: list[tuple[Line2D, Line2D]]
    legend: Legend | None
    runs: list[int]

    def remove(self) -> None:
        for pair in self.lines:
            for line in pair:
                line.remove()
        if self.legend is not None:
            self.legend.remove()


def draw_step_sizes(
    ax: Axes, run: Run, *, runs: Sequence[int] | None = None, legend: bool = True
) -> StepSizeArtists:
    """Draw each run's per-coordinate step size ``run.effective_lr`` against the step.

    The step size of a coordinate is the ``eta`` in ``update = -eta * direction``
    (see `lossviz.Run`): the learning rate itself for gd (the same for every
    coordinate), ``lr / (sqrt(second moment) + eps)`` for AdaGrad, RMSProp and
    Adam. One line per coordinate, solid for the first parameter and dashed for
    the second, in the optimizer's colour, on a log axis.

    Parameters
    ----------
    ax
        The axes to draw on.
    run
        A traced run, ``lossviz.descend(..., trace=True)``.
    runs
        Indices of the runs to draw; default all.
    legend
        Add a legend outside the axes, on the right.

    Examples
    --------
    >>> import lossviz
    >>> from matplotlib.figure import Figure
    >>> run = lossviz.descend("quadratic", {"gd": lossviz.optimizer("gd", lr=0.1), "adam": "adam"},
    ...                       steps=50, trace=True)
    >>> artists = draw_step_sizes(Figure().add_subplot(), run)
    >>> artists.lines[0][0].get_ydata()[:2].tolist()  # gd: its learning rate at every step
    [0.1, 0.1]
    """
    if run.effective_lr is None:
        raise ValueError("step sizes need a traced run: lossviz.descend(..., trace=True)")
    order = list(range(len(run))) if runs is None else [int(i) for i in runs]
    if not order or not all(0 <= i < len(run) for i in order):
        raise ValueError(f"runs must be indices of this run's {len(run)} runs; got {runs!r}")
    names = run.surface.parameter_names
    steps = np.arange(run.steps)
    lines = []
    for i, label, color in zip(order, run_labels(run, order), run_colors(run, order), strict=True):
        pair = tuple(
            ax.plot(steps, run.effective_lr[i, :, c], linestyle=style, color=color,
                    linewidth=2, label=f"{label}, {names[c]}")[0]
            for c, style in enumerate(COORDINATE_LINESTYLES)
        )  # fmt: skip
        lines.append(pair)
    log_scale(ax)
    ax.set_xlabel("step")
    ax.set_ylabel("step size per coordinate")
    ax.grid(True, which="major", alpha=0.3)
    box = None
    if legend:
        box = ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, fontsize=9)
    return StepSizeArtists(lines, box, order)


__all__ = ["COORDINATE_LINESTYLES", "StepSizeArtists", "draw_step_sizes"]
