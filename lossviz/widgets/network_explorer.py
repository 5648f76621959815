"""The network explorer: train a small real network, then see its loss landscape in slices.

A student chooses the data, the network's width and depth and the optimizer;
the network trains with a progress bar; then its loss is drawn over a plane
through the trained weights (the PCA plane of the training path, or a random
one, filter-normalised or not), training and held-out loss on the same
shades, with the training path projected on the plane, beside the loss per step
and the loss on the straight line from the first weights to the trained ones.

The parts, found by file name:

* `lossviz.widgets.network_state`: the settings (`NetworkState`), their checks,
  and the three pure stages (train, plane, slices), no widgets;
* `lossviz.widgets.panels.network`: one panel per axes;
* this module: the controls, the canvas, and the wiring. Costly stages run in the
  background in a kernel (`lossviz.widgets.background`), so the controls keep
  answering; a newer setting stops an older computation at its next progress tick.

The slice is a `lossviz.Surface`: `NetworkExplorer.explorer` opens the
Explorer on it, where any optimizer can be run on the plane from any start.
"""

from __future__ import annotations

import html
import io
from collections.abc import Callable, Iterable
from dataclasses import asdict, fields
from typing import Any

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from lossviz.networks import MLP, Dataset, Training
from lossviz.surfaces.base import Surface
from lossviz.widgets.background import Background
from lossviz.widgets.canvas import FigureManager, FrameCanvas
from lossviz.widgets.control_panel import close_widgets
from lossviz.widgets.frames import in_kernel
from lossviz.widgets.main_thread import on_main_thread, remember_main_loop, running_loop
from lossviz.widgets.network_state import (
    BATCH_SIZES,
    DATASETS,
    MAX_STEPS,
    PLANES,
    WIDTHS,
    NetworkState,
    Plane,
    Slices,
    Trained,
    apply_changes,
    choose_plane,
    first_order_optimizers,
    grid_key,
    line_losses,
    plane_key,
    slice_grids,
    train_network,
    training_key,
)
from lossviz.widgets.panels.network import NetworkPanel, NetworkView, arrange, plane_title

FIGURE_SIZE = (8.2, 6.0)
"""Inches at 100 dpi: as wide as the Explorer, two rows of panels."""

DATA_WORDS = {"two_moons": "two moons", "spirals": "spirals", "noisy_curve": "noisy curve"}


FULL_BATCH = 0
"""The batch control's value for the whole training split (``batch_size=None``)."""


def _shown(name: str, value: Any) -> Any:
    """A setting's value as its control holds it."""
    return FULL_BATCH if name == "batch_size" and value is None else value


class _Stale(Exception):
    """A newer setting replaced the computation that raises it."""


