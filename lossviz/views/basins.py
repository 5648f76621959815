"""Basins of attraction on the contour map: each start coloured by the minimum it reaches."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.image import AxesImage
from matplotlib.legend import Legend
from matplotlib.legend_handler import HandlerTuple
from matplotlib.patches import Patch

from lossviz.basins import Basins
from lossviz.views.colors import DIVERGED_COLOR, OKABE_ITO
from lossviz.views.contour import SurfaceArtists, draw_surface

BASIN_HUES = [OKABE_ITO[c] for c in ("blue", "orange", "green", "purple", "sky", "yellow")]
"""Okabe & Ito's colour-blind-safe hues for the basins; vermillion is kept for divergence."""

LIGHTEN = 0.45
"""How far each basin hue is mixed toward white, so contour lines and stars read on it."""

NOT_CONVERGED_COLOR = "#9A9A9A"
"""Starts that reached no known minimum within the steps: a plain mid grey, no hue."""

LAYER_ZORDER = 1.5
"""Above the filled contours (1), under the contour lines (2), the stars and the paths."""


@dataclass
class BasinArtists:
    """What `draw_basins` made: the contour map, the basin image and the legend.

    ``colors[i]`` is the colour of the basin of ``basins.minima[i]``.
    """

    surface: SurfaceArtists
    image: AxesImage
    legend: Legend | None
    colors: list[str]

    def remove(self) -> None:
        self.surface.remove()
        self.image.remove()
        if self.legend is not None:
            self.legend.remove()


_EDGE = {"edgecolor": "#555555", "linewidth": 0.5}


def _point(p: np.ndarray) -> str:
    """``(x, y)`` to two decimals at most: ``(3, 2)``, ``(0.09, -0.71)``."""
    return f"({round(float(p[0]), 2):g}, {round(float(p[1]), 2):g})"


def _lighten(color: str) -> str:
    r, g, b, _ = to_rgba(color)
    mixed = [c + (1.0 - c) * LIGHTEN for c in (r, g, b)]
    return "#" + "".join(f"{round(255 * c):02X}" for c in mixed)


def basin_colors(minima: np.ndarray) -> list[str]:
    """One colour per minimum (k, 2), distinct from its neighbours'.

    Up to six minima each get their own `BASIN_HUES` colour (lightened). More
    minima (Rastrigin's and Ackley's lattices of 25) share the hues: each takes
    the first hue not used by the minima near it (its eight nearest), in
    listing order, so touching basins differ. The colours depend on the minima
    alone, so they stay put when the optimizer's settings change.

    Examples
    --------
    >>> basin_colors(np.array([[0.0, 0.0], [1.0, 0.0]]))
    ['#73B1D5', '#F1CA73']
    """
    hues = [_lighten(c) for c in BASIN_HUES]
    k = len(minima)
    if k <= len(hues):
        return hues[:k]
    distance = np.linalg.norm(minima[:, None, :] - minima[None, :, :], axis=-1)
    neighbours = np.argsort(distance, axis=1)[:, 1:9]
    chosen: list[int] = []
    for i in range(k):
        taken = {chosen[j] for j in neighbours[i] if j < i}
        chosen.append(next((h for h in range(len(hues)) if h not in taken), i % len(hues)))
    return [hues[h] for h in chosen]


def _rgba(labels: np.ndarray, colors: list[str]) -> np.ndarray:
    """The image (h, w, 4) of ``labels``: basin colours, diverged and not converged."""
    table = np.array([to_rgba(c) for c in (NOT_CONVERGED_COLOR, DIVERGED_COLOR, *colors)])
    return table[labels + 2]  # -2 -> row 0, -1 -> row 1, basin i -> row i + 2


def _extent(basins: Basins) -> tuple[float, float, float, float]:
    """Pixel ``[i, j]`` centred on ``(x[j], y[i])``."""
    dx, dy = (basins.x[1] - basins.x[0]) / 2, (basins.y[1] - basins.y[0]) / 2
    return (basins.x[0] - dx, basins.x[-1] + dx, basins.y[0] - dy, basins.y[-1] + dy)


