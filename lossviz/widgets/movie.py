"""A movie of the Explorer's steps that the browser plays alone: frames sent ahead.

Play on the Explorer's step slider asks the kernel for every frame (the slider's value
goes to the kernel, which redraws the step and sends the changed pixels back), so it
shows only as many frames a second as that round trip allows. A `Movie` draws the
frames once, in the kernel, and sends them all ahead; its play button, step slider
and pictures are linked in the browser (``jslink``), which then animates with no
kernel round trip at all.

The frames are small because they share one picture. Scrubbing the step redraws only
the markers, arrows and the loss panel's step line, so the first frame is sent whole
(a PNG of about 130 kB for the default figure) and every other frame as a PNG of the
pixels that differ from it, transparent elsewhere (about 8.5 kB), shown over the first.
Where the overlay is transparent the first frame shows through, and it has the same
pixels there, so every frame shows exactly the Explorer's picture at its step.

The frames are PNGs written by PIL at its default setting (zlib level 6, a filter
chosen per row): ``optimize=True`` saves another 4 % and takes 60 % longer; zlib level 1,
as the Explorer's canvas uses, is 2.5 times faster and 60 % larger. Whole frames would be
about 120 kB each, or 50 kB as a (lossy) palette PNG. Drawing and encoding a frame takes
about 65 ms, so the default 101 frames take about 7 s to make.

Each frame is sent as a ``data:`` URL (a third larger than the bytes): a browser shows
an image with that address at once, where an ``Image`` of raw bytes gets a new ``blob:``
address every time the `Stack` shows it again, which the browser loads later: with
those, one frame change in four to seven left the first frame showing through, for an
animation frame, an overlay not loaded yet (Chromium 20 frames a second; none with
data URLs).
"""

from __future__ import annotations

import html
import io
import time
from base64 import b64decode, b64encode
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import numpy as np
from PIL import Image

from lossviz._checks import check_integer, check_number
from lossviz.widgets.control_panel import close_widgets
from lossviz.widgets.panels.step import inspecting

if TYPE_CHECKING:
    from lossviz.widgets.explorer import Explorer

DEFAULT_FRAMES = 101
"""Frames when none are asked for (every step when the run has fewer)."""
MAX_FRAMES = 301
"""Every step of the Explorer's default 300: at about 8.5 kB a frame, 2.7 MB of PNG (3.5 MB
as the data URLs sent), about as much as a notebook on Binder should carry."""
MAX_FPS = 60
"""Browsers paint at most about 60 times a second."""


def frame_steps(steps: int, frames: int) -> tuple[int, ...]:
    """``frames`` evenly spaced steps from 0 to ``steps``, both ends included.

    Examples
    --------
    >>> frame_steps(300, 4)
    (0, 100, 200, 300)
    >>> frame_steps(10, 4)
    (0, 3, 7, 10)
    """
    return tuple(int(k) for k in np.linspace(0, steps, frames).round())


def png(pixels: np.ndarray) -> bytes:
    """PNG bytes of an RGBA image ``pixels`` (height, width, 4) uint8."""
    buffer = io.BytesIO()
    Image.fromarray(pixels, "RGBA").save(buffer, format="PNG")
    return buffer.getvalue()


def overlay(pixels: np.ndarray, base: np.ndarray) -> np.ndarray:
    """``pixels`` where they differ from ``base``, transparent elsewhere (both (h, w, 4)).

    Shown over ``base``, it shows ``pixels`` exactly when ``base`` is opaque.
    """
    differ = (pixels != base).any(axis=2, keepdims=True)
    return np.where(differ, pixels, 0).astype(np.uint8)


def data_url(png_bytes: bytes) -> bytes:
    """A ``data:`` URL of a PNG, as an ``Image`` with ``format="url"`` takes it."""
    return b"data:image/png;base64," + b64encode(png_bytes)


def decode_url(value: bytes) -> np.ndarray:
    """The RGBA pixels (h, w, 4) of an ``Image``'s ``data:`` URL value."""
    head, _, body = bytes(value).partition(b",")
    if head != b"data:image/png;base64":
        raise ValueError(f"not a PNG data URL: {bytes(value)[:40]!r}")
    return np.asarray(Image.open(io.BytesIO(b64decode(body))).convert("RGBA"))


