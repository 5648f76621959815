"""The Explorer: descent paths recomputed live over a contour map.

A student drags a slider and every optimizer's path redraws while the hand is
still moving; a click on the map starts the paths from there.

The Explorer only wires four parts together:

* `lossviz.widgets.state`: one immutable `ExplorerState` and the pure
  functions that change it (every route, a slider, `Explorer.set`, the reset
  button or a click, goes through them) and compute its `Run`;
* `lossviz.widgets.control_panel`: the controls, built from one table, and
  the only code that writes widget values;
* `lossviz.widgets.panels`: the map with its paths, the loss, the schedule
  preview and the model fit, each owning its axes and artists;
* `lossviz.widgets.frames`: the frame loop, which coalesces a drag into
  frames, recomputes only when the run changes, and blits;

and keeps the runs of its latest states in a `lossviz.widgets.run_cache.RunCache`,
which computes a drag's next slider positions together with the current one.
"""

from __future__ import annotations

import gc
import html
import io
import sys
import traceback
import weakref
from base64 import b64encode
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from lossviz.basins import MAX_POINTS as BASIN_POINTS
from lossviz.basins import basins
from lossviz.defaults import default_hyperparameters
from lossviz.engine import Run
from lossviz.optimizers.base import Optimizer, optimizer_names
from lossviz.stability_map import stability_map
from lossviz.surfaces.base import Surface, surface_names
from lossviz.views import DIVERGED_COLOR, optimizer_colors
from lossviz.widgets.background import Background
from lossviz.widgets.canvas import FigureManager, FrameCanvas, encode_png
from lossviz.widgets.control_panel import ControlPanel, close_widgets
from lossviz.widgets.control_table import (
    CONTROLS,
    HYPERPARAMETER_SLIDERS,
    INSPECT_CONTROLS,
    SCHEDULE_DEFAULTS,
    SURFACE_PARAMETERS,
)
from lossviz.widgets.frames import FrameLoop
from lossviz.widgets.layout import FIGURE_SIZE, Layout
from lossviz.widgets.panels import Frame, Panel, default_panels
from lossviz.widgets.panels.outcomes import outcome_label
from lossviz.widgets.readout import readout_html
from lossviz.widgets.run_cache import (
    PREFETCH_CONTROLS,
    RunCache,
    batchable,
    neighbour_states,
)
from lossviz.widgets.state import (
    RUN_FIELDS,
    Catalog,
    ExplorerState,
    Setup,
    apply_change,
    apply_changes,
    build_optimizers,
    changed_fields,
    compute_cloud,
    control_views,
    current_surface,
    hyperparameters_in_use,
    initial_state,
    is_model,
    rates_in_use,
    reset_state,
    schedule_factor_shape,
    schedule_factors,
    shown_controls,
)

if TYPE_CHECKING:
    from lossviz.widgets.movie import Movie

DEFAULT_OPTIMIZERS = ("gd", "momentum", "nesterov", "adam")


READOUT_DELAY = 0.03
"""Seconds by which a drag's readout follows its picture (see `Explorer._on_frame`)."""


