"""The network explorer's panels: two slices on one set of shades, the loss per step, the line.

Each panel owns one axes and redraws it from a `NetworkView`; the drawing itself
is `lossviz.views` (`draw_slice_values`, `draw_interpolation`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.colors import BoundaryNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, NullFormatter

from lossviz.views import OKABE_ITO, draw_interpolation, draw_slice_values
from lossviz.views.contour import CMAP
from lossviz.views.paths import START_STYLE
from lossviz.views.slices import PATH_COLOR
from lossviz.widgets.network_state import LINE_ALPHAS, PLANES, NetworkState, Plane, Slices, Trained

SPLIT_COLORS = {"training": OKABE_ITO["blue"], "held-out": OKABE_ITO["vermillion"]}
"""One colour per split in every panel (colour-blind safe)."""

TITLE_SIZE = 10
AXIS_WORDS = {
    "pca": ("a: along the 1st principal direction", "b: along the 2nd"),
    "random": ("a: along random direction 1", "b: along direction 2"),
}


@dataclass(frozen=True)
class NetworkView:
    """Everything the panels draw from: the settings and the three computed stages."""

    state: NetworkState
    trained: Trained
    plane: Plane
    slices: Slices
    line: dict[str, np.ndarray]


class NetworkPanel:
    """One axes of the network explorer's figure, redrawn whole from a `NetworkView`."""

    name = "panel"

    def __init__(self, ax: Axes) -> None:
        self.ax = ax

    def draw(self, view: NetworkView) -> None:
        """Clear the axes and draw ``view`` on it."""


class SlicePanel(NetworkPanel):
    """The loss of one split over the plane, with the training path projected on it."""

    def __init__(self, ax: Axes, split: str) -> None:
        super().__init__(ax)
        self.split = split
        self.name = f"slice_{'train' if split == 'training' else 'test'}"
        self.artists = None

    def draw(self, view: NetworkView) -> None:
        self.ax.cla()
        values = view.slices.train if self.split == "training" else view.slices.test
        self.artists = draw_slice_values(
            self.ax, view.slices.grid, values, view.slices.levels, view.plane.path
        )
        self.ax.set_aspect("auto")
        self.ax.set_title(f"{self.split} loss on the plane", fontsize=TITLE_SIZE)
        first, second = AXIS_WORDS["pca" if view.plane.kind == "pca" else "random"]
        self.ax.set_xlabel(first, fontsize=9)
        # The held-out map is the same plane: its b axis is named once, on the left.
        self.ax.set_ylabel(second if self.split == "training" else "", fontsize=9)


class CurvesPanel(NetworkPanel):
    """Training and held-out loss at every step: the gap between them is overfitting."""

    name = "curves"

    def draw(self, view: NetworkView) -> None:
        ax = self.ax
        ax.cla()
        training = view.trained.training
        steps = np.arange(len(training.train_loss))
        for split, values in (("training", training.train_loss), ("held-out", training.test_loss)):
            ax.plot(steps, values, color=SPLIT_COLORS[split], linewidth=1.5, label=split)
        finite = np.concatenate([training.train_loss, training.test_loss])
        finite = finite[np.isfinite(finite)]
        if finite.size and finite.min() > 0 and finite.max() / finite.min() > 20:
            ax.set_yscale("log")
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
            ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel("step")
        ax.set_ylabel("loss")
        ax.set_title("loss per step", fontsize=TITLE_SIZE)
        ax.legend(fontsize=8, loc="best")
        ax.grid(alpha=0.3)


class LinePanel(NetworkPanel):
    """The loss on the straight line from the first weights (0) to the trained ones (1)."""

    name = "line"

    def draw(self, view: NetworkView) -> None:
        ax = self.ax
        ax.cla()
        lines = draw_interpolation(ax, LINE_ALPHAS, view.line)
        for line, split in zip(lines, view.line, strict=True):
            line.set_color(SPLIT_COLORS[split])
        ax.legend(fontsize=8, loc="best")
        ax.set_xlabel("α  (0: first weights, 1: trained)")
        ax.set_title("on the line from first to trained weights", fontsize=TITLE_SIZE)
        ax.grid(alpha=0.3)


class ShadesPanel(NetworkPanel):
    """The colour bar both slices share."""

    name = "shades"

    def draw(self, view: NetworkView) -> None:
        ax = self.ax
        ax.cla()
        levels = view.slices.levels
        norm = BoundaryNorm(levels, CMAP.N)
        bar = ax.figure.colorbar(ScalarMappable(norm, CMAP), cax=ax)
        ticks = levels[:: max(1, len(levels) // 5)]
        bar.set_ticks(ticks)
        bar.set_ticklabels([f"{t:.3g}" for t in ticks])
        bar.ax.tick_params(labelsize=7.5)
        ax.set_title("loss", fontsize=8.5)


def plane_title(view: NetworkView) -> str:
    """The figure's heading: which plane, and how much of the path it holds."""
    plane = view.plane
    words = PLANES[plane.kind]
    held = f"the plane holds {plane.in_plane:.0%} of the path's movement"
    if plane.explained is not None:
        first, second = plane.explained
        return f"{words} ({first:.1%} + {second:.1%} of its variance): {held}"
    return f"{words} (cos between its directions {plane.cosine:+.2f}): {held}"


def path_legend(figure: Figure) -> None:
    """The key to the path's marks, once, above both maps (the path can go anywhere on them)."""
    handles = [
        Line2D([], [], color=PATH_COLOR, linewidth=1.8),
        Line2D([], [], **START_STYLE),
        Line2D([], [], linestyle="none", marker="o", color=PATH_COLOR, markersize=6),
    ]
    figure.legend(
        handles,
        ["training path, projected on the plane", "first weights", "trained weights (centre)"],
        loc="upper center",
        bbox_to_anchor=(0.5, 0.955),
        ncol=3,
        frameon=False,
        fontsize=8.5,
    )


def arrange(figure: Figure) -> dict[str, NetworkPanel]:
    """The panels on ``figure``: two slices above (with their shared colour bar), the loss
    per step and the line below."""
    grid = figure.add_gridspec(
        2,
        3,
        width_ratios=[1.0, 1.0, 0.05],
        height_ratios=[1.25, 1.0],
        left=0.085,
        right=0.93,
        bottom=0.09,
        top=0.875,
        wspace=0.4,
        hspace=0.42,
    )
    panels: list[NetworkPanel] = [
        SlicePanel(figure.add_subplot(grid[0, 0]), "training"),
        SlicePanel(figure.add_subplot(grid[0, 1]), "held-out"),
        ShadesPanel(figure.add_subplot(grid[0, 2])),
        CurvesPanel(figure.add_subplot(grid[1, 0])),
        LinePanel(figure.add_subplot(grid[1, 1])),
    ]
    path_legend(figure)
    return {panel.name: panel for panel in panels}
