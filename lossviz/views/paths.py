"""Descent paths on the contour map: one line per run, its start and its end."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from numpy.typing import ArrayLike

from lossviz.engine import Run
from lossviz.views.colors import DIVERGED_COLOR

START_STYLE = {
    "linestyle": "none",
    "marker": "o",
    "markersize": 9,
    "markerfacecolor": "white",
    "markeredgecolor": "black",
    "markeredgewidth": 1.5,
    "color": "black",  # its own colour, not the next of the axes' colour cycle (unseen)
    "zorder": 7,
}
"""How every view marks a start: a white circle with a black edge, above the paths."""


@dataclass
class PathArtists:
    """Lines, end markers and the start marker made by `draw_paths`, in run order."""

    lines: list[Line2D]
    ends: list[Line2D]
    start: Line2D
    colors: list[str] = field(default_factory=list)

    @property
    def artists(self) -> list[Line2D]:
        """Every artist, for blitting."""
        return [*self.lines, *self.ends, self.start]

    def remove(self) -> None:
        for artist in self.artists:
            artist.remove()


def draw_paths(
    ax: Axes, labels: list[str], colors: list[str], animated: bool = False
) -> PathArtists:
    """Make one empty path per label on ``ax``; fill them with `update_paths`.

    ``animated=True`` excludes them from full redraws, for blitting.
    """
    pairs = [draw_path(ax, label, c, animated) for label, c in zip(labels, colors, strict=True)]
    start = draw_starts(ax, np.empty((0, 2)), animated=animated)
    return PathArtists([p[0] for p in pairs], [p[1] for p in pairs], start, list(colors))


def draw_path(ax: Axes, label: str, color: str, animated: bool = False) -> tuple[Line2D, Line2D]:
    """One empty path on ``ax``: its line and its end marker (see `draw_paths`)."""
    (line,) = ax.plot(
        [],
        [],
        color=color,
        linewidth=2.0,
        label=label,
        zorder=5,
        animated=animated,
        solid_capstyle="round",
    )
    (end,) = ax.plot(
        [],
        [],
        linestyle="none",
        marker="o",
        markersize=7,
        color=color,
        markeredgecolor="white",
        markeredgewidth=1.0,
        zorder=6,
        animated=animated,
    )
    return line, end


def draw_starts(
    ax: Axes, points: ArrayLike, label: str | None = "start", animated: bool = False
) -> Line2D:
    """Mark the start ``points`` (2,) or (k, 2) on ``ax`` in the one start style, `START_STYLE`."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    (start,) = ax.plot(points[:, 0], points[:, 1], **START_STYLE, label=label, animated=animated)
    return start


def show_end(end: Line2D, point: np.ndarray, diverged: bool, color: str) -> None:
    """Put a run's end marker at ``point`` (2,): a circle in the run's ``color``, or a
    cross in the divergence colour where the run diverged (``point`` is then its last
    finite point)."""
    end.set_data(point[:1], point[1:])
    if diverged:
        end.set_marker("X")
        end.set_markerfacecolor(DIVERGED_COLOR)
        end.set_markeredgecolor("black")
        end.set_markersize(11)
    else:
        end.set_marker("o")
        end.set_markerfacecolor(color)
        end.set_markeredgecolor("white")
        end.set_markersize(7)


def update_paths(artists: PathArtists, run: Run) -> None:
    """Set the artists' data to ``run``'s paths (one run per line, in order).

    A run's end marker is a circle at its last point, or a cross in the
    divergence colour at its last finite point when it diverged.
    """
    final = run.final
    for i, (line, end) in enumerate(zip(artists.lines, artists.ends, strict=True)):
        path = run.path[i]
        line.set_data(path[:, 0], path[:, 1])
        show_end(end, final[i], bool(run.diverged[i]), artists.colors[i])
    # run.starts, not the paths' first points: a run diverged at step 0 is NaN throughout.
    artists.start.set_data(run.starts[:, 0], run.starts[:, 1])
