"""Loss per step of every run: above the best known minimum, on a log axis where it can be."""

from __future__ import annotations

import numpy as np
from matplotlib.artist import Artist
from matplotlib.ticker import LogLocator, NullLocator

from lossviz.views import draw_loss_curves, fit_limits, loss_reference, update_loss_curves
from lossviz.views.loss_curves import LossArtists, draw_loss_lines
from lossviz.views.ticks import log_scale
from lossviz.widgets.panels.base import Frame, KeptArtists, Panel
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
        # Each (optimizer, colour)'s line, kept while hidden: a tag added back shows it.
        self._lines = KeptArtists()
        self._builds = 0  # how many times the static part was built: part of its signature

    def build(self, frame: Frame) -> None:
        self._builds += 1
        self.ax.cla()
        self._lines.clear()
        reference = loss_reference(frame.surface)
        labels = list(frame.run.labels)
        self.curves = draw_loss_curves(self.ax, labels, frame.colors, reference, animated=True)
        for label, color, line in zip(labels, frame.colors, self.curves.lines, strict=True):
            self._lines.keep((label, color), (line,))
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
        keys = list(zip(frame.run.labels, frame.colors, strict=True))
        taken = self._lines.take(
            keys, lambda key: tuple(draw_loss_lines(self.ax, [key[0]], [key[1]], animated=True))
        )
        lines = [line for (line,) in taken]
        for line in lines:
            line.set_visible(True)
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

    def kept_on_update(self) -> tuple[list[Artist], list[Artist]]:
        """`update` changes the y-limits only: the step axis's labels and the title stay
        (about half of what redrawing the panel costs)."""
        ax = self.ax
        kept = [*ax.xaxis.get_ticklabels(), ax.xaxis.label, ax.xaxis.offsetText, ax.title]
        # The ticks drawn: the axis keeps others, outside the limits, where they last were.
        scale = ax.yaxis.get_transform()
        low, high = sorted(scale.transform(np.array(ax.get_ylim())))
        slack = 1e-6 * (high - low)
        ticks = ax.yaxis.get_major_ticks()
        places = scale.transform(np.array([t.get_loc() for t in ticks], dtype=float))
        ticks = [t for t, y in zip(ticks, places, strict=True) if low - slack <= y <= high + slack]
        moving = [
            *(a for t in ticks for a in (t.label1, t.label2, t.tick1line, t.tick2line)),
            ax.yaxis.label,
            ax.yaxis.offsetText,
        ]
        return kept, moving

    def static_signature(self) -> tuple:
        """Between two builds, the static part changes only with the axis limits."""
        ax = self.ax
        return (self._builds, ax.get_xlim(), ax.get_ylim(), ax.get_yscale())

    def remove(self) -> None:
        super().remove()
        self._lines.clear()
        self.curves = None
