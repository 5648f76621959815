"""A legend drawn from pictures of its entries, each rendered once per process.

matplotlib lays out and rasterises every text of a legend at every draw: for the
Explorer's seven-entry legend about 15 ms, most of the time an optimizer tag takes to add.
A `TiledLegend` is a `matplotlib.legend.Legend` (its texts, handles and options are
matplotlib's) whose `draw` instead pastes a picture of each entry, its handle and label,
rendered by matplotlib once as a one-entry legend and kept (`entry_picture`), into the
same grid matplotlib would use: ``ncol`` columns filled top to bottom, the first columns
taking the extra entries, ``labelspacing`` between rows and ``columnspacing`` between
columns (both times the font size), ``borderpad`` around, placed at ``loc`` against
``bbox_to_anchor`` with ``borderaxespad``. A tag added to the Explorer then draws one new
entry's picture (about 3 ms) and pastes the others' (a fraction of a millisecond each).

What it cannot paste, it leaves to matplotlib (`Legend.draw`): a frame, a title, a
``best`` location, handles other than lines, or entries written right to left.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

import matplotlib as mpl
import numpy as np
from matplotlib import artist as martist
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.transforms import Bbox, IdentityTransform

ENTRY_OPTIONS = (
    "fontsize",
    "handlelength",
    "handleheight",
    "handletextpad",
    "markerscale",
    "numpoints",
    "labelcolor",
)
"""Legend options that change how one entry looks: passed on to the one-entry legend."""

PICTURES_KEPT = 256
"""Entry pictures kept in the process (each a few kB; the oldest unused go first)."""

MARGIN = 6
"""Points kept around an entry's box in its picture, besides its marker's size: a marker
or a glyph may reach past the box."""

# The (x, y) fractions of the free space before the box, by matplotlib's location code.
_ANCHORS = {
    1: (1.0, 1.0),  # upper right
    2: (0.0, 1.0),  # upper left
    3: (0.0, 0.0),  # lower left
    4: (1.0, 0.0),  # lower right
    5: (1.0, 0.5),  # right
    6: (0.0, 0.5),  # center left
    7: (1.0, 0.5),  # center right
    8: (0.5, 0.0),  # lower center
    9: (0.5, 1.0),  # upper center
    10: (0.5, 0.5),  # center
}


@dataclass(frozen=True)
class EntryPicture:
    """One legend entry rendered alone.

    ``pixels``: (rows, columns, 4) uint8 RGBA, transparent where nothing was drawn, bottom
    row first. ``box``: the entry's box (handle and label, as the legend lays it out) in the
    picture's pixels, ``(x0, y0, width, height)`` from its bottom-left corner.
    """

    pixels: np.ndarray
    box: tuple[float, float, float, float]


_pictures: OrderedDict[tuple, EntryPicture] = OrderedDict()
_scratch: dict[float, Figure] = {}


def _line_key(handle: Line2D) -> tuple:
    """What a line handle's entry looks like: its style, not its data."""
    return (
        to_rgba(handle.get_color(), handle.get_alpha()),
        handle.get_linestyle(),
        handle.get_linewidth(),
        handle.get_drawstyle(),
        str(handle.get_marker()),
        handle.get_markersize(),
        to_rgba(handle.get_markerfacecolor()),
        to_rgba(handle.get_markeredgecolor()),
        handle.get_markeredgewidth(),
        handle.get_fillstyle(),
    )


def entry_picture(handle: Line2D, label: str, dpi: float, options: dict) -> EntryPicture:
    """The picture of a one-entry legend of ``handle`` and ``label`` at ``dpi`` with the
    entry ``options`` (`ENTRY_OPTIONS`), no frame and no padding; kept for the next call
    with the same style, label, resolution and options."""
    key = (_line_key(handle), label, dpi, tuple(sorted(options.items(), key=lambda kv: kv[0])))
    picture = _pictures.get(key)
    if picture is not None:
        _pictures.move_to_end(key)
        return picture
    figure = _scratch.get(dpi)
    if figure is None:
        figure = Figure(figsize=(1, 1), dpi=dpi, facecolor="none")
        FigureCanvasAgg(figure)
        _scratch[dpi] = figure
    # Room for the marker (centred in the box, it reaches at most its size past it).
    scale = options.get("markerscale")
    scale = mpl.rcParams["legend.markerscale"] if scale is None else scale
    margin = math.ceil(
        (MARGIN + handle.get_markersize() * scale + handle.get_linewidth()) * dpi / 72
    )
    legend = Legend(
        figure,
        [handle],
        [label],
        loc="lower left",
        bbox_to_anchor=(margin, margin),
        bbox_transform=IdentityTransform(),
        frameon=False,
        borderpad=0,
        borderaxespad=0,
        **options,
    )
    renderer = figure.canvas.get_renderer()
    box = legend.get_window_extent(renderer)
    width = math.ceil(box.x1) + margin
    height = math.ceil(box.y1) + margin
    if width > renderer.width or height > renderer.height:  # a long label: a larger canvas
        figure.set_size_inches(max(width, renderer.width) / dpi, max(height, renderer.height) / dpi)
        renderer = figure.canvas.get_renderer()
        box = legend.get_window_extent(renderer)
    renderer.clear()
    legend.draw(renderer)
    buffer = np.asarray(renderer.buffer_rgba())
    rows = buffer.shape[0]
    # Bottom row first: the order `RendererAgg.draw_image` reads an image's rows in.
    pixels = buffer[rows - height : rows, :width][::-1].copy()
    picture = EntryPicture(pixels, (box.x0, box.y0, box.width, box.height))
    _pictures[key] = picture
    while len(_pictures) > PICTURES_KEPT:
        _pictures.popitem(last=False)
    return picture