class NetworkExplorer:
    """Train a small network and see its loss over a plane through the trained weights.

    Parameters
    ----------
    data
        ``"two_moons"``, ``"spirals"`` (classification) or ``"noisy_curve"`` (regression),
        generated with ``seed``.
    width, depth, activation
        The network ``MLP((d_in, width, ..., width, 1), activation)`` with ``depth``
        hidden layers.
    optimizer, lr, steps, batch_size
        Training: a first-order optimizer of `lossviz.optimizer_names`, its rate,
        the number of updates and the mini-batch size (None: the whole training split).
    seed
        Seed of the data, the first weights and the mini-batches.
    plane
        ``"pca"`` (the training path's two principal directions), ``"filter"``
        (random, filter-normalised as Li et al. 2018) or ``"raw"`` (random, scaled
        as a whole to the trained weights' norm).
    span, resolution
        How far the plane's grid reaches (random planes: that many steps of a
        direction; PCA plane: that many times the path's extent) and its points per side.
    direction_seed
        Seed of the random directions.

    Everything is computed when the explorer is made and on every `set`; a control
    moved in a notebook recomputes what it changes in the background, with progress.

    Examples
    --------
    >>> from lossviz import NetworkExplorer
    >>> nx = NetworkExplorer(width=4, steps=100, resolution=11)
    >>> nx.training.trajectory.shape
    (101, 37)
    >>> nx.set(plane="filter")
    >>> nx.slices.train.shape
    (11, 11)
    >>> nx.close()
    """

    def __init__(
        self,
        data: str = "two_moons",
        *,
        width: int = 16,
        depth: int = 2,
        activation: str = "tanh",
        optimizer: str = "adam",
        lr: float = 0.01,
        steps: int = 1000,
        batch_size: int | None = None,
        seed: int = 0,
        plane: str = "pca",
        span: float = 1.0,
        resolution: int = 41,
        direction_seed: int = 0,
    ) -> None:
        given = dict(locals())
        given.pop("self")
        self._state = apply_changes(NetworkState(), given)
        self.error: str | None = None
        """The message shown for the last failure, or None."""
        self._closed = False
        self._view: NetworkView | None = None
        self._generation = 0
        remember_main_loop()  # built in a cell: the thread whose loop draws (main_thread)
        self._background = Background()
        self._syncing = 0

        figure = Figure(figsize=FIGURE_SIZE, dpi=100)
        self.canvas = FrameCanvas(figure)
        self.manager = FigureManager(self.canvas, 0)
        self.canvas.header_visible = False
        self.canvas.footer_visible = False
        self.canvas.resizable = False
        self.canvas.toolbar_position = "top"
        self.panels: dict[str, NetworkPanel] = arrange(figure)
        """The panels by name (``slice_train``, ``slice_test``, ``shades``, ``curves``,
        ``line``), each owning its axes (``panel.ax``)."""

        self.controls: dict[str, widgets.Widget] = self._make_controls()
        """The ipywidgets controls by name (the names of `set`'s arguments)."""
        self.progress = widgets.IntProgress(
            value=0,
            min=0,
            max=100,
            description="",
            layout=widgets.Layout(width="260px", visibility="hidden"),
            style={"description_width": "initial"},
        )
        """The progress of a computation (training, then the slices) while it runs."""
        self.status = widgets.HTML(value="")
        self.readout = widgets.HTML(value="")
        self.widget = widgets.VBox(
            [
                self.canvas,
                self.progress,
                self._rows,
                self.status,
                self.readout,
            ],
            layout=widgets.Layout(width="100%", max_width=f"{FIGURE_SIZE[0] * 100 + 20:.0f}px"),
        )
        self.widget.add_class("lossviz-network-explorer")
        self._compute(self._state, threaded=False)

    # -- what was computed ---------------------------------------------------------------------
    @property
    def settings(self) -> dict[str, Any]:
        """Every setting as a dict (the arguments of `set`)."""
        return asdict(self._state)

    @property
    def network(self) -> MLP:
        """The network trained."""
        return self._require().trained.net

    @property
    def data(self) -> Dataset:
        """The data set, training and held-out splits."""
        return self._require().trained.data

    @property
    def training(self) -> Training:
        """The training path and the losses per step (`lossviz.networks.Training`)."""
        return self._require().trained.training

    @property
    def trained(self) -> Trained:
        """The network, data, optimizer, training and both loss functions."""
        return self._require().trained

    @property
    def plane(self) -> Plane:
        """The plane drawn, with the projected path and how much of the path it holds."""
        return self._require().plane

    @property
    def slices(self) -> Slices:
        """Both slices' grids and values, and their shared contour levels."""
        return self._require().slices

    @property
    def surface(self) -> Surface:
        """The training loss on the plane, as a `lossviz.Surface` (``descend`` works on it)."""
        return self._require().slices.surface

    @property
    def line(self) -> dict[str, np.ndarray]:
        """Training and held-out loss on the line from the first to the trained weights,
        at ``lossviz.widgets.network_state.LINE_ALPHAS``."""
        return self._require().line

    @property
    def figure(self) -> Figure:
        return self.canvas.figure

    @property
    def closed(self) -> bool:
        return self._closed

    def _require(self) -> NetworkView:
        if self._view is None:
            raise RuntimeError(f"nothing computed yet: {self.error or 'still computing'}")
        return self._view

    # -- changing it -----------------------------------------------------------------------------
    def set(self, **values: Any) -> None:
        """Set any settings (the constructor's arguments) and recompute what they change, now.

        Raises
        ------
        ValueError
            For an unknown setting or a value it does not allow; nothing changes then.
        """
        new = apply_changes(self._state, values)
        self._state = new
        self._show_on_controls(new)
        self._compute(new, threaded=False)

    def explorer(self, optimizers: Iterable[str] = ("gd", "momentum", "adam"), **options: Any):
        """The `Explorer` on the training-loss slice: run optimizers on the plane itself.

        Its map is the plane drawn here (coordinates ``a``, ``b``); every step
        evaluates the network's gradient projected on the plane. Keyword options go
        to `Explorer` (``steps`` defaults to 100, as each step is a network's gradient).
        """
        from lossviz.widgets.explorer import Explorer

        options.setdefault("steps", 100)
        return Explorer(self.surface, optimizers=tuple(optimizers), **options)

    def picture(self) -> bytes:
        """The figure as PNG bytes."""
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=100)
        return buffer.getvalue()

    def close(self) -> None:
        """Close every widget and let go of the figure."""
        if self._closed:
            return
        self._closed = True
        self._generation += 1
        self._background.close()
        for control in self.controls.values():
            control.unobserve_all()
        close_widgets(self.widget)
        self.figure.clear()
        self.canvas._last_buff = np.empty((0, 0), dtype=np.uint32)
        self.canvas.__dict__.pop("renderer", None)
        self._view = None
        from lossviz.widgets.explorer import _DisplayedIn

        _DisplayedIn.forget(self)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        from base64 import b64encode

        from lossviz.widgets.explorer import _DisplayedIn

        _DisplayedIn.claim(self)
        bundle = self.widget._repr_mimebundle_(**kwargs) or {}
        bundle["image/png"] = b64encode(self.picture()).decode("ascii")
        bundle["text/plain"] = repr(self)
        return bundle

    def __repr__(self) -> str:
        s = self._state
        return (
            f"NetworkExplorer({s.data!r}, width={s.width}, depth={s.depth}, "
            f"optimizer={s.optimizer!r}, plane={s.plane!r})"
        )

    # -- controls --------------------------------------------------------------------------------
    def _make_controls(self) -> dict[str, widgets.Widget]:
        s = self._state
        wide = {"description_width": "initial"}

        def box(width: str) -> widgets.Layout:
            return widgets.Layout(width=width)

        widths = sorted({*WIDTHS, s.width})
        # A Dropdown reads None as "nothing selected": the whole split is FULL_BATCH there.
        batches = [("full", FULL_BATCH), *((str(b), b) for b in BATCH_SIZES if b is not None)]
        if s.batch_size not in BATCH_SIZES:
            batches.append((str(s.batch_size), s.batch_size))
        controls: dict[str, widgets.Widget] = {
            "data": widgets.Dropdown(
                options=[(DATA_WORDS[k], k) for k in DATASETS], value=s.data,
                description="data", layout=box("190px"), style=wide,
            ),
            "width": widgets.Dropdown(
                options=widths, value=s.width, description="width",
                layout=box("120px"), style=wide,
            ),
            "depth": widgets.Dropdown(
                options=[1, 2, 3, 4], value=s.depth, description="hidden layers",
                layout=box("150px"), style=wide,
            ),
            "activation": widgets.Dropdown(
                options=["tanh", "relu"], value=s.activation, description="activation",
                layout=box("160px"), style=wide,
            ),
            "optimizer": widgets.Dropdown(
                options=first_order_optimizers(), value=s.optimizer,
                description="optimizer", layout=box("180px"), style=wide,
            ),
            "lr": widgets.FloatLogSlider(
                value=s.lr, base=10, min=-4, max=1, step=0.05, description="lr",
                readout_format=".2g", continuous_update=False, layout=box("280px"), style=wide,
            ),
            "steps": widgets.IntSlider(
                value=s.steps, min=10, max=MAX_STEPS, step=10, description="steps",
                continuous_update=False, layout=box("280px"), style=wide,
            ),
            "batch_size": widgets.Dropdown(
                options=batches, value=_shown("batch_size", s.batch_size), description="batch",
                layout=box("120px"), style=wide,
            ),
            "seed": widgets.BoundedIntText(
                value=s.seed, min=0, max=10**6, description="seed",
                layout=box("120px"), style=wide,
            ),
            "plane": widgets.ToggleButtons(
                options=[(words, k) for k, words in PLANES.items()], value=s.plane,
                description="plane", style={**wide, "button_width": "190px"},
            ),
            "span": widgets.FloatSlider(
                value=s.span, min=0.1, max=5.0, step=0.05, description="span",
                continuous_update=False, layout=box("250px"), style=wide,
            ),
            "resolution": widgets.IntSlider(
                value=s.resolution, min=11, max=81, step=2, description="resolution",
                continuous_update=False, layout=box("250px"), style=wide,
            ),
            "direction_seed": widgets.BoundedIntText(
                value=s.direction_seed, min=0, max=10**6, description="direction seed",
                layout=box("170px"), style=wide,
            ),
        }  # fmt: skip
        for name, control in controls.items():
            control.observe(self._observer(name), names="value")
        row = widgets.Layout(flex_flow="row wrap", align_items="center")
        self._rows = widgets.VBox(
            [
                widgets.HBox(
                    [controls[n] for n in ("data", "width", "depth", "activation")], layout=row
                ),
                widgets.HBox(
                    [controls[n] for n in ("optimizer", "lr", "steps", "batch_size", "seed")],
                    layout=row,
                ),
                widgets.HBox([controls["plane"]], layout=row),
                widgets.HBox(
                    [controls[n] for n in ("span", "resolution", "direction_seed")], layout=row
                ),
            ]
        )
        return controls

    def _observer(self, name: str) -> Callable[[dict], None]:
        @on_main_thread  # a subshell's thread may deliver it: see lossviz.widgets.main_thread
        def changed(change: dict) -> None:
            if self._syncing or self._closed:
                return
            value = change["new"]
            if name == "batch_size" and value == FULL_BATCH:
                value = None
            self._on_control(name, value)

        return changed

    def _on_control(self, name: str, value: Any) -> None:
        try:
            new = apply_changes(self._state, {name: value})
        except ValueError as exc:
            self._say_error(str(exc))
            self._show_on_controls(self._state)  # back to the value in use
            return
        self._state = new
        self._compute(new, threaded=None)

    def _show_on_controls(self, state: NetworkState) -> None:
        self._syncing += 1
        try:
            for f in fields(NetworkState):
                control = self.controls[f.name]
                value = _shown(f.name, getattr(state, f.name))
                if f.name in ("width", "batch_size") and value not in [
                    v if not isinstance(v, tuple) else v[1] for v in control.options
                ]:
                    option = value if f.name == "width" else (str(value), value)
                    control.options = [*control.options, option]
                if control.value != value:
                    control.value = value
        finally:
            self._syncing -= 1

    # -- computing and drawing ---------------------------------------------------------------------
    def _compute(self, state: NetworkState, threaded: bool | None) -> None:
        """Compute what ``state`` needs (reusing what an earlier state computed) and draw it.

        ``threaded`` None: in the background inside a kernel, at once elsewhere.
        """
        self._generation += 1
        generation = self._generation
        threaded = in_kernel() if threaded is None else threaded
        loop = (remember_main_loop() or running_loop()) if threaded else None
        old = self._view

        def report(what: str, done: int, total: int) -> None:
            if generation != self._generation:
                raise _Stale  # a newer setting: stop here
            if loop is None:
                self._show_progress(what, done, total)
            else:
                loop.call_soon_threadsafe(self._show_progress_if, generation, what, done, total)

        def stage() -> NetworkView:
            if old is not None and training_key(old.state) == training_key(state):
                trained = old.trained
            else:
                trained = train_network(state, lambda d, t: report("training", d, t))
            if old is not None and plane_key(old.state) == plane_key(state):
                plane = old.plane
            else:
                plane = choose_plane(state, trained)
            if old is not None and grid_key(old.state) == grid_key(state):
                slices = old.slices
            else:
                slices = slice_grids(state, trained, plane, lambda d, t: report("slicing", d, t))
            line = old.line if old is not None and old.trained is trained else line_losses(trained)
            return NetworkView(state, trained, plane, slices, line)

        def on_result(view: NetworkView, i: int, n: int) -> None:
            if generation == self._generation and not self._closed:
                self._draw(view)

        def on_progress(line: str) -> None:
            if line.startswith("computing") or not line:
                return
            if generation == self._generation:
                self._hide_progress()
                self._say_error(line)

        if loop is None:
            try:
                view = stage()
            except _Stale:
                return
            except Exception as exc:  # noqa: BLE001 - shown, and raised from `set`
                self._say_error(f"{type(exc).__name__}: {exc}")
                self._hide_progress()
                raise
            self._draw(view)
            return
        self._background.threaded = True
        self._background.submit("network", [stage], on_result, on_progress, "network")

    def _show_progress_if(self, generation: int, what: str, done: int, total: int) -> None:
        if generation == self._generation and not self._closed:
            self._show_progress(what, done, total)

    def _show_progress(self, what: str, done: int, total: int) -> None:
        self.progress.description = f"{what} {done}/{total}"
        self.progress.value = int(round(100 * done / max(total, 1)))
        self.progress.layout.visibility = "visible"

    def _hide_progress(self) -> None:
        self.progress.layout.visibility = "hidden"
        self.progress.value = 0

    def _say_error(self, message: str) -> None:
        self.error = message
        self.status.value = (
            f'<div style="color:#b00020;font-size:13px">⚠ {html.escape(message)}</div>'
        )

    def _draw(self, view: NetworkView) -> None:
        self._view = view
        self.error = None
        self.status.value = ""
        self._hide_progress()
        for panel in self.panels.values():
            panel.draw(view)
        self.figure.suptitle(plane_title(view), fontsize=9.5, y=0.985)
        self.readout.value = readout_html(view)
        self.canvas.draw_idle()


