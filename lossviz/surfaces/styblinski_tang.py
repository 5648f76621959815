"""The Styblinski-Tang function in two dimensions: four minima, one per quadrant."""

from __future__ import annotations

from functools import cache

import numpy as np

from lossviz.surfaces._minima import polish_minima
from lossviz.surfaces.base import Surface, hessian_from_entries, register


def _loss(x, y):
    return 0.5 * (x**4 - 16.0 * x * x + 5.0 * x + y**4 - 16.0 * y * y + 5.0 * y)


def _gradient(p: np.ndarray) -> np.ndarray:
    # Separable: each coordinate t has dL/dt = (4 t^3 - 32 t + 5) / 2 = (2 t^2 - 16) t + 2.5.
    return (2.0 * p * p - 16.0) * p + 2.5


def _hessian(p: np.ndarray) -> np.ndarray:
    """``[[6 x^2 - 16, 0], [0, 6 y^2 - 16]]``, shape (..., 2, 2)."""
    curvature = 6.0 * p * p - 16.0  # separable: d^2 L / dt^2 for each coordinate t
    return hessian_from_entries(p, curvature[..., 0], 0.0, curvature[..., 1])


@cache
def _minima() -> np.ndarray:
    # Each coordinate solves 4 t^3 - 32 t + 5 = 0; the outer two roots are minima.
    low, _, high = np.sort(np.roots([4.0, 0.0, -32.0, 5.0]).real)
    guesses = [(low, low), (low, high), (high, low), (high, high)]
    return polish_minima(_loss, guesses, gradient=_gradient, hessian=_hessian)


@register("styblinski_tang")
def styblinski_tang() -> Surface:
    """The two-dimensional Styblinski-Tang function, global minimum about -78.33233.

    ::

        L(x, y) = (x^4 - 16 x^2 + 5 x + y^4 - 16 y^2 + 5 y) / 2
        grad L  = (2 x^3 - 16 x + 5/2,  2 y^3 - 16 y + 5/2)
        hess L  = [[6 x^2 - 16, 0], [0, 6 y^2 - 16]]

    Separable: each coordinate has minima at the outer roots of
    ``4 t^3 - 32 t + 5 = 0``, ``t = -2.903534`` and ``t = 2.746803``, so the four
    minima are their combinations; the global one is ``(-2.903534, -2.903534)``,
    with loss ``2 * -39.166166 = -78.332331`` (the often quoted -78.33198 doubles
    a rounded one-dimensional value).

    Returns
    -------
    Surface
        Bounds ``(-5, 5) x (-5, 5)``, start ``(0.5, 0.5)`` near the central local
        maximum, four minima.

    Examples
    --------
    >>> s = styblinski_tang()
    >>> round(float(s(s.minima[0])), 5)
    -78.33233
    """
    return Surface(
        "styblinski_tang",
        _loss,
        ((-5.0, 5.0), (-5.0, 5.0)),
        minima=_minima().copy(),
        start=(0.5, 0.5),
        gradient=_gradient,
        hessian=_hessian,
        params={},
        finite_in_reach=True,
        description=(
            "Four basins, one per quadrant, of different depths: the deepest is the "
            "one at the lower left."
        ),
    )
