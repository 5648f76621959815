"""Himmelblau's function: four equally deep minima."""

from __future__ import annotations

from functools import cache

import numpy as np

from lossviz.surfaces._minima import polish_minima
from lossviz.surfaces.base import Surface, hessian_from_entries, register

# Published locations (Himmelblau 1972); only (3, 2) is exact, the rest are polished.
_PUBLISHED_MINIMA = [
    (3.0, 2.0),
    (-2.805118, 3.131312),
    (-3.779310, -3.283186),
    (3.584428, -1.848126),
]


_OFFSETS = np.array([11.0, 7.0])


def _loss(x, y):
    return (x * x + y - 11.0) ** 2 + (x + y * y - 7.0) ** 2


def _gradient(p: np.ndarray) -> np.ndarray:
    # With (a, b) = (x^2 + y - 11, x + y^2 - 7): grad L = (4 x a + 2 b, 2 a + 4 y b),
    # that is 4 p (a, b) + 2 (b, a), and (a, b) = p^2 + (y, x) - (11, 7).
    ab = p * p + p[..., ::-1] - _OFFSETS
    return 4.0 * p * ab + 2.0 * ab[..., ::-1]


def _hessian(p: np.ndarray) -> np.ndarray:
    """``[[12 x^2 + 4 y - 42, 4 (x + y)], [4 (x + y), 12 y^2 + 4 x - 26]]``, shape (..., 2, 2)."""
    # d/dx (4 x a + 2 b) = 4 a + 8 x^2 + 2 and d/dy (2 a + 4 y b) = 2 + 4 b + 8 y^2.
    x, y = p[..., 0], p[..., 1]
    return hessian_from_entries(
        p, 12.0 * x * x + 4.0 * y - 42.0, 4.0 * (x + y), 12.0 * y * y + 4.0 * x - 26.0
    )


@cache
def _minima() -> np.ndarray:
    return polish_minima(_loss, _PUBLISHED_MINIMA, gradient=_gradient, hessian=_hessian)


@register("himmelblau")
def himmelblau() -> Surface:
    """Himmelblau's function, with four global minima of loss 0.

    ::

        L(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2
        grad L  = (4 x a + 2 b,  2 a + 4 y b),   a = x^2 + y - 11,  b = x + y^2 - 7
        hess L  = [[4 a + 8 x^2 + 2,  4 (x + y)      ],
                   [4 (x + y),        4 b + 8 y^2 + 2]]

    Minima at ``(3, 2)`` and, polished to machine precision from the published
    values, about ``(-2.805118, 3.131312)``, ``(-3.779310, -3.283186)`` and
    ``(3.584428, -1.848126)``; a local maximum near ``(-0.27, -0.92)``.

    Returns
    -------
    Surface
        Bounds ``(-5, 5) x (-5, 5)``, start ``(-0.3, -0.5)`` near the local maximum
        (which minimum you reach depends on the optimizer), four minima.

    Examples
    --------
    >>> s = himmelblau()
    >>> float(s([3.0, 2.0]))
    0.0
    """
    return Surface(
        "himmelblau",
        _loss,
        ((-5.0, 5.0), (-5.0, 5.0)),
        minima=_minima().copy(),
        start=(-0.3, -0.5),
        gradient=_gradient,
        hessian=_hessian,
        params={},
        finite_in_reach=True,
        description="Four valleys, all equally deep: which one you reach depends on the path.",
    )
