"""Beale's function: a sharp minimum at the end of flat, curving valleys."""

from __future__ import annotations

import numpy as np

from lossviz.surfaces.base import Surface, hessian_from_entries, register


def gradient_formula(p: np.ndarray) -> np.ndarray:
    """The gradient as derived by hand, at points (..., 2); shape (..., 2).

    With ``t_k = c_k - x + x y^k`` for ``c = (1.5, 2.25, 2.625)``, so that ``L = sum_k t_k^2``::

        grad L = sum_k 2 t_k (y^k - 1,  k x y^(k-1))

    This is the surface's gradient for more than a few points at a time; for a few (the
    live widget's case) the same polynomials are read off a coefficient matrix, see
    `_gradient_by_matrix` below.

    Examples
    --------
    >>> gradient_formula(np.array([[1.0, 0.0], [1.0, 1.0]])).tolist()
    [[-6.75, 1.0], [0.0, 27.75]]
    """
    x, y = p[..., 0], p[..., 1]
    y2, y3 = y * y, y * y * y
    t1, t2, t3 = 1.5 - x + x * y, 2.25 - x + x * y2, 2.625 - x + x * y3
    dx = 2.0 * (t1 * (y - 1.0) + t2 * (y2 - 1.0) + t3 * (y3 - 1.0))
    dy = 2.0 * (t1 * x + t2 * 2.0 * x * y + t3 * 3.0 * x * y2)
    return np.stack([dx, dy], axis=-1)


def hessian_formula(p: np.ndarray) -> np.ndarray:
    """The Hessian as derived by hand, at points (..., 2); shape (..., 2, 2).

    ``hess L = sum_k 2 (grad t_k grad t_k^T + t_k hess t_k)`` with
    ``grad t_k = (y^k - 1, k x y^(k-1))`` and
    ``hess t_k = [[0, k y^(k-1)], [k y^(k-1), k (k-1) x y^(k-2)]]``, that is::

        d2L/dx2  = 2 sum_k (y^k - 1)^2
        d2L/dxdy = 2 sum_k ((y^k - 1) k x y^(k-1) + t_k k y^(k-1))
        d2L/dy2  = 2 sum_k ((k x y^(k-1))^2 + t_k k (k-1) x y^(k-2))

    As with `gradient_formula`, a few points at a time go through a coefficient matrix.
    """
    x, y = p[..., 0], p[..., 1]
    y2, y3 = y * y, y * y * y
    t1, t2, t3 = 1.5 - x + x * y, 2.25 - x + x * y2, 2.625 - x + x * y3
    xx = 2.0 * ((y - 1.0) ** 2 + (y2 - 1.0) ** 2 + (y3 - 1.0) ** 2)
    xy = 2.0 * (
        ((y - 1.0) * x + t1)  # k = 1
        + ((y2 - 1.0) * 2.0 * x * y + t2 * 2.0 * y)  # k = 2
        + ((y3 - 1.0) * 3.0 * x * y2 + t3 * 3.0 * y2)  # k = 3
    )
    yy = 2.0 * (
        x * x  # k = 1
        + ((2.0 * x * y) ** 2 + t2 * 2.0 * x)  # k = 2
        + ((3.0 * x * y2) ** 2 + t3 * 6.0 * x * y)  # k = 3
    )
    return hessian_from_entries(p, xx, xy, yy)


# -- the fast path for a few points -------------------------------------------------------------
# On a few points each numpy call costs about the same whatever it computes, so fewer calls
# win: expanding each term t_k in powers of y, the gradient is
#   dL/dx = x P(y) + Q(y),   P(y) = 2 (3 - 2 y - y^2 - 2 y^3 + y^4 + y^6),
#                             Q(y) = 2 (-6.375 + 1.5 y + 2.25 y^2 + 2.625 y^3),
#   dL/dy = x (x R(y) + S(y)), R(y) = 2 (-1 - y - 3 y^2 + 2 y^3 + 3 y^5),
#                             S(y) = 2 (1.5 + 4.5 y + 7.875 y^2),
# so one product of the powers (1, y, ..., y^6) with a matrix gives P, Q, R and S. On many
# points the powers y^k (a float power per entry) cost more than the formula: up to _FEW
# points the matrix form is faster, beyond it the formula (benchmarks/bench_gradients.py).
_FEW = 64
_POWERS = np.arange(7.0)
_HALVES = np.array(  # coefficients of y^0 ... y^6
    [
        [3.0, -2.0, -1.0, -2.0, 1.0, 0.0, 1.0],  # P / 2
        [-6.375, 1.5, 2.25, 2.625, 0.0, 0.0, 0.0],  # Q / 2
        [-1.0, -1.0, -3.0, 2.0, 0.0, 3.0, 0.0],  # R / 2
        [1.5, 4.5, 7.875, 0.0, 0.0, 0.0, 0.0],  # S / 2
    ]
)
_POLYNOMIALS = 2.0 * _HALVES.T  # (7, 4)
# Differentiating once more, with dP/dy = 2 R and dQ/dy = S:
#   d2L/dx2 = P(y),   d2L/dxdy = 2 x R(y) + S(y),   d2L/dy2 = x (x R'(y) + S'(y)),
#   R'(y) = 2 (-1 - 6 y + 6 y^2 + 15 y^4),   S'(y) = 2 (4.5 + 15.75 y).
_HESSIAN_HALVES = np.array(  # coefficients of y^0 ... y^6
    [
        *_HALVES[[0, 2, 3]],  # P / 2, R / 2, S / 2
        [-1.0, -6.0, 6.0, 0.0, 15.0, 0.0, 0.0],  # R' / 2
        [4.5, 15.75, 0.0, 0.0, 0.0, 0.0, 0.0],  # S' / 2
    ]
)
_HESSIAN_POLYNOMIALS = 2.0 * _HESSIAN_HALVES.T  # (7, 5): columns P, R, S, R', S'


