"""The frame loop: when to recompute, what to redraw, and how (blit, one panel, or all).

It knows nothing about optimizers. The Explorer requests a frame with the
state fields that changed; the loop coalesces a burst of requests (a drag
delivers many) into one frame on the kernel's event loop, asks the Explorer
for a `Frame` (recomputing `descend` only when asked to), rebuilds the panels
whose dependencies changed, and draws:

* **blit** (most frames): restore the cached background (every static part),
  draw the panels' animated artists over it, send only the changed pixels;
* **one panel**: a panel whose static part changed (the loss axis rescaling)
  is erased and redrawn inside its own cell of the figure, the cache updated,
  then blitted as above; the contour map is not touched;
* **full draw**: the first frame, a layout change, the map's own change, or
  whenever a panel cannot be redrawn alone; the background is cached again.

Layers marked ``overlay`` (the step looked inside) are drawn last, over a second
cache: the background with every other animated artist on it. A frame in which
only their ``overlay_fields`` changed (scrubbing the step) restores that cache
and draws the overlay alone, not every path again.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from matplotlib.colors import to_rgba
from matplotlib.legend import Legend
from matplotlib.transforms import Bbox

from lossviz.widgets.layout import Layout
from lossviz.widgets.main_thread import (
    in_kernel,
    on_main_thread,
    remember_main_loop,
    running_loop,
)
from lossviz.widgets.panels.base import Frame, Panel

CELL_MARGIN = 2
"""Pixels kept clear between a panel's cell and its neighbours (antialiased edges)."""

PIECES_KEPT = 16
"""Pictures of figure-level pieces (legends) kept for reuse."""


@dataclass
class _Request:
    recompute: bool = False
    changed: set[str] = field(default_factory=set)
    full: bool = False

    def merge(self, other: _Request | None) -> _Request:
        if other is not None:
            self.recompute |= other.recompute
            self.changed |= other.changed
            self.full |= other.full
        return self


