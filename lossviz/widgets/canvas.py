"""The Explorer's canvas: ipympl's, with frames encoded by a faster PNG setting."""

from __future__ import annotations

import functools
import itertools
import struct
import zlib
from base64 import b64encode

import matplotlib
import numpy as np

from lossviz.widgets.main_thread import on_main_thread


def _import_ipympl_keeping_backend():
    """Import ipympl's backend module without letting it take over pyplot.

    ``import ipympl`` calls ``matplotlib.use("module://ipympl.backend_nbagg")``
    whenever matplotlib is already imported, which would silently turn a
    lesson's static ``plt.show()`` figures into widgets (and switching back
    afterwards does not restore IPython's inline hooks). The Explorer makes its
    own canvas and needs no pyplot backend, so that one call is skipped.
    """
    use = matplotlib.use
    matplotlib.use = lambda *args, **kwargs: None
    try:
        import ipympl.backend_nbagg as backend
    finally:
        matplotlib.use = use
    return backend


_ipympl = _import_ipympl_keeping_backend()
Canvas = _ipympl.Canvas
FigureManager = _ipympl.FigureManager


def encode_png(pixels: np.ndarray, nonzero: np.ndarray | None = None) -> bytes:
    """PNG bytes of an RGBA image ``pixels`` (height, width, 4) uint8.

    ``nonzero``, if the caller knows it: a (height,) bool array, True for each row that
    may hold a nonzero byte. Rows marked False are written as zero rows without being
    read (a diff frame's unchanged rows, whatever ``pixels`` holds there).

    Written directly: no row filter, zlib level 1, and rows that are all zero (in a diff
    frame, every row the frame did not change: most of them) never go through the
    compressor. For the Explorer's frames this is several times faster than PIL (which
    tries a filter per row and compresses at level 6), and smaller.

    The image data is one zlib stream (RFC 1950) of raw deflate segments (RFC 1951), each
    ending on a byte boundary (a sync flush) so that they can be joined: the rows that
    hold some nonzero byte are compressed band by band, each run of all-zero rows is put
    together from cached segments of 1, 2, 4, ... zero rows, and an empty final block
    and the Adler-32 of all the rows close the stream. The Adler-32 (``a = 1 + sum of the
    bytes``, ``b = sum of the running a``, both mod 65521) runs over the nonzero bands
    only: ``n`` zero bytes leave ``a`` as it is and add ``n a`` to ``b``. Any PNG decoder
    reads it.
    """
    height, width, _ = pixels.shape
    stride = width * 4 + 1
    if nonzero is None:
        # Whether each row holds a nonzero byte, a pixel (four bytes) at a time.
        words = np.ascontiguousarray(pixels).view(np.uint32).reshape(height, width)
        nonzero = words.any(axis=1)
    # Bands of rows alike (all zero, or not): [starts[i], starts[i + 1]).
    starts = [0, *(np.flatnonzero(nonzero[1:] != nonzero[:-1]) + 1).tolist(), height]
    parts = [b"\x78\x01"]  # zlib header: deflate, 32 KiB window, fastest level
    adler = 1
    for first, last in itertools.pairwise(starts):
        if nonzero[first]:
            rows = np.empty((last - first, stride), dtype=np.uint8)
            rows[:, 0] = 0  # filter type "None" for every row
            rows[:, 1:] = pixels[first:last].reshape(last - first, -1)
            band = zlib.compressobj(1, zlib.DEFLATED, -15)
            parts.append(band.compress(rows) + band.flush(zlib.Z_SYNC_FLUSH))
            adler = zlib.adler32(rows, adler)
        else:
            count = last - first
            a, b = adler & 0xFFFF, adler >> 16
            adler = ((b + count * stride * a) % _ADLER_BASE) << 16 | a
            while count:
                power = 1 << (count.bit_length() - 1)
                parts.append(_zero_rows(stride, power))
                count -= power
    parts.append(b"\x03\x00")  # an empty final block (fixed Huffman: BFINAL, BTYPE 01, EOB)
    parts.append(struct.pack(">I", adler))

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", b"".join(parts))
        + chunk(b"IEND", b"")
    )


