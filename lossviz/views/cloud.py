"""A noise cloud: many noisy runs of one optimizer from one start, as a still picture.

With gradient noise (``descend(..., noise=sigma)``) or mini-batches every run
takes its own path, so one path says little. `draw_cloud` draws a few of them
thinly and where every run ends, over the contour map; `draw_cloud_loss` draws a
few runs' loss curves thinly and the mean over all of them thickly, with an
optional predicted floor.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.legend import Legend
from matplotlib.lines import Line2D

from lossviz.engine import Run
from lossviz.views.colors import optimizer_colors
from lossviz.views.contour import SurfaceArtists, draw_surface
from lossviz.views.loss_curves import curve_values, loss_reference
from lossviz.views.paths import draw_starts
from lossviz.views.ticks import log_scale

THIN = {"linewidth": 0.7, "alpha": 0.35, "zorder": 4}
"""The style of the few runs drawn one by one: thin and see-through, so they read as a spread."""


@dataclass
class CloudArtists:
    """What `draw_cloud` made: the map (if drawn), the thin paths, the end points, the start."""

    surface: SurfaceArtists | None
    paths: list[Line2D]
    ends: Line2D
    start: Line2D
    legend: Legend | None


@dataclass
class CloudLossArtists:
    """What `draw_cloud_loss` made: the thin loss curves, the mean, and the floor line."""

    runs: list[Line2D]
    mean: Line2D
    floor: Line2D | None


def _runs_and_color(run: Run, label: str | None, color: str | None) -> tuple[np.ndarray, str]:
    """The run indices of ``label`` (default the first optimizer) and its colour."""
    label = run.labels[0] if label is None else label
    if color is None:
        color = optimizer_colors(run.labels)[run.labels.index(label)]
    return run.runs_of(label), color


def draw_cloud(
    ax: Axes,
    run: Run,
    label: str | None = None,
    *,
    shown: int = 10,
    color: str | None = None,
    surface: bool = True,
    legend: bool = True,
) -> CloudArtists:
    """Draw the runs of the optimizer ``label`` in ``run`` as a cloud on ``ax``.

    The first ``shown`` runs are drawn as thin lines; every run's last point is a
    small dot, so the dots show the spread where the runs end; the starts are white
    circles. With ``surface`` the contour map of ``run.surface`` is drawn first
    (leave it out to add a second cloud to a map). The legend sits outside the axes,
    on the right, as `draw_run`'s does.

    Parameters
    ----------
    ax
        The axes to draw on.
    run
        A result of `lossviz.descend` with noise or mini-batches, usually from many
        copies of one start (``start=np.repeat([p], k, axis=0)``) so that the runs
        differ by their noise only.
    label
        The optimizer's label in ``run``; default its first.
    shown
        How many paths to draw as lines (the first ones); 0 draws only the end points.
    color
        Default the optimizer's colour.
    surface
        Draw the contour map under the cloud.
    legend
        Add the legend.

    Returns
    -------
    CloudArtists
        The map, the thin path lines (``shown`` of them), the end points (one
        ``Line2D`` whose data are the ends of all runs), the start marker, the legend.

    Examples
    --------
    >>> import numpy as np, lossviz
    >>> from matplotlib.figure import Figure
    >>> starts = np.repeat([[-1.8, 1.2]], 30, axis=0)
    >>> run = lossviz.descend("quadratic", lossviz.optimizer("gd", lr=0.05), start=starts,
    ...                       steps=100, noise=2.0)
    >>> artists = draw_cloud(Figure().subplots(), run, shown=5)
    >>> len(artists.paths), artists.ends.get_xydata().shape
    (5, (30, 2))
    """
    runs, color = _runs_and_color(run, label, color)
    shown = int(np.clip(shown, 0, len(runs)))
    drawn = draw_surface(ax, run.surface) if surface else None
    name = run.labels[0] if label is None else label
    paths = [
        ax.plot(run.path[i, :, 0], run.path[i, :, 1], color=color, **THIN)[0] for i in runs[:shown]
    ]
    final = run.final[runs]
    (ends,) = ax.plot(
        final[:, 0],
        final[:, 1],
        linestyle="none",
        marker="o",
        markersize=4.5,
        color=color,
        markeredgecolor="white",
        markeredgewidth=0.6,
        zorder=6,
    )
    start = draw_starts(ax, np.unique(run.starts, axis=0))  # k copies of one start: one circle
    box = None
    if legend:
        handles: list = [ends, start]
        names = [f"{name}: where each of {len(runs)} runs ends", "start"]
        if shown:
            handles.insert(0, paths[0])
            names.insert(0, f"{name}: {shown} of the paths")
        if drawn is not None and len(run.surface.minima):
            handles.append(drawn.minima)
            names.append("known minimum")
        box = ax.legend(
            handles,
            names,
            loc="upper left",
            bbox_to_anchor=(1.02, 1.0),
            borderaxespad=0.0,
            fontsize=9,
        )
    return CloudArtists(drawn, paths, ends, start, box)


def draw_cloud_loss(
    ax: Axes,
    run: Run,
    label: str | None = None,
    *,
    shown: int = 10,
    color: str | None = None,
    floor: float | None = None,
) -> CloudLossArtists:
    """Draw the loss of the runs of ``label``: ``shown`` thin curves and their mean over all runs.

    The y-axis is logarithmic and, where the surface's best minimum is known,
    shows the loss above it, as the Explorer's loss panel does. ``floor``, if given,
    is drawn as a dashed horizontal line in the same colour: a predicted level
    for the mean to compare with. The mean's line is labelled ``label`` (mean of k
    runs), for ``ax.legend()``.

    Returns
    -------
    CloudLossArtists
        The thin curves, the mean curve and the floor line (or ``None``).

    Examples
    --------
    >>> import numpy as np, lossviz
    >>> from matplotlib.figure import Figure
    >>> starts = np.repeat([[-1.8, 1.2]], 30, axis=0)
    >>> run = lossviz.descend("quadratic", lossviz.optimizer("gd", lr=0.05), start=starts,
    ...                       steps=100, noise=2.0)
    >>> artists = draw_cloud_loss(Figure().subplots(), run, shown=3, floor=0.118)
    >>> len(artists.runs), artists.mean.get_label()
    (3, 'gd (mean of 30 runs)')
    """
    runs, color = _runs_and_color(run, label, color)
    shown = int(np.clip(shown, 0, len(runs)))
    name = run.labels[0] if label is None else label
    reference = loss_reference(run.surface)
    values = curve_values(run, reference)[runs]
    steps = np.arange(values.shape[1])
    thin = [ax.plot(steps, v, color=color, **{**THIN, "linewidth": 0.6})[0] for v in values[:shown]]
    (mean,) = ax.plot(
        steps,
        np.mean(values, axis=0),
        color=color,
        linewidth=2.2,
        zorder=5,
        label=f"{name} (mean of {len(runs)} runs)",
    )
    line = None
    if floor is not None:
        line = ax.axhline(
            floor,
            color=color,
            linestyle="--",
            linewidth=1.4,
            zorder=5,
            label=f"{name}: predicted floor {floor:.3g}",
        )
    log_scale(ax)
    ax.set_xlabel("step")
    ax.set_ylabel("loss above best minimum" if np.isfinite(reference) else "loss")
    ax.grid(True, which="major", alpha=0.3)
    return CloudLossArtists(thin, mean, line)


__all__ = ["CloudArtists", "CloudLossArtists", "draw_cloud", "draw_cloud_loss"]
