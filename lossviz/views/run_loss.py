"""The loss of a whole run against the step, in one call: the still companion of `draw_run`."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes

from lossviz.engine import Run
from lossviz.views.loss_curves import LossArtists, curve_values, draw_loss_curves, loss_reference
from lossviz.views.run import run_colors, run_labels
from lossviz.views.ticks import log_scale


def draw_run_loss(
    ax: Axes, run: Run, *, runs: Sequence[int] | None = None, legend: bool = True
) -> LossArtists:
    """Draw each run's loss per step on ``ax``, in its optimizer's colour, as the Explorer does.

    Where the surface lists its minima the curves show the gap to the best one,
    ``loss - min``, on a log axis (each grid line down is ten times closer);
    otherwise the raw loss, on a log axis when it stays positive. A diverged
    run's curve ends where it diverged.

    Parameters
    ----------
    ax
        The axes to draw on.
    run
        A result of `lossviz.descend`.
    runs
        Indices of the runs to draw; default all.
    legend
        Add a legend inside the axes, where matplotlib finds room.

    Examples
    --------
    >>> import lossviz
    >>> from matplotlib.figure import Figure
    >>> run = lossviz.descend("quadratic", ["gd", "adam"], steps=50)
    >>> curves = draw_run_loss(Figure().add_subplot(), run)
    >>> len(curves.lines), curves.lines[0].get_ydata().shape
    (2, (51,))
    """
    order = list(range(len(run))) if runs is None else [int(i) for i in runs]
    if not order or not all(0 <= i < len(run) for i in order):
        raise ValueError(f"runs must be indices of this run's {len(run)} runs; got {runs!r}")
    curves = draw_loss_curves(
        ax, run_labels(run, order), run_colors(run, order), loss_reference(run.surface)
    )
    values = curve_values(run, curves.reference)[order]
    steps = np.arange(run.steps + 1)
    for line, v in zip(curves.lines, values, strict=True):
        line.set_data(steps, v)
    ax.relim()
    ax.autoscale_view()
    finite = values[np.isfinite(values)]
    if finite.size and finite.min() > 0:
        log_scale(ax)
    ax.set_xlim(0, run.steps)
    if legend:
        ax.legend(fontsize=9)
    return curves


__all__ = ["draw_run_loss"]
