"""What a panel is: an axes, the artists on it, and the state it depends on.

A panel draws its static part (axes, ticks, contours, data) in `Panel.build`
and moves its animated artists in `Panel.update`, once per frame. The frame
loop (`lossviz.widgets.frames`) caches every static part as one background
and, for each frame, draws only the animated artists over it (blitting);
a panel whose static part changed is redrawn alone when it can be
(`Panel.redraw_alone`), the whole figure otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes

from lossviz.engine import Run
from lossviz.surfaces.base import Surface
from lossviz.widgets.state import ExplorerState


@dataclass(frozen=True)
class Frame:
    """Everything a panel may draw from: the state, its surface and run, and derived data.

    Attributes
    ----------
    state
        The state drawn.
    surface
        The surface of ``state``.
    run
        `lossviz.descend`'s result for ``state`` (reused when only the view changed).
    colors
        One colour per optimizer label, in ``run.labels`` order.
    schedule
        The schedule's factor ``lr(t) / lr`` at steps 0 .. steps - 1, shape (steps,).
    shown
        The names of the controls on show.
    cloud
        With noisy gradients, the runs of the other seeds drawn beside ``run``.
    outcomes
        The maps computed in the background for this state, by name (``"basins"``,
        ``"stability_map"``): the newest finished one of each.
    """

    state: ExplorerState
    surface: Surface
    run: Run
    colors: list[str]
    schedule: np.ndarray
    shown: frozenset[str]
    cloud: tuple[Run, ...] = ()
    outcomes: Mapping[str, Any] = field(default_factory=dict)


class Layer:
    """Artists drawn on another panel's axes, with no axes of their own."""

    depends_on: frozenset[str] = frozenset()
    """State fields whose change rebuilds the layer (`build`)."""
    static_changed: bool = False
    """Set by `build` when it changed static artists on the panel's axes: the panel is
    then drawn again."""
    overlay: bool = False
    """Whether its animated artists are drawn over all the others, from a cache of them,
    so that a frame changing only `overlay_fields` redraws the overlay alone."""
    overlay_fields: frozenset[str] = frozenset()
    """State fields whose change moves only overlay artists."""

    def build(self, ax: Axes, frame: Frame) -> None:
        """Make the layer's artists on ``ax``."""

    def update(self, frame: Frame) -> None:
        """Set the animated artists' data from ``frame``."""

    def artists(self) -> list[Artist]:
        """The animated artists, drawn over the background every frame."""
        return []

    def figure_artists(self) -> list[Artist]:
        """Static artists the layer put on the figure outside any axes (a legend): when
        only the layer is rebuilt, these are redrawn alone, not the panel."""
        return []

    def remove(self) -> None:
        """Remove every artist the layer made."""


class Panel:
    """One axes of the Explorer's figure.

    Subclasses set ``name`` and ``depends_on`` and implement `build`,
    `update` and `artists`; `wanted` says whether the panel shows at all.
    """

    name: str = "panel"
    depends_on: frozenset[str] = frozenset()
    """State fields whose change rebuilds the static part (`build`)."""
    animated_depends_on: frozenset[str] = frozenset()
    """State fields whose change remakes only the animated artists (`rebuild_animated`):
    nothing static is redrawn for them."""
    redraw_alone: bool = True
    """Whether its static part may be redrawn without the rest of the figure."""

    def __init__(self, layers: Iterable[Layer] = ()) -> None:
        self.ax: Axes | None = None
        self.layers: list[Layer] = list(layers)

    def wanted(self, frame: Frame) -> bool:
        """Whether the panel shows for ``frame``."""
        return True

    def build(self, frame: Frame) -> None:
        """(Re)draw the static part on ``self.ax`` and make the animated artists."""

    def rebuild_animated(self, frame: Frame) -> None:
        """Remake the animated artists (one per run) for new optimizers."""

    def update(self, frame: Frame) -> bool:
        """Set the animated artists' data; True when the static part must be redrawn
        too (an axis that had to rescale)."""
        return False

    def artists(self) -> list[Artist]:
        """The panel's own animated artists."""
        return []

    def all_artists(self) -> list[Artist]:
        """Its animated artists and its layers', in drawing order."""
        return [*self.artists(), *(a for layer in self.layers for a in layer.artists())]

    def remove(self) -> None:
        """Remove every artist the panel and its layers made."""
        for layer in self.layers:
            layer.remove()
