"""A small preview of the learning-rate schedule over the steps."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D


@dataclass
class ScheduleArtists:
    """The preview line made by `draw_schedule_preview`."""

    line: Line2D

    @property
    def artists(self) -> list[Line2D]:
        return [self.line]


def draw_schedule_preview(ax: Axes, animated: bool = False) -> ScheduleArtists:
    """Make the preview: the schedule's factor ``lr(t) / lr`` against step, on ``ax``.

    Every optimizer's learning rate follows the same schedule shape, scaled by
    its own rate, so one curve between 0 and 1 shows it for all of them.
    """
    (line,) = ax.plot([], [], color="#444444", linewidth=1.6, animated=animated)
    ax.set_ylim(0.0, 1.08)
    ax.set_ylabel("lr / peak lr")
    ax.set_xlabel("step")
    ax.grid(True, alpha=0.3)
    return ScheduleArtists(line)


def update_schedule_preview(artists: ScheduleArtists, factors: np.ndarray) -> None:
    """Set the preview to ``factors`` (steps,), the schedule divided by its peak rate."""
    artists.line.set_data(np.arange(len(factors)), factors)
