"""The Explorer: descent paths recomputed live over a contour map.

A student drags a slider and every optimizer's path redraws while the hand is
still moving; a click on the map starts the paths from there.

How a frame is made (the data flows one way)::

    control change -> hyperparameters -> descend() -> update artists -> blit

The contour map, axes, ticks and legend are rendered once per surface (a full
draw); each frame restores that cached background and draws only the paths
and curves on top (blitting, as matplotlib's animation module does), then
ipympl sends only the changed pixels. Zoom, pan, resize, a surface change or a
loss range that no longer fits still trigger a full draw, which re-caches the
background. A burst of control changes (a drag) is coalesced: each change
only records the new value and asks for a frame; the frame runs once the
kernel has handled the queued messages, with the latest values.
"""

from __future__ import annotations

import asyncio
import html
import io
import sys
import traceback
from base64 import b64encode
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from typing import Any

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from lossviz import schedules
from lossviz.defaults import default_hyperparameters, round_rate
from lossviz.engine import Run, check_count, descend
from lossviz.models.base import ModelSurface
from lossviz.optimizers.base import check_positive, optimizer, optimizer_names
from lossviz.surfaces.base import Surface, as_points, surface, surface_names
from lossviz.views import (
    DIVERGED_COLOR,
    draw_loss_curves,
    draw_paths,
    draw_schedule_preview,
    draw_surface,
    fit_limits,
    loss_reference,
    optimizer_colors,
    update_loss_curves,
    update_paths,
    update_schedule_preview,
)
from lossviz.views.model_fit import draw_model_fit, update_model_fit
from lossviz.widgets.canvas import FigureManager, FrameCanvas

