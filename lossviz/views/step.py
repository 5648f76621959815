"""One step of every run, drawn on the map: where each optimizer is, the arrows of what it
saw and did there, and the local curvature around it.

The arrows come from a traced run (``descend(..., trace=True)``): minus the
gradient, the update taken and the velocity. Their magnitudes can differ by
orders of magnitude between optimizers (Adam's first steps and gradient
descent's on a steep wall), so their lengths are drawn on a log scale
(`arrow_lengths`): the longest of a kind over the whole run is drawn at a
fixed share of the map, each decade less is one ``1 / ARROW_DECADES`` of that
length shorter, and anything ``ARROW_DECADES`` decades smaller keeps a stub.
Directions are exact. A note on the map says so (`step_note`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.lines import Line2D
from matplotlib.patches import Ellipse
from matplotlib.quiver import Quiver
from matplotlib.text import Text

from lossviz.curvature import LocalQuadratic
from lossviz.engine import Run

ARROW_KINDS = ("gradient", "update", "velocity")
"""The arrows a step can show: minus the gradient, the update taken, the velocity."""

ARROW_DECADES = 3
"""Decades of magnitude between the longest arrow of a kind and the shortest drawn stub."""

ARROW_SHARE = 0.16
"""The longest arrow of a kind, as a share of the map's diagonal."""

CURVATURE_SHARE = 0.09
"""The curvature glyph's longer half-axis, as a share of the map's diagonal."""

_ARROW_STYLE = {
    # kind: (colour or None for the run's own, shaft width in points, alpha, z-order)
    "gradient": ("black", 1.6, 1.0, 6.2),
    "update": (None, 2.6, 1.0, 6.1),
    "velocity": ("#777777", 3.4, 0.75, 6.0),
}


def step_note(arrows: tuple[str, ...] | frozenset[str], curvature: bool) -> str:
    """The key to what `update_step` draws: which arrow is which and how long they are,
    and how the curvature glyph reads. Empty when neither is on."""
    lines = []
    if arrows:
        names = {"gradient": "black −gradient", "update": "path colour: update",
                 "velocity": "grey velocity"}  # fmt: skip
        lines.append(" · ".join(names[kind] for kind in ARROW_KINDS if kind in arrows))
        lines.append(f"arrow length on a log scale ({ARROW_DECADES} decades)")
    if curvature:
        lines.append("ellipse: local curvature; dashed axis: curves down")
    return "\n".join(lines)