def readout_html(view: NetworkView) -> str:
    """The facts under the figure: the network, the data, final losses, the gap, the plane."""
    trained, s = view.trained, view.state
    t = trained.training
    net, data = trained.net, trained.data
    sizes = "-".join(str(k) for k in net.sizes)
    batch = "the whole training split" if s.batch_size is None else f"batches of {s.batch_size}"
    rows = [
        f"<b>network</b> {sizes} {net.activation}, {net.n_params:,} parameters; "
        f"<b>data</b> {DATA_WORDS[s.data]}, {len(data.y_train)} training and "
        f"{len(data.y_test)} held-out points",
        f"<b>training</b> {s.optimizer}, lr {s.lr:.3g}, {s.steps} steps on {batch}",
    ]
    diverged = trained.diverged_step
    if diverged is not None:
        rows.append(
            f'<b style="color:#D55E00">⚠ training diverged at step {diverged}</b>: the plane '
            f"goes through the last finite weights (step {max(diverged - 1, 0)})"
        )
    end = len(trained.path) - 1
    final = (
        f"<b>final loss</b> training {t.train_loss[end]:.4g}, held-out {t.test_loss[end]:.4g} "
        f"(gap {t.test_loss[end] - t.train_loss[end]:+.3g})"
    )
    if t.train_accuracy is not None:
        final += (
            f"; <b>accuracy</b> training {t.train_accuracy[end]:.1%}, "
            f"held-out {t.test_accuracy[end]:.1%}"
        )
    rows.append(final)
    plane = view.plane
    (a0, a1), (b0, b1) = plane.bounds
    rows.append(
        f"<b>plane</b> {PLANES[plane.kind]} through the trained weights; a in [{a0:.3g}, {a1:.3g}],"
        f" b in [{b0:.3g}, {b1:.3g}], {s.resolution} x {s.resolution} networks per map; "
        f"it holds {plane.in_plane:.1%} of the path's movement"
    )
    body = "".join(f"<div>{r}</div>" for r in rows)
    return f'<div style="font-size:12.5px;line-height:1.5">{body}</div>'


__all__ = ["NetworkExplorer", "readout_html"]