class FrameLoop:
    """Frames for a figure of panels.

    Parameters
    ----------
    canvas
        The figure's canvas (an Agg canvas: ipympl's, or any for tests).
    panels
        The panels, in drawing order; each has an ``ax`` on the canvas' figure.
    layout
        Places the panels shown.
    make_frame
        ``make_frame(previous, recompute) -> Frame``: the frame for the current
        state, with a new run when ``recompute`` (else ``previous.run``).
    on_frame, on_error
        Called after each frame drawn, and with the exception when one fails
        (the last good picture then stays).
    """

    def __init__(
        self,
        canvas,
        panels: list[Panel],
        layout: Layout,
        make_frame: Callable[[Frame | None, bool], Frame],
        on_frame: Callable[[Frame], None],
        on_error: Callable[[BaseException], None],
    ) -> None:
        self.canvas = canvas
        self.figure = canvas.figure
        self.panels = panels
        self.layout = layout
        self.make_frame = make_frame
        self.on_frame = on_frame
        self.on_error = on_error
        self.frame: Frame | None = None
        """The last frame drawn."""
        self.coalesce: bool | None = None
        """Defer frames to the event loop so a burst of requests makes one frame: ``None``
        (the default) does so inside a Jupyter kernel only; scripts and tests draw at once."""
        self.stats = {
            "frames": 0,
            "computes": 0,
            "cached": 0,
            "full_draws": 0,
            "panel_redraws": 0,
            "kept_redraws": 0,
            "blits": 0,
        }
        """Counts: frames drawn, frames that needed a new run (``computes``; ``cached``: of
        those, the runs the owner had already computed, e.g. ahead of a drag), full draws,
        panels redrawn alone (``kept_redraws``: of those, the ones that kept the pixels of
        what their update never changes), blits."""
        self._pending: _Request | None = None
        self._scheduled = False
        self.event_loop = None
        """While a frame runs from the event loop (a coalesced burst): that loop; None
        while one is drawn at once (``set``, scripts, tests)."""
        self._built: set[int] = set()
        self._background = None
        self._under_overlay = None  # the background with every non-overlay artist drawn
        self._cells: dict[str, tuple[int, int, int, int]] = {}
        # The pixels of figure-level pieces drawn alone (the legend strip), by what they
        # show: a legend met again (a tag added, then removed) is copied, not drawn.
        self._piece_pixels: OrderedDict[tuple, np.ndarray] = OrderedDict()
        # Per panel: where its moving artists were last drawn (`_draw_keeping`).
        self._moving: dict[str, list[Bbox]] = {}
        self._draw_id = canvas.mpl_connect("draw_event", self._on_draw)
        self.closed = False
        remember_main_loop()  # built in a cell: the thread whose loop draws every frame

    # -- requests ------------------------------------------------------------------------------
    @on_main_thread
    def request(
        self, *, recompute: bool = False, changed: Iterable[str] = (), full: bool = False
    ) -> None:
        """Ask for a frame: with a new run if ``recompute``; ``changed`` names the state
        fields that changed (panels depending on them are rebuilt); ``full`` forces a full
        draw. Asked for on another thread (a kernel subshell's), the request is handed to
        the main thread's event loop (`lossviz.widgets.main_thread`): frames are drawn there
        only, one at a time."""
        request = _Request(recompute, set(changed), full)
        self._pending = request.merge(self._pending)
        self._schedule()

    def _schedule(self) -> None:
        coalesce = in_kernel() if self.coalesce is None else self.coalesce
        loop = (remember_main_loop() or running_loop()) if coalesce else None
        if loop is None:
            self.run_frame()
        elif not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._run_from, loop)

    def _run_from(self, loop) -> None:
        self.event_loop = loop
        try:
            self.run_frame()
        finally:
            self.event_loop = None

    def run_frame(self) -> None:
        """Make the pending frame now (the event loop calls this for a coalesced burst)."""
        self._scheduled = False
        request, self._pending = self._pending, None
        if request is None or self.closed:
            return
        recompute = request.recompute or self.frame is None
        try:
            frame = self.make_frame(self.frame, recompute)
            if recompute:
                self.stats["computes"] += 1
            self._render(frame, request)
        except Exception as exc:  # noqa: BLE001 - shown by the owner; the widget keeps working
            # What this frame should have done is still owed to the next one.
            self._pending = request.merge(self._pending)
            self._pending.full = True
            self.on_error(exc)
            return
        self.frame = frame
        self.on_frame(frame)

    # -- drawing -------------------------------------------------------------------------------
    def _render(self, frame: Frame, request: _Request) -> None:
        shown = {p.name for p in self.panels if p.wanted(frame)}
        moved = self.layout.arrange({p.name: p.ax for p in self.panels}, shown)
        redraw: dict[str, Any] = {}  # what to redraw alone, by cell name
        unsigned: set[str] = set()  # panels a layer changed: their signature does not tell
        updated: set[str] = set()  # panels only their `update` changed (an axis rescaled)
        full = request.full or moved or self._background is None
        for panel in self.panels:
            if panel.name not in shown:
                self._built.discard(id(panel))
                continue
            rebuild = id(panel) not in self._built or bool(panel.depends_on & request.changed)
            if rebuild:
                panel.build(frame)
                self._built.add(id(panel))
            elif panel.animated_depends_on & request.changed:
                panel.rebuild_animated(frame)
            restatic = False  # a layer changed static artists on the panel's axes
            for i, layer in enumerate(panel.layers):
                if rebuild or id(layer) not in self._built or layer.depends_on & request.changed:
                    layer.build(panel.ax, frame)
                    self._built.add(id(layer))
                    # Its animated artists are blitted anyway; its figure-level ones (a legend)
                    # are redrawn alone.
                    for j, artist in enumerate(layer.figure_artists()):
                        redraw[f"{panel.name}/{i}/{j}"] = artist
                    restatic |= layer.static_changed
                layer.update(frame)
            if panel.update(frame) or rebuild or restatic:
                if not panel.redraw_alone:
                    full = True
                redraw[panel.name] = panel.ax
                if restatic:
                    unsigned.add(panel.name)
                if not (rebuild or restatic):
                    updated.add(panel.name)
        self.stats["frames"] += 1
        overlay_only = (
            not full
            and not redraw
            and not request.recompute
            and bool(request.changed)
            and request.changed <= self._overlay_fields()
            and self._under_overlay is not None
        )
        if not full and redraw:
            full = not self._redraw_alone(redraw, unsigned, updated)
        if full:
            self.draw_full()
        elif overlay_only:
            self.canvas.restore_region(self._under_overlay)
            self._draw_animated(overlay=True)
            self.stats["blits"] += 1
            self.canvas.blit(self.figure.bbox)
        else:
            if not redraw:
                self.canvas.restore_region(self._background)
            self._draw_animated()
            self.stats["blits"] += 1
            self.canvas.blit(self.figure.bbox)

    def draw_full(self) -> None:
        """Draw the whole figure (the draw event then caches the background)."""
        self.stats["full_draws"] += 1
        self.canvas.draw()

    def _redraw_alone(
        self,
        pieces: dict[str, Any],
        unsigned: set[str] = frozenset(),
        updated: set[str] = frozenset(),
    ) -> bool:
        """Redraw each piece (a panel's axes, or a figure-level artist) inside its cell over
        the cached background; False (nothing cached) when one does not fit its cell.

        A piece whose signature (`_piece_signature`; none for the names in ``unsigned``)
        was met before has its pixels copied from then instead. A panel in ``updated``
        (only its `Panel.update` changed it) keeps the pixels of what it says stays
        (`Panel.kept_on_update`) where it can (`_draw_keeping`).

        A piece fits when it changed no pixel outside its cell: read off the pixels, which
        costs a fraction of a millisecond, where asking the axes for their tight bounding
        box lays out every tick label again (about 10 ms).
        """
        renderer = self.canvas.get_renderer()
        self.canvas.restore_region(self._background)
        pixels = np.asarray(renderer.buffer_rgba())
        height = pixels.shape[0]
        face = np.round(np.array(to_rgba(self.figure.get_facecolor())) * 255).astype(np.uint8)
        before = None  # the pixels before the first piece is drawn, each drawn cell updated
        for name, piece in pieces.items():
            cell = self._cells.get(name)
            if cell is None:
                return False
            x0, y0, x1, y1 = cell
            rows, columns = slice(height - y1, height - y0), slice(x0, x1)
            signature = None if name in unsigned else self._piece_signature(name, piece)
            key = None if signature is None else (name, cell, signature)
            kept = self._piece_pixels.get(key) if key is not None else None
            if kept is not None:
                pixels[rows, columns] = kept
                self._piece_pixels.move_to_end(key)
                self._moving.pop(name, None)  # where its moving labels are: not known
                if before is not None:
                    before[rows, columns] = kept
                continue
            if before is None:
                before = pixels.copy()
            if not (
                name in updated
                and self._draw_keeping(name, piece, renderer, pixels, rows, columns, face)
            ):
                pixels[rows, columns] = face
                piece.draw(renderer)
                self._note_moving(name, renderer)
            if _drew_outside(pixels, before, rows, columns):
                return False
            before[rows, columns] = pixels[rows, columns]
            if key is not None:
                self._piece_pixels[key] = pixels[rows, columns].copy()
                while len(self._piece_pixels) > PIECES_KEPT:
                    self._piece_pixels.popitem(last=False)
        self._background = self.canvas.copy_from_bbox(self.figure.bbox)
        self.stats["panel_redraws"] += len(pieces)
        return True

    def _draw_keeping(self, name, ax, renderer, pixels, rows, columns, face) -> bool:
        """Redraw panel ``name``'s axes in its cell but for the artists it keeps on an
        update (`Panel.kept_on_update`), whose pixels stay as they are; False (nothing
        drawn) when it cannot: nothing kept, or a moving artist (where the last draw put
        it, or now) comes within a pixel of a kept one. If anything drawn reaches a kept
        artist's pixels after all, the cell is drawn whole.

        On the loss panel this skips the step axis's labels and the title: about half of
        the panel's draw, when its y-axis rescales."""
        panel = self._panel(name)
        old = self._moving.get(name)
        if panel is None or old is None:
            return False
        kept = [a for a in panel.kept_on_update()[0] if a.get_visible() and a.get_text()]
        if not kept:
            return False
        height = pixels.shape[0]
        x0, y0, x1, y1 = self._cells[name]
        boxes = []
        for artist in kept:
            b = artist.get_window_extent(renderer)
            box = (
                max(math.floor(b.x0) - 1, x0),
                max(math.floor(b.y0) - 1, y0),
                min(math.ceil(b.x1) + 1, x1),
                min(math.ceil(b.y1) + 1, y1),
            )
            if box[0] < box[2] and box[1] < box[3]:
                boxes.append(Bbox.from_extents(*box))
        # What stays still (spines, grid, the kept axis's tick marks) is drawn again around
        # the kept pixels, and checked below not to reach them.
        if not boxes or any(_near(b, e) for b in boxes for e in old):
            return False
        slices = [
            (slice(height - round(b.y1), height - round(b.y0)), slice(round(b.x0), round(b.x1)))
            for b in boxes
        ]
        saved = [pixels[r, c].copy() for r, c in slices]
        pixels[rows, columns] = face
        for (r, c), p in zip(slices, saved, strict=True):
            pixels[r, c] = p
        # Hidden while the axes draw; where they are put back as they were (the draw places
        # an axis label from the tick labels it sees, and sees none).
        places = [a.get_position() for a in kept]
        for artist in kept:
            artist.set_visible(False)
        try:
            ax.draw(renderer)
        finally:
            for artist, place in zip(kept, places, strict=True):
                artist.set_position(place)
                artist.set_visible(True)
        new = _extents(panel.kept_on_update()[1], renderer)  # the ticks drawn now
        if any(_near(b, e) for b in boxes for e in new) or not all(
            np.array_equal(pixels[r, c], p) for (r, c), p in zip(slices, saved, strict=True)
        ):
            pixels[rows, columns] = face
            ax.draw(renderer)
            new = _extents(panel.kept_on_update()[1], renderer)
        self._moving[name] = new
        self.stats["kept_redraws"] += 1
        return True

    def _note_moving(self, name: str, renderer) -> None:
        """Where panel ``name``'s moving artists (`Panel.kept_on_update`) were just drawn."""
        panel = self._panel(name)
        if panel is not None:
            kept, moving = panel.kept_on_update()
            if kept:
                self._moving[name] = _extents(moving, renderer)

    def _panel(self, name: str) -> Panel | None:
        return next((p for p in self.panels if p.name == name), None)

    def _piece_signature(self, name: str, piece: Any) -> Hashable | None:
        """What a piece shows, where its properties tell it: a legend's texts and handles
        (`_signature`), a panel's `Panel.static_signature`; else None."""
        if isinstance(piece, Legend):
            return _signature(piece)
        panel = next((p for p in self.panels if p.name == name and p.ax is piece), None)
        return None if panel is None else panel.static_signature()

    def _keep_pieces(self, renderer) -> None:
        """Keep the pixels of each piece a full draw just drew that has a cell and a
        signature (before the animation): the first time a tag is removed again, the
        legend and loss axis it had come back from these, as from a redraw alone."""
        shown = [p for p in self.panels if p.ax.get_visible()]
        pieces = {p.name: p.ax for p in shown if p.redraw_alone}
        for panel in shown:
            for i, layer in enumerate(panel.layers):
                for j, artist in enumerate(layer.figure_artists()):
                    pieces[f"{panel.name}/{i}/{j}"] = artist
        pixels = np.asarray(renderer.buffer_rgba())
        height = pixels.shape[0]
        for name, piece in pieces.items():
            cell = self._cells.get(name)
            signature = None if cell is None else self._piece_signature(name, piece)
            if signature is None:
                continue
            x0, y0, x1, y1 = cell
            key = (name, cell, signature)
            self._piece_pixels[key] = pixels[height - y1 : height - y0, x0:x1].copy()
            self._piece_pixels.move_to_end(key)
        while len(self._piece_pixels) > PIECES_KEPT:
            self._piece_pixels.popitem(last=False)

    def _overlay_fields(self) -> frozenset[str]:
        fields: frozenset[str] = frozenset()
        for panel in self.panels:
            for layer in panel.layers:
                if layer.overlay:
                    fields |= layer.overlay_fields
        return fields

    def _draw_animated(self, overlay: bool = False) -> None:
        """Draw the animated artists over the restored background: all of them, caching
        the picture before the overlay layers'; or (``overlay``) the overlay layers' only."""
        visible = [p for p in self.panels if p.ax.get_visible()]
        if not overlay:
            for panel in visible:
                _draw_shown(panel.ax, panel.artists())
                for layer in panel.layers:
                    if not layer.overlay:
                        _draw_shown(panel.ax, layer.artists())
            self._under_overlay = self.canvas.copy_from_bbox(self.figure.bbox)
        for panel in visible:
            for layer in panel.layers:
                if layer.overlay:
                    _draw_shown(panel.ax, layer.artists())

    def _on_draw(self, event) -> None:
        # After any full draw (ours, or a zoom, pan or resize): cache, then add the animation.
        try:
            self._background = self.canvas.copy_from_bbox(self.figure.bbox)
            renderer = self.canvas.get_renderer()
            self._cells = self._find_cells(renderer)
            self._keep_pieces(renderer)
            for panel in self.panels:
                if panel.ax.get_visible():
                    self._note_moving(panel.name, renderer)
            self._draw_animated()
        except Exception as exc:  # noqa: BLE001
            self.on_error(exc)

    def _find_cells(self, renderer) -> dict[str, tuple[int, int, int, int]]:
        """For each piece that may be redrawn alone (a panel that allows it, a layer's
        figure-level artist): the largest rectangle around it that no other piece reaches."""
        shown = [p for p in self.panels if p.ax.get_visible()]
        extents = {p.name: p.ax.get_tightbbox(renderer) for p in shown}
        # Figure-level pieces (the legend strip) first; the panels' cells then keep out of
        # theirs, so no two cells overlap.
        anchors = {}
        for panel in shown:
            for i, layer in enumerate(panel.layers):
                for j, artist in enumerate(layer.figure_artists()):
                    name = f"{panel.name}/{i}/{j}"
                    extents[name] = anchors[name] = artist.get_window_extent(renderer)
        anchors |= {p.name: p.ax.bbox for p in shown if p.redraw_alone}
        others = [
            a.get_window_extent(renderer)
            for a in (*self.figure.legends, *self.figure.texts)
            if a.get_visible()  # a legend kept hidden for later takes no room
            and not any(
                a is artist
                for p in shown
                for layer in p.layers
                for artist in layer.figure_artists()
            )
        ]
        width, height = round(self.figure.bbox.width), round(self.figure.bbox.height)
        cells = {}
        for name, a in anchors.items():
            # A margin from neighbours only: nothing lies beyond the figure's edges.
            x0, y0, x1, y1 = -CELL_MARGIN, -CELL_MARGIN, width + CELL_MARGIN, height + CELL_MARGIN
            fits = True
            taken = [Bbox.from_extents(*c) for c in cells.values()]
            for other in [e for n, e in extents.items() if n != name] + others + taken:
                # Every cut that leaves the obstacle outside; keep the one losing least.
                cuts = []
                if other.x1 <= a.x0:
                    cuts.append((max(x0, other.x1), y0, x1, y1))
                if other.x0 >= a.x1:
                    cuts.append((x0, y0, min(x1, other.x0), y1))
                if other.y1 <= a.y0:
                    cuts.append((x0, max(y0, other.y1), x1, y1))
                if other.y0 >= a.y1:
                    cuts.append((x0, y0, x1, min(y1, other.y0)))
                if not cuts:
                    fits = False
                    break
                x0, y0, x1, y1 = max(cuts, key=lambda c: (c[2] - c[0]) * (c[3] - c[1]))
            cell = (
                math.ceil(x0) + CELL_MARGIN,
                math.ceil(y0) + CELL_MARGIN,
                math.floor(x1) - CELL_MARGIN,
                math.floor(y1) - CELL_MARGIN,
            )
            if fits and _inside(extents[name], cell):
                cells[name] = cell
        return cells

    def close(self) -> None:
        """Stop drawing and let go of the panels' artists and the cached pixels."""
        self.closed = True
        self._pending = None
        self.canvas.mpl_disconnect(self._draw_id)
        for panel in self.panels:
            panel.remove()
        self._background = None
        self._under_overlay = None
        self._piece_pixels.clear()
        self.frame = None


