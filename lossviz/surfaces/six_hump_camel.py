"""The six-hump camel function: two global and four local minima."""

from __future__ import annotations

from functools import cache

import numpy as np

from lossviz.surfaces._minima import polish_minima
from lossviz.surfaces.base import Surface, hessian_from_entries, register

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


def gradient_formula(p: np.ndarray) -> np.ndarray:
    """The gradient as derived by hand, at points (..., 2); shape (..., 2).

    ::

        grad L = (8 x - 8.4 x^3 + 2 x^5 + y,  x - 8 y + 16 y^3)

    This is the surface's gradient for more than a few points at a time; for a few (the
    live widget's case) a matrix of coefficients is faster, see `_gradient_by_matrix`.

    Examples
    --------
    >>> gradient_formula(np.array([[1.0, 0.0], [0.0, 1.0]])).round(12).tolist()
    [[1.6, 1.0], [1.0, 8.0]]
    """
    x, y = p[..., 0], p[..., 1]
    x2 = x * x  # odd powers as products: numpy's x**3 is a slow general power
    dx = 8.0 * x - 8.4 * x2 * x + 2.0 * x2 * x2 * x + y
    dy = x - 8.0 * y + 16.0 * y * y * y
    return np.stack([dx, dy], axis=-1)


# -- the fast path for a few points -------------------------------------------------------------
# On a few points each numpy call costs about the same whatever it computes, so fewer calls win:
# the gradient is a product of the powers (x, x^3, x^5, y, y^3, y^5) with a matrix of
# coefficients (one column per component). On many points the powers (a float power per entry)
# cost more than the formula: up to _FEW points the matrix form is faster, beyond it the formula
# (benchmarks/bench_gradients.py).
_FEW = 64
_POWERS = np.array([1.0, 3.0, 5.0])
_GRADIENT_COEFFICIENTS = np.array(
    [
        [8.0, 1.0],  # x
        [-8.4, 0.0],  # x^3
        [2.0, 0.0],  # x^5
        [1.0, -8.0],  # y
        [0.0, 16.0],  # y^3
        [0.0, 0.0],  # y^5: no such term, but one power array serves both coordinates
    ]
)


def _gradient_by_matrix(p: np.ndarray) -> np.ndarray:
    """`gradient_formula` as one product of the powers of x and y with a coefficient matrix."""
    powers = p[..., None] ** _POWERS  # (..., 2, 3): row x, row y
    return np.dot(powers.reshape(*p.shape[:-1], 6), _GRADIENT_COEFFICIENTS)


def _gradient(p: np.ndarray) -> np.ndarray:
    """The surface's gradient: by matrix on up to `_FEW` points, else `gradient_formula`."""
    return _gradient_by_matrix(p) if p.size <= 2 * _FEW else gradient_formula(p)


def _hessian(p: np.ndarray) -> np.ndarray:
    """``[[8 - 25.2 x^2 + 10 x^4, 1], [1, 48 y^2 - 8]]``, shape (..., 2, 2)."""
    x2, y2 = p[..., 0] ** 2, p[..., 1] ** 2
    return hessian_from_entries(p, 8.0 - 25.2 * x2 + 10.0 * x2 * x2, 1.0, 48.0 * y2 - 8.0)


@cache
def _minima() -> np.ndarray:
    return polish_minima(_loss, _PUBLISHED_MINIMA, gradient=_gradient, hessian=_hessian)


@register("six_hump_camel")
def six_hump_camel() -> Surface:
    """The six-hump camel function, global minimum about -1.0316284535.

    ::

        L(x, y) = (4 - 2.1 x^2 + x^4 / 3) x^2 + x y + (4 y^2 - 4) y^2
        grad L  = (8 x - 8.4 x^3 + 2 x^5 + y,  x - 8 y + 16 y^3)
        hess L  = [[8 - 25.2 x^2 + 10 x^4, 1], [1, 48 y^2 - 8]]

    The gradient's code is `gradient_formula` in this module (a coefficient matrix computes
    it faster on a few points at a time).

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
        gradient=_gradient,
        hessian=_hessian,
        params={},
        finite_in_reach=True,
        description=(
            "Six valleys of three different depths: a descent ends in whichever one it "
            "starts above."
        ),
    )
