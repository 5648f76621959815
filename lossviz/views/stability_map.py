"""The stability map: steps to converge over learning rate x momentum, diverged pairs marked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import PolyQuadMesh, QuadMesh
from matplotlib.colorbar import Colorbar
from matplotlib.colors import ListedColormap
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.patheffects import withStroke
from matplotlib.transforms import offset_copy

from lossviz.stability_map import BORDER_FORMULAS, StabilityMap, stability_border
from lossviz.views.colors import DIVERGED_COLOR
from lossviz.views.ticks import log_scale

STEPS_CMAP = mpl.colormaps["viridis_r"]
"""Steps to converge: yellow is fast, dark purple slow (viridis reads in any colour vision
and in greyscale)."""

NOT_CONVERGED_COLOR = "#D4D4D4"
"""Pairs that neither converged nor diverged within the steps: a light grey, off the scale."""

DIVERGED_HATCH = "xx"
"""Diverged pairs: vermillion, cross-hatched in white, so they stand apart in any colour vision."""

CURRENT_STYLE = {
    "linestyle": "none",
    "marker": "o",
    "markersize": 11,
    "markerfacecolor": "none",
    "markeredgecolor": "white",
    "markeredgewidth": 2.0,
    "path_effects": [withStroke(linewidth=4.0, foreground="black")],
    "zorder": 6,
}
"""The current pair: a white ring outlined in black, visible on every colour of the map."""

LEGEND_DROP = 40.0
"""Points between the axes' bottom and the legend: room for the tick labels and the x label."""

BORDER_STYLE = {"color": "black", "linewidth": 1.8, "linestyle": "--", "zorder": 5}
"""The analytic border: a dashed black line."""


@dataclass
class StabilityMapArtists:
    """What `draw_stability_map` made.

    ``steps``, ``not_converged`` and ``diverged`` are three meshes over the same
    cells, each showing its own cells (the others masked): the steps to
    converge in colour, the pairs that did not converge in grey, and the
    diverged pairs hatched.
    """

    steps: QuadMesh
    not_converged: QuadMesh
    diverged: PolyQuadMesh
    current: Line2D
    border: Line2D | None
    colorbar: Colorbar | None
    legend: Legend | None

    @property
    def artists(self) -> list[Any]:
        """The artists on the map's axes (not the colourbar's)."""
        extra = [a for a in (self.border, self.legend) if a is not None]
        return [self.steps, self.not_converged, self.diverged, self.current, *extra]

    def remove(self) -> None:
        for artist in self.artists:
            artist.remove()
        if self.colorbar is not None:
            self.colorbar.remove()


def cell_edges(values: np.ndarray, logarithmic: bool) -> np.ndarray:
    """Edges of the cells centred on increasing ``values`` (n,), shape (n + 1,).

    Halfway between neighbours, geometrically on a log axis; the outer cells as
    wide as their neighbour (a single value gets a cell of a decade, or of 0.1).

    Examples
    --------
    >>> cell_edges(np.array([0.01, 0.1, 1.0]), logarithmic=True).round(4).tolist()
    [0.0032, 0.0316, 0.3162, 3.1623]
    >>> cell_edges(np.array([0.0, 0.5]), logarithmic=False).tolist()
    [-0.25, 0.25, 0.75]
    """
    v = np.log10(values) if logarithmic else np.asarray(values, dtype=np.float64)
    if len(v) == 1:
        half = 0.5 if logarithmic else 0.05
        edges = np.array([v[0] - half, v[0] + half])
    else:
        middle = (v[:-1] + v[1:]) / 2
        edges = np.concatenate([[2 * v[0] - middle[0]], middle, [2 * v[-1] - middle[-1]]])
    return 10.0**edges if logarithmic else edges


def _rows(smap: StabilityMap) -> tuple[np.ndarray, str]:
    """The y-axis cell edges, and its label."""
    if smap.betas is not None:
        symbol = "β₁" if smap.beta_name == "beta1" else "β"
        return cell_edges(smap.betas, logarithmic=False), f"momentum {symbol} ({smap.beta_name})"
    fixed = {k: v for k, v in smap.hyperparameters.items() if k in ("beta", "beta1")}
    label = ", ".join(f"{k} = {v:g}" for k, v in fixed.items())
    return np.array([0.0, 1.0]), label


