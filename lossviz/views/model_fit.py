"""A model surface's data and the model each run ends with, side by side with its path.

For one input feature (regression, the tiny network) the panel shows the
training points (filled), the held-out points (hollow) and each run's fitted
curve ``y = model(w, x)``; for two features (logistic regression) it shows the
two classes (circles and triangles) and each run's decision line
``w1 x1 + w2 x2 = 0``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from lossviz.models.base import ModelSurface

_POINTS = 200


@dataclass
class ModelFitArtists:
    """Data markers (static) and one fitted curve per run (updated each frame)."""

    data: list[Line2D]
    fits: list[Line2D]
    surface: ModelSurface
    inputs: np.ndarray
    """The inputs at which curves are drawn: (points,) for one feature, unused for two."""

    @property
    def artists(self) -> list[Line2D]:
        return list(self.fits)

    def remove(self) -> None:
        for artist in (*self.data, *self.fits):
            artist.remove()


def draw_model_fit(
    ax: Axes, surface: ModelSurface, labels: list[str], colors: list[str], animated: bool = False
) -> ModelFitArtists:
    """Draw ``surface``'s data and one empty fit per label on ``ax`` (see `update_model_fit`)."""
    x, y = surface.x_train, surface.y_train
    xh, yh = surface.x_heldout, surface.y_heldout
    data: list[Line2D] = []
    if x.ndim == 1:
        data += ax.plot(x, y, "o", color="#555555", markersize=4, label="training data")
        data += ax.plot(
            xh,
            yh,
            "o",
            markerfacecolor="none",
            markeredgecolor="black",
            markersize=5,
            label="held-out data",
        )
        lo, hi = (
            float(min(x.min(), xh.min(initial=x.min()))),
            float(max(x.max(), xh.max(initial=x.max()))),
        )
        pad = 0.05 * (hi - lo)
        inputs = np.linspace(lo - pad, hi + pad, _POINTS)
        ax.set_xlim(inputs[0], inputs[-1])
        span = float(np.ptp(np.concatenate([y, yh])))
        ax.set_ylim(
            min(y.min(), yh.min(initial=y.min())) - 0.15 * span,
            max(y.max(), yh.max(initial=y.max())) + 0.15 * span,
        )
        ax.set_xlabel("input x")
        ax.set_ylabel("target y")
    else:
        everything = np.concatenate([x, xh]) if len(xh) else x
        targets = np.concatenate([y, yh]) if len(yh) else y
        for cls, marker, face in ((0, "o", "none"), (1, "^", "#555555")):
            pts = everything[targets == cls]
            data += ax.plot(
                pts[:, 0],
                pts[:, 1],
                marker,
                markerfacecolor=face,
                markeredgecolor="#333333",
                markersize=4,
                linestyle="none",
                label=f"class {cls}",
            )
        reach = float(np.abs(everything).max()) * 1.1
        ax.set_xlim(-reach, reach)
        ax.set_ylim(-reach, reach)
        inputs = np.array([-reach, reach])
        ax.set_xlabel("feature 1")
        ax.set_ylabel("feature 2")
    fits = draw_fit_lines(ax, labels, colors, animated)
    ax.set_title("data and fitted models", fontsize=10)
    return ModelFitArtists(data, fits, surface, inputs)


def draw_fit_lines(
    ax: Axes, labels: list[str], colors: list[str], animated: bool = False
) -> list[Line2D]:
    """One empty fitted-model line per label on ``ax`` (see `draw_model_fit`)."""
    return [
        ax.plot([], [], color=c, linewidth=1.8, label=label, animated=animated)[0]
        for label, c in zip(labels, colors, strict=True)
    ]


def update_model_fit(artists: ModelFitArtists, weights: np.ndarray) -> None:
    """Show the model of each run's final weights ``weights`` (runs, 2); NaN rows hide a fit."""
    s = artists.surface
    for line, w in zip(artists.fits, weights, strict=True):
        if not np.all(np.isfinite(w)):
            line.set_data([], [])
        elif s.x_train.ndim == 1:
            line.set_data(artists.inputs, s.predict(w, artists.inputs))
        else:
            # The decision line w . x = 0 runs along (-w2, w1) through the origin.
            direction = np.array([-w[1], w[0]]) / max(float(np.hypot(*w)), 1e-12)
            ends = np.outer([-2.0, 2.0], direction) * artists.inputs[-1]
            line.set_data(ends[:, 0], ends[:, 1])
