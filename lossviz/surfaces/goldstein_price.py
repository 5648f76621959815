"""The Goldstein-Price function: a deep global minimum among shallower local ones."""

from __future__ import annotations

from functools import cache

import numpy as np

from lossviz.surfaces._minima import polish_minima
from lossviz.surfaces.base import Surface, hessian_from_entries, register

# Published minima (loss 3, 30, 84, 840), global first; polished at build time.
_PUBLISHED_MINIMA = [(0.0, -1.0), (-0.6, -0.4), (1.8, 0.2), (1.2, 0.8)]


def _loss(x, y):
    s, d = x + y + 1.0, 2.0 * x - 3.0 * y
    first = 1.0 + s * s * (19.0 - 14.0 * x + 3.0 * x * x - 14.0 * y + 6.0 * x * y + 3.0 * y * y)
    second = 30.0 + d * d * (
        18.0 - 32.0 * x + 12.0 * x * x + 48.0 * y - 36.0 * x * y + 27.0 * y * y
    )
    return first * second


# The two factors depend on p only through s = x + y + 1 and d = 2 x - 3 y:
#   A = 1 + s^2 (3 s^2 - 20 s + 36),   A' = dA/ds = 12 s (s - 2) (s - 3),
#   B = 30 + d^2 (3 d^2 - 16 d + 18),  B' = dB/dd = 12 d (d - 1) (d - 3),
# so grad L = A' B (1, 1) + A B' (2, -3). Each line below works on both columns (s, d) at once.
_TO_S_D = np.array([[1.0, 2.0], [1.0, -3.0]])  # (s, d) = p @ _TO_S_D + (1, 0)
_S_D_OFFSET = np.array([1.0, 0.0])
# Column by column, with u = (s, d):
#   (A, B) = u^2 ((3 u + c1) u + c2) + c0,   (A', B') = 12 u (u - r1) (u - r2).
_C1, _C2, _C0 = np.array([-20.0, -16.0]), np.array([36.0, 18.0]), np.array([1.0, 30.0])
_R1, _R2 = np.array([2.0, 1.0]), np.array([3.0, 3.0])
_CHAIN = np.array([[1.0, 1.0], [2.0, -3.0]])  # rows: grad s and grad d


def _gradient(p: np.ndarray) -> np.ndarray:
    u = np.dot(p, _TO_S_D) + _S_D_OFFSET  # (s, d)
    factors = u * u * ((3.0 * u + _C1) * u + _C2) + _C0  # (A, B)
    slopes = 12.0 * u * (u - _R1) * (u - _R2)  # (A', B')
    return np.dot(slopes * factors[..., ::-1], _CHAIN)  # (A' B, A B') @ [[1, 1], [2, -3]]


# Differentiating grad L = A' B grad s + A B' grad d once more (grad s and grad d are constant),
# by the product rule:
#   hess L = A'' B gs gs^T + A' B' (gs gd^T + gd gs^T) + A B'' gd gd^T,   gs = (1, 1), gd = (2, -3)
#          = A'' B [[1, 1], [1, 1]] + A' B' [[4, -1], [-1, -6]] + A B'' [[4, -6], [-6, 9]],
#   A'' = 12 (3 s^2 - 10 s + 6),   B'' = 12 (3 d^2 - 8 d + 3),
# that is (A'', B'') = 12 ((3 u + k1) u + k0) column by column.
_K1, _K0 = np.array([-10.0, -8.0]), np.array([6.0, 3.0])


def _hessian(p: np.ndarray) -> np.ndarray:
    """``A'' B [[1, 1], [1, 1]] + A' B' [[4, -1], [-1, -6]] + A B'' [[4, -6], [-6, 9]]``."""
    u = np.dot(p, _TO_S_D) + _S_D_OFFSET  # (s, d)
    factors = u * u * ((3.0 * u + _C1) * u + _C2) + _C0  # (A, B)
    slopes = 12.0 * u * (u - _R1) * (u - _R2)  # (A', B')
    bends = 12.0 * ((3.0 * u + _K1) * u + _K0)  # (A'', B'')
    ss = bends[..., 0] * factors[..., 1]  # A'' B
    sd = slopes[..., 0] * slopes[..., 1]  # A' B'
    dd = factors[..., 0] * bends[..., 1]  # A B''
    return hessian_from_entries(
        p, ss + 4.0 * sd + 4.0 * dd, ss - sd - 6.0 * dd, ss - 6.0 * sd + 9.0 * dd
    )


@cache
def _minima() -> np.ndarray:
    return polish_minima(_loss, _PUBLISHED_MINIMA, gradient=_gradient, hessian=_hessian)


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
        gradient=_gradient,
        hessian=_hessian,
        params={},
        description=(
            "A deep global minimum at (0, -1) surrounded by shallower local minima, on a "
            "loss that spans six orders of magnitude."
        ),
    )
