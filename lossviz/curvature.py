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


__all__ = ["StabilityLimit", "stability_limit"]
