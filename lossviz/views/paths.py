"""Descent paths on the contour map: one line per run, its start and its end."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from lossviz.engine import Run
from lossviz.views.colors import DIVERGED_COLOR


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
    lines, ends = [], []
    for label, color in zip(labels, colors, strict=True):
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
        lines.append(line)
        ends.append(end)
    (start,) = ax.plot(
        [],
        [],
        linestyle="none",
        marker="o",
        markersize=9,
        markerfacecolor="white",
        markeredgecolor="black",
        markeredgewidth=1.5,
        zorder=7,
        label="start",
        animated=animated,
    )
    return PathArtists(lines, ends, start, list(colors))


def update_paths(artists: PathArtists, run: Run) -> None:
    """Set the artists' data to ``run``'s paths (one run per line, in order).

    A run's end marker is a circle at its last point, or a cross in the
    divergence colour at its last finite point when it diverged.
    """
    final = run.final
    for i, (line, end) in enumerate(zip(artists.lines, artists.ends, strict=True)):
        path = run.path[i]
        line.set_data(path[:, 0], path[:, 1])
        end.set_data(final[i, :1], final[i, 1:])
        if run.diverged[i]:
            end.set_marker("X")
            end.set_markerfacecolor(DIVERGED_COLOR)
            end.set_markeredgecolor("black")
            end.set_markersize(11)
        else:
            end.set_marker("o")
            end.set_markerfacecolor(artists.colors[i])
            end.set_markeredgecolor("white")
            end.set_markersize(7)
    starts = np.unique(run.path[:, 0], axis=0)
    artists.start.set_data(starts[:, 0], starts[:, 1])
