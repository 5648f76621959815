"""Rosenbrock's banana valley: easy to find, slow to follow."""

from __future__ import annotations

import numpy as np

from lossviz._checks import check_number
from lossviz.surfaces.base import Surface, hessian_from_entries, register


@register("rosenbrock")
def rosenbrock(a: float = 1.0, b: float = 100.0) -> Surface:
    """Rosenbrock's function, a curved, narrow valley with its minimum at ``(a, a^2)``.

    ::

        L(x, y) = (a - x)^2 + b (y - x^2)^2
        grad L  = (2 (x - a) - 4 b x (y - x^2),  2 b (y - x^2))    (derived by hand)
        hess L  = [[2 - 4 b (y - x^2) + 8 b x^2,  -4 b x],
                   [-4 b x,                         2 b  ]]

    Parameters
    ----------
    a
        Position of the minimum, ``(a, a^2)``; in [-2, 2].
    b
        Steepness of the valley walls; > 0. Larger ``b`` makes the valley
        narrower and the problem worse conditioned.

    Returns
    -------
    Surface
        Bounds about ``(-2, 2) x (-1, 3)`` (widened to contain the minimum),
        start ``(-1.5, 2)`` (mirrored to ``(1.5, 2)`` when ``a < 0``), one minimum.

    Examples
    --------
    >>> s = rosenbrock()
    >>> float(s([1.0, 1.0])), s.grad([0.0, 0.0]).tolist()
    (0.0, [-2.0, 0.0])
    """
    a = check_number(a, "a", low=-2.0, high=2.0)
    b = check_number(b, "b", low=0.0, low_open=True)
    two_a, two_b = 2.0 * a, 2.0 * b

    def loss(x, y):
        return (a - x) ** 2 + b * (y - x * x) ** 2

    def gradient(p: np.ndarray) -> np.ndarray:
        # The engine calls this on a few points per frame: six numpy calls, no np.stack.
        x = p[..., 0]
        t = (p[..., 1] - x * x) * two_b  # dL/dy
        out = np.empty_like(p)
        out[..., 1] = t
        out[..., 0] = (2.0 - 2.0 * t) * x - two_a
        return out

    def hessian(p: np.ndarray) -> np.ndarray:
        """``[[2 - 4 b (y - x^2) + 8 b x^2, -4 b x], [-4 b x, 2 b]]``, shape (..., 2, 2)."""
        x, y = p[..., 0], p[..., 1]
        return hessian_from_entries(p, 2.0 - 4.0 * b * (y - 3.0 * x * x), -4.0 * b * x, 2.0 * b)

    half_width = max(2.0, abs(a) + 1.0)
    bounds = ((-half_width, half_width), (-1.0, max(3.0, a * a + 1.0)))
    return Surface(
        "rosenbrock",
        loss,
        bounds,
        minima=[(a, a * a)],
        start=(-1.5 if a >= 0 else 1.5, 2.0),
        gradient=gradient,
        hessian=hessian,
        params={"a": a, "b": b},
        finite_in_reach=True,
        description=(
            "A curved, narrow valley: finding the valley is easy, following it to the "
            "minimum is slow."
        ),
    )
