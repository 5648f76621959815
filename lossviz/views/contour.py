"""The contour map of a surface: filled contours, contour lines and its known minima."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import BoundaryNorm, ListedColormap

from lossviz.surfaces.base import Surface

CMAP = ListedColormap(mpl.colormaps["Greys"](np.linspace(0.0, 0.55, 256)), name="lossviz_terrain")
"""White valleys to mid-grey hills: a lightness-only map, readable with any colour vision,
on which every coloured path stands out (coloured terrain would compete with the paths)."""

MINIMUM_STYLE = {
    "linestyle": "none",
    "marker": "*",
    "markersize": 13,
    "markerfacecolor": "white",
    "markeredgecolor": "black",
    "markeredgewidth": 0.8,
    "zorder": 6.5,
}
"""How every view marks a known minimum: a white star with a black edge, above the paths
and their end markers (a path that ends in a minimum leads into its star; the star stays
visible), under the start."""


def surface_grid(surface: Surface, resolution: int = 160) -> tuple[np.ndarray, np.ndarray]:
    """``(grid (h, w, 2), loss (h, w))`` over the surface's bounds."""
    grid = surface.grid(resolution)
    with np.errstate(all="ignore"):
        values = surface(grid)
    return grid, values


def contour_levels(values: np.ndarray, n: int = 24) -> tuple[np.ndarray, bool]:
    """Contour levels for a loss grid: ``(levels (n,), logarithmic)``.

    Where the loss above its minimum spans more than two decades (Rosenbrock,
    Beale, ...) the levels are log-spaced above the grid's minimum,
    ``z_min + geomspace(q, z_max - z_min)`` with ``q`` the 0.5th percentile of
    the positive gaps, so that valleys show structure; otherwise evenly spaced.
    """
    z = values[np.isfinite(values)]
    if z.size == 0:
        raise ValueError("the surface has no finite values inside its bounds")
    lo, hi = float(z.min()), float(z.max())
    if hi <= lo:
        return np.linspace(lo - 1.0, lo + 1.0, 3), False
    gaps = z - lo
    positive = gaps[gaps > 0]
    q = float(np.percentile(positive, 0.5))
    if (hi - lo) / max(q, 1e-300) > 1e3 and float(np.median(gaps)) < 0.1 * (hi - lo):
        return lo + np.geomspace(q, hi - lo, n), True
    return np.linspace(lo, hi, n), False


@dataclass
class SurfaceArtists:
    """What `draw_surface` made: filled contours, lines, minima markers, and the levels."""

    filled: Any
    lines: Any
    minima: Any
    levels: np.ndarray
    logarithmic: bool

    def remove(self) -> None:
        for artist in (self.filled, self.lines, self.minima):
            artist.remove()


def draw_surface(ax: Axes, surface: Surface, resolution: int = 160) -> SurfaceArtists:
    """Draw the contour map of ``surface`` over its bounds on ``ax``.

    Filled contours in a lightness-only map (lighter = lower loss),
    thin contour lines, and the known minima as white stars. Sets the axes'
    limits to the bounds, equal aspect when the bounds are not too elongated,
    and labels the axes with the surface's ``parameter_names``.
    """
    grid, values = surface_grid(surface, resolution)
    levels, logarithmic = contour_levels(values)
    x, y = grid[..., 0], grid[..., 1]
    z = np.clip(np.where(np.isfinite(values), values, levels[-1]), levels[0], levels[-1])
    # Colours by level index, so log-spaced levels get evenly spread colours.
    norm = BoundaryNorm(levels, ncolors=CMAP.N)
    filled = ax.contourf(x, y, z, levels=levels, cmap=CMAP, norm=norm)
    # Solid below zero too: matplotlib dashes negative levels of one-colour contours,
    # which reads as a second kind of line on saddle and multi_well.
    lines = ax.contour(
        x,
        y,
        z,
        levels=levels,
        colors="#555555",
        linewidths=0.5,
        alpha=0.5,
        negative_linestyles="solid",
    )
    minima = ax.plot(
        surface.minima[:, 0], surface.minima[:, 1], **MINIMUM_STYLE, label="known minimum"
    )[0]
    (xmin, xmax), (ymin, ymax) = surface.bounds
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    ratio = (ymax - ymin) / (xmax - xmin)
    ax.set_aspect("equal" if 0.5 <= ratio <= 2 else "auto", adjustable="box")
    xlabel, ylabel = surface.parameter_names
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return SurfaceArtists(filled, lines, minima, levels, logarithmic)
