"""Ackley's function: a deep funnel under a field of small local minima."""

from __future__ import annotations

from functools import cache

import autograd.numpy as anp
import numpy as np

from lossviz.surfaces._minima import find_minima
from lossviz.surfaces.base import Surface, hessian_from_entries, register

_BOUNDS = ((-2.5, 2.5), (-2.5, 2.5))
_SOFTENING = 1e-2
_TWO_PI = 2.0 * np.pi
_HALF = np.array([0.5, 0.5])


def _loss(x, y):
    # sqrt(r^2/2 + eps^2) - eps instead of sqrt(r^2/2): same loss 0 at the origin,
    # but differentiable there (the plain square root is a cone tip with no gradient).
    radius = anp.sqrt(0.5 * (x * x + y * y) + _SOFTENING**2) - _SOFTENING
    ripples = 0.5 * (anp.cos(2.0 * np.pi * x) + anp.cos(2.0 * np.pi * y))
    return -20.0 * anp.exp(-0.2 * radius) - anp.exp(ripples) + np.e + 20.0


def _gradient(p: np.ndarray) -> np.ndarray:
    # With root = sqrt(r^2 / 2 + eps^2) = rho + eps and R = (cos 2 pi x + cos 2 pi y) / 2:
    #   grad L = 2 exp(-0.2 rho) / root * p + pi exp(R) * sin(2 pi p)
    angle = _TWO_PI * p
    root = np.sqrt(np.dot(p * p, _HALF) + _SOFTENING**2)
    funnel = 2.0 * np.exp(-0.2 * (root - _SOFTENING)) / root
    ripples = np.pi * np.exp(np.dot(np.cos(angle), _HALF))
    out = np.sin(angle)
    out *= ripples[..., None]
    out += funnel[..., None] * p
    return out


def _hessian(p: np.ndarray) -> np.ndarray:
    """``F (I - (0.2 + 1/root) p p^T / (2 root)) + pi^2 exp(R) (2 diag(cos) - sin sin^T)``.

    With ``F = 2 exp(-0.2 rho) / root`` the funnel's factor in the gradient, and
    ``cos``, ``sin`` the vectors ``cos(2 pi p)``, ``sin(2 pi p)``; shape (..., 2, 2).
    """
    # grad F = F (-0.2 - 1 / root) grad root and grad root = p / (2 root) give the p p^T term;
    # d/dp_j of pi exp(R) sin(2 pi p_i) gives the ripples' term.
    angle = _TWO_PI * p
    sin, cos = np.sin(angle), np.cos(angle)
    root = np.sqrt(np.dot(p * p, _HALF) + _SOFTENING**2)
    funnel = 2.0 * np.exp(-0.2 * (root - _SOFTENING)) / root  # F
    bend = funnel * (0.2 + 1.0 / root) / (2.0 * root)  # F (0.2 + 1/root) / (2 root)
    ripples = np.pi**2 * np.exp(np.dot(cos, _HALF))  # pi^2 exp(R)
    diagonal = funnel[..., None] - bend[..., None] * p * p
    diagonal += ripples[..., None] * (2.0 * cos - sin * sin)
    across = -bend * p[..., 0] * p[..., 1] - ripples * sin[..., 0] * sin[..., 1]
    return hessian_from_entries(p, diagonal[..., 0], across, diagonal[..., 1])


@cache
def _minima() -> np.ndarray:
    lattice = np.stack(np.meshgrid(np.arange(-2.0, 3.0), np.arange(-2.0, 3.0)), axis=-1)
    guesses = lattice.reshape(-1, 2)
    return find_minima(_loss, _BOUNDS, guesses, gradient=_gradient, hessian=_hessian)


@register("ackley")
def ackley() -> Surface:
    """Ackley's function (softened at the origin), global minimum 0 at ``(0, 0)``.

    ::

        L(x, y) = -20 exp(-0.2 rho) - exp((cos 2 pi x + cos 2 pi y) / 2) + e + 20
        rho     = sqrt((x^2 + y^2) / 2 + eps^2) - eps,   eps = 0.01
        grad L  = 2 exp(-0.2 rho) / (rho + eps) * (x, y) + pi exp(R) * (sin 2 pi x, sin 2 pi y)
        R       = (cos 2 pi x + cos 2 pi y) / 2
        hess L  = F (I - (0.2 + 1 / (rho + eps)) p p^T / (2 (rho + eps)))
                  + pi^2 exp(R) (2 diag(cos 2 pi x, cos 2 pi y) - s s^T),
        F       = 2 exp(-0.2 rho) / (rho + eps),   s = (sin 2 pi x, sin 2 pi y)

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
        gradient=_gradient,
        hessian=_hessian,
        params={},
        symmetric_about_origin=True,
        finite_in_reach=True,
        description=(
            "A deep funnel to the centre, hidden under a field of small dimples that "
            "each trap plain gradient descent."
        ),
    )
