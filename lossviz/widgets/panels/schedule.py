"""The learning-rate schedule's shape over the steps, shared by every optimizer."""

from __future__ import annotations

from matplotlib.artist import Artist

from lossviz.views import draw_schedule_preview, update_schedule_preview
from lossviz.views.schedule_preview import ScheduleArtists
from lossviz.widgets.panels.base import Frame, Panel
from lossviz.widgets.panels.outcomes import stability_shown


class SchedulePanel(Panel):
    """``lr(t) / lr`` against step. Left out while the schedule is constant and its control
    hidden: a flat line teaches nothing."""

    name = "schedule"
    depends_on = frozenset({"steps"})

    def __init__(self) -> None:
        super().__init__()
        self.preview: ScheduleArtists | None = None

    def wanted(self, frame: Frame) -> bool:
        if stability_shown(frame):
            return False  # the stability map takes the slot
        return "schedule" in frame.shown or frame.state.schedule != "constant"

    def build(self, frame: Frame) -> None:
        self.ax.cla()
        self.preview = draw_schedule_preview(self.ax, animated=True)
        self.ax.set_title("learning-rate schedule", fontsize=10)
        self.ax.set_xlim(0, max(frame.state.steps - 1, 1))

    def update(self, frame: Frame) -> bool:
        update_schedule_preview(self.preview, frame.schedule)
        return False

    def artists(self) -> list[Artist]:
        return self.preview.artists if self.preview is not None else []

    def remove(self) -> None:
        if self.preview is not None:
            self.preview.line.remove()
            self.preview = None
