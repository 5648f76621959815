"""A long plateau, a narrow ridge and a valley behind it."""

from __future__ import annotations

from functools import cache

import autograd.numpy as anp
import numpy as np

from lossviz.surfaces._minima import find_minima
from lossviz.surfaces.base import Surface, hessian_from_entries, register

_BOUNDS = ((-4.0, 3.5), (-2.0, 2.0))
_RIDGE_SPREAD = -0.5 / 0.08**2  # g = exp(_RIDGE_SPREAD (x - 1)^2)


def _loss(x, y):
    cliff = 0.5 * (1.0 + anp.tanh(2.0 * x))  # 0 on the plateau, 1 past the cliff edge
    valley = 1.0 - anp.exp(-((x - 2.0) ** 2 + 2.0 * y * y) / 4.0)  # stays below 1.2
    ridge = (
        0.5
        * anp.exp(-0.5 * ((x - 1.0) / 0.08) ** 2)
        * 0.5
        * (1.0 - anp.tanh((y - 0.6) / 0.1))  # ends at y = 0.6, leaving a way round
    )
    return 1.2 - cliff * (1.2 - valley) + ridge


def _arguments(x, y):
    """The arguments of the derivatives' four functions: ``tanh 2x``, ``tanh((y - 0.6) / 0.1)``,
    ``e = exp(-((x - 2)^2 + 2 y^2) / 4)`` and ``g = exp(K (x - 1)^2)``."""
    x2, x1 = x - 2.0, x - 1.0
    return 2.0 * x, 10.0 * y - 6.0, -0.25 * x2 * x2 - 0.5 * y * y, _RIDGE_SPREAD * x1 * x1


def _gradient_terms(x, y, c, t, e, g):
    # With c = tanh 2x, t = tanh((y - 0.6) / 0.1), e = 1 - v and g = exp(-(x - 1)^2 / (2 w^2)),
    # w = 0.08, the loss is 1.2 - (1 + c) (0.2 + e) / 2 + g (1 - t) / 4, so
    #   dL/dx = (c^2 - 1) (0.2 + e) + (1 + c) e (x - 2) / 4 - g (1 - t) (x - 1) / (4 w^2)
    #   dL/dy = (1 + c) e y / 2 - 2.5 g (1 - t^2)
    x2, x1 = x - 2.0, x - 1.0
    ce = (1.0 + c) * e
    ridge_slope = 0.5 * _RIDGE_SPREAD * g * (1.0 - t) * x1  # d/dx of g (1 - t) / 4
    dx = (c * c - 1.0) * (0.2 + e) + 0.25 * ce * x2 + ridge_slope
    dy = 0.5 * ce * y - 2.5 * g * (1.0 - t * t)
    return dx, dy


def _hessian_terms(x, y, c, t, e, g):
    # From dc/dx = 2 (1 - c^2), de/dx = -e (x - 2) / 2, de/dy = -e y, dg/dx = 2 K (x - 1) g
    # and dt/dy = 10 (1 - t^2), with K = _RIDGE_SPREAD.
    x2, x1 = x - 2.0, x - 1.0
    cliff, step = 1.0 - c * c, 1.0 - t * t  # the tanh' factors
    ce = (1.0 + c) * e
    xx = (
        4.0 * c * cliff * (0.2 + e)
        + cliff * e * x2
        + ce * (0.25 - 0.125 * x2 * x2)
        + 0.5 * _RIDGE_SPREAD * g * (1.0 - t) * (1.0 + 2.0 * _RIDGE_SPREAD * x1 * x1)
    )
    xy = (cliff * e - 0.25 * ce * x2) * y - 5.0 * _RIDGE_SPREAD * g * step * x1
    yy = 0.5 * ce * (1.0 - y * y) + 50.0 * g * t * step
    return xx, xy, yy


_ON_FLOATS = 8
"""`_by_terms` computes on Python floats up to this many points (past it the arrays cost less)."""


