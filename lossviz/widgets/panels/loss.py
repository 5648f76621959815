"""Loss per step of every run: above the best known minimum, on a log axis where it can be."""

from __future__ import annotations

from matplotlib.artist import Artist
from matplotlib.ticker import LogLocator, NullLocator

from lossviz.views import draw_loss_curves, fit_limits, loss_reference, update_loss_curves
from lossviz.views.loss_curves import LossArtists, draw_loss_lines
from lossviz.views.ticks import log_scale
from lossviz.widgets.panels.base import Frame, Panel
from lossviz.widgets.state import uses_log_loss


class LossPanel(Panel):
    """One curve per run. The y-limits stay while the curves fit them (so most frames
    blit); when they must change, this panel alone is redrawn."""

    name = "loss"
    depends_on = frozenset({"surface", "surface_params", "steps", "loss_scale"})
    animated_depends_on = frozenset({"optimizers"})

    def __init__(self, layers=()) -> None:
        super().__init__(layers)
        self.curves: LossArtists | None = None
        self.logarithmic = True

    def build(self, frame: Frame) -> None:
        self.ax.cla()
        reference = loss_reference(frame.surface)
        self.curves = draw_loss_curves(
            self.ax, list(frame.run.labels), frame.colors, reference, animated=True
        )
        self.logarithmic = uses_log_loss(frame.state, reference)
        self.ax.set_yscale("linear")
        if self.logarithmic:
            log_scale(self.ax)  # labels in plain text: no mathtext to parse as it rescales
            # Decades only: minor ticks would cost the rescaling frames more than they show.
            self.ax.yaxis.set_major_locator(LogLocator(numticks=7))
            self.ax.yaxis.set_minor_locator(NullLocator())
        self.ax.set_xlim(0, max(frame.state.steps, 1))
        # A fixed title position: matplotlib otherwise searches for one at every draw.
        self.ax.set_title("loss per step", fontsize=11, y=1.0, pad=6)
        values = update_loss_curves(self.curves, frame.run)
        self.ax.set_ylim(*fit_limits(values, None, self.logarithmic))

    def rebuild_animated(self, frame: Frame) -> None:
        self.curves.remove()
        lines = draw_loss_lines(self.ax, list(frame.run.labels), frame.colors, animated=True)
        self.curves = LossArtists(lines, self.curves.reference)

    def update(self, frame: Frame) -> bool:
        values = update_loss_curves(self.curves, frame.run)
        limits = fit_limits(values, self.ax.get_ylim(), self.logarithmic)
        if limits is None:
            return False
        self.ax.set_ylim(*limits)
        return True

    def artists(self) -> list[Artist]:
        return self.curves.artists if self.curves is not None else []

    def remove(self) -> None:
        super().remove()
        if self.curves is not None:
            self.curves.remove()
            self.curves = None
