"""Beale's function: a sharp minimum at the end of flat, curving valleys."""

from __future__ import annotations

import numpy as np

from lossviz.surfaces.base import Surface, gradient_by_terms, hessian_by_terms, register


def _gradient_terms(x, y):
    # t_k = c_k - x + x y^k and grad L = sum_k 2 t_k (y^k - 1, k x y^(k-1)).
    y2 = y * y
    y3 = y2 * y
    t1, t2, t3 = 1.5 - x + x * y, 2.25 - x + x * y2, 2.625 - x + x * y3
    dx = 2.0 * (t1 * (y - 1.0) + t2 * (y2 - 1.0) + t3 * (y3 - 1.0))
    dy = 2.0 * (t1 * x + t2 * 2.0 * x * y + t3 * 3.0 * x * y2)
    return dx, dy


def _hessian_terms(x, y):
    # hess L = sum_k 2 (grad t_k grad t_k^T + t_k hess t_k), entries (xx, xy, yy).
    y2 = y * y
    y3 = y2 * y
    t1, t2, t3 = 1.5 - x + x * y, 2.25 - x + x * y2, 2.625 - x + x * y3
    u1, u2, u3 = y - 1.0, y2 - 1.0, y3 - 1.0  # y^k - 1
    v2, v3 = 2.0 * x * y, 3.0 * x * y2  # k x y^(k-1), k = 2, 3 (x for k = 1)
    xx = 2.0 * (u1 * u1 + u2 * u2 + u3 * u3)
    xy = 2.0 * ((u1 * x + t1) + (u2 * v2 + t2 * 2.0 * y) + (u3 * v3 + t3 * 3.0 * y2))
    yy = 2.0 * (x * x + (v2 * v2 + t2 * 2.0 * x) + (v3 * v3 + t3 * 6.0 * x * y))
    return xx, xy, yy


def gradient_formula(p: np.ndarray) -> np.ndarray:
    """The gradient as derived by hand, at points (..., 2); shape (..., 2).

    With ``t_k = c_k - x + x y^k`` for ``c = (1.5, 2.25, 2.625)``, so that ``L = sum_k t_k^2``::

        grad L = sum_k 2 t_k (y^k - 1,  k x y^(k-1))

    On a few points (the live widget's case) the same arithmetic runs on Python floats
    (`lossviz.surfaces.base.gradient_by_terms`): the same bits, fewer numpy calls.

    Examples
    --------
    >>> gradient_formula(np.array([[1.0, 0.0], [1.0, 1.0]])).tolist()
    [[-6.75, 1.0], [0.0, 27.75]]
    """
    return gradient_by_terms(_gradient_terms, p)


def hessian_formula(p: np.ndarray) -> np.ndarray:
    """The Hessian as derived by hand, at points (..., 2); shape (..., 2, 2).

    ``hess L = sum_k 2 (grad t_k grad t_k^T + t_k hess t_k)`` with
    ``grad t_k = (y^k - 1, k x y^(k-1))`` and
    ``hess t_k = [[0, k y^(k-1)], [k y^(k-1), k (k-1) x y^(k-2)]]``, that is::

        d2L/dx2  = 2 sum_k (y^k - 1)^2
        d2L/dxdy = 2 sum_k ((y^k - 1) k x y^(k-1) + t_k k y^(k-1))
        d2L/dy2  = 2 sum_k ((k x y^(k-1))^2 + t_k k (k-1) x y^(k-2))

    As `gradient_formula`, on Python floats for a few points.
    """
    return hessian_by_terms(_hessian_terms, p)


@register("beale")
def beale() -> Surface:
    """Beale's function, minimum 0 at ``(3, 1/2)``.

    ::

        L(x, y) = (1.5 - x + x y)^2 + (2.25 - x + x y^2)^2 + (2.625 - x + x y^3)^2
                = sum_k t_k^2,   t_k = c_k - x + x y^k,   c = (1.5, 2.25, 2.625)
        grad L  = sum_k 2 t_k (y^k - 1,  k x y^(k-1))
        hess L  = sum_k 2 (grad t_k grad t_k^T + t_k hess t_k),
        hess t_k = [[0, k y^(k-1)], [k y^(k-1), k (k-1) x y^(k-2)]]

    The code of both is `gradient_formula` and `hessian_formula` in this module.

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
        gradient=gradient_formula,
        hessian=hessian_formula,
        params={},
        finite_in_reach=True,
        description=(
            "Flat plains and steep walls around a narrow valley that leads to the "
            "minimum at (3, 0.5)."
        ),
    )