def _by_terms(terms, p: np.ndarray) -> tuple:
    """``terms(x, y, c, t, e, g)`` at points ``p`` (..., 2): a tuple of arrays of shape (...).

    On up to `_ON_FLOATS` points the arithmetic runs on Python floats, with each function
    taken once for the whole batch by numpy (numpy's tanh and exp, not math's: the two may
    differ in the last bit); on more, on whole arrays. The same operations either way, so
    a point gets the same bits alone or in any batch.
    """
    if 0 < p.size <= 2 * _ON_FLOATS:
        points = p.reshape(-1, 2).tolist()
        tanh_of, exp_of = [], []
        for x, y in points:
            c, t, e, g = _arguments(x, y)
            tanh_of += (c, t)
            exp_of += (e, g)
        tanhs, exps = iter(np.tanh(tanh_of).tolist()), iter(np.exp(exp_of).tolist())
        rows = [  # arguments are taken left to right: (c, t) then (e, g) of each point
            terms(x, y, next(tanhs), next(tanhs), next(exps), next(exps)) for x, y in points
        ]
        return tuple(np.array(rows, dtype=np.float64).T.reshape(-1, *p.shape[:-1]))
    x, y = p[..., 0], p[..., 1]
    cx, ty, ex, gx = _arguments(x, y)
    return terms(x, y, np.tanh(cx), np.tanh(ty), np.exp(ex), np.exp(gx))


def _gradient(p: np.ndarray) -> np.ndarray:
    dx, dy = _by_terms(_gradient_terms, p)
    out = np.empty(p.shape)
    out[..., 0] = dx
    out[..., 1] = dy
    return out


def _hessian(p: np.ndarray) -> np.ndarray:
    """The second derivatives written out in `plateau_ridge`'s docstring, shape (..., 2, 2)."""
    return hessian_from_entries(p, *_by_terms(_hessian_terms, p))


@cache
def _minima() -> np.ndarray:
    return find_minima(
        _loss,
        _BOUNDS,
        [(2.0, 0.0), (0.8, 0.0)],
        gradient=_gradient,
        hessian=_hessian,
        resolution=301,
    )


@register("plateau_ridge")
def plateau_ridge() -> Surface:
    """A long flat plateau, then a valley guarded by a narrow ridge.

    ::

        L(x, y) = 1.2 - s(x) (1.2 - v(x, y)) + r(x, y)
        s(x)    = (1 + tanh 2x) / 2                                  (the cliff edge)
        v(x, y) = 1 - exp(-((x - 2)^2 + 2 y^2) / 4)                  (the valley)
        r(x, y) = 0.5 exp(-(x - 1)^2 / (2 * 0.08^2)) (1 - tanh((y - 0.6) / 0.1)) / 2

    and, with ``c = tanh 2x``, ``e = 1 - v``, ``g = exp(-(x - 1)^2 / (2 * 0.08^2))``,
    ``t = tanh((y - 0.6) / 0.1)``, the hand-derived gradient ::

        dL/dx   = (c^2 - 1) (0.2 + e) + (1 + c) e (x - 2) / 4 - g (1 - t) (x - 1) / (4 * 0.08^2)
        dL/dy   = (1 + c) e y / 2 - 2.5 g (1 - t^2)

    and, differentiating once more with ``K = -1 / (2 * 0.08^2)``, the Hessian ::

        d2L/dx2  = 4 c (1 - c^2) (0.2 + e) + (1 - c^2) e (x - 2) + (1 + c) e (1/4 - (x - 2)^2 / 8)
                   + K g (1 - t) (1 + 2 K (x - 1)^2) / 2
        d2L/dxdy = (1 - c^2) e y - (1 + c) e y (x - 2) / 4 - 5 K g (1 - t^2) (x - 1)
        d2L/dy2  = (1 + c) e (1 - y^2) / 2 + 50 g t (1 - t^2)

    For ``x < -1.5`` the loss is within ``1e-3`` of the plateau height 1.2 and the
    gradient fades like ``exp(4 x)``. Past the cliff edge a ridge 0.5 high and
    about 0.2 wide runs along ``x = 1`` up to ``y = 0.6``: in front of it lies
    a local minimum, behind it the global one near ``(2, 0)``, reached by going
    round the ridge's end or by a step long enough to jump over it.

    Returns
    -------
    Surface
        Bounds ``(-4, 3.5) x (-2, 2)``, start ``(-2, -0.5)`` on the plateau, two minima.

    Examples
    --------
    >>> s = plateau_ridge()
    >>> s.minima.round(2).tolist(), bool(abs(s.grad(s.start)).max() < 1e-3)
    ([[2.0, 0.0], [0.79, 0.0]], True)
    """
    return Surface(
        "plateau_ridge",
        _loss,
        _BOUNDS,
        minima=_minima().copy(),
        start=(-2.0, -0.5),
        gradient=_gradient,
        hessian=_hessian,
        params={},
        finite_in_reach=True,
        description=(
            "A plateau where the gradient all but vanishes, then a narrow ridge that "
            "guards the valley holding the minimum."
        ),
    )
