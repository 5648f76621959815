"""Loss against step for every run, on a log scale when it spans decades."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from lossviz.engine import Run
from lossviz.surfaces.base import Surface


@dataclass
class LossArtists:
    """Lines made by `draw_loss_curves`, and what the y-axis shows."""

    lines: list[Line2D]
    reference: float
    """The best known minimum's loss; the curves show ``loss - reference`` on a log axis."""

    @property
    def artists(self) -> list[Line2D]:
        return list(self.lines)

    def remove(self) -> None:
        for line in self.lines:
            line.remove()


def loss_reference(surface: Surface) -> float:
    """The loss at the surface's `~lossviz.Surface.global_minimum`, or NaN when it lists none."""
    return surface.global_minimum_loss


def draw_loss_lines(
    ax: Axes, labels: list[str], colors: list[str], animated: bool = False
) -> list[Line2D]:
    """One empty line per label on ``ax``, nothing else (see `draw_loss_curves`)."""
    return [
        ax.plot([], [], color=c, linewidth=1.8, label=label, animated=animated)[0]
        for label, c in zip(labels, colors, strict=True)
    ]


def draw_loss_curves(
    ax: Axes, labels: list[str], colors: list[str], reference: float, animated: bool = False
) -> LossArtists:
    """Make one empty loss curve per label on ``ax``; fill them with `update_loss_curves`.

    Where the surface's best minimum ``reference`` is known, the curves show
    the gap ``loss - reference`` (0 at the minimum) so a log axis can show
    convergence across decades; otherwise the raw loss.
    """
    lines = draw_loss_lines(ax, labels, colors, animated)
    ax.set_xlabel("step")
    if np.isfinite(reference):
        ax.set_ylabel("loss above best minimum")
    else:
        ax.set_ylabel("loss")
    ax.grid(True, which="major", alpha=0.3)
    return LossArtists(lines, reference)


def curve_values(run: Run, reference: float) -> np.ndarray:
    """What the loss panel plots for each run, shape (runs, steps + 1)."""
    if np.isfinite(reference):
        # Clip at a tiny gap: a run that reaches the minimum exactly has log(0) = -inf.
        return np.maximum(run.loss - reference, 1e-16)
    return run.loss


def update_loss_curves(artists: LossArtists, run: Run) -> np.ndarray:
    """Set each curve's data from ``run``; returns the plotted values (runs, steps + 1)."""
    values = curve_values(run, artists.reference)
    steps = np.arange(values.shape[1])
    for line, v in zip(artists.lines, values, strict=True):
        line.set_data(steps, v)
    return values


def loss_ceiling(values: np.ndarray, logarithmic: bool) -> float:
    """The highest loss the panel makes room for: a hundred times the highest start
    (log axis), or one and a half times it (linear); inf when no start is finite.

    A diverging run climbs by many decades in a few steps; its curve leaves through
    the top of the panel instead of squashing every other curve to the bottom.
    """
    start = values[:, 0]
    start = start[np.isfinite(start)]
    if start.size == 0:
        return float("inf")
    top = float(start.max())
    if logarithmic:
        return 100.0 * top if top > 0 else float("inf")
    return top + 0.5 * abs(top) if top != 0 else float("inf")


def fit_limits(
    values: np.ndarray, current: tuple[float, float] | None, logarithmic: bool
) -> tuple[float, float] | None:
    """New y-limits for the loss panel, or None when the current ones still fit.

    ``values`` has shape (runs, steps + 1). Keeping limits while the data stays
    inside them and uses a fair part of the range lets a live widget redraw
    only the curves (blitting) for most slider moves, instead of re-rendering
    ticks and labels every frame. The limits reach up to `loss_ceiling` at most.
    """
    values = np.minimum(values, loss_ceiling(values, logarithmic)) if values.size else values
    finite = values[np.isfinite(values)]
    if logarithmic:
        finite = finite[finite > 0]
    if finite.size == 0:
        return None if current is not None else (1e-3, 1.0) if logarithmic else (0.0, 1.0)
    lo, hi = float(finite.min()), float(finite.max())
    if logarithmic:
        lo_l, hi_l = np.log10(lo), np.log10(hi)
        want = (10 ** (np.floor(lo_l) - 0.3), 10 ** (np.ceil(hi_l) + 0.1))
        if current is not None:
            c_lo, c_hi = np.log10(current[0]), np.log10(current[1])
            inside = c_lo <= lo_l and hi_l <= c_hi
            if inside and (hi_l - lo_l) >= 0.2 * (c_hi - c_lo) - 1.5:
                return None
            if lo_l < c_lo:
                # Curves reaching lower: leave a decade to spare, as they tend to go on.
                want = (want[0] / 10, want[1])
        return want
    pad = 0.05 * (hi - lo if hi > lo else max(abs(hi), 1.0))
    want = (lo - pad, hi + pad)
    if current is not None:
        inside = current[0] <= lo and hi <= current[1]
        if inside and (hi - lo) >= 0.4 * (current[1] - current[0]):
            return None
    return want