# Which optimizer hyperparameter each shared slider sets.
SLIDER_HYPERPARAMETERS: dict[str, dict[str, str]] = {
    "lr": {
        name: "lr"
        for name in ("gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "newton")
    },
    "momentum": {"momentum": "beta", "nesterov": "beta", "adam": "beta1"},
    "beta2": {"adam": "beta2", "rmsprop": "alpha"},
}

# Parameters of each schedule, as (control name, schedule argument) pairs.
SCHEDULE_CONTROLS: dict[str, tuple[str, ...]] = {
    "constant": (),
    "step_decay": ("schedule_every", "schedule_factor"),
    "exponential": ("schedule_gamma",),
    "inverse_time": ("schedule_k",),
    "cosine": ("schedule_floor",),
    "warmup_cosine": ("schedule_warmup", "schedule_floor"),
    "cyclic": ("schedule_period", "schedule_floor"),
}

DEFAULT_OPTIMIZERS = ("gd", "momentum", "nesterov", "adam")
CUSTOM_SURFACE = "custom"
"""The surface control's value for a Surface given to the constructor."""
FIGURE_SIZE = (8.2, 4.0)
"""Inches at 100 dpi: 820 x 400 pixels, which fits a notebook's output area beside
JupyterLab's file browser on a 1280-pixel-wide screen."""


def _in_kernel() -> bool:
    """Whether this runs inside a Jupyter kernel (whose event loop delivers widget messages)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return getattr(shell, "kernel", None) is not None


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class Explorer:
    """Optimizers' descent paths over a surface, recomputed live as controls move.

    Parameters
    ----------
    surface
        A registered surface or model name, or a `Surface`.
    optimizers
        Names of the optimizers to compare.
    steps
        Number of steps of each path.
    lr, momentum, beta2
        Initial hyperparameters: a number applies to every optimizer that has
        it, a mapping (``lr={"adam": 0.05}``) to the named ones; the rest
        keep per-surface defaults (`lossviz.defaults`). ``momentum`` is beta of
        momentum and nesterov and Adam's beta1; ``beta2`` is Adam's beta2 and
        RMSProp's alpha.
    schedule
        Learning-rate schedule name (`lossviz.schedules.schedule_names`); its
        parameters as keywords ``schedule_every``, ``schedule_factor``,
        ``schedule_gamma``, ``schedule_k``, ``schedule_warmup``,
        ``schedule_period``, ``schedule_floor`` (lowest rate as a fraction of
        the optimizer's rate).
    noise
        Standard deviation of Gaussian gradient noise (SGD on any surface).
    batch_size
        On a model surface, mini-batch size for stochastic gradient descent
        (0: the full training set).
    start
        Start point (2,); default the surface's.
    controls
        Names of the controls to show (see `Explorer.controls`); the others
        stay fixed at their initial values. Default: all. The ``tune`` control
        picks whose hyperparameters the shared sliders show and change; with
        ``"all"``, the learning-rate slider moves every optimizer's rate by the
        same factor (keeping their ratios) and the others set one value for all.
    seed
        Seed of the noise and the mini-batches.

    Examples
    --------
    >>> from lossviz import Explorer
    >>> ex = Explorer("rosenbrock", optimizers=("gd", "adam"), steps=200)
    >>> ex.set(lr={"adam": 0.05}, start=(-1.0, 2.5))
    >>> ex.run.path.shape
    (2, 201, 2)
    """

    def __init__(
        self,
        surface: str | Surface = "rosenbrock",
        optimizers: Iterable[str] = DEFAULT_OPTIMIZERS,
        *,
        steps: int = 300,
        lr: float | Mapping[str, float] | None = None,
        momentum: float | Mapping[str, float] | None = None,
        beta2: float | Mapping[str, float] | None = None,
        schedule: str = "constant",
        noise: float = 0.0,
        batch_size: int = 0,
        start: Any = None,
        controls: Iterable[str] | None = None,
        seed: int = 0,
        **schedule_params: Any,
    ) -> None:
        self._surfaces: dict[str, Surface] = {}
        self._custom_surface = surface if isinstance(surface, Surface) else None
        self._hyper: dict[str, dict[str, Any]] = {}
        self._holding = 0
        self._dirty = False
        self._needs_full = True
        self._frame_scheduled = False
        self._syncing = False
        self._background = None
        self._loss_log = True
        self.seed = seed
        self.run: Run | None = None
        """The latest `descend` result."""
        self.error: str | None = None
        """The message shown for the last failure, or None."""
        self.coalesce: bool | None = None
        """Defer frames to the event loop so a burst of changes makes one frame: ``None``
        (the default) does so inside a Jupyter kernel only; scripts and tests draw at once."""
        self.stats = {"frames": 0, "full_draws": 0, "blits": 0}
        """Counts of frames computed, full renders and blitted renders (for tests, benchmarks)."""

        self._build_figure()
        self._build_controls(surface, optimizers, steps, schedule, noise, batch_size)
        unknown = [k for k in schedule_params if k not in self.controls]
        if unknown:
            raise TypeError(f"Explorer got unexpected arguments: {', '.join(unknown)}")
        with self._hold():
            for key, value in schedule_params.items():
                self.controls[key].value = value
            self._use_surface(self._current_surface())
            self._initial_noise(noise)
            self.start = self._surface.start.copy() if start is None else self._check_start(start)
            for name, value in (("lr", lr), ("momentum", momentum), ("beta2", beta2)):
                if value is not None:
                    self._set_hyperparameter(name, value)
        # What the reset button returns to.
        self._initial = {
            "surface": self.controls["surface"].value,
            "steps": steps,
            "start": None if start is None else self.start.copy(),
            "hyper": {"lr": lr, "momentum": momentum, "beta2": beta2},
            "schedule": schedule,
            "schedule_params": dict(schedule_params),
            "noise": noise,
            "batch_size": batch_size,
        }
        self._build_layout(controls)
        self._frame()

    # -- public API --------------------------------------------------------------------------
    @property
    def figure(self) -> Figure:
        """The matplotlib Figure (drawn on its own ipympl canvas, not in pyplot)."""
        return self._figure

    @property
    def surface(self) -> Surface:
        """The surface shown."""
        return self._surface

    @property
    def hyperparameters(self) -> dict[str, dict[str, Any]]:
        """Each selected optimizer's hyperparameters, e.g. ``{"adam": {"lr": 0.05, ...}}``."""
        return {name: dict(self._hyper[name]) for name in self._selected()}

    def set(self, **values: Any) -> None:
        """Set any controls, and ``start=(x, y)``, in one update (one recompute and redraw).

        ``lr``, ``momentum`` and ``beta2`` accept a number (every optimizer
        that has it) or a mapping from optimizer names to numbers.

        Raises
        ------
        ValueError
            For an unknown control or a value the control does not allow.
        """
        unknown = [k for k in values if k not in self.controls and k != "start"]
        if unknown:
            raise ValueError(
                f"no control named {', '.join(map(repr, unknown))}; the controls are: "
                f"{', '.join(self.controls)} (and start)"
            )
        with self._hold():
            # Surface and optimizers first: they reset what the other values refine.
            for key in ("surface", "optimizers"):
                if key in values:
                    self._set_control(key, values.pop(key))
            start = values.pop("start", None)
            for key, value in values.items():
                if key in SLIDER_HYPERPARAMETERS:
                    self._set_hyperparameter(key, value)
                else:
                    self._set_control(key, value)
            if start is not None:
                self.start = self._check_start(start)
                self._request()

    def close(self) -> None:
        """Close the widgets and the canvas."""
        self.widget.close()
        self.canvas.close()

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        # The widget where a frontend exists; the last frame as an image where none does
        # (a notebook rendered to static HTML).
        bundle = self.widget._repr_mimebundle_(**kwargs) or {}
        buffer = io.BytesIO()
        self._figure.savefig(buffer, format="png")
        bundle["image/png"] = b64encode(buffer.getvalue()).decode("ascii")
        bundle["text/plain"] = repr(self)
        return bundle

    def __repr__(self) -> str:
        return f"Explorer({self._surface.name!r}, optimizers={tuple(self._selected())})"

    # -- construction ------------------------------------------------------------------------
    def _build_figure(self) -> None:
        fig = Figure(figsize=FIGURE_SIZE, dpi=100)
        self.canvas = FrameCanvas(fig)
        self.manager = FigureManager(self.canvas, 0)
        self.canvas.header_visible = False
        self.canvas.footer_visible = False
        self.canvas.resizable = False
        self.canvas.toolbar_position = "top"  # a column beside it would cost width
        grid = fig.add_gridspec(
            2,
            2,
            width_ratios=[1.0, 1.0],
            height_ratios=[2.1, 1.0],
            left=0.07,
            right=0.98,
            bottom=0.12,
            top=0.82,
            wspace=0.22,
            hspace=0.8,
        )
        self._ax_map = fig.add_subplot(grid[:, 0])
        self._ax_loss = fig.add_subplot(grid[0, 1])
        # Below the loss: the schedule across the width, or beside a model's data and fit.
        half = grid[1, 1].subgridspec(1, 2, wspace=0.45)
        self._specs = {
            "loss": grid[0, 1],
            "loss_tall": grid[:, 1],
            "below": grid[1, 1],
            "below_left": half[0],
            "below_right": half[1],
        }
        self._arrangement = None
        self._ax_lr = fig.add_subplot(self._specs["below"])
        self._ax_fit = fig.add_subplot(self._specs["below_right"])
        self._ax_fit.set_visible(False)
        self._fit_artists = None
        self._figure = fig
        self._surface_artists = None
        self._path_artists = None
        self._loss_artists = None
        self._legend = None
        self._schedule_artists = draw_schedule_preview(self._ax_lr, animated=True)
        self._ax_lr.set_title("learning-rate schedule", fontsize=10)
        self.canvas.mpl_connect("draw_event", self._on_draw)
        self.canvas.mpl_connect("button_press_event", self._on_click)

    def _build_controls(self, surface_arg, optimizers, steps, schedule, noise, batch_size):
        style = {"description_width": "initial"}
        names = list(surface_names())
        options = [(n.replace("_", " "), n) for n in names]
        if self._custom_surface is not None:
            # The lesson's own surface comes first; "(custom)" tells it from a registered one.
            label = self._custom_surface.name.replace("_", " ")
            options.insert(
                0,
                (
                    f"{label} (custom)" if self._custom_surface.name in names else label,
                    CUSTOM_SURFACE,
                ),
            )
            initial = CUSTOM_SURFACE
        else:
            initial = surface_arg
        if initial not in [value for _, value in options]:
            raise ValueError(f"unknown surface {initial!r}; choose one of {', '.join(names)}")
        chosen = self._check_optimizers(optimizers)
        if schedule not in schedules.schedule_names():
            raise ValueError(
                f"unknown schedule {schedule!r}; choose one of "
                f"{', '.join(schedules.schedule_names())}"
            )
        c: dict[str, widgets.Widget] = {
            "surface": widgets.Dropdown(
                options=options, value=initial, description="surface", style=style
            ),
            "optimizers": widgets.TagsInput(
                value=list(chosen), allowed_tags=optimizer_names(), allow_duplicates=False
            ),
            "tune": widgets.Dropdown(options=["all"], value="all", description="tune", style=style),
            "lr": widgets.FloatLogSlider(
                value=0.01,
                base=10,
                min=-6,
                max=1,
                step=0.02,
                description="learning rate",
                readout_format=".3g",
                style=style,
                continuous_update=True,
            ),
            "momentum": widgets.FloatSlider(
                value=0.9, min=0.0, max=0.99, step=0.01, description="momentum β", style=style
            ),
            "beta2": widgets.FloatSlider(
                value=0.999,
                min=0.5,
                max=0.9999,
                step=0.0001,
                description="β₂ / α",
                readout_format=".4f",
                style=style,
            ),
            "schedule": widgets.Dropdown(
                options=schedules.schedule_names(),
                value=schedule,
                description="schedule",
                style=style,
            ),
            "schedule_every": widgets.IntSlider(
                value=100, min=1, max=1000, description="decay every", style=style
            ),
            "schedule_factor": widgets.FloatSlider(
                value=0.5, min=0.05, max=1.0, step=0.05, description="decay factor", style=style
            ),
            "schedule_gamma": widgets.FloatSlider(
                value=0.99,
                min=0.9,
                max=1.0,
                step=0.001,
                description="γ per step",
                readout_format=".3f",
                style=style,
            ),
            "schedule_k": widgets.FloatLogSlider(
                value=0.01,
                base=10,
                min=-4,
                max=0,
                step=0.05,
                description="k",
                readout_format=".3g",
                style=style,
            ),
            "schedule_warmup": widgets.IntSlider(
                value=30, min=1, max=500, description="warm-up steps", style=style
            ),
            "schedule_period": widgets.IntSlider(
                value=100, min=2, max=1000, description="period", style=style
            ),
            "schedule_floor": widgets.FloatSlider(
                value=0.0, min=0.0, max=1.0, step=0.01, description="lowest rate ×", style=style
            ),
            "steps": widgets.IntSlider(
                value=steps, min=1, max=2000, step=1, description="steps", style=style
            ),
            "noise": widgets.FloatSlider(
                value=0.0,  # set once the surface has scaled the slider
                min=0.0,
                max=1.0,
                step=0.01,
                description="gradient noise σ",
                style=style,
            ),
            "batch_size": widgets.IntSlider(
                value=batch_size, min=0, max=100, description="mini-batch (0 = all)", style=style
            ),
            "reset": widgets.Button(
                description="reset", icon="undo", tooltip="Back to this surface's defaults"
            ),
        }
        self.controls: dict[str, widgets.Widget] = c
        """The ipywidgets controls by name."""
        check_count(steps, "steps", 1)
        c["steps"].value = steps
        for name, control in c.items():
            if name == "reset":
                control.on_click(self._guarded(lambda _button: self.reset()))
            else:
                control.observe(
                    self._guarded(lambda change, name=name: self._on_change(name, change)),
                    names="value",
                )
        self.status = widgets.HTML(value="")
        self.readout = widgets.HTML(value="")

    def _build_layout(self, visible: Iterable[str] | None) -> None:
        c = self.controls
        if visible is None:
            shown = set(c)
        else:
            shown = set(visible)
            unknown = shown - set(c)
            if unknown:
                raise ValueError(
                    f"controls has unknown names {sorted(unknown)}; choose from {', '.join(c)}"
                )
        self._shown = shown
        for name, control in c.items():
            control.layout.width = "100%" if name != "reset" else "auto"
        c["optimizers"].layout.width = "auto"
        self._schedule_box = widgets.VBox()
        self._optimizers_row = widgets.HBox(
            [widgets.Label("optimizers", layout=widgets.Layout(min_width="80px")), c["optimizers"]]
        )
        self._column_what = widgets.VBox([c["surface"], self._optimizers_row, c["tune"]])
        self._column_hyper = widgets.VBox([c["lr"], c["momentum"], c["beta2"], c["steps"]])
        self._column_more = widgets.VBox(
            [c["schedule"], self._schedule_box, c["noise"], c["batch_size"], c["reset"]]
        )
        for column in (self._column_what, self._column_hyper, self._column_more):
            column.layout = widgets.Layout(width="33%", padding="0 8px 0 0")
        self.widget = widgets.VBox(
            [
                self.canvas,
                widgets.HBox([self._column_what, self._column_hyper, self._column_more]),
                self.status,
                self.readout,
            ],
            layout=widgets.Layout(width="100%", max_width=f"{FIGURE_SIZE[0] * 100 + 20:.0f}px"),
        )
        self.widget.add_class("lossviz-explorer")
        self._refresh_visibility()

    # -- state helpers -----------------------------------------------------------------------
    @contextmanager
    def _hold(self):
        """Apply several changes, then make one frame."""
        self._holding += 1
        try:
            yield
        finally:
            self._holding -= 1
            if self._holding == 0 and self._dirty and hasattr(self, "widget"):
                self._frame()

    def _request(self, full: bool = False) -> None:
        """Ask for a frame; coalesced while holding or while the kernel has queued messages."""
        self._needs_full |= full
        self._dirty = True
        if self._holding or not hasattr(self, "widget"):
            return
        coalesce = _in_kernel() if self.coalesce is None else self.coalesce
        loop = _running_loop() if coalesce else None
        if loop is None:
            self._frame()
        elif not self._frame_scheduled:
            self._frame_scheduled = True
            loop.call_soon(self._frame)

    def _guarded(self, callback):
        """Wrap a widget callback so a failure shows in the widget instead of a hidden log."""

        def guarded(*args, **kwargs):
            try:
                return callback(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - any failure must reach the student
                self._show_error(exc)

        return guarded

    def _show_error(self, exc: BaseException) -> None:
        where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
        origin = (
            f" (in {where.name}, {where.filename.split('/')[-1]}:{where.lineno})" if where else ""
        )
        self.error = f"{type(exc).__name__}: {exc}"
        self.status.value = (
            f'<div style="color:{DIVERGED_COLOR};border:1px solid {DIVERGED_COLOR};'
            f'padding:4px 8px;border-radius:4px"><b>Something went wrong</b>: '
            f"{html.escape(self.error)}{html.escape(origin)}. The last good picture stays; "
            "change a control to try again.</div>"
        )

    def _clear_error(self) -> None:
        if self.error is not None:
            self.error = None
            self.status.value = ""

    def _selected(self) -> list[str]:
        return list(self.controls["optimizers"].value)

    def _current_surface(self) -> Surface:
        name = self.controls["surface"].value
        if name == CUSTOM_SURFACE:
            return self._custom_surface
        if name not in self._surfaces:
            self._surfaces[name] = surface(name)
        return self._surfaces[name]

    @staticmethod
    def _check_optimizers(names: Iterable[str]) -> list[str]:
        if isinstance(names, str):
            names = [names]
        names = list(names)
        allowed = optimizer_names()
        bad = [n for n in names if n not in allowed]
        if bad or not names:
            raise ValueError(
                f"optimizers must be one or more of {', '.join(allowed)}; got {names!r}"
            )
        if len(set(names)) != len(names):
            raise ValueError(f"optimizers lists a name twice: {names!r}")
        return names

    def _check_start(self, start: Any) -> np.ndarray:
        p = as_points(start, "start")
        if p.shape != (2,) or not np.all(np.isfinite(p)):
            raise ValueError(f"start must be one finite point (x, y); got {start!r}")
        return p

    def _initial_noise(self, value: Any) -> None:
        """Set the noise, widening the slider (scaled to the surface) if a lesson asks for more."""
        noise = check_positive(value, "noise", allow_zero=True)
        control = self.controls["noise"]
        if noise > control.max:
            control.max = round_rate(noise * 2)
            control.step = control.max / 100
        control.value = noise

    def _set_control(self, name: str, value: Any) -> None:
        control = self.controls[name]
        if name == "optimizers":
            value = self._check_optimizers(value)
        elif name == "surface":
            if isinstance(value, Surface):
                raise ValueError(
                    "set(surface=...) takes a registered name; pass a Surface to "
                    "the Explorer's constructor instead"
                )
            values = [v for _, v in control.options]
            if value not in values:
                raise ValueError(f"unknown surface {value!r}; choose one of {', '.join(values)}")
        elif name == "schedule" and value not in control.options:
            raise ValueError(
                f"unknown schedule {value!r}; choose one of {', '.join(control.options)}"
            )
        elif name == "tune" and value not in control.options:
            raise ValueError(f"tune must be one of {', '.join(control.options)}; got {value!r}")
        elif name == "reset":
            raise ValueError("reset is a button: call Explorer.reset() instead")
        elif isinstance(control, widgets.IntSlider):
            value = check_count(value, name, control.min)
        if hasattr(control, "max") and hasattr(control, "min"):
            lo, hi = control.min, control.max
            if isinstance(control, widgets.FloatLogSlider):
                lo, hi = control.base**lo, control.base**hi
            try:
                number = float(value)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{name} must be a number; got {value!r}") from exc
            if not (lo <= number <= hi):
                raise ValueError(f"{name} must be between {lo:g} and {hi:g}; got {value!r}")
        control.value = value

    def _set_hyperparameter(self, slider: str, value: Any) -> None:
        """Set a shared hyperparameter: a number for every optimizer that has it, or a mapping."""
        targets = SLIDER_HYPERPARAMETERS[slider]
        if isinstance(value, Mapping):
            items = dict(value)
            bad = [n for n in items if n not in self._selected()]
            if bad:
                raise ValueError(
                    f"{slider} names optimizers that are not shown: {bad}; shown: "
                    f"{self._selected()}"
                )
            no_such = [n for n in items if n not in targets]
            if no_such:
                raise ValueError(f"{', '.join(no_such)} has no {slider} hyperparameter")
        else:
            items = {n: value for n in self._selected() if n in targets}
        for name, v in items.items():
            hyper = dict(self._hyper[name])
            hyper[targets[name]] = v
            optimizer(name, **hyper)  # validates, with a message naming the argument
            self._hyper[name] = hyper
        self._show_tuned()
        self._request()

    # -- reacting to controls ----------------------------------------------------------------
    def _on_change(self, name: str, change: dict[str, Any]) -> None:
        if self._syncing:
            return
        if name == "surface":
            self._use_surface(self._current_surface())
            self.start = self._surface.start.copy()
        elif name == "optimizers":
            chosen = self._selected()
            if not chosen:  # a student removed every tag: keep the last one
                self._syncing = True
                self.controls["optimizers"].value = (
                    [change["old"][0]] if change["old"] else [DEFAULT_OPTIMIZERS[0]]
                )
                self._syncing = False
                chosen = self._selected()
            for n in chosen:
                self._hyper.setdefault(n, default_hyperparameters(self._surface, n))
            self._rebuild_runs_artists()
        elif name == "tune":
            self._show_tuned()
            return
        elif name in SLIDER_HYPERPARAMETERS:
            tuned = self.controls["tune"].value
            targets = SLIDER_HYPERPARAMETERS[name]
            names = [n for n in self._selected() if n in targets and tuned in ("all", n)]
            if name == "lr" and len(names) > 1:
                # "all" moves every rate by the same factor: gd's and Adam's rates differ by
                # orders of magnitude, and a drag should not collapse them onto one value.
                factor = change["new"] / self._hyper[names[0]]["lr"]
                for n in names:
                    self._hyper[n] = {**self._hyper[n], "lr": self._hyper[n]["lr"] * factor}
            else:
                for n in names:
                    self._hyper[n] = {**self._hyper[n], targets[n]: change["new"]}
        if name in ("surface", "optimizers", "schedule"):  # what shows depends on these
            self._refresh_visibility()
        self._request(full=name in ("surface", "optimizers", "steps"))

    def _on_click(self, event) -> None:
        try:
            if event.inaxes is not self._ax_map or event.button != 1:
                return
            toolbar = getattr(self.canvas, "toolbar", None)
            if toolbar is not None and str(getattr(toolbar, "mode", "")):
                return  # zooming or panning, not choosing a start
            self.set(start=(event.xdata, event.ydata))
        except Exception as exc:  # noqa: BLE001 - shown in the widget
            self._show_error(exc)

    def reset(self) -> None:
        """Back to how the Explorer was set up (the reset button).

        On the surface it was built with: the constructor's hyperparameters,
        start, steps, schedule, noise and mini-batch; on any other surface, that
        surface's defaults and start. The view returns to the surface's bounds.
        """
        init = self._initial
        same = self.controls["surface"].value == init["surface"]
        with self._hold():
            self._syncing = True
            try:
                self.controls["schedule"].value = init["schedule"]
                for key, value in init["schedule_params"].items():
                    self.controls[key].value = value
                self.controls["steps"].value = init["steps"]
                batch = self.controls["batch_size"]
                batch.value = min(init["batch_size"], batch.max)
            finally:
                self._syncing = False
            self._initial_noise(init["noise"] if same else 0.0)
            self._hyper = {n: default_hyperparameters(self._surface, n) for n in self._selected()}
            self.start = self._surface.start.copy()
            if same:
                for slider, value in init["hyper"].items():
                    if isinstance(value, Mapping):
                        value = {n: v for n, v in value.items() if n in self._selected()}
                    if value is not None:
                        self._set_hyperparameter(slider, value)
                if init["start"] is not None:
                    self.start = init["start"].copy()
            self._reset_view()
            self._show_tuned()
            self._refresh_visibility()
            self._request(full=True)

    def _use_surface(self, s: Surface) -> None:
        """Switch to surface ``s``: its contour map (drawn once here), defaults and view."""
        self._surface = s
        self._hyper = {n: default_hyperparameters(s, n) for n in self._selected()}
        if self._surface_artists is not None:
            self._surface_artists.remove()
        self._surface_artists = draw_surface(self._ax_map, s)
        self._ax_map.set_title(s.name.replace("_", " "), fontsize=11)
        self._reset_view()
        # Noise in units of the surface's typical gradient.
        grid = s.grid(24).reshape(-1, 2)
        with np.errstate(all="ignore"):
            norms = np.linalg.norm(s.grad(grid), axis=-1)
        typical = float(np.nanmedian(norms)) if np.isfinite(norms).any() else 1.0
        top = round_rate(max(2.0 * typical, 1e-6))
        noise = self.controls["noise"]
        self._syncing = True
        try:
            noise.max = top
            noise.step = top / 100
            noise.value = min(noise.value, top)
            batch = self.controls["batch_size"]
            n_train = len(getattr(s, "y_train", ()))
            if n_train:
                batch.max = n_train
                batch.value = min(batch.value, n_train)
        finally:
            self._syncing = False
        self._stable_rate_note = stable_rate_note(s)
        self._rebuild_runs_artists()
        self._show_tuned()

    def _arrange_right_column(self) -> None:
        """Loss on top; below it the schedule preview and, on a model, its data and fit.

        The preview is left out while the schedule is constant and its control hidden
        (a flat line teaches nothing); the loss then takes the whole column.
        """
        is_model = isinstance(self._surface, ModelSurface)
        preview = "schedule" in getattr(self, "_shown", ()) or (
            self.controls["schedule"].value != "constant"
        )
        arrangement = (is_model, preview)
        if arrangement == self._arrangement:
            return
        self._arrangement = arrangement
        specs = self._specs
        places = {
            (True, True): {"loss": "loss", "lr": "below_left", "fit": "below_right"},
            (True, False): {"loss": "loss", "fit": "below"},
            (False, True): {"loss": "loss", "lr": "below"},
            (False, False): {"loss": "loss_tall"},
        }[arrangement]
        for key, ax in (("loss", self._ax_loss), ("lr", self._ax_lr), ("fit", self._ax_fit)):
            ax.set_visible(key in places)
            if key in places:
                ax.set_subplotspec(specs[places[key]])
                ax.set_position(specs[places[key]].get_position(self._figure))
        self._needs_full = True

    def _reset_view(self) -> None:
        (xmin, xmax), (ymin, ymax) = self._surface.bounds
        self._ax_map.set_xlim(xmin, xmax)
        self._ax_map.set_ylim(ymin, ymax)
        self._needs_full = True

    def _rebuild_runs_artists(self) -> None:
        """New path and loss artists for the selected optimizers (a full redraw follows)."""
        for artists in (self._path_artists, self._loss_artists):
            if artists is not None:
                artists.remove()
        labels = self._selected()
        colors = optimizer_colors(labels)
        self._path_artists = draw_paths(self._ax_map, labels, colors, animated=True)
        reference = loss_reference(self._surface)
        self._loss_artists = draw_loss_curves(
            self._ax_loss, labels, colors, reference, animated=True
        )
        self._loss_log = bool(np.isfinite(reference))
        self._ax_loss.set_title("loss per step", fontsize=11)
        if self._legend is not None:
            self._legend.remove()
        handles = [
            *self._path_artists.lines,
            self._path_artists.start,
            self._surface_artists.minima,
        ]
        # Top left, in at most three columns: the canvas toolbar appears at the top right.
        self._legend = self._figure.legend(
            handles=handles,
            labels=[*labels, "start", "known minimum"],
            loc="upper left",
            ncol=min(len(handles), 3) if len(handles) > 4 else len(handles),
            frameon=False,
            fontsize=9.5,
            bbox_to_anchor=(0.005, 1.0),
            handlelength=1.6,
            columnspacing=1.2,
            borderaxespad=0.2,
        )
        self._ax_fit.cla()
        self._fit_artists = None
        if isinstance(self._surface, ModelSurface):
            self._fit_artists = draw_model_fit(
                self._ax_fit, self._surface, labels, colors, animated=True
            )
        tune = self.controls["tune"]
        self._syncing = True
        try:
            tune.options = ["all", *labels] if len(labels) > 1 else labels
            if tune.value not in tune.options:
                tune.value = tune.options[0]
        finally:
            self._syncing = False
        self._needs_full = True

    def _show_tuned(self) -> None:
        """Show the tuned optimizer's hyperparameters on the shared sliders."""
        tuned = self.controls["tune"].value
        self._syncing = True
        try:
            for slider, targets in SLIDER_HYPERPARAMETERS.items():
                names = [n for n in self._selected() if n in targets and tuned in ("all", n)]
                control = self.controls[slider]
                control.disabled = not names
                if names:
                    control.value = self._hyper[names[0]][targets[names[0]]]
                    lo = control.base**control.min if slider == "lr" else control.min
                    if self._hyper[names[0]][targets[names[0]]] < lo:
                        control.value = lo
        finally:
            self._syncing = False

    def _refresh_visibility(self) -> None:
        if not hasattr(self, "_shown"):
            return
        c = self.controls
        selected = self._selected()
        wanted = set(self._shown)
        if not any(n in SLIDER_HYPERPARAMETERS["momentum"] for n in selected):
            wanted.discard("momentum")
        if not any(n in SLIDER_HYPERPARAMETERS["beta2"] for n in selected):
            wanted.discard("beta2")
        if len(selected) < 2:
            wanted.discard("tune")
        if not hasattr(self._surface, "y_train"):
            wanted.discard("batch_size")
        for name, control in c.items():
            control.layout.display = None if name in wanted else "none"
        self._optimizers_row.layout.display = c["optimizers"].layout.display
        self._arrange_right_column()
        params = SCHEDULE_CONTROLS[c["schedule"].value]
        self._schedule_box.children = [c[p] for p in params if p in wanted]
        for column in (self._column_what, self._column_hyper, self._column_more):
            visible = any(
                getattr(w, "layout", None) is not None and w.layout.display != "none"
                for w in column.children
                if w is not self._schedule_box
            ) or (column is self._column_more and bool(self._schedule_box.children))
            column.layout.display = None if visible else "none"

    # -- computing and drawing ---------------------------------------------------------------
    def _schedule_for(self, lr: float) -> Any:
        """The learning rate of an optimizer with peak rate ``lr`` under the chosen schedule."""
        c = self.controls
        name = c["schedule"].value
        steps = c["steps"].value
        floor = c["schedule_floor"].value * lr
        if name == "constant":
            return lr
        if name == "step_decay":
            return schedules.step_decay(
                lr, every=c["schedule_every"].value, factor=c["schedule_factor"].value
            )
        if name == "exponential":
            return schedules.exponential(lr, gamma=c["schedule_gamma"].value)
        if name == "inverse_time":
            return schedules.inverse_time(lr, k=c["schedule_k"].value)
        if name == "cosine":
            return schedules.cosine(lr, steps=steps, lr_min=floor)
        if name == "warmup_cosine":
            warmup = min(c["schedule_warmup"].value, max(steps - 1, 1))
            return schedules.warmup_cosine(
                lr, warmup=warmup, steps=max(steps, warmup + 1), lr_min=floor
            )
        if name == "cyclic":
            return schedules.cyclic(lr_min=floor, lr_max=lr, period=c["schedule_period"].value)
        raise ValueError(f"unknown schedule {name!r}")

    def _compute(self) -> Run:
        c = self.controls
        opts = {}
        for name in self._selected():
            hyper = dict(self._hyper[name])
            if "lr" in hyper:
                hyper["lr"] = self._schedule_for(float(hyper["lr"]))
            opts[name] = optimizer(name, **hyper)
        batch = c["batch_size"].value if hasattr(self._surface, "y_train") else 0
        return descend(
            self._surface,
            opts,
            start=self.start,
            steps=c["steps"].value,
            noise=c["noise"].value,
            batch_size=batch or None,
            seed=self.seed,
        )

    def _frame(self) -> None:
        """Recompute every path and redraw: blit when only the paths changed."""
        self._frame_scheduled = False
        self._dirty = False
        try:
            run = self._compute()
            self.run = run
            update_paths(self._path_artists, run)
            values = update_loss_curves(self._loss_artists, run)
            steps = run.steps
            factors = (
                np.asarray(self._schedule_for(1.0)(np.arange(steps)))
                if self.controls["schedule"].value != "constant"
                else np.ones(steps)
            )
            update_schedule_preview(self._schedule_artists, factors)
            if self._fit_artists is not None:
                update_model_fit(self._fit_artists, run.final)
            full = self._needs_full
            limits = fit_limits(values, None if full else self._ax_loss.get_ylim(), self._loss_log)
            if limits is not None:
                self._ax_loss.set_yscale("log" if self._loss_log else "linear")
                self._ax_loss.set_ylim(*limits)
                full = True
            if full:
                self._ax_loss.set_xlim(0, max(steps, 1))
                self._ax_lr.set_xlim(0, max(steps - 1, 1))
            # The picture first: its message then leaves before the readout's.
            self._draw(full)
            self._update_readout(run)
            self._clear_error()
        except Exception as exc:  # noqa: BLE001 - shown in the widget, the widget keeps working
            self._show_error(exc)

    def _draw(self, full: bool) -> None:
        self.stats["frames"] += 1
        if full or self._background is None:
            self._needs_full = False
            self.stats["full_draws"] += 1
            self.canvas.draw()  # the draw_event handler caches the background
        else:
            self.stats["blits"] += 1
            self.canvas.restore_region(self._background)
            self._draw_animated()
            self.canvas.blit(self._figure.bbox)

    def _animated(self):
        yield self._ax_map, self._path_artists.artists
        yield self._ax_loss, self._loss_artists.artists
        if self._ax_lr.get_visible():
            yield self._ax_lr, self._schedule_artists.artists
        if self._fit_artists is not None:
            yield self._ax_fit, self._fit_artists.artists

    def _draw_animated(self) -> None:
        for ax, artists in self._animated():
            for artist in artists:
                ax.draw_artist(artist)

    def _on_draw(self, event) -> None:
        # After any full draw (ours, or zoom, pan, resize): cache the background, add the paths.
        try:
            self._background = self.canvas.copy_from_bbox(self._figure.bbox)
            self._draw_animated()
        except Exception as exc:  # noqa: BLE001
            self._show_error(exc)

    def _update_readout(self, run: Run) -> None:
        _, distance = run.surface.nearest_minimum(run.final)
        converged = run.convergence_step()
        (xmin, xmax), (ymin, ymax) = run.surface.bounds
        near = 0.05 * float(np.hypot(xmax - xmin, ymax - ymin))
        is_model = isinstance(run.surface, ModelSurface)
        if is_model:
            with np.errstate(all="ignore"):
                heldout = run.surface.heldout_loss(np.nan_to_num(run.final))
        rows = []
        for i, label in enumerate(run.labels):
            color = self._path_artists.colors[i]
            lr = self._hyper[label].get("lr")
            lr_text = f"{lr:.3g}" if lr is not None else ""
            if run.diverged[i]:
                status = (
                    f'<b style="color:{DIVERGED_COLOR}">⚠ diverged at step '
                    f"{run.diverged_step[i]}</b>"
                )
                loss_text = distance_text = heldout_text = "—"
            else:
                if converged[i] >= 0:
                    status = f"converged in {converged[i]} steps"
                elif distance[i] < near:
                    # Noise or a large rate keeps it moving, but it stays close to a minimum.
                    status = "near a minimum, still moving"
                else:
                    status = "not converged"
                loss_text = f"{run.final_loss[i]:.4g}"
                distance_text = f"{distance[i]:.3g}" if np.isfinite(distance[i]) else "—"
                heldout_text = f"{heldout[i]:.4g}" if is_model else ""
            heldout_cell = f"<td>{heldout_text}</td>" if is_model else ""
            rows.append(
                f'<tr><td><span style="color:{color};font-size:1.3em">■</span> '
                f"{html.escape(label)}</td><td>{lr_text}</td><td>{loss_text}</td>"
                f"{heldout_cell}<td>{distance_text}</td><td>{status}</td></tr>"
            )
        heldout_head = (
            "<th style='text-align:left;padding-right:14px'>held-out loss</th>" if is_model else ""
        )
        self.readout.value = (
            "<style>.lossviz-readout td {padding-right: 14px}</style>"
            '<table class="lossviz-readout" style="border-collapse:collapse;'
            'font-size:13px"><thead><tr>'
            "<th style='text-align:left;padding-right:14px'>optimizer</th>"
            "<th style='text-align:left;padding-right:14px'>learning rate</th>"
            "<th style='text-align:left;padding-right:14px'>final loss</th>"
            + heldout_head
            + "<th style='text-align:left;padding-right:14px'>distance to nearest minimum</th>"
            "<th style='text-align:left'>status</th></tr></thead><tbody>"
            + "".join(rows)
            + "</tbody></table>"
            + self._stable_rate_note
        )


def stable_rate_note(s: Surface) -> str:
    """One line for the readout: the largest stable gradient-descent rate near the minimum.

    Near a minimum the loss is close to a quadratic bowl whose steepest
    curvature is the Hessian's largest eigenvalue ``lambda_max``; gradient
    descent with a constant rate converges there only if ``lr < 2 / lambda_max``.
    """
    if len(s.minima) == 0:
        return ""
    with np.errstate(all="ignore"):
        curvature = float(np.linalg.eigvalsh(s.hessian(s.minima[0])).max())
    if not np.isfinite(curvature) or curvature <= 0:
        return ""
    where = ", ".join(f"{v:.3g}" for v in s.minima[0])
    return (
        '<div style="font-size:12px;color:#444;margin-top:4px">Near the minimum at '
        f"({where}) the steepest curvature is λ<sub>max</sub> = {curvature:.4g}: gradient "
        f"descent with a constant rate is stable there for lr &lt; 2/λ<sub>max</sub> = "
        f"{2 / curvature:.4g}.</div>"
    )


__all__ = ["Explorer"]