def _gradient_by_matrix(p: np.ndarray) -> np.ndarray:
    """`gradient_formula` as ``(x P + Q, x (x R + S))``, polynomials in y from one product."""
    x = p[..., 0]
    pqrs = np.dot(p[..., 1:2] ** _POWERS, _POLYNOMIALS)  # (..., 4)
    out = np.empty_like(p)
    out[..., 0] = x * pqrs[..., 0] + pqrs[..., 1]
    out[..., 1] = (x * pqrs[..., 2] + pqrs[..., 3]) * x
    return out


def _hessian_by_matrix(p: np.ndarray) -> np.ndarray:
    """`hessian_formula` as ``[[P, 2 x R + S], [2 x R + S, x (x R' + S')]]``, polynomials in y."""
    x = p[..., 0]
    prs = np.dot(p[..., 1:2] ** _POWERS, _HESSIAN_POLYNOMIALS)  # (..., 5): P, R, S, R', S'
    return hessian_from_entries(
        p,
        prs[..., 0],
        2.0 * x * prs[..., 1] + prs[..., 2],
        x * (x * prs[..., 3] + prs[..., 4]),
    )


def _gradient(p: np.ndarray) -> np.ndarray:
    """The surface's gradient: by matrix on up to `_FEW` points, else `gradient_formula`."""
    return _gradient_by_matrix(p) if p.size <= 2 * _FEW else gradient_formula(p)


def _hessian(p: np.ndarray) -> np.ndarray:
    """The surface's Hessian: by matrix on up to `_FEW` points, else `hessian_formula`."""
    return _hessian_by_matrix(p) if p.size <= 2 * _FEW else hessian_formula(p)


@register("beale")
def beale() -> Surface:
    """Beale's function, minimum 0 at ``(3, 1/2)``.

    ::

        L(x, y) = (1.5 - x + x y)^2 + (2.25 - x + x y^2)^2 + (2.625 - x + x y^3)^2
                = sum_k t_k^2,   t_k = c_k - x + x y^k,   c = (1.5, 2.25, 2.625)
        grad L  = sum_k 2 t_k (y^k - 1,  k x y^(k-1))
        hess L  = sum_k 2 (grad t_k grad t_k^T + t_k hess t_k),
        hess t_k = [[0, k y^(k-1)], [k y^(k-1), k (k-1) x y^(k-2)]]

    The code of both is `gradient_formula` and `hessian_formula` in this module (a
    coefficient matrix computes them faster on a few points at a time).

    The loss ranges over five orders of magnitude within the bounds: steep
    walls at large ``|y|``, and a flat region around the line ``x = 0``
    (where the loss is constant, 14.203125).

    Returns
    -------
    Surface
        Bounds ``(-4.5, 4.5) x (-4.5, 4.5)``, start ``(1, 1.5)``, one minimum.

    Examples
    --------
    >>> float(beale()([3.0, 0.5]))
    0.0
    """

    def loss(x, y):
        return (
            (1.5 - x + x * y) ** 2 + (2.25 - x + x * y * y) ** 2 + (2.625 - x + x * y * y * y) ** 2
        )

    return Surface(
        "beale",
        loss,
        ((-4.5, 4.5), (-4.5, 4.5)),
        minima=[(3.0, 0.5)],
        start=(1.0, 1.5),
        gradient=_gradient,
        hessian=_hessian,
        params={},
        finite_in_reach=True,
        description=(
            "Flat plains and steep walls around a narrow valley that leads to the "
            "minimum at (3, 0.5)."
        ),
    )