_ADLER_BASE = 65521  # the largest prime below 2**16 (RFC 1950)


@functools.lru_cache(maxsize=64)
def _zero_rows(stride: int, count: int) -> bytes:
    """``count`` rows of ``stride`` zero bytes as a raw deflate segment ending in a sync flush."""
    segment = zlib.compressobj(1, zlib.DEFLATED, -15)
    return segment.compress(bytes(stride * count)) + segment.flush(zlib.Z_SYNC_FLUSH)


class FrameCanvas(Canvas):
    """ipympl's `Canvas`, drawable before it is shown, with faster frame encoding.

    Three changes to ipympl's canvas:

    * A frame drawn before any frontend has connected (the Explorer draws its
      first frame while it is built) is kept as a proper ``data:`` URL, with
      the figure's size, so the frontend can show it when the widget appears.
      ipympl stores bare base64 there (it expects ``_repr_mimebundle_`` to set
      it at display time, which a canvas inside a container never gets), and
      the browser then fails on a broken image and never sizes the canvas.
    * Messages from the frontend (clicks, resizes, redraw requests) are handled
      on the main thread, as every frame is drawn (`lossviz.widgets.main_thread`).
    * Frame images are encoded by `encode_png`, several times faster than
      PIL at its default settings (see `get_diff_image`).

    Every frame ipympl sends is a PNG of the whole figure (in "diff" mode the
    unchanged pixels are transparent). At PIL's default level, encoding that
    PNG costs more than recomputing every path; `encode_png` compresses only
    the rows a frame changed, at level 1. The logic is matplotlib's
    ``FigureCanvasWebAggCore.get_diff_image`` with the encoder and a faster
    opacity test; the frontend decodes any PNG, so nothing else changes.
    """

    def __init__(self, figure, *args, **kwargs) -> None:
        super().__init__(figure, *args, **kwargs)
        width, height = figure.bbox.size
        self._size = (width / self.device_pixel_ratio, height / self.device_pixel_ratio)

    def _handle_message(self, object, content, buffers) -> None:
        # Clicks, resizes and redraw requests draw the figure: on the main thread only, as
        # every frame is (a kernel subshell's thread may deliver them; see main_thread).
        on_main_thread(super()._handle_message)(object, content, buffers)

    def send_binary(self, data: bytes) -> None:
        if self.syncing_data_url:
            # The whole current frame (not the diff), as a data URL the frontend can load.
            pixels = self._last_buff.view(dtype=np.uint8).reshape((*self._last_buff.shape, 4))
            self._data_url = "data:image/png;base64," + b64encode(encode_png(pixels)).decode()
        self.send({"data": '{"type": "binary"}'}, buffers=[data])

    def get_diff_image(self) -> bytes | None:
        if not self._png_is_old:
            return None
        pixels = np.asarray(self.get_renderer().buffer_rgba())
        # One uint32 per pixel, so whole pixels compare in one numpy call.
        buffer = pixels.view(np.uint32).squeeze(2)
        last = self._last_buff
        if (
            self._force_full
            or buffer.shape != last.shape
            or last.dtype != np.uint32
            # Transparency cannot be overlaid. Read little-endian, a pixel's alpha is its top
            # byte: opaque pixels are those >= 0xFF000000 (one contiguous pass, not a strided one).
            or (pixels.view("<u4") < 0xFF000000).any()
        ):
            self.set_image_mode("full")
            self._last_buff = buffer.copy()
            self._force_full = False
            self._png_is_old = False
            return encode_png(pixels)
        self.set_image_mode("diff")
        # Only the rows that changed are read, diffed and copied into the last frame; the
        # others go to the encoder as zero rows, unread.
        rows = (buffer != last).any(axis=1)
        index = np.flatnonzero(rows)
        new = buffer[index]
        output = np.empty_like(buffer)
        output[index] = np.where(new != last[index], new, 0)
        last[index] = new
        self._png_is_old = False
        return encode_png(output.view(dtype=np.uint8).reshape((*output.shape, 4)), rows)