def _signature(piece) -> tuple | None:
    """What a figure-level piece shows, when it can be told from its properties (a legend:
    its texts and each handle's look), else None; equal signatures draw equal pixels."""
    if not isinstance(piece, Legend):
        return None
    handles = tuple(
        (
            type(h).__name__,
            *(
                repr(getattr(h, f"get_{p}")())
                for p in ("color", "linestyle", "linewidth", "marker", "markersize",
                          "markerfacecolor", "markeredgecolor", "markeredgewidth", "alpha")
                if hasattr(h, f"get_{p}")
            ),
        )
        for h in piece.legend_handles
    )  # fmt: skip
    texts = tuple((t.get_text(), t.get_fontsize(), t.get_color()) for t in piece.get_texts())
    anchor = tuple(piece.get_bbox_to_anchor().bounds)
    return (texts, handles, piece._ncols, piece._loc, anchor, piece.get_frame_on())


def _drew_outside(pixels: np.ndarray, before: np.ndarray, rows: slice, columns: slice) -> bool:
    """Whether ``pixels`` (height, width, 4) differ from ``before`` anywhere outside the
    cell ``[rows, columns]`` (compared four bytes at a time)."""
    now, then = _words(pixels), _words(before)
    return not (
        np.array_equal(now[: rows.start], then[: rows.start])
        and np.array_equal(now[rows.stop :], then[rows.stop :])
        and np.array_equal(now[rows, : columns.start], then[rows, : columns.start])
        and np.array_equal(now[rows, columns.stop :], then[rows, columns.stop :])
    )


