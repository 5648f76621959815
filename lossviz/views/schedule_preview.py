"""Learning-rate schedules drawn over the steps: the Explorer's small preview of the
schedule's shape, and a lesson's small multiples of several schedules, one panel each."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from lossviz.views.colors import OKABE_ITO

SCHEDULE_COLORS = tuple(
    OKABE_ITO[name] for name in ("blue", "orange", "green", "purple", "sky", "vermillion", "black")
)
"""The colours `draw_schedules` gives its panels, in order (Okabe & Ito, colour-blind safe)."""


@dataclass
class ScheduleArtists:
    """The line made by `draw_schedule_preview` or, one per panel, by `draw_schedules`."""

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


def schedule_title(schedule: Callable[[Any], Any]) -> str:
    """A panel title: the schedule's name over its parameters, e.g. ``"cosine\\n(lr=0.1, ...)"``.

    Examples
    --------
    >>> from lossviz.schedules import step_decay
    >>> print(schedule_title(step_decay(0.1, every=100, factor=0.5)))
    step_decay
    (lr=0.1, every=100, factor=0.5)
    """
    name = getattr(schedule, "name", getattr(schedule, "__name__", "schedule"))
    params = getattr(schedule, "params", {})
    if not params:
        return name
    shown = (
        f"{k}={v:g}" if isinstance(v, int | float) else f"{k}={v!r}" for k, v in params.items()
    )
    return f"{name}\n({', '.join(shown)})"


def draw_schedules(
    axes: Any,
    schedules: Sequence[Callable[[Any], Any]],
    steps: int,
    *,
    colors: Sequence[str] | None = None,
) -> list[ScheduleArtists]:
    """Small multiples: each of ``schedules`` as its learning rate against step, on its own axes.

    Panel ``i`` draws ``schedules[i](t)`` for ``t = 0 .. steps - 1`` on the ``i``-th of
    ``axes`` (read row by row), titled by `schedule_title`. Axes left over are turned
    off. Panels in the first column get the y label, and the lowest panel of each
    column gets the x label and, even when the axes share x, its tick labels.

    Parameters
    ----------
    axes
        Axes, any shape, e.g. the array of ``Figure.subplots(2, 4, sharex=True,
        sharey=True)``; at least one per schedule.
    schedules
        `lossviz.schedules.LearningRateSchedule` objects, or any functions of the
        integer step array ``t`` (steps,) giving the rates (steps,).
    steps
        How many steps to draw, an integer >= 1.
    colors
        One colour per schedule; default `SCHEDULE_COLORS`, repeating.

    Returns
    -------
    One `ScheduleArtists` per schedule, in order; ``line.get_ydata()`` holds the rates.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from lossviz import schedules
    >>> axes = Figure().subplots(1, 3, sharey=True)
    >>> drawn = draw_schedules(axes, [schedules.constant(0.1), schedules.cosine(0.1, steps=4)],
    ...                        steps=5)
    >>> drawn[1].line.get_ydata().round(4).tolist()
    [0.1, 0.0854, 0.05, 0.0146, 0.0]
    >>> axes[2].axison
    False
    """
    flat = list(np.ravel(np.asarray(axes, dtype=object)))
    if len(flat) < len(schedules):
        raise ValueError(f"give one axes per schedule; got {len(flat)} axes for {len(schedules)}")
    colors = list(colors) if colors is not None else list(SCHEDULE_COLORS)
    t = np.arange(steps)
    drawn = []
    for i, (ax, schedule) in enumerate(zip(flat, schedules, strict=False)):
        rates = np.broadcast_to(np.asarray(schedule(t), dtype=np.float64), t.shape)
        (line,) = ax.plot(t, rates, color=colors[i % len(colors)], linewidth=2.2)
        ax.set_title(schedule_title(schedule), fontsize=10)
        ax.grid(True, alpha=0.3)
        drawn.append(ScheduleArtists(line))
    for ax in flat[len(schedules) :]:
        ax.axis("off")
    _label_outer(flat[: len(schedules)])
    return drawn


def _label_outer(axes: list[Axes]) -> None:
    """Y label on the first column, x label and tick labels on each column's lowest panel."""
    places = [ax.get_subplotspec() for ax in axes]
    if any(spec is None for spec in places):  # not on a grid: label every panel
        for ax in axes:
            ax.set(xlabel="step", ylabel="learning rate")
        return
    lowest: dict[int, tuple[int, Axes]] = {}
    for ax, spec in zip(axes, places, strict=True):
        row, column = spec.rowspan.stop, spec.colspan.start
        if column not in lowest or row > lowest[column][0]:
            lowest[column] = (row, ax)
        if column == 0:
            ax.set_ylabel("learning rate")
    for _, ax in lowest.values():
        ax.set_xlabel("step")
        ax.tick_params(labelbottom=True)


__all__ = [
    "SCHEDULE_COLORS",
    "ScheduleArtists",
    "draw_schedule_preview",
    "draw_schedules",
    "schedule_title",
    "update_schedule_preview",
]
