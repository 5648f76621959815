"""Curvature near a minimum, and the learning rate it allows.

Near a minimum ``p*`` the loss is close to the quadratic bowl
``L(p*) + 1/2 (p - p*)^T H (p - p*)`` whose steepest curvature is the Hessian's
largest eigenvalue ``lambda_max``. Gradient descent with a constant rate ``lr``
multiplies the distance along that direction by ``(1 - lr * lambda_max)`` each
step, so it converges there only if ``lr < 2 / lambda_max``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from lossviz.surfaces.base import Surface


class StabilityLimit(NamedTuple):
    """The largest stable constant gradient-descent rate at a surface's global minimum."""

    point: np.ndarray
    """The minimum, shape (2,)."""
    curvature: float
    """``lambda_max``, the Hessian's largest eigenvalue there."""
    rate: float
    """``2 / lambda_max``: gradient descent converges there for ``lr`` below it."""


def stability_limit(surface: Surface) -> StabilityLimit | None:
    """``2 / lambda_max`` at the surface's `~lossviz.Surface.global_minimum`, or None where it
    means nothing.

    None when the surface lists no minimum, or its Hessian there is not
    positive in any direction (a flat or degenerate bottom).

    Examples
    --------
    >>> import lossviz
    >>> stability_limit(lossviz.surface("quadratic", condition=10.0)).rate
    0.2
    """
    point = surface.global_minimum
    if point is None:
        return None
    with np.errstate(all="ignore"):
        curvature = float(np.linalg.eigvalsh(surface.hessian(point)).max())
    if not np.isfinite(curvature) or curvature <= 0:
        return None
    return StabilityLimit(np.array(point, dtype=np.float64), curvature, 2.0 / curvature)


class LocalQuadratic(NamedTuple):
    """The second-order Taylor model of a surface around one point (see `local_quadratic`)."""

    point: np.ndarray
    """Where the model is taken, shape (2,)."""
    loss: float
    """``L(p0)``."""
    gradient: np.ndarray
    """``g = grad L(p0)``, shape (2,)."""
    hessian: np.ndarray
    """``H``, shape (2, 2)."""
    eigenvalues: np.ndarray
    """The Hessian's eigenvalues, ascending, shape (2,): the curvature along each axis."""
    eigenvectors: np.ndarray
    """The matching unit eigenvectors as columns, shape (2, 2): ``H v_i = lambda_i v_i``."""
    stable_rate: float
    """``2 / lambda_max``: gradient descent with a constant rate is stable in this model
    only below it; NaN where no direction curves upwards (``lambda_max <= 0``)."""

    def __call__(self, p) -> np.ndarray:
        """The model's value ``L + g.d + d^T H d / 2`` with ``d = p - p0``; p (..., 2) -> (...)."""
        d = np.asarray(p, dtype=np.float64) - self.point
        return (
            self.loss + d @ self.gradient + 0.5 * np.einsum("...i,ij,...j->...", d, self.hessian, d)
        )


def local_quadratic(surface: Surface, point) -> LocalQuadratic:
    """The local quadratic model of ``surface`` at ``point`` (2,), with its curvature.

    ``L(p) ~ L(p0) + g.(p - p0) + (p - p0)^T H (p - p0) / 2``. Its level sets
    around a minimum are ellipses whose axes lie along the Hessian's
    eigenvectors; a negative eigenvalue is a direction that curves down (a
    saddle or a hilltop).

    Examples
    --------
    >>> import lossviz
    >>> model = local_quadratic(lossviz.surface("quadratic", condition=10.0), (1.0, 1.0))
    >>> model.eigenvalues.round(6).tolist(), round(model.stable_rate, 6)
    ([1.0, 10.0], 0.2)
    """
    p0 = np.asarray(point, dtype=np.float64)
    if p0.shape != (2,) or not np.isfinite(p0).all():
        raise ValueError(f"point must be one finite point (x, y); got {point!r}")
    with np.errstate(all="ignore"):
        hessian = np.asarray(surface.hessian(p0), dtype=np.float64)
        gradient = np.asarray(surface.grad(p0), dtype=np.float64)
        loss = float(np.asarray(surface(p0), dtype=np.float64))
    if np.isfinite(hessian).all():
        eigenvalues, eigenvectors = np.linalg.eigh(0.5 * (hessian + hessian.T))
    else:
        eigenvalues, eigenvectors = np.full(2, np.nan), np.full((2, 2), np.nan)
    top = eigenvalues[-1]
    stable_rate = 2.0 / top if np.isfinite(top) and top > 0 else float("nan")
    return LocalQuadratic(
        p0, loss, gradient, hessian, eigenvalues, eigenvectors, float(stable_rate)
    )


__all__ = ["LocalQuadratic", "StabilityLimit", "local_quadratic", "stability_limit"]
