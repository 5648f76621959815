"""Rastrigin's function: a bowl covered in a regular egg-crate of local minima."""

from __future__ import annotations

from functools import cache

import autograd.numpy as anp
import numpy as np

from lossviz._checks import check_number
from lossviz.surfaces._minima import find_minima
from lossviz.surfaces.base import Surface, hessian_from_entries, register

_BOUNDS = ((-2.5, 2.5), (-2.5, 2.5))
_TWO_PI = 2.0 * np.pi


@register("rastrigin")
def rastrigin(amplitude: float = 10.0) -> Surface:
    """Rastrigin's function, global minimum 0 at the origin.

    ::

        L(x, y) = 2 A + (x^2 - A cos(2 pi x)) + (y^2 - A cos(2 pi y)),   A = amplitude
        grad L  = (2 x + 2 pi A sin(2 pi x),  2 y + 2 pi A sin(2 pi y))
        hess L  = diag(2 + 4 pi^2 A cos(2 pi x),  2 + 4 pi^2 A cos(2 pi y))

    With the classic ``A = 10`` there is a local minimum near every integer
    point; within the bounds ``(-2.5, 2.5)^2`` (whose edges lie near the ridges
    between cells) that makes 25 minima, listed with the global one first.

    Parameters
    ----------
    amplitude
        Height ``A`` of the ripples; in [0, 100]. ``A = 0`` leaves a plain bowl.

    Returns
    -------
    Surface
        Bounds ``(-2.5, 2.5) x (-2.5, 2.5)``, start ``(-2.2, 2.3)``, every minimum
        inside the bounds (25 for ``A = 10``).

    Examples
    --------
    >>> s = rastrigin()
    >>> float(s([0.0, 0.0])), len(s.minima)
    (0.0, 25)
    """
    amplitude = check_number(amplitude, "amplitude", low=0.0, high=100.0)
    return Surface(
        "rastrigin",
        _loss_for(amplitude),
        _BOUNDS,
        minima=_minima(amplitude).copy(),
        start=(-2.2, 2.3),
        gradient=_gradient_for(amplitude),
        hessian=_hessian_for(amplitude),
        params={"amplitude": amplitude},
        symmetric_about_origin=True,
        finite_in_reach=True,
        description=(
            "A bowl covered in regular ripples: a local minimum in every cell, the "
            "global one at the centre."
        ),
    )


def _loss_for(amplitude: float):
    def loss(x, y):
        return (
            2.0 * amplitude
            + x * x
            - amplitude * anp.cos(2.0 * np.pi * x)
            + y * y
            - amplitude * anp.cos(2.0 * np.pi * y)
        )

    return loss


def _gradient_for(amplitude: float):
    ripple = 2.0 * np.pi * amplitude

    def gradient(p: np.ndarray) -> np.ndarray:
        # Separable: each coordinate t has dL/dt = 2 t + 2 pi A sin(2 pi t).
        return 2.0 * p + ripple * np.sin(_TWO_PI * p)

    return gradient


def _hessian_for(amplitude: float):
    bend = 4.0 * np.pi**2 * amplitude

    def hessian(p: np.ndarray) -> np.ndarray:
        """``diag(2 + 4 pi^2 A cos(2 pi x),  2 + 4 pi^2 A cos(2 pi y))``, shape (..., 2, 2)."""
        curvature = 2.0 + bend * np.cos(_TWO_PI * p)  # separable: d^2 L / dt^2 per coordinate
        return hessian_from_entries(p, curvature[..., 0], 0.0, curvature[..., 1])

    return hessian


@cache
def _minima(amplitude: float) -> np.ndarray:
    # Local minima sit just inside the integer points (the bowl pulls them in).
    lattice = np.stack(np.meshgrid(np.arange(-2.0, 3.0), np.arange(-2.0, 3.0)), axis=-1)
    return find_minima(
        _loss_for(amplitude),
        _BOUNDS,
        lattice.reshape(-1, 2),
        gradient=_gradient_for(amplitude),
        hessian=_hessian_for(amplitude),
    )
