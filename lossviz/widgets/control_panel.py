"""The Explorer's controls: ipywidgets built from `CONTROLS`, laid out in three columns.

The control panel is the only code that writes widget values: `ControlPanel.show`
writes what a state shows (`lossviz.widgets.state.control_views`) inside
`quiet`, so the writes do not come back as changes. A student's change
goes out through ``on_change(name, value)`` with the value in the state's
terms (``batch_size`` None for the full set, optimizers as a tuple).
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from typing import Any

import ipywidgets as widgets

from lossviz.widgets.control_table import CONTROLS, ControlSpec, SliderGrid
from lossviz.widgets.main_thread import on_main_thread
from lossviz.widgets.state import ControlView

_STYLE = {"description_width": "initial"}
_NOTHING = object()
_SLIDERS = ("float", "log", "int")


def make_control(spec: ControlSpec) -> widgets.Widget:
    """The ipywidget for one control of the table."""
    common = {"description": spec.label, "style": _STYLE}
    if spec.kind == "choice":
        return widgets.Dropdown(options=[], **common)
    if spec.kind == "tags":
        return widgets.TagsInput(value=[], allowed_tags=[], allow_duplicates=False)
    if spec.kind == "button":
        return widgets.Button(description=spec.label, icon="undo", tooltip=spec.tooltip)
    if spec.kind == "play":
        # Steps the slider it is linked to in the browser (`ControlPanel`), 20 steps a second.
        return widgets.Play(
            value=0, min=0, max=int(spec.high), step=1, interval=50, show_repeat=False,
            description=spec.label, tooltip=spec.tooltip,
        )  # fmt: skip
    if spec.kind == "text":
        placeholder = "x**2 + 3*sin(y)" if spec.name == "expression" else "xmin, xmax, ymin, ymax"
        return widgets.Text(
            value="", placeholder=placeholder, continuous_update=False, tooltip=spec.tooltip,
            **common,
        )  # fmt: skip
    if spec.kind == "check":
        return widgets.Checkbox(
            value=False, description=spec.label, indent=False, tooltip=spec.tooltip
        )
    slider = {"continuous_update": True, "readout_format": spec.readout or ".3g", **common}
    if spec.kind == "log":
        return widgets.FloatLogSlider(
            value=spec.low,
            base=10,
            min=math.log10(spec.low),
            max=math.log10(spec.high),
            step=spec.step,
            **slider,
        )
    if spec.kind == "int":
        slider.pop("readout_format")
        return widgets.IntSlider(
            value=int(spec.low), min=int(spec.low), max=int(spec.high), step=1, **slider
        )
    return widgets.FloatSlider(
        value=spec.low, min=spec.low, max=spec.high, step=spec.step, **slider
    )


def close_widgets(widget: widgets.Widget) -> None:
    """Close ``widget`` and every widget it holds (children, layout, style, toolbar)."""
    stack, seen = [widget], set()
    while stack:
        w = stack.pop()
        if id(w) in seen:
            continue
        seen.add(id(w))
        for name in getattr(w, "keys", ()):
            try:
                value = getattr(w, name)
            except Exception:  # noqa: BLE001 - a trait that cannot be read holds no widget
                continue
            items = value if isinstance(value, list | tuple) else (value,)
            stack.extend(item for item in items if isinstance(item, widgets.Widget))
        w.close()


class ControlPanel:
    """Every control of the table, in three columns (what is raced, its hyperparameters,
    and the rest: schedule, noise, mini-batch, loss axis, reset) and, under them, the row
    that looks inside one step (play, step, arrows, curvature).

    The play button and the step slider are linked in the browser (``jslink``): playing
    moves the slider there, and only the slider's moves reach the kernel as changes.
    """

    def __init__(self, on_change: Callable[[str, Any], None], on_reset: Callable[[], None]) -> None:
        self.on_change = on_change
        self.controls: dict[str, widgets.Widget] = {
            name: make_control(spec) for name, spec in CONTROLS.items()
        }
        self._quiet = 0
        self._views: dict[str, ControlView] = {}
        self._shown: set[str] | None = None
        self._written: dict[str, Any] = {}
        # A kernel subshell's thread may deliver the browser's changes: they are handled on
        # the main thread, in order (lossviz.widgets.main_thread).
        changed, reset = on_main_thread(self._changed), on_main_thread(on_reset)
        for name, control in self.controls.items():
            if isinstance(control, widgets.Button):
                control.on_click(lambda _button: reset())
            elif isinstance(control, widgets.Play):
                pass  # its moves arrive as the linked step slider's
            else:
                control.observe(
                    lambda change, name=name: changed(name, change["new"]), names="value"
                )
            control.layout.width = "auto" if name in ("reset", "optimizers") else "100%"
        self._links = [
            # The slider first: a link copies its first widget's value to the second when the
            # browser makes it, and the step shown must stay as set, not jump to play's 0.
            # (Their maxima are both written from the state: a link on max lost the slider's.)
            widgets.jslink((self.controls["step"], "value"), (self.controls["play"], "value")),
        ]
        inspect = [name for name, spec in CONTROLS.items() if spec.column == "inspect"]
        for name in inspect:
            self.controls[name].layout.width = "55%" if name == "step" else "auto"
            self.controls[name].layout.margin = "0 14px 0 0"
        self.controls["arrows"].placeholder = "+ gradient, update, velocity"
        self.arrows_row = widgets.HBox(
            [widgets.Label("arrows", layout=widgets.Layout(min_width="48px")),
             self.controls["arrows"]]
        )  # fmt: skip
        # Two rows: the step and what is drawn at it; then the views that can be switched on.
        stepping = ("play", "step", "arrows")
        self.inspect_rows = [
            widgets.HBox(
                [
                    self.arrows_row if n == "arrows" else self.controls[n]
                    for n in inspect
                    if (n in stepping) == first
                ],
                layout=widgets.Layout(align_items="center"),
            )  # fmt: skip
            for first in (True, False)
        ]
        self.optimizers_row = widgets.HBox(
            [
                widgets.Label("optimizers", layout=widgets.Layout(min_width="80px")),
                self.controls["optimizers"],
            ]
        )
        self.messages = {"expression": widgets.HTML(value="")}
        """Messages shown beside a control (a refused expression's, under its box)."""

        def placed(name: str) -> list[widgets.Widget]:
            if name == "optimizers":
                return [self.optimizers_row]
            if name == "expression_bounds":
                return [self.controls[name], self.messages["expression"]]
            return [self.controls[name]]

        self.columns = {
            column: widgets.VBox(
                [
                    widget
                    for name in self.controls
                    if CONTROLS[name].column == column
                    for widget in placed(name)
                ],
                layout=widgets.Layout(width="33%", padding="0 8px 0 0"),
            )
            for column in ("what", "hyper", "more")
        }
        self.box = widgets.VBox([widgets.HBox(list(self.columns.values())), *self.inspect_rows])

    @contextmanager
    def quiet(self):
        """Writes inside do not come back as changes."""
        self._quiet += 1
        try:
            yield
        finally:
            self._quiet -= 1

    def _changed(self, name: str, value: Any) -> None:
        if self._quiet:
            return
        written = self._written.pop(name, _NOTHING)
        if written is not _NOTHING and self._same_position(name, value, written):
            # The browser's slider snapped a value the kernel wrote to its own step and sent
            # it back: not a student's move (it would, say, set every rate to one value).
            return
        grid = self.grid(name)
        if grid is not None:
            # A browser's value for a position may differ from Python's in the last bit:
            # the state gets one value per position (so a drag's prefetched runs match).
            value = grid.snap(value)
        if name == "batch_size":
            value = value or None  # the slider's 0 is the full training set
        elif CONTROLS[name].kind == "tags":
            value = tuple(value)
        self.on_change(name, value)

    def grid(self, name: str) -> SliderGrid | None:
        """The positions of control ``name`` as it is now, if it is a float slider."""
        control = self.controls.get(name)
        if isinstance(control, widgets.FloatLogSlider) and control.base == 10:
            return SliderGrid(True, control.min, control.max, control.step)
        if isinstance(control, widgets.FloatSlider) and control.step:
            return SliderGrid(False, control.min, control.max, control.step)
        return None

    def _same_position(self, name: str, value: Any, written: Any) -> bool:
        """Whether ``value`` is ``written`` as the slider can show it (within half a step)."""
        control, spec = self.controls[name], CONTROLS[name]
        if spec.kind == "log":
            if value <= 0 or written <= 0:
                return False
            return abs(math.log10(value) - math.log10(written)) <= control.step / 2 + 1e-12
        if spec.kind == "float":
            return abs(value - written) <= control.step / 2 + 1e-12
        return value == written

    def show(
        self, views: dict[str, ControlView], shown: Iterable[str], force: bool = False
    ) -> None:
        """Write what each control shows, and show only the controls named in ``shown``.

        Only what changed since the last call is written (a drag moves one slider), and
        hidden sliders wait until they show, unless ``force``: then every control is put
        back to its view (after a refused change, the widget a student moved shows the
        state again).
        """
        shown = set(shown)
        with self.quiet():
            for name, view in views.items():
                # A hidden slider's value waits until it shows: a browser may snap a value
                # written to it and send it back (see `_changed`).
                wait = not force and name not in shown and CONTROLS[name].kind in _SLIDERS
                if force and CONTROLS[name].kind == "text":
                    continue  # a refused text stays in its box, for the student to correct
                if wait:
                    self._views.pop(name, None)
                    continue
                if not force and self._views.get(name) == view:
                    continue
                control = self.controls[name]
                if view.options is not None:
                    key = "allowed_tags" if CONTROLS[name].kind == "tags" else "options"
                    if tuple(getattr(control, key)) != tuple(view.options):
                        setattr(control, key, list(view.options))
                if view.high is not None and control.max != view.high:
                    control.max = view.high
                    if isinstance(control, widgets.FloatSlider):
                        control.step = view.high / 100
                if view.value is not None and not _same_value(control.value, view.value):
                    control.value = view.value
                    self._written[name] = control.value
                if hasattr(control, "disabled"):
                    control.disabled = view.disabled
                self._views[name] = view
            if shown != self._shown or force:
                for name, control in self.controls.items():
                    control.layout.display = None if name in shown else "none"
                self.optimizers_row.layout.display = self.controls["optimizers"].layout.display
                self.arrows_row.layout.display = self.controls["arrows"].layout.display
                self.messages["expression"].layout.display = self.controls[
                    "expression"
                ].layout.display
                for column in [*self.columns.values(), *self.inspect_rows]:
                    visible = any(w.layout.display != "none" for w in column.children)
                    column.layout.display = None if visible else "none"
                self._shown = shown

    def show_message(self, name: str, message: str) -> None:
        """Show ``message`` beside control ``name`` (an empty one clears it)."""
        box = self.messages.get(name)
        if box is not None:
            box.value = (
                f'<div style="color:#D55E00;font-size:12px;white-space:normal">'
                f"{html.escape(message)}</div>"
                if message
                else ""
            )

    def close(self) -> None:
        for link in self._links:
            link.close()
        close_widgets(self.box)  # every control sits in one of its columns or the row


def _same_value(shown: Any, value: Any) -> bool:
    """Whether a control showing ``shown`` already shows ``value``: equal, or for floats
    equal up to the last bits (a browser's value for a slider position, and the state's
    value for it; writing it back would send a message for nothing)."""
    if isinstance(shown, float) and isinstance(value, float):
        return math.isclose(shown, value, rel_tol=1e-12)
    return shown == value
