"""Every Explorer control, declared once: its kind, range, label and column.

This is data, with no ipywidgets import: `lossviz.widgets.state` validates
values against it and `lossviz.widgets.control_panel` builds the widgets from
it. Which state field a control changes, and when it is shown, is written in
`lossviz.widgets.state` (``apply_change`` and ``shown_controls``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

Kind = Literal["choice", "tags", "float", "log", "int", "button", "play", "check", "text"]


@dataclass(frozen=True)
class ControlSpec:
    """One control.

    ``kind`` is a dropdown (``choice``), a tag list (``tags``), a linear float
    slider (``float``), a base-10 log slider (``log``, with ``low``/``high`` the
    values, not their exponents), an integer slider (``int``), a ``button``, a
    ``play`` button that steps an integer slider, a checkbox (``check``) or a
    text box (``text``, sent on Enter).
    ``column`` is where it sits: one of three columns, or the ``inspect`` row
    under them.
    """

    name: str
    kind: Kind
    label: str
    column: Literal["what", "hyper", "more", "inspect"]
    low: float = 0.0
    high: float = 1.0
    step: float = 0.01
    readout: str | None = None
    tooltip: str = ""


def _spec(*args, **kwargs) -> tuple[str, ControlSpec]:
    spec = ControlSpec(*args, **kwargs)
    return spec.name, spec


CONTROLS: dict[str, ControlSpec] = dict(
    [
        _spec("surface", "choice", "surface", "what"),
        _spec("optimizers", "tags", "optimizers", "what"),
        _spec(
            "expression",
            "text",
            "your L(x, y) =",
            "what",
            tooltip="A surface of your own: numbers, x, y, pi, e, + - * / **, and sin, cos, "
            "exp, log, sqrt, tanh, ...; press Enter",
        ),
        _spec(
            "expression_bounds",
            "text",
            "x and y from",
            "what",
            tooltip="xmin, xmax, ymin, ymax of your surface's map; press Enter",
        ),
        _spec(
            "tune",
            "choice",
            "tune",
            "what",
            tooltip="Whose hyperparameters the sliders change: one optimizer, or all at once",
        ),
        # Surface parameters: shown on the surfaces that have them.
        _spec("condition", "log", "condition κ", "what", 1.0, 1000.0, 0.02, ".3g"),
        _spec("angle", "float", "angle (degrees)", "what", 0.0, 180.0, 5.0, ".0f"),
        _spec("amplitude", "float", "ripple amplitude", "what", 0.0, 30.0, 0.5, ".1f"),
        _spec("width", "float", "well width", "what", 0.2, 1.5, 0.05, ".2f"),
        _spec("lr", "log", "learning rate", "hyper", 1e-7, 10.0, 0.02, ".3g"),
        _spec(
            "lr_scale",
            "log",
            "learning rates ×",
            "hyper",
            1e-2,
            1e2,
            0.02,
            ".3g",
            tooltip="One factor on every optimizer's own learning rate (1 = as set up)",
        ),
        _spec("momentum", "float", "momentum β", "hyper", 0.0, 0.99, 0.01, ".2f"),
        _spec("beta2", "float", "β₂ / α", "hyper", 0.5, 0.9999, 0.0001, ".4f"),
        _spec("steps", "int", "steps", "hyper", 1, 2000, 1),
        _spec("schedule", "choice", "schedule", "more"),
        _spec("schedule_every", "int", "decay every", "more", 1, 1000, 1),
        _spec("schedule_factor", "float", "decay factor", "more", 0.05, 1.0, 0.05, ".2f"),
        _spec("schedule_gamma", "float", "γ per step", "more", 0.9, 1.0, 0.001, ".3f"),
        _spec("schedule_k", "log", "k", "more", 1e-4, 1.0, 0.05, ".3g"),
        _spec("schedule_warmup", "int", "warm-up steps", "more", 1, 500, 1),
        _spec("schedule_period", "int", "period", "more", 2, 1000, 1),
        _spec("schedule_floor", "float", "lowest rate ×", "more", 0.0, 1.0, 0.01, ".2f"),
        _spec("noise", "float", "gradient noise σ", "more", 0.0, 1.0, 0.01, ".3g"),
        _spec("batch_size", "int", "mini-batch (0 = all)", "more", 0, 100, 1),
        _spec(
            "cloud",
            "int",
            "noisy runs drawn",
            "more",
            1,
            12,
            1,
            tooltip="With noise or mini-batches: this many seeds at once, as thin paths, "
            "with their mean loss",
        ),
        _spec("loss_scale", "choice", "loss axis", "more"),
        _spec("reset", "button", "reset", "more", tooltip="Back to how this Explorer was set up"),
        # Inside a step: one row under the columns.
        _spec("play", "play", "play", "inspect", tooltip="Play the steps one after another"),
        _spec(
            "step",
            "int",
            "step",
            "inspect",
            0,
            2000,
            1,
            tooltip="The step shown by the markers, arrows and table",
        ),
        _spec(
            "arrows",
            "tags",
            "arrows",
            "inspect",
            tooltip="Arrows at the step: −gradient, the update taken, the velocity",
        ),
        _spec(
            "curvature",
            "check",
            "curvature",
            "inspect",
            tooltip="The local quadratic model at the step: its ellipse, or a dashed axis "
            "where the surface curves down",
        ),
        _spec(
            "view3d",
            "check",
            "3-D view",
            "inspect",
            tooltip="The surface as a landscape with the paths on it, instead of the map",
        ),
        _spec(
            "basins",
            "check",
            "basins",
            "inspect",
            tooltip="Colour every start by the minimum the tuned optimizer reaches from it",
        ),
        _spec(
            "stability_map",
            "check",
            "stability map",
            "inspect",
            tooltip="Steps to converge for every learning rate and momentum of the tuned "
            "optimizer; click a cell to use that pair",
        ),
    ]
)
"""Every control by name, in the order the columns show them."""

SURFACE_PARAMETERS: dict[str, tuple[str, str]] = {
    "condition": ("quadratic", "condition"),
    "angle": ("quadratic", "angle"),
    "amplitude": ("rastrigin", "amplitude"),
    "width": ("multi_well", "width"),
}
"""Surface-parameter controls: control name -> (registered surface, its parameter)."""

SCHEDULE_PARAMETERS: dict[str, dict[str, str]] = {
    "constant": {},
    "step_decay": {"schedule_every": "every", "schedule_factor": "factor"},
    "exponential": {"schedule_gamma": "gamma"},
    "inverse_time": {"schedule_k": "k"},
    "cosine": {"schedule_floor": "lr_min"},
    "warmup_cosine": {"schedule_warmup": "warmup", "schedule_floor": "lr_min"},
    "cyclic": {"schedule_period": "period", "schedule_floor": "lr_min"},
}
"""Each schedule's controls: control name -> schedule argument. ``schedule_floor`` is a
fraction of the optimizer's rate (``lr_min = floor * lr``)."""

