"""Ackley's function: a deep funnel under a field of small local minima."""

from __future__ import annotations

from functools import cache

import autograd.numpy as anp
import numpy as np

from lossviz.surfaces._minima import find_minima
from lossviz.surfaces.base import Surface, register

_BOUNDS = ((-2.5, 2.5), (-2.5, 2.5))
_SOFTENING = 1e-2


def _loss(x, y):
    # sqrt(r^2/2 + eps^2) - eps instead of sqrt(r^2/2): same loss 0 at the origin,
    # but differentiable there (the plain square root is a cone tip with no gradient).
    radius = anp.sqrt(0.5 * (x * x + y * y) + _SOFTENING**2) - _SOFTENING
    ripples = 0.5 * (anp.cos(2.0 * np.pi * x) + anp.cos(2.0 * np.pi * y))
    return -20.0 * anp.exp(-0.2 * radius) - anp.exp(ripples) + np.e + 20.0


@cache
def _minima() -> np.ndarray:
    lattice = np.stack(np.meshgrid(np.arange(-2.0, 3.0), np.arange(-2.0, 3.0)), axis=-1)
    return find_minima(_loss, _BOUNDS, lattice.reshape(-1, 2))


@register("ackley")
def ackley() -> Surface:
    """Ackley's function (softened at the origin), global minimum 0 at ``(0, 0)``.

    ::

        L(x, y) = -20 exp(-0.2 rho) - exp((cos 2 pi x + cos 2 pi y) / 2) + e + 20
        rho     = sqrt((x^2 + y^2) / 2 + eps^2) - eps,   eps = 0.01

    The published function has ``eps = 0``, which makes the global minimum the
    tip of a cone with no gradient; the softening rounds the tip (curvature
    about 250 there) and changes the loss elsewhere by less than 0.04. A local
    minimum sits near every integer point: 25 inside the bounds, global first.

    Returns
    -------
    Surface
        Bounds ``(-2.5, 2.5) x (-2.5, 2.5)``, start ``(-2.2, 1.8)``, 25 minima.

    Examples
    --------
    >>> s = ackley()
    >>> abs(float(s([0.0, 0.0]))) < 1e-12, len(s.minima)
    (True, 25)
    """
    return Surface(
        "ackley",
        _loss,
        _BOUNDS,
        minima=_minima().copy(),
        start=(-2.2, 1.8),
        params={},
        description=(
            "A deep funnel to the centre, hidden under a field of small dimples that "
            "each trap plain gradient descent."
        ),
    )
