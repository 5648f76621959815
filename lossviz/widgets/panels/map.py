"""The contour map of the surface, with every optimizer's path drawn on it as a layer."""

from __future__ import annotations

import numpy as np
from matplotlib.artist import Artist
from matplotlib.legend import Legend
from matplotlib.lines import Line2D

from lossviz.views import SurfaceArtists, draw_surface, update_paths
from lossviz.views.paths import PathArtists, draw_path, draw_starts
from lossviz.views.tiled_legend import figure_legend
from lossviz.widgets.panels.base import Frame, KeptArtists, Layer, Panel


class MapPanel(Panel):
    """Filled contours, contour lines and the known minima (static), and its layers."""

    name = "map"
    depends_on = frozenset({"surface", "surface_params"})
    redraw_alone = False  # the legend above it belongs to the figure

    def __init__(self, layers=()) -> None:
        super().__init__(layers)
        self.surface_artists: SurfaceArtists | None = None

    def wanted(self, frame: Frame) -> bool:
        return not (frame.state.view3d and "view3d" in frame.shown)  # the 3-D view instead

    def build(self, frame: Frame) -> None:
        if self.surface_artists is not None:
            self.surface_artists.remove()
        self.surface_artists = draw_surface(self.ax, frame.surface)
        self.ax.set_title(frame.surface.name.replace("_", " "), fontsize=11)

    def reset_view(self, frame: Frame) -> None:
        """Back to the surface's bounds after a zoom or pan."""
        (xmin, xmax), (ymin, ymax) = frame.surface.bounds
        self.ax.set_xlim(xmin, xmax)
        self.ax.set_ylim(ymin, ymax)

    def remove(self) -> None:
        super().remove()
        if self.surface_artists is not None:
            self.surface_artists.remove()
            self.surface_artists = None


class PathsLayer(Layer):
    """Each run's path, its end (a cross where it diverged) and the start, and the legend.

    The artists of each (optimizer, colour) and the legend of each selection are kept
    while hidden (`KeptArtists`): a tag removed and added again shows them at once.
    """

    depends_on = frozenset({"optimizers"})

    def __init__(self) -> None:
        self.paths: PathArtists | None = None
        self.legend: Legend | None = None
        self._paths = KeptArtists()
        self._legends = KeptArtists(size=8)
        self._start: Line2D | None = None

    def build(self, ax, frame: Frame) -> None:
        labels, colors = list(frame.run.labels), list(frame.colors)
        pairs = self._paths.take(
            [(ax, label, color) for label, color in zip(labels, colors, strict=True)],
            lambda key: draw_path(ax, key[1], key[2], animated=True),
        )
        for artist in (a for pair in pairs for a in pair):
            artist.set_visible(True)
        if self._start is None or self._start.axes is not ax:
            self._start = draw_starts(ax, np.empty((0, 2)), animated=True)
        self.paths = PathArtists([p[0] for p in pairs], [p[1] for p in pairs], self._start, colors)
        (self.legend,) = self._legends.take(
            [(ax, tuple(labels), tuple(colors))],
            lambda key: (self._make_legend(ax, labels),),
        )[0]
        self.legend.set_visible(True)

    def _make_legend(self, ax, labels: list[str]) -> Legend:
        minimum = Line2D(
            [],
            [],
            linestyle="none",
            marker="*",
            markersize=13,
            markerfacecolor="white",
            markeredgecolor="black",
            markeredgewidth=0.8,
        )
        handles = [*self.paths.lines, self.paths.start, minimum]
        # Top left, in two rows at most (a taller legend would reach the map's title), and
        # clear of the canvas toolbar at the top right: five columns at most.
        # Drawn from kept pictures of its entries: a tag added draws one entry, not seven.
        return figure_legend(
            ax.figure,
            handles,
            [*labels, "start", "known minimum"],
            loc="upper left",
            ncol=len(handles) if len(handles) <= 4 else min(5, -(-len(handles) // 2)),
            frameon=False,
            fontsize=9.5,
            bbox_to_anchor=(0.005, 1.0),
            handlelength=1.6,
            columnspacing=1.2,
            borderaxespad=0.2,
        )

    def update(self, frame: Frame) -> None:
        update_paths(self.paths, frame.run)

    def figure_artists(self) -> list[Artist]:
        return [self.legend] if self.legend is not None else []

    def artists(self) -> list[Artist]:
        return self.paths.artists if self.paths is not None else []

    def remove(self) -> None:
        self._paths.clear()
        self._legends.clear()
        if self._start is not None and self._start.figure is not None:
            self._start.remove()
        self._start = None
        self.paths = None
        self.legend = None
