"""Inside one step: markers, arrows and the local curvature on the map, a line on the loss.

Both layers show only while a control that looks inside a step is on show
(`lossviz.widgets.control_table.INSPECT_CONTROLS`); moving the step redraws
them without a new `descend`.
"""

from __future__ import annotations

from matplotlib.artist import Artist
from matplotlib.lines import Line2D

from lossviz.curvature import LocalQuadratic, local_quadratic
from lossviz.views.step import StepArtists, arrow_references, draw_step, step_note, update_step
from lossviz.widgets.control_table import INSPECT_CONTROLS
from lossviz.widgets.panels.base import Frame, KeptArtists, Layer
from lossviz.widgets.state import ALL


def inspecting(frame: Frame) -> bool:
    """Whether the frame looks inside a step (a step control is on show)."""
    return bool(frame.shown & INSPECT_CONTROLS)


def curvature_run(frame: Frame) -> int:
    """The run whose point carries the curvature glyph: the tuned optimizer's, or the
    first optimizer's when the sliders tune all."""
    labels = list(frame.run.labels)
    tune = frame.state.tune
    return labels.index(tune) * len(frame.run.starts) if tune != ALL and tune in labels else 0


class StepLayer(Layer):
    """Every run's position at the step, the arrows chosen, and the curvature glyph."""

    depends_on = frozenset({"optimizers", "arrows", "curvature"})
    overlay = True  # scrubbing the step redraws these over the paths, not the paths
    overlay_fields = frozenset({"step"})

    def __init__(self) -> None:
        self.step: StepArtists | None = None
        self.model: LocalQuadratic | None = None
        """The local quadratic model drawn last (None when the glyph is off)."""
        self._references: tuple[int, dict[str, float]] | None = None
        self._note = ""
        self._ax = None
        # The artists of each set of run colours, kept while hidden: a tag added back
        # finds its markers made, and any arrows it showed (a quiver costs a few ms).
        self._kept = KeptArtists(size=4, artists_of=lambda step: [*step.artists, *step.static])

    def build(self, ax, frame: Frame) -> None:
        before = self._note
        self._references = None
        self._ax = ax
        note = ""
        # Which controls show is fixed when the Explorer is made: one that shows no step
        # control never draws these, and does not make them on every change of optimizers.
        if inspecting(frame):
            (self.step,) = self._kept.take(
                [(ax, tuple(frame.colors))],
                lambda key: draw_step(ax, list(key[1]), animated=True),
            )
            note = step_note(frame.state.arrows, frame.state.curvature)
            self.step.note.set_text(note)
            self.step.note.set_visible(bool(note))
        else:
            self._kept.take([], lambda key: None)  # hides every kept one
            self.step = None
        # The key is drawn with the background: a new one needs the map drawn again.
        self.static_changed = note != before
        self._note = note

    def update(self, frame: Frame) -> None:
        on = inspecting(frame)
        if not on:
            if self.step is not None:
                for artist in self.step.artists:
                    artist.set_visible(False)
            self.model = None
            return
        if self.step is None:
            self.build(self._ax, frame)
        self.step.markers.set_visible(True)
        run, state = frame.run, frame.state
        step = min(state.step, run.steps)
        arrows = state.arrows if run.grad is not None else ()
        if arrows and (self._references is None or self._references[0] != id(run)):
            self._references = (id(run), arrow_references(run))
        self.model = None
        if state.curvature:
            point = run.path[curvature_run(frame), step]
            if (point == point).all():  # not NaN: the run had not diverged yet
                self.model = local_quadratic(frame.surface, point)
        update_step(
            self.step,
            run,
            step,
            arrows=arrows,
            curvature=self.model,
            references=self._references[1] if arrows else None,
        )

    def artists(self) -> list[Artist]:
        return self.step.artists if self.step is not None else []

    def remove(self) -> None:
        self._kept.clear()
        self.step = None
        self._references = None


class StepLineLayer(Layer):
    """A vertical line on the loss panel at the step shown on the map."""

    overlay = True
    overlay_fields = frozenset({"step"})

    def __init__(self) -> None:
        self.line: Line2D | None = None

    def build(self, ax, frame: Frame) -> None:
        self.remove()
        self.line = ax.axvline(
            0, color="black", linewidth=1.0, linestyle=(0, (3, 2)), animated=True, zorder=4
        )

    def update(self, frame: Frame) -> None:
        self.line.set_visible(inspecting(frame))
        step = min(frame.state.step, frame.run.steps)
        self.line.set_xdata([step, step])

    def artists(self) -> list[Artist]:
        return [self.line] if self.line is not None else []

    def remove(self) -> None:
        if self.line is not None:
            if self.line.axes is not None and self.line in self.line.axes.lines:
                self.line.remove()  # not when the panel cleared its axes already
            self.line = None
