"""A learning-rate sweep: how close each rate got, and which rates diverged."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from numpy.typing import ArrayLike

from lossviz.views.colors import optimizer_color
from lossviz.views.ticks import log_scale


@dataclass
class SweepArtists:
    """What `draw_sweep` made: the line over the rates that stayed finite, and the
    crosses at the rates that diverged (empty when none did)."""

    line: Line2D
    diverged: Line2D

    def remove(self) -> None:
        self.line.remove()
        self.diverged.remove()


def draw_sweep(
    ax: Axes,
    lrs: ArrayLike,
    distance: ArrayLike,
    diverged: ArrayLike,
    *,
    label: str,
    color: str | None = None,
    diverged_at: float | None = None,
) -> SweepArtists:
    """Draw one optimizer's sweep over learning rates on log-log axes.

    Parameters
    ----------
    ax
        The axes to draw on.
    lrs
        The learning rates, shape (n,).
    distance
        What each rate achieved, shape (n,): usually the distance to the minimum
        after the run (`lossviz.Surface.nearest_minimum` of ``run.final``).
    diverged
        Whether each rate diverged, bool, shape (n,) (``run.diverged``).
    label
        The legend label of the line; the crosses get ``label + ": diverged"``.
    color
        Default: the colour of the optimizer named by ``label``'s first word.
    diverged_at
        The height of the crosses; default three times the largest finite
        distance. Give sweeps drawn together different heights, so that their
        crosses do not overlap.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().add_subplot()
    >>> artists = draw_sweep(ax, [0.1, 0.2, 0.3], [0.5, 0.1, np.nan], [False, False, True],
    ...                      label="gd")
    >>> artists.diverged.get_xdata().tolist(), artists.diverged.get_ydata().tolist()
    ([0.3], [1.5])
    """
    lrs = np.asarray(lrs, dtype=np.float64)
    distance = np.asarray(distance, dtype=np.float64)
    blew_up = np.asarray(diverged, dtype=bool)
    if not (lrs.shape == distance.shape == blew_up.shape) or lrs.ndim != 1:
        raise ValueError(
            f"lrs, distance and diverged must have one shape (n,); got {lrs.shape}, "
            f"{distance.shape} and {blew_up.shape}"
        )
    color = optimizer_color(label) if color is None else color
    finite = ~blew_up & np.isfinite(distance)
    if diverged_at is None:
        diverged_at = 3.0 * float(np.max(distance[finite])) if finite.any() else 1.0
    (line,) = ax.plot(lrs[finite], distance[finite], "o-", color=color, markersize=3.5,
                      linewidth=1.8, label=label)  # fmt: skip
    (crosses,) = ax.plot(
        lrs[blew_up], np.full(blew_up.sum(), diverged_at), linestyle="none", marker="X",
        markersize=9, color=color, markeredgecolor="black", markeredgewidth=0.8,
        label=f"{label}: diverged" if blew_up.any() else "_nolegend_",
    )  # fmt: skip
    log_scale(ax, "x")
    log_scale(ax, "y")
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel("distance to the minimum (log scale)")
    ax.grid(True, which="major", alpha=0.3)
    return SweepArtists(line, crosses)


__all__ = ["SweepArtists", "draw_sweep"]
