"""Noise as a cloud: with noisy gradients, the runs of several seeds at once, as thin paths
on the map and thin loss curves with their mean, so a student sees the spread, not one
lucky path."""

from __future__ import annotations

import numpy as np
from matplotlib.artist import Artist
from matplotlib.lines import Line2D
from matplotlib.patheffects import withStroke

from lossviz.views.loss_curves import curve_values
from lossviz.widgets.panels.base import Frame, Layer

CLOUD_ALPHA = 0.35
CLOUD_WIDTH = 0.8
MEAN_WIDTH = 2.2


def cloud_runs(frame: Frame) -> list:
    """Every run of the cloud, the frame's own first."""
    return [frame.run, *frame.cloud]


class CloudLayer(Layer):
    """Thin paths of the other seeds' runs, under the frame's own paths."""

    depends_on = frozenset({"optimizers", "cloud", "noise", "batch_size", "surface"})

    def __init__(self) -> None:
        self.lines: list[Line2D] = []

    def build(self, ax, frame: Frame) -> None:
        self.remove()
        n = len(frame.run) * len(frame.cloud)
        for k in range(n):
            (line,) = ax.plot([], [], linewidth=CLOUD_WIDTH, alpha=CLOUD_ALPHA, zorder=2.5,
                              color=frame.colors[k % len(frame.run)], animated=True)  # fmt: skip
            self.lines.append(line)

    def update(self, frame: Frame) -> None:
        if len(self.lines) != len(frame.run) * len(frame.cloud):
            return  # rebuilt on the next change of what the cloud depends on
        k = 0
        for run in frame.cloud:
            for i in range(len(run)):
                self.lines[k].set_data(run.path[i, :, 0], run.path[i, :, 1])
                k += 1

    def artists(self) -> list[Artist]:
        return list(self.lines)

    def remove(self) -> None:
        for line in self.lines:
            if line.axes is not None and line in line.axes.lines:
                line.remove()
        self.lines = []


class LossCloudLayer(Layer):
    """Thin loss curves of the other seeds, and each optimizer's mean over every seed,
    dashed, on the loss panel."""

    depends_on = frozenset({"optimizers", "cloud", "noise", "batch_size", "surface"})

    def __init__(self) -> None:
        self.lines: list[Line2D] = []
        self.means: list[Line2D] = []
        self.reference = float("nan")

    def build(self, ax, frame: Frame) -> None:
        self.remove()
        if not frame.cloud:
            return
        runs = len(frame.run)
        for k in range(runs * len(frame.cloud)):
            (line,) = ax.plot([], [], linewidth=CLOUD_WIDTH, alpha=CLOUD_ALPHA,
                              color=frame.colors[k % runs], animated=True)  # fmt: skip
            self.lines.append(line)
        for i in range(runs):
            label = f"{frame.run.names[i]}: mean of {len(frame.cloud) + 1}"
            halo = [withStroke(linewidth=4.0, foreground="white")]
            (line,) = ax.plot([], [], linewidth=MEAN_WIDTH, linestyle=(0, (4, 2)),
                              color=frame.colors[i], animated=True, label=label, zorder=3,
                              path_effects=halo)  # fmt: skip
            self.means.append(line)

    def update(self, frame: Frame) -> None:
        if not self.means or len(self.lines) != len(frame.run) * len(frame.cloud):
            return
        reference = frame.surface.global_minimum_loss
        values = [curve_values(run, reference) for run in cloud_runs(frame)]  # (runs, steps+1)
        steps = np.arange(values[0].shape[1])
        k = 0
        for v in values[1:]:
            for row in v:
                self.lines[k].set_data(steps, row)
                k += 1
        with np.errstate(all="ignore"):
            stacked = np.stack(values)  # (seeds, runs, steps + 1)
            mean = np.nanmean(np.where(np.isfinite(stacked), stacked, np.nan), axis=0)
        for line, row in zip(self.means, mean, strict=True):
            line.set_data(steps, row)

    def artists(self) -> list[Artist]:
        return [*self.lines, *self.means]

    def remove(self) -> None:
        for line in [*self.lines, *self.means]:
            if line.axes is not None and line in line.axes.lines:
                line.remove()
        self.lines, self.means = [], []
