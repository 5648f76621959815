"""Saddle points: flat spots that are not minima, where plain gradient descent lingers."""

from __future__ import annotations

import math

import numpy as np

from lossviz.surfaces.base import (
    Surface,
    gradient_by_terms,
    hessian_by_terms,
    hessian_from_entries,
    register,
)


@register("saddle")
def saddle() -> Surface:
    """A saddle at the origin, with two minima where the quartic term bends ``-y^2`` back up.

    ::

        L(x, y) = x^2 - y^2 + y^4 / 4
        grad L  = (2 x, y^3 - 2 y)
        hess L  = [[2, 0], [0, 3 y^2 - 2]]

    The origin is a saddle (curvatures 2 and -2); the minima are ``(0, +-sqrt 2)``
    with loss -1. The start ``(1.8, 1e-3)`` sits just off the saddle's stable
    manifold (the x-axis), so gradient descent first slides to the saddle and
    lingers there before the tiny ``y`` grows and it escapes.

    Returns
    -------
    Surface
        Bounds ``(-2, 2) x (-2, 2)``, start ``(1.8, 1e-3)``, two minima.

    Examples
    --------
    >>> s = saddle()
    >>> s.minima.round(6).tolist(), round(float(s(s.minima[0])), 12)
    ([[0.0, 1.414214], [0.0, -1.414214]], -1.0)
    """

    def loss(x, y):
        return x * x - y * y + 0.25 * y**4

    def gradient(p: np.ndarray) -> np.ndarray:
        # grad L = (2 x, y^3 - 2 y) = (x, y) * (2, y^2) - (0, 2 y), built in place.
        out = p * p
        out[..., 0] = 2.0
        out *= p
        out[..., 1] -= 2.0 * p[..., 1]  # subtracting last makes the origin +0, not -0
        return out

    def hessian(p: np.ndarray) -> np.ndarray:
        """``[[2, 0], [0, 3 y^2 - 2]]``, shape (..., 2, 2)."""
        y = p[..., 1]
        return hessian_from_entries(p, 2.0, 0.0, 3.0 * y * y - 2.0)

    root2 = math.sqrt(2.0)
    return Surface(
        "saddle",
        loss,
        ((-2.0, 2.0), (-2.0, 2.0)),
        minima=[(0.0, root2), (0.0, -root2)],
        start=(1.8, 1e-3),
        gradient=gradient,
        hessian=hessian,
        params={},
        finite_in_reach=True,
        description=(
            "A saddle at the centre: downhill one way, uphill the other, with the "
            "gradient vanishing in between."
        ),
    )


@register("monkey_saddle")
def monkey_saddle() -> Surface:
    """The monkey saddle ``x^3 - 3 x y^2``, bounded by a quartic bowl into three valleys.

    ::

        L(x, y) = x^3 - 3 x y^2 + (x^2 + y^2)^2 / 2  =  r^3 cos(3 phi) + r^4 / 2
        grad L  = (3 (x^2 - y^2) + 2 x r^2,  2 y (r^2 - 3 x)),   r^2 = x^2 + y^2
        hess L  = [[6 x + 6 x^2 + 2 y^2,  4 x y - 6 y        ],
                   [4 x y - 6 y,          2 x^2 + 6 y^2 - 6 x]]

    The origin is a degenerate saddle (gradient and Hessian both vanish there),
    with three descending valleys at ``phi = 60, 180, 300`` degrees. The minima
    sit at ``r = 3/2`` in those directions, with loss ``-27/32``.

    Returns
    -------
    Surface
        Bounds ``(-2, 2) x (-2, 2)``, start ``(1.2, 0.02)``, three minima.

    Examples
    --------
    >>> s = monkey_saddle()
    >>> float(s([-1.5, 0.0]))
    -0.84375
    """

    def loss(x, y):
        r2 = x * x + y * y
        return x * (x * x - 3.0 * y * y) + 0.5 * r2 * r2

    def gradient_terms(x, y):
        x2, y2 = x * x, y * y
        r2 = x2 + y2
        return 3.0 * (x2 - y2) + 2.0 * x * r2, 2.0 * y * (r2 - 3.0 * x)

    def hessian_terms(x, y):
        """``[[6 x + 6 x^2 + 2 y^2, 4 x y - 6 y], [4 x y - 6 y, 2 x^2 + 6 y^2 - 6 x]]``."""
        x2, y2 = x * x, y * y
        return 6.0 * x + 6.0 * x2 + 2.0 * y2, (4.0 * x - 6.0) * y, 2.0 * x2 + 6.0 * y2 - 6.0 * x

    def gradient(p: np.ndarray) -> np.ndarray:
        return gradient_by_terms(gradient_terms, p)

    def hessian(p: np.ndarray) -> np.ndarray:
        return hessian_by_terms(hessian_terms, p)

    # The minima of r^3 cos(3 phi) + r^4 / 2: cos(3 phi) = -1 and 3 r^2 = -2 r^3 cos(3 phi).
    half = 0.75  # 1.5 cos(60 degrees)
    height = 0.75 * math.sqrt(3.0)  # 1.5 sin(60 degrees)
    return Surface(
        "monkey_saddle",
        loss,
        ((-2.0, 2.0), (-2.0, 2.0)),
        minima=[(-1.5, 0.0), (half, height), (half, -height)],
        start=(1.2, 0.02),
        gradient=gradient,
        hessian=hessian,
        params={},
        finite_in_reach=True,
        description=(
            "A monkey saddle: three valleys meet at a flat centre where the gradient "
            "and the curvature both vanish."
        ),
    )
