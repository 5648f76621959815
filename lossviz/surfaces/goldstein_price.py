"""The Goldstein-Price function: a deep global minimum among shallower local ones."""

from __future__ import annotations

from functools import cache

import numpy as np

from lossviz.surfaces._minima import polish_minima
from lossviz.surfaces.base import Surface, gradient_by_terms, hessian_by_terms, register

# Published minima (loss 3, 30, 84, 840), global first; polished at build time.
_PUBLISHED_MINIMA = [(0.0, -1.0), (-0.6, -0.4), (1.8, 0.2), (1.2, 0.8)]


def _loss(x, y):
    s, d = x + y + 1.0, 2.0 * x - 3.0 * y
    first = 1.0 + s * s * (19.0 - 14.0 * x + 3.0 * x * x - 14.0 * y + 6.0 * x * y + 3.0 * y * y)
    second = 30.0 + d * d * (
        18.0 - 32.0 * x + 12.0 * x * x + 48.0 * y - 36.0 * x * y + 27.0 * y * y
    )
    return first * second


def _factors(x, y):
    """``s, d, A(s), A'(s), B(d), B'(d)`` (see `gradient_formula`)."""
    s, d = x + y + 1.0, 2.0 * x - 3.0 * y
    a = 1.0 + s * s * (3.0 * s * s - 20.0 * s + 36.0)  # A(s)
    da = 12.0 * s * (s - 2.0) * (s - 3.0)  # A'(s)
    b = 30.0 + d * d * (3.0 * d * d - 16.0 * d + 18.0)  # B(d)
    db = 12.0 * d * (d - 1.0) * (d - 3.0)  # B'(d)
    return s, d, a, da, b, db


def _gradient_terms(x, y):
    _, _, a, da, b, db = _factors(x, y)
    return da * b + 2.0 * a * db, da * b - 3.0 * a * db


def _hessian_terms(x, y):
    s, d, a, da, b, db = _factors(x, y)
    dda = 12.0 * (3.0 * s * s - 10.0 * s + 6.0)  # A''(s)
    ddb = 12.0 * (3.0 * d * d - 8.0 * d + 3.0)  # B''(d)
    ss, sd, dd = dda * b, da * db, a * ddb
    return ss + 4.0 * sd + 4.0 * dd, ss - sd - 6.0 * dd, ss - 6.0 * sd + 9.0 * dd


def gradient_formula(p: np.ndarray) -> np.ndarray:
    """The gradient as derived by hand, at points (..., 2); shape (..., 2).

    The loss is ``A(s) B(d)`` with ``s = x + y + 1`` and ``d = 2 x - 3 y``, so by the
    product and chain rules (``grad s = (1, 1)``, ``grad d = (2, -3)``)::

        grad L = A'(s) B(d) (1, 1) + A(s) B'(d) (2, -3)
        A(s) = 1 + s^2 (3 s^2 - 20 s + 36),    A'(s) = 12 s (s - 2) (s - 3)
        B(d) = 30 + d^2 (3 d^2 - 16 d + 18),   B'(d) = 12 d (d - 1) (d - 3)

    On a few points (the live widget's case) the same arithmetic runs on Python floats
    (`lossviz.surfaces.base.gradient_by_terms`): the same bits, fewer numpy calls.

    Examples
    --------
    >>> gradient_formula(np.array([[0.0, -1.0], [0.0, 0.0]])).tolist()
    [[0.0, 0.0], [720.0, 720.0]]
    """
    return gradient_by_terms(_gradient_terms, p)


def hessian_formula(p: np.ndarray) -> np.ndarray:
    """The Hessian as derived by hand, at points (..., 2); shape (..., 2, 2).

    Differentiating `gradient_formula` once more (``grad s`` and ``grad d`` are constant)::

        hess L = A'' B [[1, 1], [1, 1]] + A' B' [[4, -1], [-1, -6]] + A B'' [[4, -6], [-6, 9]]
        A''(s) = 12 (3 s^2 - 10 s + 6),   B''(d) = 12 (3 d^2 - 8 d + 3)

    The middle matrix is ``gs gd^T + gd gs^T`` for ``gs = (1, 1)``, ``gd = (2, -3)``.
    As `gradient_formula`, on Python floats for a few points.
    """
    return hessian_by_terms(_hessian_terms, p)


@cache
def _minima() -> np.ndarray:
    return polish_minima(
        _loss, _PUBLISHED_MINIMA, gradient=gradient_formula, hessian=hessian_formula
    )


@register("goldstein_price")
def goldstein_price() -> Surface:
    """The Goldstein-Price function, global minimum 3 at ``(0, -1)``.

    ::

        L(x, y) = [1 + (x + y + 1)^2 (19 - 14 x + 3 x^2 - 14 y + 6 x y + 3 y^2)]
                * [30 + (2 x - 3 y)^2 (18 - 32 x + 12 x^2 + 48 y - 36 x y + 27 y^2)]
                = A(s) B(d),   s = x + y + 1,   d = 2 x - 3 y
        grad L  = A'(s) B(d) (1, 1) + A(s) B'(d) (2, -3)
        hess L  = A'' B [[1, 1], [1, 1]] + A' B' [[4, -1], [-1, -6]] + A B'' [[4, -6], [-6, 9]]

    where ``A(s) = 1 + s^2 (3 s^2 - 20 s + 36)`` and ``B(d) = 30 + d^2 (3 d^2 - 16 d + 18)``.
    The code of both derivatives is `gradient_formula` and `hessian_formula` in this module.

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
        gradient=gradient_formula,
        hessian=hessian_formula,
        params={},
        finite_in_reach=True,
        description=(
            "A deep global minimum at (0, -1) surrounded by shallower local minima, on a "
            "loss that spans six orders of magnitude."
        ),
    )
