"""On a model surface: its data, and the model each run ends with."""

from __future__ import annotations

from matplotlib.artist import Artist

from lossviz.views.model_fit import (
    ModelFitArtists,
    draw_fit_lines,
    draw_model_fit,
    update_model_fit,
)
from lossviz.widgets.panels.base import Frame, Panel
from lossviz.widgets.panels.outcomes import stability_shown
from lossviz.widgets.state import is_model


class ModelFitPanel(Panel):
    """Training and held-out data (static) and each run's fitted curve or decision line."""

    name = "fit"
    depends_on = frozenset({"surface", "surface_params"})
    animated_depends_on = frozenset({"optimizers"})

    def __init__(self) -> None:
        super().__init__()
        self.fit: ModelFitArtists | None = None

    def wanted(self, frame: Frame) -> bool:
        return is_model(frame.surface) and not stability_shown(frame)

    def build(self, frame: Frame) -> None:
        self.ax.cla()
        self.fit = draw_model_fit(
            self.ax, frame.surface, list(frame.run.labels), frame.colors, animated=True
        )

    def rebuild_animated(self, frame: Frame) -> None:
        for line in self.fit.fits:
            line.remove()
        self.fit.fits = draw_fit_lines(self.ax, list(frame.run.labels), frame.colors, True)

    def update(self, frame: Frame) -> bool:
        update_model_fit(self.fit, frame.run.final)
        return False

    def artists(self) -> list[Artist]:
        return self.fit.artists if self.fit is not None else []

    def remove(self) -> None:
        if self.fit is not None:
            self.fit.remove()
            self.fit = None