class TiledLegend(Legend):
    """A `matplotlib.legend.Legend` drawn from kept pictures of its entries (see the module).

    Made like any legend, ``TiledLegend(parent, handles, labels, **options)``; a figure's
    is placed with `figure_legend`. Its texts, handles and window extent are a legend's;
    only how it draws differs, and only where it can (`pasteable`).
    """

    def __init__(self, parent, handles, labels, **options) -> None:
        super().__init__(parent, handles, labels, **options)
        self._handles_given = list(handles)
        self._entry_options = {k: options[k] for k in ENTRY_OPTIONS if k in options}
        self._markerfirst = options.get("markerfirst", True)
        self._layout_key = None
        self._layout: tuple[list[tuple[int, int]], Bbox] | None = None

    def pasteable(self) -> bool:
        """Whether `draw` pastes pictures (else it is matplotlib's `Legend.draw`)."""
        return (
            not self.get_frame_on()
            and not self.get_title().get_text()
            and self._loc in _ANCHORS
            and self._handles_given
            and all(type(h) is Line2D for h in self._handles_given)
            and len(self._handles_given) == len(self.texts)
            and self._markerfirst
        )

    def _pictures(self, dpi: float) -> list[EntryPicture]:
        options = dict(self._entry_options)
        options.setdefault("fontsize", self._fontsize)
        return [
            entry_picture(handle, text.get_text(), dpi, options)
            for handle, text in zip(self._handles_given, self.texts, strict=True)
        ]

    def _place(self, renderer) -> tuple[list[EntryPicture], list[tuple[int, int]], Bbox]:
        """The entries' pictures, where each goes (its bottom-left pixel in the display),
        and the legend's box."""
        pictures = self._pictures(renderer.dpi)
        anchor = self.get_bbox_to_anchor()
        key = (renderer.dpi, tuple(anchor.bounds), tuple(p.box + p.pixels.shape for p in pictures))
        if self._layout_key == key and self._layout is not None:
            return pictures, *self._layout
        em = renderer.points_to_pixels(self._fontsize)
        # Columns as matplotlib fills them: the first ones take one entry more.
        columns = [c for c in np.array_split(np.arange(len(pictures)), self._ncols) if len(c)]
        widths = [max(pictures[i].box[2] for i in c) for c in columns]
        heights = [
            sum(pictures[i].box[3] for i in c) + self.labelspacing * em * (len(c) - 1)
            for c in columns
        ]
        pad = self.borderpad * em
        width = sum(widths) + self.columnspacing * em * (len(columns) - 1) + 2 * pad
        height = max(heights) + 2 * pad
        space = anchor.padded(-self.borderaxespad * em)
        fx, fy = _ANCHORS[self._loc]
        x0 = space.x0 + fx * (space.width - width)
        y0 = space.y0 + fy * (space.height - height)
        spots = [None] * len(pictures)
        left = x0 + pad
        for column, column_width in zip(columns, widths, strict=True):
            top = y0 + height - pad
            for i in column:
                bx, by, _, bh = pictures[i].box
                top -= bh
                spots[i] = (round(left - bx), round(top - by))
                top -= self.labelspacing * em
            left += column_width + self.columnspacing * em
        box = Bbox.from_bounds(x0, y0, width, height)
        self._layout_key, self._layout = key, (spots, box)
        return pictures, spots, box

    @martist.allow_rasterization
    def draw(self, renderer) -> None:
        if not self.get_visible():
            return
        if not (self.pasteable() and isinstance(renderer, RendererAgg)):
            super().draw(renderer)  # a vector file keeps its legend in vectors
            return
        pictures, spots, _ = self._place(renderer)
        renderer.open_group("legend", gid=self.get_gid())
        gc = renderer.new_gc()
        for picture, (x, y) in zip(pictures, spots, strict=True):
            renderer.draw_image(gc, x, y, picture.pixels)
        gc.restore()
        renderer.close_group("legend")
        self.stale = False

    def get_window_extent(self, renderer=None) -> Bbox:
        if renderer is None:
            get_renderer = getattr(self.figure.canvas, "get_renderer", None)
            renderer = get_renderer() if get_renderer is not None else None
        if not (self.pasteable() and isinstance(renderer, RendererAgg)):
            return super().get_window_extent(renderer)
        return self._place(renderer)[2]

    def get_tightbbox(self, renderer=None) -> Bbox:
        return self.get_window_extent(renderer)


def figure_legend(figure, handles, labels, **options) -> TiledLegend:
    """A `TiledLegend` on ``figure``, placed as ``figure.legend(handles=..., labels=...,
    **options)`` places matplotlib's."""
    options.setdefault("bbox_transform", figure.transSubfigure)
    legend = TiledLegend(figure, handles, labels, **options)
    figure.legends.append(legend)
    legend._remove_method = figure.legends.remove
    figure.stale = True
    return legend
