"""The Explorer's one state, and the pure functions that change it and compute from it.

An `ExplorerState` is immutable. Every route into the widget (a slider, a
dropdown, ``Explorer.set``, the reset button, a click on the map) turns into
`apply_change` (or `apply_changes`, `reset_state`) and gets a new state, so a
request has one meaning whichever way it arrives. `compute_run` turns a state
into the `Run` that the panels draw. Nothing here imports ipywidgets or
matplotlib: the functions are unit-tested without a canvas.

A `Catalog` says what the names in a state refer to (the surfaces and
optimizers a student can choose, including a lesson's own `Surface` and
`Optimizer` objects), and remembers what is costly to derive (surfaces built
with parameters, per-surface default hyperparameters, noise scales).

How the learning-rate controls read the state:

* each registered optimizer has its own rate ``hyper[label]["lr"]``; the rate
  in use is that times ``lr_scale``, one factor for all (1 as set up);
* ``lr`` sets the rate in use of the tuned optimizer (``tune``), or of every
  optimizer when ``tune`` is ``"all"``; ``lr={"adam": 0.05}`` sets the named
  ones; ``lr_scale`` sets the factor, keeping the rates' ratios.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np

from lossviz import schedules
from lossviz._checks import check_integer, check_number
from lossviz.curvature import StabilityLimit, stability_limit
from lossviz.defaults import default_hyperparameters, round_rate
from lossviz.engine import Run, descend
from lossviz.models.base import ModelSurface
from lossviz.optimizers.base import Optimizer, optimizer, optimizer_names
from lossviz.surfaces.base import Surface, as_points, check_bounds, surface, surface_names
from lossviz.widgets.control_table import (
    ARROW_KINDS,
    CONTROLS,
    EXPRESSION_BOUNDS,
    HYPERPARAMETER_SLIDERS,
    LOSS_SCALES,
    SCHEDULE_DEFAULTS,
    SCHEDULE_PARAMETERS,
    SURFACE_PARAMETERS,
)

ALL = "all"
"""The ``tune`` value under which the sliders change every optimizer."""


@dataclass(frozen=True)
class ExplorerState:
    """Everything the Explorer shows, as values.

    Attributes
    ----------
    surface
        The chosen surface's key in the `Catalog` (a registered name, or a
        lesson's own surface).
    surface_params
        Parameters of a registered surface set by its sliders, e.g.
        ``{"condition": 100.0}``; the others keep the surface's defaults.
    optimizers
        Labels of the optimizers raced, in order.
    hyper
        Each registered optimizer's own hyperparameters (an `Optimizer`
        object keeps its own and has no entry).
    lr_scale
        One factor on every optimizer's own learning rate.
    tune
        ``"all"`` or the label whose hyperparameters the sliders change.
    schedule, schedule_params
        The learning-rate schedule's name and every schedule control's value
        (``schedule_floor`` is a fraction of each optimizer's rate).
    steps, noise, batch_size, start, seed
        As in `lossviz.descend` (``batch_size`` None: the full training set).
    loss_scale
        ``"log"`` or ``"linear"``: the loss panel's y-axis (a view setting).
    step
        The step looked inside (markers, arrows, table), 0 .. ``steps``; the
        last step as set up. A view setting.
    arrows
        The arrows shown at that step, some of ``"gradient"``, ``"update"``,
        ``"velocity"`` (a view setting).
    curvature
        Whether the local curvature at that step is shown (a view setting).
    view3d
        Whether the surface shows as a 3-D landscape instead of the contour map.
    cloud
        With gradient noise or mini-batches, how many seeds run at once (``seed``,
        ``seed + 1``, ...): the others are drawn as thin paths beside the run, and
        the loss panel shows their mean.
    basins, stability_map
        Whether the map is coloured by the minimum each start reaches, and whether
        the stability map over learning rate and momentum shows (view settings;
        both are computed for the tuned optimizer, or the first when tuning all).
    expression, expression_bounds
        The student's own surface as typed (``""`` for none) and its map's bounds;
        the surface it makes is in the catalog under the key ``surface`` then holds.
    """

    surface: str
    surface_params: Mapping[str, float]
    optimizers: tuple[str, ...]
    hyper: Mapping[str, Mapping[str, float]]
    lr_scale: float = 1.0
    tune: str = ALL
    schedule: str = "constant"
    schedule_params: Mapping[str, float] = field(default_factory=lambda: dict(SCHEDULE_DEFAULTS))
    steps: int = 300
    noise: float = 0.0
    batch_size: int | None = None
    start: tuple[float, float] = (0.0, 0.0)
    seed: int = 0
    loss_scale: str = "log"
    cloud: int = 1
    step: int = 300
    arrows: tuple[str, ...] = ()
    curvature: bool = False
    basins: bool = False
    stability_map: bool = False
    view3d: bool = False
    expression: str = ""
    expression_bounds: tuple[tuple[float, float], tuple[float, float]] = EXPRESSION_BOUNDS


RUN_FIELDS = frozenset(
    {
        "surface",
        "surface_params",
        "optimizers",
        "hyper",
        "lr_scale",
        "schedule",
        "schedule_params",
        "steps",
        "noise",
        "batch_size",
        "start",
        "seed",
        "cloud",
    }
)
"""Fields whose change needs a new `descend`; the others (``tune``, ``loss_scale``, ``step``,
``arrows``, ``curvature``) only change what is shown, and a typed expression changes the
run through ``surface``."""


def changed_fields(old: ExplorerState | None, new: ExplorerState) -> frozenset[str]:
    """Names of the fields that differ between two states (all of them when ``old`` is None)."""
    names = [f.name for f in fields(ExplorerState)]
    if old is None:
        return frozenset(names)
    return frozenset(n for n in names if getattr(old, n) != getattr(new, n))


# -- what names refer to ----------------------------------------------------------------------
class Catalog:
    """The surfaces and optimizers an Explorer offers, and memoized facts about them.

    Registered surfaces and optimizers are known by name; a lesson's own
    `Surface` or `Optimizer` object is added with `add_surface` or
    `add_optimizer` and known by the key or label those return. An added
    `Optimizer` runs exactly as given: the sliders do not change it.
    """

    CACHE_SIZE = 64

    def __init__(self) -> None:
        self.custom_surfaces: dict[str, Surface] = {}
        self.custom_optimizers: dict[str, Optimizer] = {}
        self._surfaces: OrderedDict[tuple, Surface] = OrderedDict()
        self._facts: OrderedDict[tuple, Any] = OrderedDict()
        self._typed: dict[tuple, str] = {}

    # surfaces
    def add_surface(self, s: Surface) -> str:
        """Offer ``s`` as a choice; returns its key (its name, told apart from registered ones).

        The surface is tried first on a few points of its map (`probe_surface`): one
        whose loss raises, gives the wrong shape or cannot be differentiated is
        refused with a message saying so, before the widget would show it.
        """
        if not any(known is s for known in self.custom_surfaces.values()):
            probe_surface(s)
        return _offer(self.custom_surfaces, s, surface_names())

    def typed_surface(self, text: str, bounds) -> str:
        """The key of the surface typed as ``text`` over ``bounds`` (built and offered
        once; `lossviz.Surface.from_expression` refuses what it cannot read)."""
        cache_key = (" ".join(text.split()), bounds)
        if cache_key not in self._typed:
            short = cache_key[0] if len(cache_key[0]) <= 40 else cache_key[0][:39] + "…"
            built = Surface.from_expression(text, bounds, name=short)
            self._typed[cache_key] = self.add_surface(built)
        return self._typed[cache_key]

    def surface_choices(self) -> list[tuple[str, str]]:
        """``(label, key)`` of every surface: a lesson's own first, then the registered ones."""
        own = [(key, key) for key in self.custom_surfaces]
        return own + [(name.replace("_", " "), name) for name in surface_names()]

    def surface_keys(self) -> list[str]:
        return [key for _, key in self.surface_choices()]

    def surface(self, key: str, params: Mapping[str, float] | None = None) -> Surface:
        """The surface ``key`` with its slider parameters ``params``."""
        if key in self.custom_surfaces:
            return self.custom_surfaces[key]
        cache_key = (key, _frozen(params))
        if cache_key not in self._surfaces:
            self._surfaces[cache_key] = surface(key, **dict(params or {}))
            _trim(self._surfaces, self.CACHE_SIZE)
        self._surfaces.move_to_end(cache_key)
        return self._surfaces[cache_key]

    def _fact(self, what: str, key: str, params: Mapping[str, float], compute) -> Any:
        cache_key = (what, key, _frozen(params))
        if cache_key not in self._facts:
            self._facts[cache_key] = compute(self.surface(key, params))
            _trim(self._facts, self.CACHE_SIZE * 4)
        return self._facts[cache_key]

    def defaults(self, key: str, params: Mapping[str, float], name: str) -> dict[str, float]:
        """Default hyperparameters of optimizer ``name`` on a surface, computed once."""
        return dict(
            self._fact(f"defaults:{name}", key, params, lambda s: default_hyperparameters(s, name))
        )

    def knows_defaults(self, key: str, params: Mapping[str, float], name: str) -> bool:
        """Whether `defaults` of ``name`` on that surface is computed already."""
        return (f"defaults:{name}", key, _frozen(params)) in self._facts

    def keep_defaults(
        self, key: str, params: Mapping[str, float], name: str, values: Mapping[str, float]
    ) -> None:
        """Keep ``values``, found elsewhere (`default_hyperparameters` of the same surface),
        as what `defaults` gives."""
        self._facts[(f"defaults:{name}", key, _frozen(params))] = dict(values)
        _trim(self._facts, self.CACHE_SIZE * 4)

    def noise_top(self, key: str, params: Mapping[str, float]) -> float:
        """The noise slider's top: twice the surface's typical gradient length, rounded."""
        return self._fact("noise", key, params, _noise_top)

    def stability(self, key: str, params: Mapping[str, float]) -> StabilityLimit | None:
        """`lossviz.curvature.stability_limit` of a surface, computed once."""
        return self._fact("stability", key, params, stability_limit)

    # optimizers
    def add_optimizer(self, o: Optimizer) -> str:
        """Offer the optimizer object ``o``; returns its label (its name, told apart)."""
        return _offer(self.custom_optimizers, o, optimizer_names())

    def optimizer_labels(self) -> list[str]:
        return [*optimizer_names(), *self.custom_optimizers]

    def tunable(self, label: str) -> bool:
        """Whether the sliders change ``label`` (a registered optimizer, not an object)."""
        return label not in self.custom_optimizers and label in optimizer_names()

    def clear(self) -> None:
        self._typed.clear()
        self._surfaces.clear()
        self._facts.clear()
        self.custom_surfaces.clear()
        self.custom_optimizers.clear()


def probe_surface(s: Surface) -> None:
    """Raise a ValueError a student can act on if ``s`` cannot be drawn and descended: its
    loss on a 3 x 3 grid of its map must run and give one number per point, and its
    gradient there (hand-derived or autograd's) must run and give two."""
    if not isinstance(s, Surface):
        raise ValueError(f"surface must be a Surface or a registered name; got {s!r}")
    grid = s.grid(3)
    what = f"the surface {s.name!r}"
    try:
        with np.errstate(all="ignore"):
            values = np.asarray(s._value(grid), dtype=np.float64)
    except Exception as exc:
        raise ValueError(
            f"{what} failed on a grid of points of its map ({type(exc).__name__}: {exc}); "
            "its loss must work elementwise on arrays, written with autograd.numpy"
        ) from exc
    if values.shape != grid.shape[:-1]:
        raise ValueError(
            f"{what} must give one loss per point: for a 3 x 3 grid of points it gave shape "
            f"{values.shape}, not (3, 3)"
        )
    try:
        with np.errstate(all="ignore"):
            grads = np.asarray(s._gradient(grid), dtype=np.float64)
    except Exception as exc:
        raise ValueError(
            f"the gradient of {what} could not be computed ({type(exc).__name__}: {exc}); "
            "write its loss with autograd.numpy functions (import autograd.numpy as np) so "
            "autograd can differentiate it"
        ) from exc
    if grads.shape != grid.shape:
        raise ValueError(
            f"the gradient of {what} must give two numbers per point: for a 3 x 3 grid it "
            f"gave shape {grads.shape}, not (3, 3, 2)"
        )


def _offer(offered: dict[str, Any], thing: Any, registered: list[str]) -> str:
    """Add ``thing`` (a Surface or an Optimizer) to ``offered`` under its name, told apart
    from the ``registered`` names and from the others offered; its key."""
    for key, known in offered.items():
        if known is thing:
            return key
    base = thing.name if thing.name not in registered else f"{thing.name} (custom)"
    key, n = base, 1
    while key in offered:
        n += 1
        key = f"{base} {n}"
    offered[key] = thing
    return key


def _frozen(params: Mapping[str, float] | None) -> tuple:
    return tuple(sorted((params or {}).items()))


def _trim(cache: OrderedDict, size: int) -> None:
    while len(cache) > size:
        cache.popitem(last=False)


def _noise_top(s: Surface) -> float:
    grid = s.grid(24).reshape(-1, 2)
    with np.errstate(all="ignore"):
        norms = np.linalg.norm(s.grad(grid), axis=-1)
    typical = float(np.nanmedian(norms)) if np.isfinite(norms).any() else 1.0
    return round_rate(max(2.0 * typical, 1e-6))


# -- checks -------------------------------------------------------------------------------------
def check_control_value(name: str, value: Any) -> float | int:
    """A slider's value checked against its range in `CONTROLS` (see `lossviz._checks`)."""
    spec = CONTROLS[name]
    if spec.kind == "int":
        return check_integer(value, name, low=int(spec.low), high=int(spec.high))
    return check_number(value, name, low=spec.low, high=spec.high)


def check_start(state: ExplorerState, value: Any, s: Surface) -> tuple[float, float]:
    """A start point inside the map, or at most one map-width outside it."""
    try:
        p = as_points(value, "start")
    except (TypeError, ValueError) as exc:
        raise ValueError(f"start must be one point (x, y); got {value!r}") from exc
    (xmin, xmax), (ymin, ymax) = s.bounds
    wx, wy = xmax - xmin, ymax - ymin
    if (
        p.shape != (2,)
        or not np.all(np.isfinite(p))
        or not (xmin - wx <= p[0] <= xmax + wx and ymin - wy <= p[1] <= ymax + wy)
    ):
        raise ValueError(
            f"start must be one finite point (x, y) with x in [{xmin - wx:g}, {xmax + wx:g}] "
            f"and y in [{ymin - wy:g}, {ymax + wy:g}]; got {value!r}"
        )
    return (float(p[0]), float(p[1]))


def check_expression_bounds(value: Any) -> tuple[tuple[float, float], tuple[float, float]]:
    """Bounds as typed (``"-3, 3, -2, 2"``), four numbers, or ``((xmin, xmax), (ymin, ymax))``."""
    if isinstance(value, str):
        parts = value.replace(";", " ").replace(",", " ").split()
        try:
            numbers = [float(part) for part in parts]
        except ValueError as exc:
            raise ValueError(
                f"expression_bounds must be four numbers xmin, xmax, ymin, ymax; got {value!r}"
            ) from exc
        value = numbers
    try:
        flat = np.asarray(value, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"expression_bounds must be four numbers xmin, xmax, ymin, ymax; got {value!r}"
        ) from exc
    if flat.shape != (4,):
        raise ValueError(
            f"expression_bounds must be four numbers xmin, xmax, ymin, ymax; got {value!r}"
        )
    xmin, xmax, ymin, ymax = (float(v) for v in flat)
    return check_bounds(((xmin, xmax), (ymin, ymax)))


def _set_expression(state: ExplorerState, catalog: Catalog, text: Any, bounds) -> ExplorerState:
    if not isinstance(text, str):
        raise ValueError(f"expression must be text such as 'x**2 + 3*sin(y)'; got {text!r}")
    if not text.strip():
        return replace(state, expression="")  # an empty box: the surface shown stays
    key = catalog.typed_surface(text, bounds)
    return replace(_set_surface(state, catalog, key), expression=text)


def check_arrows(value: Any) -> tuple[str, ...]:
    """Arrow kinds as a tuple in `ARROW_KINDS` order, or a ValueError naming the choices."""
    kinds = (value,) if isinstance(value, str) else value
    message = (
        f"arrows must be some of {', '.join(ARROW_KINDS)} (a name or a list of names); "
        f"got {value!r}"
    )
    try:
        chosen = set(kinds)
    except TypeError as exc:
        raise ValueError(message) from exc
    if not chosen <= set(ARROW_KINDS):
        raise ValueError(message)
    return tuple(kind for kind in ARROW_KINDS if kind in chosen)


# -- reading a state ----------------------------------------------------------------------------
def current_surface(state: ExplorerState, catalog: Catalog) -> Surface:
    return catalog.surface(state.surface, state.surface_params)


def tunables(state: ExplorerState, catalog: Catalog) -> list[str]:
    """The selected optimizers the sliders can change, in order."""
    return [label for label in state.optimizers if catalog.tunable(label)]


def tuned(state: ExplorerState, catalog: Catalog, slider: str) -> list[str]:
    """The optimizers that the hyperparameter slider ``slider`` changes now."""
    targets = HYPERPARAMETER_SLIDERS[slider]
    return [
        label
        for label in tunables(state, catalog)
        if label in targets and state.tune in (ALL, label)
    ]


def rates_in_use(state: ExplorerState, catalog: Catalog) -> dict[str, float | None]:
    """Each optimizer's peak learning rate as it runs (own rate times ``lr_scale``)."""
    rates: dict[str, float | None] = {}
    for label in state.optimizers:
        if catalog.tunable(label):
            lr = state.hyper[label].get("lr")
            rates[label] = None if lr is None else lr * state.lr_scale
        else:
            lr = catalog.custom_optimizers[label].hyper.get("lr")
            rates[label] = float(lr) if isinstance(lr, int | float) else None
    return rates


def hyperparameters_in_use(state: ExplorerState, catalog: Catalog) -> dict[str, dict[str, Any]]:
    """Each optimizer's hyperparameters as it runs, e.g. ``{"adam": {"lr": 0.05, ...}}``."""
    result = {}
    for label in state.optimizers:
        if catalog.tunable(label):
            hyper = dict(state.hyper[label])
            if "lr" in hyper:
                hyper["lr"] = hyper["lr"] * state.lr_scale
        else:
            hyper = dict(catalog.custom_optimizers[label].hyper)
        result[label] = hyper
    return result


def is_model(s: Surface) -> bool:
    return isinstance(s, ModelSurface)


def uses_log_loss(state: ExplorerState, reference: float) -> bool:
    """Whether the loss panel is logarithmic: asked for, and the best loss is known."""
    return state.loss_scale == "log" and bool(np.isfinite(reference))


# -- schedules ----------------------------------------------------------------------------------
def schedule_for(state: ExplorerState, lr: float) -> Any:
    """The learning rate of an optimizer with peak rate ``lr`` under the state's schedule.

    A warm-up longer than the run is kept as set: the run then ends while
    the rate is still rising, as the preview shows.
    """
    name = state.schedule
    if name == "constant":
        return lr
    args: dict[str, Any] = {
        argument: state.schedule_params[control]
        for control, argument in SCHEDULE_PARAMETERS[name].items()
    }
    if "lr_min" in args:
        args["lr_min"] = args["lr_min"] * lr
    if name == "cosine":
        return schedules.cosine(lr, steps=state.steps, **args)
    if name == "warmup_cosine":
        return schedules.warmup_cosine(lr, steps=max(state.steps, args["warmup"] + 1), **args)
    if name == "cyclic":
        return schedules.cyclic(lr_max=lr, **args)
    return schedules.schedule(name, lr=lr, **args)


def schedule_factor_shape(state: ExplorerState) -> Any:
    """The schedule's shape ``t -> lr(t)`` at peak rate 1, or None for a constant rate."""
    return None if state.schedule == "constant" else schedule_for(state, 1.0)


def schedule_factors(state: ExplorerState) -> np.ndarray:
    """The schedule divided by its peak rate at steps 0 .. steps - 1, shape (steps,)."""
    t = np.arange(state.steps)
    if state.schedule == "constant":
        return np.ones(state.steps)
    return np.broadcast_to(np.asarray(schedule_for(state, 1.0)(t), dtype=np.float64), t.shape)


# -- computing ----------------------------------------------------------------------------------
def build_optimizers(state: ExplorerState, catalog: Catalog) -> dict[str, Optimizer]:
    """The optimizers a state runs: rates in use under its schedule, objects as given."""
    built = {}
    for label, hyper in hyperparameters_in_use(state, catalog).items():
        if catalog.tunable(label):
            if "lr" in hyper:
                hyper["lr"] = schedule_for(state, float(hyper["lr"]))
            built[label] = optimizer(label, **hyper)
        else:
            built[label] = catalog.custom_optimizers[label]
    return built


def noisy(state: ExplorerState, s: Surface) -> bool:
    """Whether the state's gradients are noisy (noise, or mini-batches on a model)."""
    return state.noise > 0 or (is_model(s) and state.batch_size is not None)


def compute_cloud(state: ExplorerState, catalog: Catalog) -> tuple[Run, ...]:
    """The runs of seeds ``seed + 1`` .. ``seed + cloud - 1``: the noisy runs drawn beside
    the state's own (none without noise)."""
    if state.cloud <= 1 or not noisy(state, current_surface(state, catalog)):
        return ()
    return tuple(
        compute_run(replace(state, seed=state.seed + k), catalog) for k in range(1, state.cloud)
    )


def compute_run(
    state: ExplorerState,
    catalog: Catalog,
    trace: bool = False,
    optimizers: Mapping[str, Optimizer] | None = None,
) -> Run:
    """`lossviz.descend` of everything the state says (``trace``: record every step).

    ``optimizers``: run these instead of the state's own, in its setting (surface,
    start, steps, noise, mini-batches, seed); `lossviz.widgets.run_cache` batches
    several states' optimizers this way."""
    s = current_surface(state, catalog)
    return descend(
        s,
        build_optimizers(state, catalog) if optimizers is None else optimizers,
        start=state.start,
        steps=state.steps,
        noise=state.noise,
        batch_size=state.batch_size if is_model(s) else None,
        seed=state.seed,
        trace=trace,
    )


# -- changing a state ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Setup:
    """How an Explorer was made: what `initial_state` and the reset button return to."""

    surface: str
    optimizers: tuple[str, ...]
    surface_params: Mapping[str, float] = field(default_factory=dict)
    steps: int = 300
    lr: Any = None
    momentum: Any = None
    beta2: Any = None
    schedule: str = "constant"
    schedule_params: Mapping[str, float] = field(default_factory=dict)
    noise: float = 0.0
    batch_size: int | None = None
    start: tuple[float, float] | None = None
    seed: int = 0
    loss_scale: str = "log"
    step: int | None = None
    arrows: tuple[str, ...] = ()
    curvature: bool = False
    basins: bool = False
    stability_map: bool = False
    cloud: int = 1


def initial_state(
    setup: Setup,
    catalog: Catalog,
    *,
    surface_key: str | None = None,
    optimizers: tuple[str, ...] | None = None,
) -> ExplorerState:
    """The state an Explorer starts in, on ``surface_key`` (default the set-up one).

    On the set-up surface: everything as set up. On another: that surface's
    defaults and start, with the set-up schedule and steps, and no noise.
    ``optimizers`` replaces the set-up selection (the reset button keeps the
    student's).
    """
    key = setup.surface if surface_key is None else surface_key
    same = key == setup.surface
    params = dict(setup.surface_params) if same else {}
    labels = tuple(setup.optimizers if optimizers is None else optimizers)
    s = catalog.surface(key, params)
    state = ExplorerState(
        surface=key,
        surface_params=params,
        optimizers=labels,
        hyper={
            label: catalog.defaults(key, params, label)
            for label in labels
            if catalog.tunable(label)
        },
        schedule=setup.schedule,
        schedule_params={**SCHEDULE_DEFAULTS, **setup.schedule_params},
        steps=setup.steps,
        noise=setup.noise if same else 0.0,
        start=setup.start if same and setup.start is not None else tuple(map(float, s.start)),
        seed=setup.seed,
        loss_scale=setup.loss_scale,
        step=setup.steps if setup.step is None else min(setup.step, setup.steps),
        arrows=tuple(setup.arrows),
        curvature=setup.curvature,
        basins=setup.basins,
        stability_map=setup.stability_map,
        cloud=setup.cloud,
    )
    state = replace(state, tune=_default_tune(state, catalog))
    if is_model(s) and setup.batch_size is not None:
        state = replace(state, batch_size=min(setup.batch_size, len(s.y_train)))
    if same:
        for slider in ("lr", "momentum", "beta2"):
            value = getattr(setup, slider)
            if isinstance(value, Mapping):
                value = {n: v for n, v in value.items() if n in labels}
            if value is not None and value != {}:
                state = _set_hyperparameter(state, catalog, slider, value, everyone=True)
    return state


def reset_state(state: ExplorerState, setup: Setup, catalog: Catalog) -> ExplorerState:
    """What the reset button gives: `initial_state` on the surface shown, same optimizers."""
    return initial_state(setup, catalog, surface_key=state.surface, optimizers=state.optimizers)


def _default_tune(state: ExplorerState, catalog: Catalog) -> str:
    names = tunables(state, catalog)
    return names[0] if len(names) == 1 else ALL


APPLY_ORDER = (
    "surface",
    *SURFACE_PARAMETERS,
    "expression_bounds",
    "expression",
    "optimizers",
    "tune",
    "steps",
)
"""`apply_changes` applies these first, in this order: they reset what the others refine."""


def apply_changes(
    state: ExplorerState, values: Mapping[str, Any], catalog: Catalog
) -> ExplorerState:
    """Apply several changes at once (``Explorer.set``): all of them, or none on an error."""
    unknown = [k for k in values if k not in CONTROLS and k not in ("start", "seed")]
    if unknown:
        raise ValueError(
            f"no control named {', '.join(map(repr, unknown))}; the controls are: "
            f"{', '.join(CONTROLS)} (and start, seed)"
        )
    ordered = [k for k in APPLY_ORDER if k in values] + [k for k in values if k not in APPLY_ORDER]
    for name in ordered:
        state = apply_change(state, name, values[name], catalog)
    return state


def apply_change(state: ExplorerState, name: str, value: Any, catalog: Catalog) -> ExplorerState:
    """The state after setting control ``name`` (or ``start``, ``seed``) to ``value``.

    Raises
    ------
    ValueError
        For an unknown name or a value the control does not allow; the message
        names the control, what it got and what is allowed.
    """
    if name == "surface":
        return _set_surface(state, catalog, value)
    if name == "expression":
        return _set_expression(state, catalog, value, state.expression_bounds)
    if name == "expression_bounds":
        bounds = check_expression_bounds(value)
        if state.expression.strip():
            state = _set_expression(state, catalog, state.expression, bounds)
        return replace(state, expression_bounds=bounds)
    if name in SURFACE_PARAMETERS:
        return _set_surface_parameter(state, catalog, name, value)
    if name == "optimizers":
        return _set_optimizers(state, catalog, value)
    if name == "tune":
        allowed = tune_options(state, catalog)
        if value not in allowed:
            raise ValueError(f"tune must be one of {', '.join(allowed)}; got {value!r}")
        return replace(state, tune=value)
    if name in HYPERPARAMETER_SLIDERS:
        return _set_hyperparameter(state, catalog, name, value)
    if name == "lr_scale":
        return replace(state, lr_scale=check_control_value(name, value))
    if name == "steps":
        steps = check_control_value(name, value)
        # A step shown at the end stays at the end; one inside stays, as far as it can.
        step = steps if state.step >= state.steps else min(state.step, steps)
        return replace(state, steps=steps, step=step)
    if name == "step":
        return replace(state, step=check_integer(value, "step", low=0, high=state.steps))
    if name == "arrows":
        return replace(state, arrows=check_arrows(value))
    if name in ("curvature", "basins", "stability_map", "view3d"):
        if not isinstance(value, bool | np.bool_):
            raise ValueError(f"{name} must be True or False; got {value!r}")
        return replace(state, **{name: bool(value)})
    if name == "schedule":
        if value not in schedules.schedule_names():
            raise ValueError(
                f"unknown schedule {value!r}; choose one of {', '.join(schedules.schedule_names())}"
            )
        return replace(state, schedule=value)
    if name in SCHEDULE_DEFAULTS:
        params = {**state.schedule_params, name: check_control_value(name, value)}
        return replace(state, schedule_params=params)
    if name == "noise":
        return replace(state, noise=check_number(value, "noise", low=0))
    if name == "batch_size":
        return _set_batch_size(state, catalog, value)
    if name == "start":
        return replace(state, start=check_start(state, value, current_surface(state, catalog)))
    if name == "seed":
        return replace(state, seed=check_integer(value, "seed", low=0))
    if name == "cloud":
        return replace(state, cloud=check_control_value(name, value))
    if name == "loss_scale":
        if value not in LOSS_SCALES:
            raise ValueError(f"loss_scale must be one of {', '.join(LOSS_SCALES)}; got {value!r}")
        return replace(state, loss_scale=value)
    if name == "reset":
        raise ValueError("reset is a button: call Explorer.reset() instead")
    if name == "play":
        raise ValueError("play is a button that moves the step slider: set step=k instead")
    raise ValueError(f"no control named {name!r}; the controls are: {', '.join(CONTROLS)}")


def _set_surface(state: ExplorerState, catalog: Catalog, key: Any) -> ExplorerState:
    keys = catalog.surface_keys()
    if not isinstance(key, str) or key not in keys:
        raise ValueError(f"unknown surface {key!r}; choose one of {', '.join(keys)}")
    if key == state.surface and not state.surface_params:
        return state
    s = catalog.surface(key, {})
    batch = state.batch_size
    if batch is not None and is_model(s):
        batch = min(batch, len(s.y_train))
    return replace(
        state,
        surface=key,
        surface_params={},
        hyper={label: catalog.defaults(key, {}, label) for label in tunables(state, catalog)},
        lr_scale=1.0,
        noise=min(state.noise, catalog.noise_top(key, {})),
        batch_size=batch,
        start=tuple(map(float, s.start)),
    )


def surface_parameter_names(state: ExplorerState) -> list[str]:
    """The surface-parameter controls that apply to the surface shown."""
    return [c for c, (owner, _) in SURFACE_PARAMETERS.items() if owner == state.surface]


def _set_surface_parameter(
    state: ExplorerState, catalog: Catalog, name: str, value: Any
) -> ExplorerState:
    owner, parameter = SURFACE_PARAMETERS[name]
    if state.surface != owner:
        raise ValueError(
            f"{name} is a parameter of the {owner} surface; the surface shown is {state.surface}"
        )
    number = check_control_value(name, value)
    params = {**state.surface_params, parameter: number}
    catalog.surface(owner, params)  # builds it: the surface's own checks run here
    return replace(state, surface_params=params)


def _set_optimizers(state: ExplorerState, catalog: Catalog, value: Any) -> ExplorerState:
    labels = [value] if isinstance(value, str) else list(value) if value is not None else []
    allowed = catalog.optimizer_labels()
    bad = [n for n in labels if n not in allowed]
    if bad or not labels:
        raise ValueError(f"optimizers must be one or more of {', '.join(allowed)}; got {labels!r}")
    if len(set(labels)) != len(labels):
        raise ValueError(f"optimizers lists a name twice: {labels!r}")
    hyper = {
        label: state.hyper[label]
        if label in state.hyper
        else catalog.defaults(state.surface, state.surface_params, label)
        for label in labels
        if catalog.tunable(label)
    }
    new = replace(state, optimizers=tuple(labels), hyper=hyper)
    if new.tune not in tune_options(new, catalog):
        new = replace(new, tune=_default_tune(new, catalog))
    return new


def tune_options(state: ExplorerState, catalog: Catalog) -> list[str]:
    names = tunables(state, catalog)
    return [ALL, *names] if len(names) > 1 else names or [ALL]


def _set_hyperparameter(
    state: ExplorerState, catalog: Catalog, slider: str, value: Any, everyone: bool = False
) -> ExplorerState:
    """Set a shared hyperparameter: a number for the tuned optimizers (every one with
    ``everyone``), or a mapping label -> number for the named ones."""
    targets = HYPERPARAMETER_SLIDERS[slider]
    if isinstance(value, Mapping):
        items = dict(value)
        selected = tunables(state, catalog)
        bad = [n for n in items if n not in selected]
        if bad:
            raise ValueError(
                f"{slider} names optimizers that are not shown or not tunable: {bad}; "
                f"tunable: {selected}"
            )
        no_such = [n for n in items if n not in targets]
        if no_such:
            raise ValueError(f"{', '.join(no_such)} has no {slider} hyperparameter")
    else:
        names = (
            [n for n in tunables(state, catalog) if n in targets]
            if everyone
            else tuned(state, catalog, slider)
        )
        items = {n: value for n in names}
    hyper = dict(state.hyper)
    for label, v in items.items():
        number = check_control_value(slider, v)
        if slider == "lr":
            number = number / state.lr_scale
        new = {**hyper[label], targets[label]: number}
        optimizer(label, **new)  # validates, with a message naming the argument
        hyper[label] = new
    return replace(state, hyper=hyper)


def _set_batch_size(state: ExplorerState, catalog: Catalog, value: Any) -> ExplorerState:
    s = current_surface(state, catalog)
    if value is None:
        return replace(state, batch_size=None)
    if not is_model(s):
        raise ValueError(
            f"batch_size applies to model surfaces only; the surface shown, {state.surface}, "
            "has no training data"
        )
    return replace(
        state,
        batch_size=check_integer(
            value, "batch_size (None for the full training set)", low=1, high=len(s.y_train)
        ),
    )


# -- what the controls show -----------------------------------------------------------------
@dataclass(frozen=True)
class ControlView:
    """What one control shows for a state: its value, and where needed its options,
    range and whether it is disabled."""

    value: Any = None
    options: tuple | None = None
    high: float | None = None
    disabled: bool = False


def control_views(state: ExplorerState, catalog: Catalog) -> dict[str, ControlView]:
    """What every control shows for ``state`` (`ControlPanel.show` writes it)."""
    s = current_surface(state, catalog)
    rates = rates_in_use(state, catalog)
    views: dict[str, ControlView] = {
        "surface": ControlView(state.surface, tuple(catalog.surface_choices())),
        "optimizers": ControlView(list(state.optimizers), tuple(catalog.optimizer_labels())),
        "tune": ControlView(state.tune, tuple(tune_options(state, catalog))),
        "lr_scale": ControlView(state.lr_scale),
        "steps": ControlView(state.steps),
        "cloud": ControlView(state.cloud),
        "schedule": ControlView(state.schedule, tuple(schedules.schedule_names())),
        "loss_scale": ControlView(state.loss_scale, LOSS_SCALES),
        "reset": ControlView(),
        "play": ControlView(None, high=state.steps),
        "step": ControlView(state.step, high=state.steps),
        "arrows": ControlView(list(state.arrows), ARROW_KINDS),
        "curvature": ControlView(state.curvature),
        "basins": ControlView(state.basins),
        "stability_map": ControlView(state.stability_map),
        "view3d": ControlView(state.view3d),
        "expression": ControlView(state.expression),
        "expression_bounds": ControlView(
            ", ".join(f"{v:g}" for pair in state.expression_bounds for v in pair)
        ),
    }
    for slider, targets in HYPERPARAMETER_SLIDERS.items():
        names = tuned(state, catalog, slider)
        if names:
            first = names[0]
            shown = rates[first] if slider == "lr" else state.hyper[first][targets[first]]
            views[slider] = ControlView(shown)
        else:
            views[slider] = ControlView(None, disabled=True)
    for name, (_, parameter) in SURFACE_PARAMETERS.items():
        views[name] = ControlView(
            s.params.get(parameter) if name in surface_parameter_names(state) else None
        )
    for name in SCHEDULE_DEFAULTS:
        views[name] = ControlView(state.schedule_params[name])
    top = catalog.noise_top(state.surface, state.surface_params)
    views["noise"] = ControlView(
        state.noise, high=top if state.noise <= top else round_rate(2 * state.noise)
    )
    n_train = len(s.y_train) if is_model(s) else 100
    views["batch_size"] = ControlView(state.batch_size or 0, high=n_train)
    return views


def shown_controls(
    state: ExplorerState, catalog: Catalog, requested: Iterable[str] | None
) -> set[str]:
    """The controls on show: those requested (all by default) that mean something now.

    ``"lr"`` and ``"lr_scale"`` are one slot: with ``tune`` on ``"all"`` and several
    rates, the factor shows; otherwise the tuned optimizer's own rate.
    """
    wanted = set(CONTROLS if requested is None else requested)
    if wanted & {"lr", "lr_scale"}:
        wanted |= {"lr", "lr_scale"}
    s = current_surface(state, catalog)
    names = tunables(state, catalog)
    several_rates = state.tune == ALL and len(tuned(state, catalog, "lr")) > 1
    wanted.discard("lr" if several_rates else "lr_scale")
    if not tuned(state, catalog, "lr"):
        wanted -= {"lr", "lr_scale"}
    for slider in ("momentum", "beta2"):
        if not any(n in HYPERPARAMETER_SLIDERS[slider] for n in names):
            wanted.discard(slider)
    if len(names) < 2:
        wanted.discard("tune")
    wanted -= set(SURFACE_PARAMETERS) - set(surface_parameter_names(state))
    wanted -= set(SCHEDULE_DEFAULTS) - set(SCHEDULE_PARAMETERS[state.schedule])
    if not is_model(s):
        wanted.discard("batch_size")
    if not noisy(state, s):
        wanted.discard("cloud")
    if len(s.minima) == 0:  # the loss axis and both maps measure against the known minima
        wanted -= {"loss_scale", "basins", "stability_map"}
    if "step" in wanted:
        wanted.add("play")
    else:
        wanted.discard("play")
    return wanted
