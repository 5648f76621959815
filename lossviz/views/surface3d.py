"""The surface as a landscape in 3-D, with every path walking on it (matplotlib's 3-D axes).

Heights are the loss above the grid's lowest value; where that spans more than two
decades (Rosenbrock's walls), they are drawn on a log scale, as the contour map's
levels are, so the valley floor is not squashed flat (`height_note` says which).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.artist import Artist

from lossviz.engine import Run
from lossviz.surfaces.base import Surface
from lossviz.views.contour import contour_levels, surface_grid

FLOOR_DECADES = 4.0
"""On a log scale, heights stop this many decades below the grid's highest: the minimum's
own neighbourhood would otherwise be a spike many decades deep."""


@dataclass
class Surface3DArtists:
    """What `draw_surface_3d` made: the landscape, a line per run, a marker per run, and
    the height function ``height(loss)`` the paths were lifted with."""

    landscape: Artist
    lines: list[Artist]
    markers: list[Artist]
    low: float
    logarithmic: bool
    floor: float = 0.0

    def height(self, loss: np.ndarray) -> np.ndarray:
        """Heights for losses: ``loss - low``, or its log10 on a log scale."""
        above = np.asarray(loss, dtype=np.float64) - self.low
        if not self.logarithmic:
            return above
        with np.errstate(all="ignore"):
            return np.log10(np.maximum(above, self.floor))


def draw_surface_3d(
    ax, surface: Surface, colors: list[str], resolution: int = 48
) -> Surface3DArtists:
    """Draw ``surface`` on the 3-D axes ``ax`` and empty paths in ``colors`` (see
    `update_paths_3d`)."""
    grid, values = surface_grid(surface, resolution)
    _, logarithmic = contour_levels(values)
    finite = values[np.isfinite(values)]
    low = float(finite.min()) if finite.size else 0.0
    top = float(finite.max()) - low if finite.size else 1.0
    floor = top * 10.0**-FLOOR_DECADES if top > 0 else 1e-12
    artists = Surface3DArtists(None, [], [], low, logarithmic, floor)
    z = artists.height(values)
    landscape = ax.plot_surface(
        grid[..., 0], grid[..., 1], np.where(np.isfinite(z), z, np.nan), cmap="Greys_r",
        linewidth=0, antialiased=False, alpha=0.75, rcount=resolution, ccount=resolution,
    )  # fmt: skip
    lines = [ax.plot([], [], [], color=c, linewidth=1.8, zorder=5)[0] for c in colors]
    markers = [
        ax.plot([], [], [], linestyle="none", marker="o", markersize=7, markerfacecolor=c,
                markeredgecolor="black", zorder=6)[0]
        for c in colors
    ]  # fmt: skip
    (xmin, xmax), (ymin, ymax) = surface.bounds
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    names = getattr(surface, "parameter_names", ("x", "y"))
    ax.set_xlabel(names[0], labelpad=-6, fontsize=9)
    ax.set_ylabel(names[1], labelpad=-6, fontsize=9)
    ax.set_zticklabels([])  # heights read from the colours and the loss panel, not ticks
    ax.tick_params(labelsize=7, pad=-2)
    ax.view_init(elev=38, azim=-60)
    artists.landscape, artists.lines, artists.markers = landscape, lines, markers
    return artists


def update_paths_3d(artists: Surface3DArtists, run: Run, step: int | None) -> None:
    """Lift every run's path onto the landscape; markers at ``step`` (None: none)."""
    z = artists.height(run.loss)
    for line, path, height in zip(artists.lines, run.path, z, strict=True):
        keep = np.isfinite(height) & np.isfinite(path).all(axis=1)
        line.set_data_3d(path[keep, 0], path[keep, 1], height[keep])
    at = None if step is None else min(step, run.steps)
    for marker, path, height in zip(artists.markers, run.path, z, strict=True):
        if at is None or not (np.isfinite(path[at]).all() and np.isfinite(height[at])):
            marker.set_data_3d([], [], [])
        else:
            marker.set_data_3d([path[at, 0]], [path[at, 1]], [height[at]])


def height_note(artists: Surface3DArtists) -> str:
    """How the heights are drawn, for a title."""
    return "height: log of the loss" if artists.logarithmic else "height: the loss"


__all__ = ["Surface3DArtists", "draw_surface_3d", "height_note", "update_paths_3d"]
