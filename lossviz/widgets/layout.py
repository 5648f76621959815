"""Where each panel sits in the Explorer's figure.

The map fills the left half. The right column holds the loss on top and,
below it, the schedule preview and, on a model surface, its data and fitted
models; the loss takes the whole column when neither is shown.
"""

from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.figure import Figure

FIGURE_SIZE = (8.2, 4.0)
"""Inches at 100 dpi: 820 x 400 pixels, which fits a notebook's output area beside
JupyterLab's file browser on a 1280-pixel-wide screen."""

ARRANGEMENTS: dict[frozenset[str], dict[str, str]] = {
    frozenset({"loss", "schedule", "fit"}): {
        "loss": "right_top",
        "schedule": "below_left",
        "fit": "below_right",
    },
    frozenset({"loss", "fit"}): {"loss": "right_top", "fit": "below"},
    frozenset({"loss", "schedule"}): {"loss": "right_top", "schedule": "below"},
    frozenset({"loss"}): {"loss": "right"},
    frozenset({"loss", "stability"}): {"loss": "right_top", "stability": "below_barred"},
}
"""Right-column panels shown -> the slot of each."""


class Layout:
    """The figure's grid, and the slot of every panel for the panels shown."""

    def __init__(self, figure: Figure) -> None:
        grid = figure.add_gridspec(
            2,
            2,
            width_ratios=[1.0, 1.0],
            height_ratios=[2.1, 1.0],
            left=0.085,
            right=0.965,  # room for the last tick label of the loss axis ("2000")
            bottom=0.12,
            top=0.80,
            wspace=0.22,
            hspace=0.8,
        )
        half = grid[1, 1].subgridspec(1, 2, wspace=0.6)
        # Room on the right for a colourbar beside the panel (the stability map's).
        barred = grid[1, 1].subgridspec(1, 2, width_ratios=[1.0, 0.17], wspace=0.0)
        self.figure = figure
        self.slots = {
            "left": grid[:, 0],
            "right_top": grid[0, 1],
            "right": grid[:, 1],
            "below": grid[1, 1],
            "below_left": half[0],
            "below_right": half[1],
            "below_barred": barred[0],
        }
        self.shown: frozenset[str] | None = None

    def new_axes(self, name: str) -> Axes:
        """An axes for panel ``name`` (placed by `arrange`)."""
        if name == "map3d":
            return self.figure.add_subplot(self.slots["left"], projection="3d")
        return self.figure.add_subplot(self.slots["left" if name == "map" else "right"])

    def arrange(self, axes: dict[str, Axes], shown: set[str]) -> bool:
        """Show and place the panels named in ``shown``; True when anything moved."""
        shown = frozenset(shown)
        if shown == self.shown:
            return False
        self.shown = shown
        left = {name: "left" for name in ("map", "map3d") if name in shown}
        places = {**left, **ARRANGEMENTS[shown - {"map", "map3d"}]}
        for name, ax in axes.items():
            ax.set_visible(name in places)
            if name in places:
                spec = self.slots[places[name]]
                ax.set_subplotspec(spec)
                ax.set_position(spec.get_position(self.figure))
        return True
