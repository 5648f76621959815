"""The six-hump camel function: two global and four local minima."""

from __future__ import annotations

from functools import cache

import numpy as np

from lossviz.surfaces._minima import polish_minima
from lossviz.surfaces.base import Surface, gradient_by_terms, hessian_by_terms, register

# Published approximations (Dixon and Szego 1978), global pair first, polished at build time.
_PUBLISHED_MINIMA = [
    (0.0898, -0.7126),  # -1.0316 (global)
    (-0.0898, 0.7126),  # -1.0316 (global)
    (1.7036, -0.7961),  # -0.2155
    (-1.7036, 0.7961),  # -0.2155
    (1.6071, 0.5687),  # 2.1043
    (-1.6071, -0.5687),  # 2.1043
]


def _loss(x, y):
    x2 = x * x
    return (4.0 - 2.1 * x2 + x2 * x2 / 3.0) * x2 + x * y + (4.0 * y * y - 4.0) * y * y


def _gradient_terms(x, y):
    x2 = x * x
    return 8.0 * x - 8.4 * x2 * x + 2.0 * x2 * x2 * x + y, x - 8.0 * y + 16.0 * y * y * y


def gradient_formula(p: np.ndarray) -> np.ndarray:
    """The gradient as derived by hand, at points (..., 2); shape (..., 2).

    ::

        grad L = (8 x - 8.4 x^3 + 2 x^5 + y,  x - 8 y + 16 y^3)

    On a few points (the live widget's case) the same arithmetic runs on Python floats
    (`lossviz.surfaces.base.gradient_by_terms`): the same bits, fewer numpy calls.

    Examples
    --------
    >>> gradient_formula(np.array([[1.0, 0.0], [0.0, 1.0]])).round(12).tolist()
    [[1.6, 1.0], [1.0, 8.0]]
    """
    return gradient_by_terms(_gradient_terms, p)


def _hessian_terms(x, y):
    x2 = x * x
    return 8.0 - 25.2 * x2 + 10.0 * x2 * x2, 1.0, 48.0 * y * y - 8.0


def _hessian(p: np.ndarray) -> np.ndarray:
    """``[[8 - 25.2 x^2 + 10 x^4, 1], [1, 48 y^2 - 8]]``, shape (..., 2, 2)."""
    return hessian_by_terms(_hessian_terms, p)


@cache
def _minima() -> np.ndarray:
    return polish_minima(_loss, _PUBLISHED_MINIMA, gradient=gradient_formula, hessian=_hessian)


@register("six_hump_camel")
def six_hump_camel() -> Surface:
    """The six-hump camel function, global minimum about -1.0316284535.

    ::

        L(x, y) = (4 - 2.1 x^2 + x^4 / 3) x^2 + x y + (4 y^2 - 4) y^2
        grad L  = (8 x - 8.4 x^3 + 2 x^5 + y,  x - 8 y + 16 y^3)
        hess L  = [[8 - 25.2 x^2 + 10 x^4, 1], [1, 48 y^2 - 8]]

    The gradient's code is `gradient_formula` in this module.

    Six minima: the global pair about ``(+-0.0898, -+0.7126)`` (-1.0316), and
    local ones about ``(+-1.7036, -+0.7961)`` (-0.2155) and
    ``(+-1.6071, +-0.5687)`` (2.1043); the surface is symmetric under ``p -> -p``.

    Returns
    -------
    Surface
        Bounds ``(-2.2, 2.2) x (-1.2, 1.2)``, start ``(-1.5, -1.0)``, six minima.

    Examples
    --------
    >>> s = six_hump_camel()
    >>> round(float(s(s.minima[0])), 10)
    -1.0316284535
    """
    return Surface(
        "six_hump_camel",
        _loss,
        ((-2.2, 2.2), (-1.2, 1.2)),
        minima=_minima().copy(),
        start=(-1.5, -1.0),
        gradient=gradient_formula,
        hessian=_hessian,
        params={},
        finite_in_reach=True,
        symmetric_about_origin=True,
        description=(
            "Six valleys of three different depths: a descent ends in whichever one it "
            "starts above."
        ),
    )
