"""Several maps shaded alike: one set of contour levels for every panel of a comparison.

`draw_surface` chooses its contour levels from the one surface it draws (even
or log-spaced, over that surface's own range), so two panels of the same bowl
turned two ways can come out shaded so differently that they look like two
surfaces. Drawn here, every panel shares one set of levels, chosen over all of
them together: the same loss has the same shade on every panel.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import BoundaryNorm

from lossviz.engine import Run
from lossviz.surfaces.base import Surface
from lossviz.views.contour import CMAP, SurfaceArtists, contour_levels, surface_grid
from lossviz.views.run import RunArtists, draw_run


def shared_levels(surfaces: Sequence[Surface], n: int = 24) -> tuple[np.ndarray, bool]:
    """One set of contour levels for all ``surfaces``: ``(levels (n,), logarithmic)``.

    `contour_levels` over every surface's grid of losses at once.

    Examples
    --------
    >>> import lossviz
    >>> bowls = [lossviz.surface("quadratic", condition=100, angle=a) for a in (0, 45)]
    >>> levels, logarithmic = shared_levels(bowls)
    >>> levels.shape
    (24,)
    """
    values = np.concatenate([surface_grid(s)[1].ravel() for s in surfaces])
    return contour_levels(values, n)


def _contours(ax: Axes, surface: Surface, levels: np.ndarray):
    """The filled contours and contour lines of ``surface`` on ``levels``, as `draw_surface`."""
    grid, values = surface_grid(surface)
    z = np.clip(np.where(np.isfinite(values), values, levels[-1]), levels[0], levels[-1])
    x, y = grid[..., 0], grid[..., 1]
    filled = ax.contourf(x, y, z, levels=levels, cmap=CMAP, norm=BoundaryNorm(levels, CMAP.N))
    lines = ax.contour(
        x, y, z, levels=levels, colors="#555555", linewidths=0.5, alpha=0.5,
        negative_linestyles="solid",
    )  # fmt: skip
    return filled, lines


def draw_runs_same_levels(
    axes: Sequence[Axes],
    runs: Sequence[Run],
    **draw_run_options,
) -> list[RunArtists]:
    """`draw_run` each of ``runs`` on the matching one of ``axes``, all maps on `shared_levels`.

    ``draw_run_options`` (``runs=``, ``step_markers=``, ``legend=``) go to every
    `draw_run`. Returns one `RunArtists` per panel; their ``surface.levels`` are
    the shared levels.

    Examples
    --------
    >>> import lossviz
    >>> from matplotlib.figure import Figure
    >>> runs = [lossviz.descend(lossviz.surface("quadratic", condition=100, angle=a), "adam",
    ...                         steps=20) for a in (0, 45)]
    >>> axes = Figure().subplots(1, 2)
    >>> left, right = draw_runs_same_levels(axes, runs)
    >>> bool((left.surface.levels == right.surface.levels).all())
    True
    """
    if len(axes) != len(runs):
        raise ValueError(f"give one axes per run; got {len(axes)} axes and {len(runs)} runs")
    levels, logarithmic = shared_levels([run.surface for run in runs])
    drawn = []
    for ax, run in zip(axes, runs, strict=True):
        artists = draw_run(ax, run, **draw_run_options)
        artists.surface.filled.remove()
        artists.surface.lines.remove()
        filled, lines = _contours(ax, run.surface, levels)
        artists.surface = SurfaceArtists(filled, lines, artists.surface.minima, levels, logarithmic)
        drawn.append(artists)
    return drawn


__all__ = ["draw_runs_same_levels", "shared_levels"]
