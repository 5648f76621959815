"""Maps of outcomes in the Explorer: the basins under the contour map, and the stability map
over learning rate and momentum, for the tuned optimizer (the first when tuning all).

Both are computed in the background (`lossviz.widgets.background`) and arrive in
``frame.outcomes``; these panels only draw what has arrived. On the stability map
the pair in use is a ring that follows the sliders without a new map.
"""

from __future__ import annotations

import numpy as np
from matplotlib.artist import Artist
from matplotlib.image import AxesImage

from lossviz.stability_map import BORDER_FORMULAS
from lossviz.views.basins import draw_basin_layer, update_basin_layer
from lossviz.views.stability_map import (
    StabilityMapArtists,
    draw_stability_map,
    update_current_pair,
)
from lossviz.widgets.panels.base import Frame, Layer, Panel
from lossviz.widgets.state import ALL

BASIN_ALPHA = 0.72
"""The basin colours over the filled contours: the shading still shows through."""


def stability_shown(frame: Frame) -> bool:
    """Whether the stability map panel shows (it then takes the schedule's and fit's place)."""
    return frame.state.stability_map and "stability_map" in frame.shown


def outcome_label(state) -> str:
    """The optimizer the maps are computed for: the tuned one, or the first."""
    labels = list(state.optimizers)
    tune = state.tune
    return tune if tune != ALL and tune in labels else labels[0]


class BasinLayer(Layer):
    """Each start of a grid coloured by the minimum its run reaches, under the contour lines."""

    depends_on = frozenset({"basins", "basins_result", "surface", "surface_params"})

    def __init__(self) -> None:
        self.image: AxesImage | None = None
        self.shown = None
        """The `~lossviz.Basins` drawn, or None."""

    def build(self, ax, frame: Frame) -> None:
        result = frame.outcomes.get("basins") if frame.state.basins else None
        if result is not None and result.surface is not frame.surface:
            result = None  # computed for the surface shown before
        before = self.shown
        if result is None:
            self.remove()
        elif self.image is None:
            self.image = draw_basin_layer(ax, result, alpha=BASIN_ALPHA)
        else:
            update_basin_layer(self.image, result)
        self.shown = result
        # The image is drawn with the background: a new one needs the map drawn again.
        self.static_changed = result is not before

    def remove(self) -> None:
        if self.image is not None:
            if self.image.axes is not None:
                self.image.remove()
            self.image = None
        self.shown = None


class StabilityPanel(Panel):
    """Steps to converge for every (learning rate, momentum) pair of one optimizer, from
    the start shown, with the pair in use ringed and, on a quadratic, the analytic border."""

    name = "stability"
    depends_on = frozenset(
        {"stability_map", "stability_map_result", "surface", "surface_params", "tune",
         "optimizers"}
    )  # fmt: skip

    def __init__(self) -> None:
        super().__init__()
        self.map: StabilityMapArtists | None = None
        self.shown = None
        """The `~lossviz.StabilityMap` drawn, or None while the first is computed."""
        self._cax = None

    def wanted(self, frame: Frame) -> bool:
        return stability_shown(frame)

    def build(self, frame: Frame) -> None:
        self.remove()
        if self._cax is not None:
            self._cax.remove()  # the colourbar's inset axes: not cleared with the panel's
            self._cax = None
        self.ax.cla()
        result = frame.outcomes.get("stability_map")
        label = outcome_label(frame.state)
        if result is None or result.optimizer != _registered(frame, label):
            self.shown = None
            self.ax.set_axis_off()
            self.ax.text(0.5, 0.5, "computing the stability map…", ha="center",
                         va="center", transform=self.ax.transAxes, fontsize=9)  # fmt: skip
            return
        self.ax.set_axis_on()
        self.shown = result
        self._cax = self.ax.inset_axes([1.03, 0.0, 0.045, 1.0])
        self.map = draw_stability_map(
            self.ax,
            result,
            # The analytic border where its formula holds: these optimizers, on a quadratic.
            curvature=(
                quadratic_curvature(frame) if result.optimizer in BORDER_FORMULAS else None
            ),
            colorbar=True,
            cax=self._cax,
            legend=False,
        )
        self.map.current.set_animated(True)
        if self.map.colorbar is not None:
            self.map.colorbar.set_label("")  # the title says what the colours count
            self.map.colorbar.ax.tick_params(labelsize=8)
        self.ax.set_title(f"steps to converge: {label}", fontsize=10, pad=4)

    def update(self, frame: Frame) -> bool:
        if self.map is not None and self.shown is not None:
            update_current_pair(self.map, self.shown, current_pair(frame, self.shown))
        return False

    def artists(self) -> list[Artist]:
        return [self.map.current] if self.map is not None else []

    def remove(self) -> None:
        super().remove()
        if self.map is not None:
            self.map = None  # its artists go with the axes' next clear
        self.shown = None


def _registered(frame: Frame, label: str) -> str | None:
    """The registered name of the optimizer ``label`` (None for a lesson's own object)."""
    return label if label in frame.state.hyper else None


def current_pair(frame: Frame, smap) -> tuple[float, float] | float | None:
    """``(lr, beta)`` in use by the map's optimizer (``lr`` alone on a one-row map)."""
    label = outcome_label(frame.state)
    hyper = frame.state.hyper.get(label)
    if hyper is None or "lr" not in hyper:
        return None
    lr = hyper["lr"] * frame.state.lr_scale
    if smap.betas is None:
        return lr
    return lr, hyper.get(smap.beta_name, 0.0)


def quadratic_curvature(frame: Frame) -> float | None:
    """``lambda_max`` when the surface is a quadratic (its Hessian the same everywhere):
    then the analytic border holds exactly. None otherwise."""
    s = frame.surface
    (xmin, xmax), (ymin, ymax) = s.bounds
    points = np.array([[xmin, ymin], [xmax, ymax], [0.3 * xmin + 0.7 * xmax, ymin]])
    with np.errstate(all="ignore"):
        hessians = np.asarray(s.hessian(points), dtype=np.float64)
    if not np.isfinite(hessians).all() or not np.allclose(hessians, hessians[0], rtol=1e-9):
        return None
    top = float(np.linalg.eigvalsh(hessians[0]).max())
    return top if top > 0 else None
