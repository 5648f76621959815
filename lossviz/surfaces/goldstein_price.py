"""The Goldstein-Price function: a deep global minimum among shallower local ones."""

from __future__ import annotations

from functools import cache

import numpy as np

from lossviz.surfaces._minima import polish_minima
from lossviz.surfaces.base import Surface, register

# Published minima (loss 3, 30, 84, 840), global first; polished at build time.
_PUBLISHED_MINIMA = [(0.0, -1.0), (-0.6, -0.4), (1.8, 0.2), (1.2, 0.8)]


def _loss(x, y):
    s, d = x + y + 1.0, 2.0 * x - 3.0 * y
    first = 1.0 + s * s * (19.0 - 14.0 * x + 3.0 * x * x - 14.0 * y + 6.0 * x * y + 3.0 * y * y)
    second = 30.0 + d * d * (
        18.0 - 32.0 * x + 12.0 * x * x + 48.0 * y - 36.0 * x * y + 27.0 * y * y
    )
    return first * second


@cache
def _minima() -> np.ndarray:
    return polish_minima(_loss, _PUBLISHED_MINIMA)


@register("goldstein_price")
def goldstein_price() -> Surface:
    """The Goldstein-Price function, global minimum 3 at ``(0, -1)``.

    ::

        L(x, y) = [1 + (x + y + 1)^2 (19 - 14 x + 3 x^2 - 14 y + 6 x y + 3 y^2)]
                * [30 + (2 x - 3 y)^2 (18 - 32 x + 12 x^2 + 48 y - 36 x y + 27 y^2)]

    Local minima near ``(-0.6, -0.4)`` (30), ``(1.8, 0.2)`` (84) and
    ``(1.2, 0.8)`` (840). The loss spans six orders of magnitude over the
    bounds, so look at it on a log scale.

    Returns
    -------
    Surface
        Bounds ``(-2, 2) x (-2, 2)``, start ``(-1.5, 1.2)``, four minima.

    Examples
    --------
    >>> float(goldstein_price()([0.0, -1.0]))
    3.0
    """
    return Surface(
        "goldstein_price",
        _loss,
        ((-2.0, 2.0), (-2.0, 2.0)),
        minima=_minima().copy(),
        start=(-1.5, 1.2),
        params={},
        description=(
            "A deep global minimum at (0, -1) surrounded by shallower local minima, on a "
            "loss that spans six orders of magnitude."
        ),
    )