def arrow_lengths(
    magnitudes: np.ndarray, reference: float, longest: float, decades: float = ARROW_DECADES
) -> np.ndarray:
    """Display lengths of arrows of ``magnitudes`` (any shape), on a log scale.

    ``length = longest * clip(1 + log10(m / reference) / decades, 1 / (4 decades), 1)``:
    ``reference`` (the largest magnitude of the kind) is drawn ``longest``, each
    decade smaller one ``1 / decades`` of that shorter, and anything smaller
    than ``reference / 10**decades`` a stub of a quarter decade. Zero stays
    zero (no arrow), NaN stays NaN.

    Examples
    --------
    >>> arrow_lengths(np.array([100.0, 10.0, 1.0, 0.001, 0.0]), 100.0, 3.0).tolist()
    [3.0, 2.0, 1.0, 0.25, 0.0]
    """
    m = np.asarray(magnitudes, dtype=np.float64)
    if not np.isfinite(reference) or reference <= 0:
        return np.where(np.isnan(m), np.nan, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        fraction = 1.0 + np.log10(m / reference) / decades
    fraction = np.clip(fraction, 1.0 / (4.0 * decades), 1.0)
    return np.where(m > 0, longest * fraction, np.where(np.isnan(m), np.nan, 0.0))


def arrow_vectors(run: Run, kind: str) -> np.ndarray:
    """The vectors of one arrow kind for every run and step, shape (runs, steps, 2):
    ``-grad``, ``update`` or ``velocity`` of a traced run."""
    if run.grad is None:
        raise ValueError("arrows need a traced run: descend(..., trace=True)")
    if kind == "gradient":
        return -run.grad
    if kind == "update":
        return run.update
    if kind == "velocity":
        return run.velocity
    raise ValueError(f"arrow kind must be one of {', '.join(ARROW_KINDS)}; got {kind!r}")


def arrow_references(run: Run) -> dict[str, float]:
    """The largest finite magnitude of each arrow kind over the whole run (NaN if none)."""
    references = {}
    for kind in ARROW_KINDS:
        norms = np.linalg.norm(arrow_vectors(run, kind), axis=-1)
        finite = norms[np.isfinite(norms)]
        references[kind] = float(finite.max()) if finite.size and finite.max() > 0 else np.nan
    return references


def scaled_arrows(vectors: np.ndarray, reference: float, longest: float) -> np.ndarray:
    """``vectors`` (n, 2) rescaled to their `arrow_lengths`, directions kept; NaN rows stay."""
    norms = np.linalg.norm(vectors, axis=-1)
    lengths = arrow_lengths(norms, reference, longest)
    with np.errstate(divide="ignore", invalid="ignore"):
        unit = vectors / norms[:, None]
    return np.where(norms[:, None] > 0, unit * lengths[:, None], 0.0 * vectors)


@dataclass
class StepArtists:
    """The artists of `draw_step`: a marker per run, a quiver per arrow kind shown so far
    (made by `update_step` when first shown), the curvature glyph (an ellipse and two
    axis lines) and the scale note."""

    markers: PathCollection
    arrows: dict[str, Quiver]
    ellipse: Ellipse
    axes_lines: list[Line2D]
    note: Text
    colors: list[str] = field(default_factory=list)
    animated: bool = False

    @property
    def artists(self) -> list[Artist]:
        return [self.ellipse, *self.axes_lines, *self.arrows.values(), self.markers]

    @property
    def static(self) -> list[Artist]:
        """Drawn with the background: the key, which changes only with the choices."""
        return [self.note]

    def remove(self) -> None:
        for artist in [*self.artists, *self.static]:
            artist.remove()


def draw_step(ax: Axes, colors: list[str], animated: bool = False) -> StepArtists:
    """Empty artists for one step of ``len(colors)`` runs on the map ``ax`` (see `update_step`)."""
    n = len(colors)
    markers = ax.scatter(
        np.full(n, np.nan), np.full(n, np.nan), s=70, c=colors, edgecolors="black",
        linewidths=1.6, zorder=7, animated=animated,
    )  # fmt: skip
    ellipse = Ellipse(
        (0, 0), 0, 0, fill=False, edgecolor="black", linewidth=1.4, zorder=5.5,
        animated=animated, visible=False,
    )  # fmt: skip
    ax.add_patch(ellipse)
    axes_lines = []
    for _ in range(2):
        (line,) = ax.plot([], [], linewidth=1.4, zorder=5.6, animated=animated, visible=False)
        axes_lines.append(line)
    note = ax.text(
        0.01, 0.01, "", transform=ax.transAxes, fontsize=7.5, va="bottom", ha="left",
        zorder=8, visible=False,
        bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "alpha": 0.8, "linewidth": 0},
    )  # fmt: skip
    # The arrows are made when first shown (`update_step`): three quivers cost several
    # milliseconds, and most steps are looked at without them.
    return StepArtists(markers, {}, ellipse, axes_lines, note, list(colors), animated)


def _draw_arrows(artists: StepArtists, kind: str) -> Quiver:
    """The quiver of one arrow kind for every run, hidden, on the markers' axes."""
    ax, colors = artists.markers.axes, artists.colors
    n = len(colors)
    colour, width, alpha, z = _ARROW_STYLE[kind]
    return ax.quiver(
        np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n),
        color=colors if colour is None else colour,
        angles="xy", scale_units="xy", scale=1.0,
        units="dots", width=width * ax.figure.dpi / 72,  # points, in pixels
        headwidth=3.2, headlength=4.0, headaxislength=3.6, alpha=alpha, zorder=z,
        minlength=0,  # a zero vector (no velocity, a finished run) draws nothing
        animated=artists.animated, visible=False,
    )  # fmt: skip


