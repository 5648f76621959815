"""The Explorer's canvas: ipympl's, with frames encoded by a faster PNG setting."""

from __future__ import annotations

from io import BytesIO

import matplotlib
import numpy as np
from PIL import Image


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


class FrameCanvas(Canvas):
    """ipympl's `Canvas` whose frame images use zlib level 1 instead of PIL's default 6.

    Every frame ipympl sends is a PNG of the whole figure (in "diff" mode the
    unchanged pixels are transparent). At PIL's default level, encoding that
    PNG costs more than recomputing every path; level 1 is several times
    faster, and a diff frame, mostly empty, stays small. The logic is
    matplotlib's ``FigureCanvasWebAggCore.get_diff_image`` with that one
    setting changed; the frontend decodes any PNG, so nothing else changes.
    """

    def get_diff_image(self) -> bytes | None:
        if not self._png_is_old:
            return None
        pixels = np.asarray(self.get_renderer().buffer_rgba())
        # One uint32 per pixel, so whole pixels compare in one numpy call.
        buffer = pixels.view(np.uint32).squeeze(2)
        if (
            self._force_full
            or buffer.shape != self._last_buff.shape
            or (pixels[:, :, 3] != 255).any()  # transparency cannot be overlaid
        ):
            self.set_image_mode("full")
            output = buffer
        else:
            self.set_image_mode("diff")
            output = np.where(buffer != self._last_buff, buffer, 0)
        self._last_buff = buffer.copy()
        self._force_full = False
        self._png_is_old = False
        data = output.view(dtype=np.uint8).reshape((*output.shape, 4))
        with BytesIO() as png:
            Image.fromarray(data).save(png, format="png", compress_level=1)
            return png.getvalue()