def draw_basin_layer(ax: Axes, basins: Basins, *, alpha: float = 1.0) -> AxesImage:
    """The basins as an image on ``ax``, between a map's filled contours and its lines.

    For an axes that already shows the surface (`draw_surface`); `draw_basins`
    draws both. ``alpha`` below 1 lets the filled contours show through.
    """
    xlim, ylim = ax.get_xlim(), ax.get_ylim()
    image = ax.imshow(
        _rgba(basins.labels, basin_colors(basins.minima)),
        origin="lower",
        extent=_extent(basins),
        interpolation="nearest",
        aspect=ax.get_aspect(),
        alpha=alpha,
        zorder=LAYER_ZORDER,
    )
    ax.set_xlim(xlim)
    ax.set_ylim(ylim)
    return image


def update_basin_layer(image: AxesImage, basins: Basins) -> None:
    """Show ``basins`` in an image made by `draw_basin_layer` (any resolution, same surface)."""
    image.set_data(_rgba(basins.labels, basin_colors(basins.minima)))
    image.set_extent(_extent(basins))


def draw_basins(ax: Axes, basins: Basins, *, legend: bool = True) -> BasinArtists:
    """Draw the basins of a `~lossviz.Basins` over its surface's contour map on ``ax``.

    Each start's pixel takes the colour of the minimum its run reached
    (`basin_colors`: colour-blind-safe hues, lightened); diverged starts are
    vermillion, starts that reached no known minimum grey. The contour lines
    and the minima's stars lie on top. The legend, outside the axes on the
    right where it hides nothing, names each minimum's basin by its
    coordinates, then the diverged and not-converged starts.

    Parameters
    ----------
    ax
        The axes to draw on.
    basins
        A result of `lossviz.basins`.
    legend
        Add the legend.

    Returns
    -------
    BasinArtists
        The contour map, the image (`update_basin_layer` refills it), the
        legend, and each basin's colour.

    Examples
    --------
    >>> import lossviz
    >>> from matplotlib.figure import Figure
    >>> b = lossviz.basins("himmelblau", lossviz.optimizer("gd", lr=0.01), resolution=50)
    >>> artists = draw_basins(Figure().subplots(), b)
    >>> [t.get_text() for t in artists.legend.get_texts()][:2]
    ['basin of (3, 2)', 'basin of (-2.81, 3.13)']
    """
    surface = draw_surface(ax, basins.surface)
    image = draw_basin_layer(ax, basins)
    colors = basin_colors(basins.minima)
    box = None
    if legend:
        if len(colors) <= len(BASIN_HUES):
            handles: list = [Patch(**_EDGE, facecolor=c) for c in colors]
            labels = [f"basin of {_point(m)}" for m in basins.minima]
        else:
            # The hues repeat, so naming each would mislead: one entry shows them all,
            # and the stars tell the wells apart.
            handles = [tuple(Patch(**_EDGE, facecolor=c) for c in dict.fromkeys(colors))]
            labels = [f"basin of its star ({len(colors)} wells)"]
        handles += [
            Patch(**_EDGE, facecolor=DIVERGED_COLOR),
            Patch(**_EDGE, facecolor=NOT_CONVERGED_COLOR),
            surface.minima,
        ]
        labels += ["diverged", f"no minimum in {basins.steps} steps", "known minimum"]
        box = ax.legend(
            handles,
            labels,
            handler_map={tuple: HandlerTuple(ndivide=None, pad=0.0)},
            loc="upper left",
            bbox_to_anchor=(1.02, 1.0),
            borderaxespad=0.0,
            fontsize=9,
        )
    return BasinArtists(surface, image, box, colors)


__all__ = [
    "BASIN_HUES",
    "BasinArtists",
    "basin_colors",
    "draw_basin_layer",
    "draw_basins",
    "update_basin_layer",
]