def update_step(
    artists: StepArtists,
    run: Run,
    step: int,
    *,
    arrows: tuple[str, ...] | frozenset[str] = (),
    curvature: LocalQuadratic | None = None,
    references: dict[str, float] | None = None,
) -> None:
    """Show step ``step`` of ``run``: markers at ``path[:, step]``; the ``arrows`` kinds
    from there (a traced run); the ``curvature`` glyph at its point.

    The curvature glyph is the level set of the local quadratic model: an
    ellipse with half-axes along the Hessian's eigenvectors, ``1 / sqrt(lambda)``
    long (scaled to the map), where both eigenvalues are positive; where a
    direction curves down, that axis is a thick dashed line (`step_note` says so).
    """
    ax = artists.markers.axes
    points = run.path[:, step]
    artists.markers.set_offsets(points)
    (xmin, xmax), (ymin, ymax) = ax.get_xlim(), ax.get_ylim()
    diagonal = float(np.hypot(xmax - xmin, ymax - ymin))
    if arrows and references is None:
        references = arrow_references(run)
    at = min(step, run.steps - 1)  # the step taken from the point shown (none after the last)
    for kind in ARROW_KINDS:
        shown = kind in arrows and run.grad is not None and run.steps > 0 and step < run.steps
        quiver = artists.arrows.get(kind)
        if not shown:
            if quiver is not None:
                quiver.set_visible(False)
            continue
        if quiver is None:
            quiver = artists.arrows[kind] = _draw_arrows(artists, kind)
        quiver.set_visible(True)
        vectors = scaled_arrows(
            arrow_vectors(run, kind)[:, at], references[kind], ARROW_SHARE * diagonal
        )
        finite = np.isfinite(points).all(axis=1) & np.isfinite(vectors).all(axis=1)
        quiver.set_offsets(np.where(finite[:, None], points, 0.0))
        quiver.set_UVC(*np.where(finite[:, None], vectors, 0.0).T)
    _update_curvature(artists, curvature, CURVATURE_SHARE * diagonal)


def _update_curvature(artists: StepArtists, model: LocalQuadratic | None, size: float) -> None:
    ellipse, lines = artists.ellipse, artists.axes_lines
    usable = model is not None and np.isfinite(model.eigenvalues).all()
    if not usable:
        ellipse.set_visible(False)
        for line in lines:
            line.set_visible(False)
        return
    values, vectors, centre = model.eigenvalues, model.eigenvectors, model.point
    magnitudes = np.abs(values)
    with np.errstate(divide="ignore"):
        halves = np.where(magnitudes > 0, 1.0 / np.sqrt(magnitudes), np.inf)
    # Longer half-axis = size; the other in proportion, but never below 3 % of it.
    finite = halves[np.isfinite(halves)]
    scale = size / finite.max() if finite.size else 0.0
    halves = np.clip(np.where(np.isfinite(halves), halves * scale, size), 0.03 * size, size)
    upward = values > 0
    ellipse.set_visible(bool(upward.all()))
    if upward.all():
        ellipse.set_center(centre)
        ellipse.set_width(2 * halves[0])
        ellipse.set_height(2 * halves[1])
        ellipse.set_angle(float(np.degrees(np.arctan2(vectors[1, 0], vectors[0, 0]))))
    for i, line in enumerate(lines):
        ends = centre + np.outer([-1.0, 1.0], vectors[:, i] * halves[i])
        line.set_data(ends[:, 0], ends[:, 1])
        line.set_visible(True)
        if upward[i]:
            line.set_color("black")
            line.set_linestyle("-")
            line.set_linewidth(0.8)
        else:  # curves down: a saddle's or a hilltop's direction
            line.set_color("black")
            line.set_linestyle((0, (2.5, 1.5)))
            line.set_linewidth(2.2)


__all__ = [
    "ARROW_DECADES",
    "ARROW_KINDS",
    "StepArtists",
    "arrow_lengths",
    "arrow_references",
    "arrow_vectors",
    "draw_step",
    "scaled_arrows",
    "step_note",
    "update_step",
]
