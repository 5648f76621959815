"""Hilltops and saddles on the contour map, marked where a lesson names them.

The map's shading is lightness only and tops out at mid grey (`CMAP`), so a
hilltop surrounded by higher ground reads as pale as a valley. A marker and a
name make it visible. The kind of each point is read from the surface's
Hessian there, not taken on trust: a point named "hilltop" that curves up gets
a saddle's or a minimum's marker, and `CriticalPointArtists.kinds` says which.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patheffects import withStroke
from matplotlib.text import Text

from lossviz.surfaces.base import Surface, as_points
from lossviz.views.contour import MINIMUM_STYLE

KINDS = ("minimum", "saddle", "hilltop")
"""What a critical point can be, by the signs of the Hessian's two eigenvalues."""

_MARKERS = {"minimum": "*", "saddle": "D", "hilltop": "^"}
"""A star for a minimum (as `MINIMUM_STYLE`), a diamond for a saddle, a triangle for a hilltop."""

CRITICAL_POINT_STYLE = {
    "linestyle": "none",
    "markersize": 10,
    "markerfacecolor": "white",
    "markeredgecolor": "black",
    "markeredgewidth": 1.2,
    "zorder": 6.5,
}
"""White, black-edged, like the minima's stars: landmarks of the ground, not of a run."""

LABEL_STYLE = {
    "fontsize": 9,
    "va": "center",
    "ha": "left",
    "zorder": 8,
    "path_effects": [withStroke(linewidth=3.0, foreground="white")],
}
"""The name beside a marker, haloed in white so it reads over contour lines and paths."""


def critical_point_kind(surface: Surface, point) -> str:
    """``"minimum"``, ``"saddle"`` or ``"hilltop"`` from the signs of the Hessian's
    eigenvalues at ``point`` (2,): both positive, one of each, both negative.

    Examples
    --------
    >>> import lossviz
    >>> critical_point_kind(lossviz.surface("himmelblau"), (-0.2708, -0.9230))
    'hilltop'
    """
    eigenvalues = np.linalg.eigvalsh(surface.hessian(as_points(point, "point")))
    if eigenvalues.min() > 0:
        return "minimum"
    if eigenvalues.max() < 0:
        return "hilltop"
    return "saddle"


@dataclass
class CriticalPointArtists:
    """What `draw_critical_points` made, one entry per point, in the order given."""

    markers: list[Line2D]
    labels: list[Text]
    kinds: list[str]

    def remove(self) -> None:
        for artist in [*self.markers, *self.labels]:
            artist.remove()


def draw_critical_points(
    ax: Axes,
    surface: Surface,
    points: Mapping[str, tuple[float, float]],
    *,
    offset: tuple[float, float] = (8.0, 0.0),
) -> CriticalPointArtists:
    """Mark each named point of ``points`` (name -> (x, y)) on the map ``ax`` of ``surface``.

    The marker follows the point's kind (`critical_point_kind`): a triangle
    for a hilltop, a diamond for a saddle, a star for a minimum; the name is
    written beside it, ``offset`` points to the right (negative to the left:
    the text then ends at the marker).

    Returns
    -------
    CriticalPointArtists
        The markers, the names and the kinds.

    Examples
    --------
    >>> import lossviz
    >>> from matplotlib.figure import Figure
    >>> hills = lossviz.surface("himmelblau")
    >>> ax = Figure().add_subplot()
    >>> marks = draw_critical_points(ax, hills, {"hilltop": (-0.2708, -0.9230)})
    >>> marks.kinds, marks.markers[0].get_marker()
    (['hilltop'], '^')
    """
    markers, labels, kinds = [], [], []
    dx, dy = offset
    for name, point in points.items():
        p = as_points(point, "point").reshape(2)
        kind = critical_point_kind(surface, p)
        style = dict(MINIMUM_STYLE) if kind == "minimum" else dict(CRITICAL_POINT_STYLE)
        style["marker"] = _MARKERS[kind]
        (marker,) = ax.plot([p[0]], [p[1]], **style, label=name)
        text = ax.annotate(
            name,
            (p[0], p[1]),
            xytext=(dx, dy),
            textcoords="offset points",
            **{**LABEL_STYLE, "ha": "left" if dx >= 0 else "right"},
        )
        markers.append(marker)
        labels.append(text)
        kinds.append(kind)
    return CriticalPointArtists(markers, labels, kinds)


__all__ = [
    "CRITICAL_POINT_STYLE",
    "KINDS",
    "CriticalPointArtists",
    "critical_point_kind",
    "draw_critical_points",
]
