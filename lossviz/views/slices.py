"""A network's slice with its projected training path, and the 1-D line between two models.

Compute lives in `lossviz.networks`; these functions only draw, on the ``ax`` they are given.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import BoundaryNorm
from matplotlib.lines import Line2D
from numpy.typing import ArrayLike

from lossviz.surfaces.base import Surface
from lossviz.views.contour import CMAP, SurfaceArtists, draw_surface
from lossviz.views.paths import START_STYLE

PATH_COLOR = "#d62728"


@dataclass
class SliceArtists:
    """What `draw_slice` made: the contour map, the projected path and its start and end."""

    surface: SurfaceArtists
    path: Line2D
    start: Line2D
    end: Line2D


def draw_slice(
    ax: Axes, surface: Surface, path: ArrayLike | None = None, resolution: int = 51
) -> SliceArtists:
    """Draw a slice surface (`lossviz.networks.slice_surface`) with a path in its plane.

    ``path`` has shape (steps + 1, 2): plane coordinates, e.g. from
    `lossviz.networks.project`. The resolution is low by default because every
    grid point is a whole network evaluated on its data.
    """
    contour = draw_surface(ax, surface, resolution)
    (line,) = ax.plot([], [], color=PATH_COLOR, linewidth=1.8, label="training path", zorder=5)
    (start,) = ax.plot([], [], **START_STYLE)
    (end,) = ax.plot([], [], "o", color=PATH_COLOR, markersize=6, zorder=6)
    artists = SliceArtists(contour, line, start, end)
    update_slice_path(artists, np.empty((0, 2)) if path is None else path)
    return artists


def draw_slice_values(
    ax: Axes,
    grid: ArrayLike,
    values: ArrayLike,
    levels: ArrayLike,
    path: ArrayLike | None = None,
    labels: tuple[str, str] = ("a", "b"),
) -> SliceArtists:
    """Draw slice losses already computed, on given contour levels, with a path.

    ``grid`` (r, r, 2) holds the plane coordinates ``(a, b)`` and ``values`` (r, r)
    the loss there, e.g. from ``slice_surface(...)(grid)``: computing them is the
    costly part, so two maps (training and held-out loss) can be computed once
    and drawn on one set of ``levels`` (n,), from
    `lossviz.views.contour.contour_levels` over both, so that the same loss has the
    same shade on both. Lighter is lower, as in `draw_surface`; the trained weights
    (the plane's centre) are the path's end, a filled dot.
    """
    grid = np.asarray(grid, dtype=np.float64)
    levels = np.asarray(levels, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    z = np.clip(np.where(np.isfinite(values), values, levels[-1]), levels[0], levels[-1])
    x, y = grid[..., 0], grid[..., 1]
    filled = ax.contourf(x, y, z, levels=levels, cmap=CMAP, norm=BoundaryNorm(levels, CMAP.N))
    lines = ax.contour(
        x, y, z, levels=levels, colors="#555555", linewidths=0.5, alpha=0.5,
        negative_linestyles="solid",
    )  # fmt: skip
    (line,) = ax.plot([], [], color=PATH_COLOR, linewidth=1.8, label="training path", zorder=5)
    (start,) = ax.plot([], [], **START_STYLE)
    (end,) = ax.plot([], [], "o", color=PATH_COLOR, markersize=6, zorder=6)
    ax.set_xlim(float(x.min()), float(x.max()))
    ax.set_ylim(float(y.min()), float(y.max()))
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    logarithmic = bool(len(levels) > 2 and not np.allclose(np.diff(levels), np.diff(levels)[0]))
    (no_minima,) = ax.plot([], [])  # a slice has no known minima
    contours = SurfaceArtists(filled, lines, no_minima, levels, logarithmic)
    artists = SliceArtists(contours, line, start, end)
    update_slice_path(artists, np.empty((0, 2)) if path is None else path)
    return artists


def update_slice_path(artists: SliceArtists, path: ArrayLike) -> None:
    """Show ``path`` (steps + 1, 2) in place of the drawn one (empty hides it)."""
    path = np.asarray(path, dtype=np.float64).reshape(-1, 2)
    artists.path.set_data(path[:, 0], path[:, 1])
    artists.start.set_data(path[:1, 0], path[:1, 1])
    artists.end.set_data(path[-1:, 0], path[-1:, 1])


def draw_interpolation(
    ax: Axes, alphas: ArrayLike, losses: Mapping[str, ArrayLike]
) -> list[Line2D]:
    """Loss along the line from ``theta_a`` (alpha 0) to ``theta_b`` (alpha 1).

    ``losses`` maps a label ("training", "held-out") to values (len(alphas),), as
    `lossviz.networks.interpolate` returns them. Returns one line per label.
    """
    lines = [ax.plot([], [], label=label, linewidth=1.8)[0] for label in losses]
    update_interpolation(lines, alphas, losses)
    for alpha in (0.0, 1.0):
        ax.axvline(alpha, color="#999999", linewidth=0.8, linestyle=":")
    ax.set_xlabel("alpha  (0: start, 1: end)")
    ax.set_ylabel("loss")
    ax.legend(loc="best")
    return lines


def update_interpolation(
    lines: list[Line2D], alphas: ArrayLike, losses: Mapping[str, ArrayLike]
) -> None:
    """Replace the lines' data with new losses (same labels, same order)."""
    alphas = np.asarray(alphas, dtype=np.float64)
    for line, values in zip(lines, losses.values(), strict=True):
        line.set_data(alphas, np.asarray(values, dtype=np.float64))
    ax = lines[0].axes
    ax.relim()
    ax.autoscale_view()