class Explorer:
    """Optimizers' descent paths over a surface, recomputed live as controls move.

    Parameters
    ----------
    surface
        A registered surface or model name, or a `Surface` (for example from
        `Surface.from_function`).
    optimizers
        Optimizer names, or `Optimizer` objects (a lesson's own ``init`` /
        ``update`` pair). An object runs exactly as given: the sliders tune
        the named optimizers only.
    steps
        Number of steps of each path.
    lr, momentum, beta2
        Initial hyperparameters: a number applies to every optimizer that has
        it, a mapping (``lr={"adam": 0.05}``) to the named ones; the rest keep
        per-surface defaults (`lossviz.defaults`). ``momentum`` is beta of
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
        On a model surface, mini-batch size for stochastic gradient descent;
        None (the default) for the full training set, as in `lossviz.descend`.
    start
        Start point (2,); default the surface's.
    controls
        Names of the controls to show (see `Explorer.controls`); the others
        stay at their initial values. Default: every control that applies.
    seed
        Seed of the noise and the mini-batches.
    cloud
        With noise or mini-batches, how many seeds run at once: the others are
        drawn as thin paths, with the mean loss over all of them.
    loss_scale
        ``"log"`` or ``"linear"``: the loss panel's y-axis.
    basins, stability_map
        Maps of outcomes for the tuned optimizer (the first when tuning all),
        computed in the background: every start of the map coloured by the
        minimum it reaches, and a panel of steps to converge over learning rate
        and momentum (a click on a cell uses that pair).
    step, arrows, curvature
        Inside a step (shown with the ``play``/``step``, ``arrows`` and ``curvature``
        controls): the step shown (default the last), the arrows drawn there (some
        of ``"gradient"``, ``"update"``, ``"velocity"``) and whether the local
        curvature is drawn.
    **values
        Surface parameters with a slider (``condition`` and ``angle`` of the
        quadratic, ``amplitude`` of rastrigin, ``width`` of multi_well) and
        schedule parameters, as initial values.

    Notes
    -----
    The learning-rate slider changes the rate of the optimizer chosen under
    ``tune``. With ``tune`` on ``"all"`` it is replaced by ``learning rates ×``
    (``lr_scale``), one factor on every optimizer's own rate that keeps their
    ratios; the readout always lists the rates in use. ``ex.set(lr=0.01)``
    means what the slider means: the tuned optimizer's rate, or every
    optimizer's with ``tune`` on ``"all"``.

    An Explorer displayed from a notebook cell closes the Explorers that the
    same cell displayed before when the cell runs again, so re-running a cell
    does not pile up widgets nobody can see.

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
        optimizers: Iterable[str | Optimizer] | str | Optimizer = DEFAULT_OPTIMIZERS,
        *,
        steps: int = 300,
        lr: float | Mapping[str, float] | None = None,
        momentum: float | Mapping[str, float] | None = None,
        beta2: float | Mapping[str, float] | None = None,
        schedule: str = "constant",
        noise: float = 0.0,
        batch_size: int | None = None,
        start: Any = None,
        controls: Iterable[str] | None = None,
        seed: int = 0,
        loss_scale: str = "log",
        step: int | None = None,
        arrows: Iterable[str] | str = (),
        curvature: bool = False,
        basins: bool = False,
        stability_map: bool = False,
        cloud: int = 1,
        **values: Any,
    ) -> None:
        self.catalog = Catalog()
        """The surfaces and optimizers on offer, and memoized facts about them."""
        self._setup = self._make_setup(
            surface,
            optimizers,
            values,
            steps=steps,
            lr=lr,
            momentum=momentum,
            beta2=beta2,
            schedule=schedule,
            noise=noise,
            batch_size=batch_size,
            start=start,
            seed=seed,
            loss_scale=loss_scale,
            step=step,
            arrows=arrows,
            curvature=curvature,
            basins=basins,
            stability_map=stability_map,
            cloud=cloud,
        )
        self._requested = None if controls is None else self._check_controls(controls)
        self._state = initial_state(self._setup, self.catalog)
        self.error: str | None = None
        """The message shown for the last failure, or None."""
        self._closed = False

        figure = Figure(figsize=FIGURE_SIZE, dpi=100)
        self.canvas = FrameCanvas(figure)
        self.manager = FigureManager(self.canvas, 0)
        self.canvas.header_visible = False
        self.canvas.footer_visible = False
        self.canvas.resizable = False
        self.canvas.toolbar_position = "top"  # a column beside it would cost width
        self._layout = Layout(figure)
        self.panels: dict[str, Panel] = {}
        """The panels by name (``map``, ``loss``, ``schedule``, ``fit``): each owns an axes
        (``panel.ax``) and its artists, so what is drawn can be read from them."""
        for panel in default_panels():
            panel.ax = self._layout.new_axes(panel.name)
            self.panels[panel.name] = panel
        self.loop = FrameLoop(
            self.canvas,
            list(self.panels.values()),
            self._layout,
            self._make_frame,
            self._on_frame,
            self._show_error,
        )
        self.canvas.mpl_connect("button_press_event", self._on_click)

        self._control_panel = ControlPanel(self._on_control, self._on_reset)
        self.controls: dict[str, widgets.Widget] = self._control_panel.controls
        """The ipywidgets controls by name."""
        self.status = widgets.HTML(value="")
        self.progress = widgets.HTML(value="")
        """A line while a map computes in the background for more than half a second."""
        self.readout = widgets.HTML(value="")
        self._background = Background()
        self._runs = RunCache()
        self._readout_frame: Frame | None = None  # a readout waiting to be written
        self._moved: tuple[str, float, float | None] | None = None  # the slider a drag moves
        self._slider_values: dict[str, float] = {}
        self._outcomes: dict[str, Any] = {}
        self._outcome_keys: dict[str, Any] = {}
        self.widget = widgets.VBox(
            [self.canvas, self.progress, self._control_panel.box, self.status, self.readout],
            layout=widgets.Layout(width="100%", max_width=f"{FIGURE_SIZE[0] * 100 + 20:.0f}px"),
        )
        self.widget.add_class("lossviz-explorer")
        self._commit(None, self._state)
        # One full garbage collection now, while the cell runs. Building made thousands of
        # objects, and the collector's next full pass (about 30 ms) otherwise fell on the
        # student's first change: the first tag added took 60 ms instead of 30.
        gc.collect()

    # -- construction ------------------------------------------------------------------------
    def _make_setup(self, surface, optimizers, values, **settings) -> Setup:
        catalog = self.catalog
        if isinstance(surface, Surface):
            key = catalog.add_surface(surface)
        elif isinstance(surface, str) and surface in surface_names():
            key = surface
        else:
            raise ValueError(
                f"unknown surface {surface!r}; choose one of {', '.join(surface_names())}, "
                "or give a Surface"
            )
        labels = self._optimizer_labels(optimizers)
        unknown = [k for k in values if k not in SCHEDULE_DEFAULTS and k not in SURFACE_PARAMETERS]
        if unknown:
            raise TypeError(
                f"Explorer got unexpected arguments: {', '.join(unknown)}; besides its named "
                f"arguments it takes {', '.join([*SURFACE_PARAMETERS, *SCHEDULE_DEFAULTS])}"
            )
        bare = initial_state(Setup(key, labels), catalog)
        checks = {
            name: settings[name]
            for name in ("steps", "schedule", "noise", "seed", "loss_scale", "start", "step")
            if settings[name] is not None
        }
        for name in ("arrows", "curvature", "basins", "stability_map", "cloud"):
            checks[name] = settings[name]
        if settings["batch_size"] is not None:
            checks["batch_size"] = settings["batch_size"]
        checked = apply_changes(bare, {**checks, **values}, catalog)
        return Setup(
            surface=key,
            optimizers=labels,
            surface_params=dict(checked.surface_params),
            steps=checked.steps,
            lr=settings["lr"],
            momentum=settings["momentum"],
            beta2=settings["beta2"],
            schedule=checked.schedule,
            schedule_params={
                k: checked.schedule_params[k] for k in values if k in SCHEDULE_DEFAULTS
            },
            noise=checked.noise,
            batch_size=checked.batch_size,
            start=checked.start if settings["start"] is not None else None,
            seed=checked.seed,
            loss_scale=checked.loss_scale,
            step=checked.step if settings["step"] is not None else None,
            arrows=checked.arrows,
            curvature=checked.curvature,
            basins=checked.basins,
            stability_map=checked.stability_map,
            cloud=checked.cloud,
        )

    def _optimizer_labels(self, optimizers: Any) -> tuple[str, ...]:
        """Labels for names and `Optimizer` objects (objects join the catalog)."""
        if isinstance(optimizers, str | Optimizer):
            optimizers = [optimizers]
        labels = []
        for o in optimizers:
            if isinstance(o, Optimizer):
                labels.append(self.catalog.add_optimizer(o))
            elif isinstance(o, str) and o in self.catalog.optimizer_labels():
                labels.append(o)
            else:
                raise ValueError(
                    f"optimizers must be one or more of {', '.join(optimizer_names())} or "
                    f"Optimizer objects; got {o!r}"
                )
        if not labels or len(set(labels)) != len(labels):
            raise ValueError(
                f"optimizers must list one or more optimizers, each once; got {list(labels)!r}"
            )
        return tuple(labels)

    @staticmethod
    def _check_controls(controls: Iterable[str]) -> frozenset[str]:
        names = frozenset([controls] if isinstance(controls, str) else controls)
        unknown = names - set(CONTROLS)
        if unknown:
            raise ValueError(
                f"controls has unknown names {sorted(unknown)}; choose from {', '.join(CONTROLS)}"
            )
        return names

    # -- public API --------------------------------------------------------------------------
    @property
    def state(self) -> ExplorerState:
        """What the Explorer shows, as one immutable value (see `lossviz.widgets.state`)."""
        return self._state

    @property
    def run(self) -> Run | None:
        """The `descend` result drawn last."""
        return None if self.loop.frame is None else self.loop.frame.run

    @property
    def figure(self) -> Figure:
        """The matplotlib Figure (drawn on its own ipympl canvas, not in pyplot)."""
        return self.canvas.figure

    @property
    def surface(self) -> Surface:
        """The surface shown."""
        return current_surface(self._state, self.catalog)

    @property
    def start(self) -> np.ndarray:
        """The start of every path, shape (2,)."""
        return np.array(self._state.start)

    @property
    def closed(self) -> bool:
        """Whether `close` has run (or a re-run of its cell closed it)."""
        return self._closed

    @property
    def seed(self) -> int:
        return self._state.seed

    @property
    def hyperparameters(self) -> dict[str, dict[str, Any]]:
        """Each optimizer's hyperparameters in use, e.g. ``{"adam": {"lr": 0.05, ...}}``
        (learning rates at their peak, before the schedule)."""
        return hyperparameters_in_use(self._state, self.catalog)

    @property
    def stats(self) -> dict[str, int]:
        """Counts of frames, `descend` runs, full draws, panels redrawn alone and blits."""
        return self.loop.stats

    @property
    def coalesce(self) -> bool | None:
        """Whether a burst of changes makes one frame (see `FrameLoop.coalesce`)."""
        return self.loop.coalesce

    @coalesce.setter
    def coalesce(self, value: bool | None) -> None:
        self.loop.coalesce = value

    def set(self, **values: Any) -> None:
        """Set any controls, and ``start=(x, y)`` or ``seed``, in one update (one frame).

        Each value means what moving its control means. ``lr``, ``momentum``
        and ``beta2`` also accept a mapping from optimizer labels to numbers;
        ``surface`` accepts a `Surface` and ``optimizers`` `Optimizer` objects,
        which join the choices.

        Raises
        ------
        ValueError
            For an unknown control or a value the control does not allow; nothing
            changes then.
        """
        values = dict(values)
        if isinstance(values.get("surface"), Surface):
            values["surface"] = self.catalog.add_surface(values["surface"])
        if "optimizers" in values:
            values["optimizers"] = self._optimizer_labels(values["optimizers"])
        self._commit(self._state, apply_changes(self._state, values, self.catalog))
        # Code reads the result right after: draw now, not when the kernel's event loop
        # next turns (a drag's burst still coalesces; this is one call, one frame).
        self.loop.run_frame()

    def reset(self) -> None:
        """Back to how the Explorer was set up (the reset button).

        On the surface it was built with: the constructor's hyperparameters,
        surface parameters, start, steps, schedule, noise and mini-batch; on any
        other surface, that surface's defaults and start. The optimizers
        selected stay; the view returns to the surface's bounds.
        """
        new = reset_state(self._state, self._setup, self.catalog)
        self.panels["map"].reset_view(self._make_frame(self.loop.frame, False))
        self._commit(self._state, new, full=True)
        self.loop.run_frame()

    def close(self) -> None:
        """Close every widget the Explorer made and let go of its figure."""
        if self._closed:
            return
        self._closed = True
        self._background.close()
        self._outcomes.clear()
        self._runs.clear()
        self.loop.close()
        self._control_panel.close()  # the controls and their browser-side links
        close_widgets(self.widget)  # the canvas, the status and the readout
        figure = self.canvas.figure
        figure.clear()
        # The canvas keeps its last pixels for diffs; a closed one needs none.
        self.canvas._last_buff = np.empty((0, 0), dtype=np.uint32)
        self.canvas.__dict__.pop("renderer", None)
        self.catalog.clear()
        _DisplayedIn.forget(self)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        # The widget where a frontend exists; the last frame as an image where none does
        # (a notebook rendered to static HTML).
        _DisplayedIn.claim(self)
        bundle = self.widget._repr_mimebundle_(**kwargs) or {}
        bundle["image/png"] = b64encode(self.picture()).decode("ascii")
        bundle["text/plain"] = repr(self)
        return bundle

    def picture(self) -> bytes:
        """The figure as the canvas shows it, as PNG bytes: what an exported notebook keeps.

        A frame still waiting for the kernel's event loop is drawn first; the paths and
        curves, animated artists that ``savefig`` would leave out, are in the picture.
        """
        self.loop.run_frame()
        if self.loop.frame is None:  # nothing drawn yet (the first frame failed)
            buffer = io.BytesIO()
            self.figure.savefig(buffer, format="png")
            return buffer.getvalue()
        return encode_png(np.asarray(self.canvas.get_renderer().buffer_rgba()))

    def movie(self, frames: int | None = None, fps: float = 20) -> Movie:
        """The figure at evenly spaced steps, sent ahead so the browser plays them alone.

        Play on the step slider asks the kernel for every frame; a movie's frames are
        drawn once, now (this Explorer's picture at each step, the step then put back),
        and its play button, step slider and frames are linked in the browser, which
        animates them with no kernel round trip. The frames keep today's settings:
        after a change, make the movie again. See `lossviz.widgets.movie.Movie`.

        Parameters
        ----------
        frames
            How many frames, at evenly spaced steps from 0 to the last, both included:
            2 to steps + 1 (every step), at most 301. Default 101, or every step of a
            shorter run.
        fps
            Frames a second when playing, 1 to 60.

        Returns
        -------
        lossviz.widgets.movie.Movie
            Displayed by a notebook cell; ``close()`` frees its widgets.

        Raises
        ------
        ValueError
            For a count or rate out of range, or an Explorer that does not show its
            step control (``controls`` without ``"step"``).

        Examples
        --------
        >>> ex = Explorer("rosenbrock", optimizers=("gd", "adam"), steps=60,
        ...               controls=("lr", "step"))
        >>> movie = ex.movie(frames=31, fps=15)
        >>> movie.steps[:4], len(movie.steps)
        ((0, 2, 4, 6), 31)
        >>> movie.close(); ex.close()
        """
        # Imported on first use: lossviz.widgets.movie uses this module's _DisplayedIn.
        from lossviz.widgets.movie import Movie

        return Movie(self, frames=frames, fps=fps)

    def __repr__(self) -> str:
        return f"Explorer({self.surface.name!r}, optimizers={self._state.optimizers})"

    # -- one way in ------------------------------------------------------------------------------
    def _commit(
        self,
        old: ExplorerState | None,
        new: ExplorerState,
        full: bool = False,
        moved: tuple[str, float, float | None] | None = None,
    ) -> None:
        """Make ``new`` the state: show it on the controls, and ask for the frame it needs.
        ``moved``: (slider, value, its value before) when a hyperparameter slider moved."""
        if self._closed:
            return
        self._state = new
        self._moved = moved
        changed = changed_fields(old, new)
        self._shown = shown_controls(new, self.catalog, self._requested)
        self._control_panel.show(control_views(new, self.catalog), self._shown)
        if changed or full:
            self.loop.request(recompute=bool(changed & RUN_FIELDS), changed=changed, full=full)
        self._refresh_outcomes(new)
        if old is None or {"surface", "surface_params"} & changed:
            self._find_defaults_ahead(new)

    def _find_defaults_ahead(self, state: ExplorerState) -> None:
        """Find the default hyperparameters of every optimizer a student may add on this
        surface (`lossviz.defaults`), one optimizer a pass, in the background: in a kernel,
        on the maps' worker thread once the settings have been still for `Background.QUIET`
        seconds; in a script, at once. Adding a tag then runs the optimizer, and finds
        nothing (Newton's rate takes up to 8 ms on some surfaces) on the way.

        Only on a surface whose derivatives are written out (`Surface.hand_derivatives`):
        through autograd, a user's function takes up to a second for them (Newton's rate
        alone about 0.5 s), which the worker would take from the frames' interpreter."""
        key, params = state.surface, dict(state.surface_params)
        s = current_surface(state, self.catalog)
        if not s.hand_derivatives:
            self._background.cancel("defaults")
            return
        missing = [
            name
            for name in optimizer_names()
            if name not in state.optimizers
            and not self.catalog.knows_defaults(key, params, name)
        ]
        if not missing:
            self._background.cancel("defaults")
            return

        def keep(result, i, n) -> None:
            name, values = result
            self.catalog.keep_defaults(key, params, name, values)

        self._background.submit(
            "defaults",
            [lambda name=name: (name, default_hyperparameters(s, name)) for name in missing],
            keep,
            lambda line: None,  # a few milliseconds a pass: nothing to say
            "default rates",
        )

    # -- maps of outcomes, in the background -----------------------------------------------------
    def _refresh_outcomes(self, state: ExplorerState) -> None:
        """Start the maps the state asks for whose inputs changed; drop those turned off."""
        s = current_surface(state, self.catalog)
        label = outcome_label(state)
        wanted = {
            "basins": state.basins and "basins" in self._shown,
            "stability_map": state.stability_map
            and "stability_map" in self._shown
            and self.catalog.tunable(label),
        }
        for name, on in wanted.items():
            if not on or len(s.minima) == 0:
                self._background.cancel(name)
                self._outcomes.pop(name, None)
                self._outcome_keys.pop(name, None)
                continue
            key, stages = self._outcome_job(name, state, s, label)
            if key == self._outcome_keys.get(name):
                continue
            previous = self._outcome_keys.get(name)
            if previous is None or previous[:3] != key[:3]:  # another surface or optimizer
                self._outcomes.pop(name, None)
            self._outcome_keys[name] = key
            self._background.submit(
                name,
                stages,
                lambda result, i, n, name=name: self._on_outcome(name, result),
                self._on_progress,
                name.replace("_", " "),
            )

    def _outcome_job(self, name: str, state: ExplorerState, s: Surface, label: str):
        """``(key, stages)``: what the map depends on, and its computation in passes."""
        opt = build_optimizers(state, self.catalog)[label]
        common = dict(
            steps=state.steps,
            noise=state.noise,
            batch_size=state.batch_size if is_model(s) else None,
            seed=state.seed,
        )
        schedule = (state.schedule, tuple(sorted(state.schedule_params.items())))
        base = (state.surface, tuple(sorted(state.surface_params.items())), label)
        if name == "basins":
            key = (*base, repr(opt), schedule, tuple(common.items()))
            top = int(min(96, np.sqrt(BASIN_POINTS / (state.steps + 1))))
            sizes = sorted({min(r, top) for r in (24, 48)} | {top})
            # One thread: the other core stays with the frames of a drag meanwhile.
            stages = [
                lambda r=r: basins(s, opt, resolution=r, workers=1, **common)
                for r in sizes
                if r >= 2
            ]
            return key, stages
        beta_name = HYPERPARAMETER_SLIDERS["momentum"].get(label)
        shared = {k: v for k, v in state.hyper[label].items() if k not in ("lr", beta_name)}
        default = self.catalog.defaults(state.surface, state.surface_params, label)["lr"]
        # 3.5 decades, from a hundredth of the default rate to 30 times it, moved down (or
        # cut) to fit the rate slider's range: a click on any cell sets a rate it can show.
        top = min(default * 10**1.5, CONTROLS["lr"].high)
        lrs = np.geomspace(max(top / 10**3.5, CONTROLS["lr"].low), top, 29)
        betas = np.linspace(0.0, 0.98, 15) if beta_name else None
        shape = schedule_factor_shape(state)
        key = (*base, tuple(sorted(shared.items())), state.start, schedule, tuple(common.items()))
        stages = [
            lambda: stability_map(
                s,
                label,
                lrs,
                betas,
                start=state.start,
                hyperparameters=shared,
                schedule=shape,
                **common,
            )  # fmt: skip
        ]
        return key, stages

    def _on_outcome(self, name: str, result: Any) -> None:
        if self._closed:
            return
        self._outcomes[name] = result
        self.loop.request(changed={f"{name}_result"})

    def _on_progress(self, line: str) -> None:
        if not self._closed:
            self.progress.value = (
                f'<div style="font-size:12px;color:#444">⏳ {html.escape(line)}</div>'
                if line
                else ""
            )

    def _on_control(self, name: str, value: Any) -> None:
        """A student moved a control: the same state change as ``set(name=value)``."""
        typed = name in ("expression", "expression_bounds")
        try:
            new = apply_change(self._state, name, value, self.catalog)
        except Exception as exc:  # noqa: BLE001 - shown in the widget, which keeps its state
            if typed:  # a refused expression: said beside its box, the surface shown stays
                self._control_panel.show_message("expression", str(exc))
            else:
                self._show_error(exc)
            self._control_panel.show(
                control_views(self._state, self.catalog), self._shown, force=True
            )
            return
        if typed:
            self._control_panel.show_message("expression", "")
        moved = None
        if name in PREFETCH_CONTROLS and isinstance(value, float):
            moved = (name, value, self._slider_values.get(name))
            self._slider_values[name] = value
        self._commit(self._state, new, moved=moved)

    def _on_reset(self) -> None:
        try:
            self.reset()
        except Exception as exc:  # noqa: BLE001 - shown in the widget
            self._show_error(exc)

    def _on_click(self, event) -> None:
        toolbar = getattr(self.canvas, "toolbar", None)
        if event.button != 1 or (toolbar is not None and str(getattr(toolbar, "mode", ""))):
            return  # another button, or zooming or panning: not a choice
        stability = self.panels["stability"]
        if event.inaxes is stability.ax and stability.shown is not None:
            self._use_pair(stability.shown, event.xdata, event.ydata)
        elif event.inaxes is self.panels["map"].ax:
            self._on_control("start", (event.xdata, event.ydata))

    def _use_pair(self, smap, lr: float, beta: float) -> None:
        """A click on the stability map: its cell's (learning rate, momentum), for its optimizer."""
        i = int(np.argmin(np.abs(np.log(smap.lrs) - np.log(lr))))
        values: dict[str, Any] = {"lr": {smap.optimizer: float(smap.lrs[i])}}
        if smap.betas is not None:
            j = int(np.argmin(np.abs(smap.betas - beta)))
            values["momentum"] = {smap.optimizer: float(smap.betas[j])}
        try:
            new = apply_changes(self._state, values, self.catalog)
        except Exception as exc:  # noqa: BLE001 - shown in the widget
            self._show_error(exc)
            return
        self._commit(self._state, new)

    # -- frames ------------------------------------------------------------------------------
    def _make_frame(self, previous: Frame | None, recompute: bool) -> Frame:
        state = self._state
        # Looking inside a step needs every step recorded; a drag with the step at the end
        # (where no step is taken) or without those controls shown does not pay for it.
        trace = bool(self._shown & INSPECT_CONTROLS) and state.step < state.steps
        if not recompute and previous is not None and trace and previous.run.grad is None:
            recompute = True
            self.loop.stats["computes"] += 1  # the loop counts only the runs it asked for
        recompute = recompute or previous is None
        if recompute:
            hits = self._runs.hits
            run = self._runs.run(state, self.catalog, trace, self._neighbours(state))
            self.loop.stats["cached"] += self._runs.hits - hits
        else:
            run = previous.run
        cloud = compute_cloud(state, self.catalog) if recompute else previous.cloud
        return Frame(
            state=state,
            surface=current_surface(state, self.catalog),
            run=run,
            colors=optimizer_colors(list(run.names)),
            schedule=schedule_factors(state),
            shown=frozenset(self._shown),
            cloud=cloud,
            outcomes=dict(self._outcomes),
        )

    def _neighbours(self, state: ExplorerState) -> Callable[[], list[ExplorerState]] | None:
        """The states a drag of a hyperparameter slider reaches next, to compute with this
        one (`lossviz.widgets.run_cache`); None unless such a slider made this state."""
        if self._moved is None:
            return None
        name, value, previous = self._moved
        grid = self._control_panel.grid(name)
        if grid is None:
            return None

        def neighbours() -> list[ExplorerState]:  # called only when the run must be computed
            if not batchable(state, self.catalog):
                return []
            limit = self._runs.budget(state, self.catalog)
            return neighbour_states(state, self.catalog, name, grid, value, previous, limit)

        return neighbours

    def _on_frame(self, frame: Frame) -> None:
        loop = self.loop.event_loop
        if loop is None:  # drawn at once (code, tests): the readout at once too
            self._readout_frame = None  # one a drag left waiting is older: not written
            self._write_readout(frame)
        else:
            # A frame of a drag: the picture goes first. The readout follows a moment later
            # (one message for a burst of frames), so that the browser draws the canvas
            # before it lays out the table.
            if self._readout_frame is None:
                loop.call_later(READOUT_DELAY, self._write_pending_readout)
            self._readout_frame = frame
        if self.error is not None:
            self.error = None
            self.status.value = ""

    def _write_pending_readout(self) -> None:
        frame, self._readout_frame = self._readout_frame, None
        if frame is not None and not self._closed:
            self._write_readout(frame)

    def _write_readout(self, frame: Frame) -> None:
        state = frame.state
        self.readout.value = readout_html(
            frame,
            rates_in_use(state, self.catalog),
            self.catalog.stability(state.surface, state.surface_params),
        )

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


class _DisplayedIn:
    """Which notebook cells display which Explorers, to close those a re-run replaces.

    JupyterLab and Notebook 7 send each cell's id with its execution request.
    When a cell runs again, the Explorers its earlier run displayed are
    closed, unless another cell's output still displays them. Where no cell
    id arrives (Voila, nbclient, a script) nothing is closed.
    """

    _cells: dict[str, tuple[str, list[weakref.ref]]] = {}
    _shown_in: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    @staticmethod
    def _where() -> tuple[str, str] | None:
        ipython = sys.modules.get("IPython")
        shell = ipython.get_ipython() if ipython is not None else None
        kernel = getattr(shell, "kernel", None)
        if kernel is None:
            return None
        try:
            parent = kernel.get_parent()
        except Exception:  # noqa: BLE001 - an older kernel: no cell ids
            parent = getattr(kernel, "_parent_header", None) or {}
        cell = (parent.get("metadata") or {}).get("cellId")
        execution = (parent.get("header") or {}).get("msg_id")
        return (cell, execution) if cell and execution else None

    @classmethod
    def claim(cls, explorer: Explorer) -> None:
        where = cls._where()
        if where is None:
            return
        cell, execution = where
        earlier, refs = cls._cells.get(cell, (None, []))
        if earlier != execution:
            for ref in refs:
                old = ref()
                if old is None or old is explorer:
                    continue
                cells = cls._shown_in.get(old, set())
                cells.discard(cell)
                if not cells:
                    old.close()
            refs = []
        if not any(ref() is explorer for ref in refs):
            refs.append(weakref.ref(explorer))
        cls._cells[cell] = (execution, refs)
        cls._shown_in.setdefault(explorer, set()).add(cell)

    @classmethod
    def forget(cls, explorer: Explorer) -> None:
        cls._shown_in.pop(explorer, None)


__all__ = ["Explorer"]