def snapshot_note(steps: tuple[int, ...], fps: float, what: str, size: int) -> str:
    """The line under a movie: which frames, made when, from what, and that they stay."""
    gaps = set(np.diff(steps).tolist())
    every = f", every {gaps.pop()}" if len(gaps) == 1 and min(gaps) > 1 else ""
    return (
        f'<div style="font-size:12px;color:#444">{len(steps)} frames of steps {steps[0]} to '
        f"{steps[-1]}{every}, {fps:g} a second, drawn at {time.strftime('%H:%M:%S')} from "
        f"the settings then ({html.escape(what)}). They stay as they are: after changing a "
        f"setting, make the movie again. ({size / 1e6:.2f} MB)</div>"
    )


class Movie:
    """The Explorer's figure at evenly spaced steps, played by the browser alone.

    Made by `Explorer.movie`. The frames are drawn once, when the movie is made, by the
    Explorer's own frame loop (set the step, draw, take the pixels; the step is then put
    back; the Explorer's own picture steps through them meanwhile), so they are a
    snapshot of its settings at that moment: a line under the movie says so.

    Parameters
    ----------
    explorer
        An Explorer showing its step control (the frames move the step).
    frames
        How many frames, at evenly spaced steps from 0 to the last step, both included;
        2 to the number of steps + 1 (every step), at most 301. Default: 101, or every
        step of a shorter run.
    fps
        Frames a second when playing, 1 to 60: the play button waits ``1000 / fps``
        milliseconds (rounded) after the browser has shown a frame, so the rate seen is a
        little lower (15 a second for 20 in Chromium on a busy 2-core machine; see
        ``benchmarks/bench_browser_slider.py --movie``).

    Attributes
    ----------
    steps
        The step of each frame, in order.
    widget
        What the notebook shows: the picture, the play button and step slider, and
        the line saying when the frames were made.
    play, slider, stack
        The play button, the slider (its labels are the frames' steps; its ``index`` is
        the frame shown) and the `Stack` of one overlay `Image` per frame (each with the
        class ``lossviz-step-<step>``), over the `Image` ``first``.
    links
        The browser-side links (``jslink``): the play button's ``value`` to the slider's
        ``index``, and the slider's ``index`` to the stack's ``selected_index``.
    note
        The line saying what the frames show and when they were made.
    size
        Bytes of PNG in all the frames (sent as base64 ``data:`` URLs, a third more).

    Examples
    --------
    >>> from lossviz import Explorer
    >>> ex = Explorer("rosenbrock", optimizers=("gd", "adam"), steps=60,
    ...               controls=("lr", "step"))
    >>> movie = ex.movie(frames=4, fps=10)
    >>> movie.steps, movie.play.interval, ex.state.step
    ((0, 20, 40, 60), 100, 60)
    >>> movie.close(); ex.close()
    """

    def __init__(self, explorer: Explorer, frames: int | None = None, fps: float = 20) -> None:
        total = explorer.state.steps
        if frames is None:
            frames = min(DEFAULT_FRAMES, total + 1)
        frames = check_integer(frames, "frames", low=2, high=MAX_FRAMES)
        if frames > total + 1:
            raise ValueError(
                f"frames must be at most steps + 1 = {total + 1} (a frame per step); got {frames}"
            )
        fps = check_number(fps, "fps", low=1, high=MAX_FPS)
        if explorer.closed:
            raise ValueError("the Explorer is closed: a movie needs one that draws")
        if explorer.loop.frame is None or not inspecting(explorer.loop.frame):
            raise ValueError(
                "a movie moves the step: make the Explorer with its step control shown, "
                "e.g. Explorer(..., controls=('lr', 'step'))"
            )
        self.steps = frame_steps(total, frames)
        self._closed = False
        base, overlays = self._draw(explorer)
        self.size = len(base) + sum(len(p) for p in overlays)

        width = explorer.figure.bbox.width / explorer.canvas.device_pixel_ratio
        fill = widgets.Layout(width="100%", height="auto", grid_area="frame")
        self.first = widgets.Image(value=data_url(base), format="url", layout=fill)
        """The first frame, whole, under the overlays."""
        frame_images = []
        for step, image in zip(self.steps, overlays, strict=True):
            frame_images.append(widgets.Image(value=data_url(image), format="url", layout=fill))
            # Its step, for a page to read. (A tooltip would say it to the student, but an
            # Image with one fails to render in ipywidgets 8.1.)
            frame_images[-1].add_class(f"lossviz-step-{step}")
        self.stack = widgets.Stack(
            frame_images,
            selected_index=0,
            layout=widgets.Layout(width="100%", grid_area="frame", overflow="hidden"),
        )
        self.stack.add_class("lossviz-movie-frames")
        # One cell of a grid holds both, so the overlays lie exactly over the first frame.
        picture = widgets.GridBox(
            [self.first, self.stack],
            layout=widgets.Layout(
                grid_template_areas='"frame"', width="100%", max_width=f"{width:.0f}px"
            ),
        )
        self.play = widgets.Play(
            value=0, min=0, max=frames - 1, step=1, interval=round(1000 / fps),
            description="play", show_repeat=True,
        )  # fmt: skip
        self.slider = widgets.SelectionSlider(
            options=[(str(k), i) for i, k in enumerate(self.steps)],
            value=0,
            description="step",
            continuous_update=True,
            layout=widgets.Layout(width="55%"),
        )
        self.links = [
            widgets.jslink((self.play, "value"), (self.slider, "index")),
            widgets.jslink((self.slider, "index"), (self.stack, "selected_index")),
        ]
        what = f"{explorer.surface.name}; {', '.join(explorer.run.labels)}"
        self.note = widgets.HTML(value=snapshot_note(self.steps, fps, what, self.size))
        self.widget = widgets.VBox(
            [picture, widgets.HBox([self.play, self.slider]), self.note],
            layout=widgets.Layout(width="100%", max_width=f"{width + 20:.0f}px"),
        )
        self.widget.add_class("lossviz-movie")
        self._first_png = base

    def _draw(self, explorer: Explorer) -> tuple[bytes, list[bytes]]:
        """The first frame's PNG and every frame's overlay PNG, drawn by the Explorer."""
        shown = explorer.state.step
        renderer = explorer.canvas.get_renderer
        base: np.ndarray | None = None
        overlays = []
        try:
            for step in self.steps:
                explorer.set(step=step)  # draws now: a blit of the step's layers
                if explorer.error is not None:
                    raise RuntimeError(f"drawing step {step} failed: {explorer.error}")
                pixels = np.asarray(renderer().buffer_rgba())
                if base is None:
                    base = pixels.copy()
                overlays.append(png(overlay(pixels, base)))
        finally:
            explorer.set(step=shown)
        return png(base), overlays

    # -- public API --------------------------------------------------------------------------
    @property
    def closed(self) -> bool:
        """Whether `close` has run (or a re-run of its cell closed it)."""
        return self._closed

    def frame(self, index: int) -> np.ndarray:
        """The pixels the browser shows for frame ``index``: (height, width, 4) uint8."""
        index = check_integer(index, "index", low=0, high=len(self.steps) - 1)
        base = decode_url(self.first.value)
        top = decode_url(self.stack.children[index].value)
        return np.where(top[:, :, 3:] > 0, top, base)

    def close(self) -> None:
        """Close every widget of the movie and its browser-side links."""
        if self._closed:
            return
        self._closed = True
        for link in self.links:
            link.close()
        close_widgets(self.widget)
        self._first_png = b""
        from lossviz.widgets.explorer import _DisplayedIn

        _DisplayedIn.forget(self)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        # The widget where a frontend exists; the first frame where none does.
        from lossviz.widgets.explorer import _DisplayedIn

        _DisplayedIn.claim(self)
        bundle = self.widget._repr_mimebundle_(**kwargs) or {}
        bundle["image/png"] = b64encode(self._first_png).decode("ascii")
        bundle["text/plain"] = repr(self)
        return bundle

    def __repr__(self) -> str:
        return f"Movie({len(self.steps)} frames, steps {self.steps[0]} to {self.steps[-1]})"


__all__ = ["Movie", "frame_steps"]