def _words(pixels: np.ndarray) -> np.ndarray:
    """RGBA pixels (height, width, 4) uint8 as one uint32 each, (height, width): a view."""
    return pixels.view(np.uint32)[..., 0]


def _inside(box: Bbox, cell: tuple[int, int, int, int]) -> bool:
    x0, y0, x1, y1 = cell
    return x0 <= box.x0 and y0 <= box.y0 and box.x1 <= x1 and box.y1 <= y1


def _draw_shown(ax, artists) -> None:
    """Draw each visible artist on ``ax``. A hidden one draws nothing anyway, but some
    (a `Quiver`: the arrows off) would first build their shapes: skipped, it costs nothing."""
    for artist in artists:
        if artist.get_visible():
            ax.draw_artist(artist)


def _extents(artists: Iterable[Any], renderer) -> list[Bbox]:
    """The display boxes of the artists shown (texts: with some text)."""
    return [
        a.get_window_extent(renderer)
        for a in artists
        if a.get_visible() and (not hasattr(a, "get_text") or a.get_text())
    ]


def _near(a: Bbox, b: Bbox) -> bool:
    """Whether two boxes overlap or come within a pixel of each other."""
    return a.x0 - 1 <= b.x1 and b.x0 - 1 <= a.x1 and a.y0 - 1 <= b.y1 and b.y0 - 1 <= a.y1