SCHEDULE_DEFAULTS: dict[str, float] = {
    "schedule_every": 100,
    "schedule_factor": 0.5,
    "schedule_gamma": 0.99,
    "schedule_k": 0.01,
    "schedule_warmup": 30,
    "schedule_period": 100,
    "schedule_floor": 0.0,
}

HYPERPARAMETER_SLIDERS: dict[str, dict[str, str]] = {
    "lr": {
        name: "lr"
        for name in ("gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "newton")
    },
    "momentum": {"momentum": "beta", "nesterov": "beta", "adam": "beta1"},
    "beta2": {"adam": "beta2", "rmsprop": "alpha"},
}
"""Which hyperparameter of each registered optimizer a shared slider sets."""

LOSS_SCALES = ("log", "linear")

ARROW_KINDS = ("gradient", "update", "velocity")
"""The arrows a step can show (`lossviz.views.step` draws them)."""

INSPECT_CONTROLS = frozenset({"step", "arrows", "curvature"})
"""Controls that look inside a step: with any of them on show, runs are traced."""

EXPRESSION_BOUNDS = ((-3.0, 3.0), (-3.0, 3.0))
"""The map of a typed surface until the student gives bounds."""


@dataclass(frozen=True)
class SliderGrid:
    """The values a slider can take: ``low + k * step`` for ``k = 0 .. count - 1``, in the
    slider's own units (for a base-10 log slider, ``log`` is True and ``low``, ``high`` and
    ``step`` are exponents: the values are ``10 ** (low + k * step)``).

    A browser computes a position's value in its own floating point (JavaScript's
    ``Math.pow`` for a log slider), which may differ from Python's in the last bit;
    `value` gives one value per position, the same in every call, so that the kernel
    can tell two moves to one position apart from moves to two.

    Examples
    --------
    >>> grid = SliderGrid(log=True, low=-7.0, high=1.0, step=0.02)
    >>> grid.position(0.001), grid.value(200), grid.count
    (200, 0.001, 401)
    >>> SliderGrid(log=False, low=0.0, high=0.99, step=0.01).value(95)
    0.95
    """

    log: bool
    low: float
    high: float
    step: float

    @property
    def count(self) -> int:
        """How many positions the slider has."""
        return int(round((self.high - self.low) / self.step)) + 1

    def position(self, value: float) -> int:
        """The position nearest ``value`` (which must be > 0 on a log slider)."""
        x = math.log10(value) if self.log else value
        return min(max(int(round((x - self.low) / self.step)), 0), self.count - 1)

    def value(self, position: int) -> float:
        """The value at ``position``; rounded to 10 decimals in the slider's units, so that
        it is the value a slider readout shows, not ``low + k * step``'s rounding noise."""
        x = round(self.low + position * self.step, 10)
        return 10.0**x if self.log else x

    def snap(self, value: float) -> float:
        """`value` of ``value``'s position if ``value`` is that position's value up to
        rounding (relative 1e-9), else ``value`` unchanged (a value set from code)."""
        if self.log and not value > 0:
            return value
        on_grid = self.value(self.position(value))
        return on_grid if math.isclose(on_grid, value, rel_tol=1e-9) else value
