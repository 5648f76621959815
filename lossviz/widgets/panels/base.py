"""What a panel is: an axes, the artists on it, and the state it depends on.

A panel draws its static part (axes, ticks, contours, data) in `Panel.build`
and moves its animated artists in `Panel.update`, once per frame. The frame
loop (`lossviz.widgets.frames`) caches every static part as one background
and, for each frame, draws only the animated artists over it (blitting);
a panel whose static part changed is redrawn alone when it can be
(`Panel.redraw_alone`), the whole figure otherwise.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
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


class KeptArtists:
    """Artists made once per key and kept on the figure, hidden while unused.

    A tag added back shows the artists made for it before rather than new ones: making
    a line costs about half a millisecond, a legend several, and a student toggles the
    same few tags. What a key keeps may be any object; ``artists_of(value)`` lists its
    artists (by default the value is a tuple of artists). `take` hides those of every
    key it was not asked for. At most ``size`` keys are kept (never fewer than are taken
    at once): beyond that the least recently taken are removed from the figure.
    """

    def __init__(
        self, size: int = 12, artists_of: Callable[[Any], Iterable[Artist]] = tuple
    ) -> None:
        self.size = size
        self.artists_of = artists_of
        self._kept: OrderedDict[Hashable, Any] = OrderedDict()

    def take(self, keys: Sequence[Hashable], make: Callable[[Hashable], Any]) -> list[Any]:
        """What each key keeps, in order: the kept value where its artists are still on
        the figure, else ``make(key)``. Hides every other key's artists; the visibility of
        those taken is left as it was (a hidden one taken again must be shown)."""
        wanted = set(keys)
        for key, value in self._kept.items():
            if key not in wanted:
                for artist in self.artists_of(value):
                    artist.set_visible(False)
        taken = []
        for key in keys:
            value = self._kept.get(key)
            if value is None or any(a.figure is None for a in self.artists_of(value)):
                value = make(key)  # first time, or gone with its axes (cla)
            self.keep(key, value)
            taken.append(value)
        while len(self._kept) > max(self.size, len(wanted)):
            _, value = self._kept.popitem(last=False)
            _remove(self.artists_of(value))
        return taken

    def keep(self, key: Hashable, value: Any) -> None:
        """Keep ``value`` (made elsewhere) for ``key``, as the most recently taken."""
        self._kept[key] = value
        self._kept.move_to_end(key)

    def clear(self) -> None:
        """Remove every kept artist from the figure."""
        for value in self._kept.values():
            _remove(self.artists_of(value))
        self._kept.clear()

    def __len__(self) -> int:
        return len(self._kept)


def _remove(artists: Iterable[Artist]) -> None:
    for artist in artists:
        if artist.figure is not None:  # not already gone with its axes
            artist.remove()


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

    def kept_on_update(self) -> tuple[list[Artist], list[Artist]]:
        """``(kept, moving)``: static artists outside the axes that `update` never changes
        (an x axis's labels and the title, when only the y-limits follow the runs), and the
        ones it may move (the y axis's labels). When only `update` asked for a redraw, the
        frame loop keeps the kept artists' pixels instead of drawing them again, provided
        no moving artist, before or after, comes near them. ``([], [])`` by default."""
        return [], []

    def static_signature(self) -> Hashable | None:
        """What the static part shows, where a few values tell it, else None (the default).
        Equal signatures must draw equal pixels: the frame loop keeps the pixels of a
        panel it redrew alone under its signature, and copies them when the panel comes
        back to it (a tag added and removed again: the loss axis rescales and back)."""
        return None

    def all_artists(self) -> list[Artist]:
        """Its animated artists and its layers', in drawing order."""
        return [*self.artists(), *(a for layer in self.layers for a in layer.artists())]

    def remove(self) -> None:
        """Remove every artist the panel and its layers made."""
        for layer in self.layers:
            layer.remove()