def _masked(smap: StabilityMap) -> tuple[np.ma.MaskedArray, ...]:
    """The three meshes' arrays, (rows, columns) = (betas, lrs): steps, not converged, diverged."""
    steps = smap.steps_to_converge.T
    converged = steps >= 0
    diverged = smap.diverged.T
    return (
        np.ma.masked_where(~converged, steps.astype(np.float64)),
        np.ma.masked_where(converged | diverged, np.zeros(steps.shape)),
        np.ma.masked_where(~diverged, np.zeros(steps.shape)),
    )


def _current_point(smap: StabilityMap, current: Any) -> tuple[list[float], list[float]]:
    """The marker's data: ``[lr], [beta]`` (``[lr], [0.5]`` on a one-row map), or empty."""
    if current is None:
        return [], []
    if smap.betas is None:
        return [float(np.ravel(current)[0])], [0.5]
    lr, beta = current
    return [float(lr)], [float(beta)]


def draw_stability_map(
    ax: Axes,
    smap: StabilityMap,
    *,
    current: tuple[float, float] | float | None = None,
    curvature: float | None = None,
    colorbar: bool = True,
    cax: Axes | None = None,
    legend: bool = True,
) -> StabilityMapArtists:
    """Draw a `~lossviz.StabilityMap` on ``ax``: learning rate (log x) by momentum (y).

    Each cell is one pair, coloured by the steps it took to converge
    (`STEPS_CMAP`, with a colourbar); pairs that did not converge within the
    steps are grey, diverged ones vermillion and cross-hatched. Without
    ``betas`` the map is a single row. The legend sits above the axes, outside
    them, where it hides no cell; the colourbar takes room on the right.

    Parameters
    ----------
    ax
        The axes to draw on.
    smap
        A result of `lossviz.stability_map`.
    current
        The pair in use, ``(lr, beta)`` (an ``lr`` alone on a one-row map),
        marked with a ring; None for no marker (`update_current_pair` sets it).
    curvature
        ``lambda_max`` of a quadratic surface: draws the analytic border
        `lossviz.stability_border` as a dashed line (gd, momentum and nesterov
        only). `lossviz.curvature.stability_limit` gives it.
    colorbar
        Add a colourbar of the steps, in ``cax`` when given, else beside ``ax``.
    legend
        Add the legend.

    Returns
    -------
    StabilityMapArtists
        The meshes, the current-pair marker, the border line, the colourbar and
        the legend; `update_stability_map` refills them for a map on the same grid.

    Examples
    --------
    >>> import numpy as np, lossviz
    >>> from matplotlib.figure import Figure
    >>> bowl = lossviz.surface("quadratic", condition=10.0)
    >>> smap = lossviz.stability_map(bowl, "momentum", np.geomspace(0.01, 1, 20),
    ...                              betas=np.linspace(0, 0.9, 10))
    >>> ax = Figure().subplots()
    >>> artists = draw_stability_map(ax, smap, current=(0.1, 0.5), curvature=10.0)
    >>> artists.border.get_label()
    'theory: lr = 2(1+β)/λmax'
    """
    x_edges = cell_edges(smap.lrs, logarithmic=True)
    y_edges, ylabel = _rows(smap)
    steps, not_converged, diverged = _masked(smap)
    mesh = ax.pcolormesh(
        x_edges, y_edges, steps, cmap=STEPS_CMAP, vmin=0, vmax=smap.steps, zorder=1
    )
    grey = ax.pcolormesh(
        x_edges, y_edges, not_converged, cmap=ListedColormap([NOT_CONVERGED_COLOR]), zorder=1
    )
    # pcolor, not pcolormesh: only a PolyQuadMesh draws hatches.
    hatched = ax.pcolor(
        x_edges,
        y_edges,
        diverged,
        cmap=ListedColormap([DIVERGED_COLOR]),
        hatch=DIVERGED_HATCH,
        edgecolor="white",
        linewidth=0.0,
        zorder=1,
    )
    (marker,) = ax.plot(*_current_point(smap, current), **CURRENT_STYLE, label="current pair")

    border = None
    if curvature is not None:
        if smap.optimizer not in BORDER_FORMULAS:
            raise ValueError(
                f"curvature draws the analytic border, known for {', '.join(BORDER_FORMULAS)} "
                f"only; this map is {smap.optimizer}'s: leave curvature out"
            )
        if smap.betas is None:
            beta = next(
                (v for k, v in smap.hyperparameters.items() if k in ("beta", "beta1")), None
            )
            betas = None if beta is None else [beta]
            xs = np.repeat(stability_border(smap.optimizer, betas, curvature), 2)
            ys = y_edges
        else:
            ys = np.linspace(max(y_edges[0], 0.0), min(y_edges[-1], 0.999), 200)
            xs = stability_border(smap.optimizer, ys, curvature)
        (border,) = ax.plot(
            xs, ys, **BORDER_STYLE, label=f"theory: lr = {BORDER_FORMULAS[smap.optimizer]}"
        )

    log_scale(ax, "x")
    ax.set_xlim(x_edges[0], x_edges[-1])
    ax.set_ylim(y_edges[0], y_edges[-1])
    ax.set_xlabel("learning rate" if smap.schedule is None else "peak learning rate")
    ax.set_ylabel(ylabel)
    if smap.betas is None:
        ax.set_yticks([])

    bar = None
    if colorbar:
        figure = ax.get_figure()
        bar = figure.colorbar(mesh, cax=cax, ax=None if cax is not None else ax, pad=0.02)
        bar.set_label(f"steps to converge (of {smap.steps})")

    box = None
    if legend:
        handles = [
            Patch(facecolor=NOT_CONVERGED_COLOR, label="not converged"),
            Patch(
                facecolor=DIVERGED_COLOR,
                hatch=DIVERGED_HATCH,
                edgecolor="white",
                linewidth=0.0,
                label="diverged",
            ),
        ]
        if border is not None:
            handles.append(border)
        handles.append(marker)
        # Below the x-axis label, at a distance in points (the tick labels' and the axis
        # label's height), so that it is clear of them at any figure size and leaves the
        # title's place free.
        below = offset_copy(ax.transAxes, fig=ax.get_figure(), y=-LEGEND_DROP, units="points")
        box = ax.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, 0.0),
            bbox_transform=below,
            ncol=2,
            borderaxespad=0.0,
            fontsize=9,
            frameon=False,
        )
    return StabilityMapArtists(mesh, grey, hatched, marker, border, bar, box)


def update_stability_map(artists: StabilityMapArtists, smap: StabilityMap) -> None:
    """Show ``smap`` in the artists of a map drawn on the same grid of pairs.

    Raises
    ------
    ValueError
        If ``smap`` has another grid shape: draw it anew with `draw_stability_map`.
    """
    steps, not_converged, diverged = _masked(smap)
    shown = artists.steps.get_array().shape
    if steps.shape != shown:
        raise ValueError(
            f"smap must have the drawn grid of {shown[1]} lrs x {shown[0]} betas; it has "
            f"{steps.shape[1]} x {steps.shape[0]}: draw it anew with draw_stability_map"
        )
    artists.steps.set_array(steps)
    artists.not_converged.set_array(not_converged)
    artists.diverged.set_array(diverged)


def update_current_pair(
    artists: StabilityMapArtists, smap: StabilityMap, current: tuple[float, float] | float | None
) -> None:
    """Move the current-pair ring to ``current`` (``(lr, beta)``, or ``lr``); None hides it."""
    artists.current.set_data(*_current_point(smap, current))


__all__ = [
    "StabilityMapArtists",
    "cell_edges",
    "draw_stability_map",
    "update_current_pair",
    "update_stability_map",
]
