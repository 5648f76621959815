"""An ill-conditioned quadratic bowl: the textbook case for learning-rate stability."""

from __future__ import annotations

import math

import numpy as np

from lossviz._checks import check_number
from lossviz.surfaces.base import Surface, hessian_from_entries, register


@register("quadratic")
def quadratic(condition: float = 10.0, angle: float = 0.0) -> Surface:
    """A quadratic bowl ``0.5 p^T A p`` whose curvatures are 1 and ``condition``.

    ::

        L(p)   = 1/2 p^T A p,    A = R diag(1, condition) R^T
        grad L = A p
        hess L = A

    with ``R`` the rotation by ``angle`` degrees.
    The eigenvalues of ``A`` are exactly 1 and ``condition``, so gradient
    descent with a fixed learning rate converges only for ``lr < 2 / condition``.

    Parameters
    ----------
    condition
        The condition number, ratio of the largest to the smallest curvature; >= 1.
    angle
        Rotation of the bowl's axes, in degrees (any finite number).

    Returns
    -------
    Surface
        Bounds ``(-2, 2) x (-2, 2)``, start ``(-1.8, 1.2)``, the one minimum ``(0, 0)``.

    Examples
    --------
    >>> s = quadratic(condition=10.0)
    >>> s.grad([1.0, 1.0]).tolist()
    [1.0, 10.0]
    """
    condition = check_number(condition, "condition", low=1.0)
    angle = check_number(angle, "angle")
    cos, sin = _cos_sin_degrees(angle)
    # A = R diag(1, condition) R^T, written out so that angle = 0, 90, ... are exact.
    a_xx = cos * cos + condition * sin * sin
    a_yy = sin * sin + condition * cos * cos
    a_xy = (1.0 - condition) * cos * sin
    matrix = np.array([[a_xx, a_xy], [a_xy, a_yy]])

    def loss(x, y):
        return 0.5 * (a_xx * x * x + 2.0 * a_xy * x * y + a_yy * y * y)

    def gradient(p: np.ndarray) -> np.ndarray:
        # A is symmetric, so p @ A is A p for every point; np.dot is the cheapest call.
        return np.dot(p, matrix)

    def hessian(p: np.ndarray) -> np.ndarray:
        """``A`` at every point, shape (..., 2, 2)."""
        return hessian_from_entries(p, a_xx, a_xy, a_yy)

    return Surface(
        "quadratic",
        loss,
        ((-2.0, 2.0), (-2.0, 2.0)),
        minima=[(0.0, 0.0)],
        start=(-1.8, 1.2),
        gradient=gradient,
        hessian=hessian,
        params={"condition": condition, "angle": angle},
        symmetric_about_origin=True,
        finite_in_reach=True,
        description=(
            "A stretched bowl: the steep direction limits the learning rate while the "
            "shallow one sets the pace."
        ),
    )


def _cos_sin_degrees(angle: float) -> tuple[float, float]:
    """``(cos, sin)`` of ``angle`` degrees, exact at multiples of 90 degrees."""
    quarter, rest = divmod(angle, 90.0)
    c, s = math.cos(math.radians(rest)), math.sin(math.radians(rest))
    for _ in range(int(quarter) % 4):
        c, s = -s, c
    return c, s
