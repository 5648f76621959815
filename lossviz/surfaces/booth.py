"""Booth's function: a tilted, moderately stretched quadratic bowl."""

from __future__ import annotations

import numpy as np

from lossviz.surfaces.base import Surface, hessian_from_entries, register


@register("booth")
def booth() -> Surface:
    """Booth's function, a quadratic bowl with its minimum 0 at ``(1, 3)``.

    ::

        L(x, y) = (x + 2 y - 7)^2 + (2 x + y - 5)^2
        grad L  = H p - (34, 38),   H = [[10, 8], [8, 10]]
        hess L  = H

    Its Hessian ``[[10, 8], [8, 10]]`` has eigenvalues 2 and 18 (condition
    number 9), with axes along the diagonals.

    Returns
    -------
    Surface
        Bounds ``(-4, 6) x (-2, 8)``, start ``(-3, -1)``, one minimum.

    Examples
    --------
    >>> float(booth()([1.0, 3.0]))
    0.0
    """

    def loss(x, y):
        return (x + 2.0 * y - 7.0) ** 2 + (2.0 * x + y - 5.0) ** 2

    hessian = np.array([[10.0, 8.0], [8.0, 10.0]])
    offset = np.array([34.0, 38.0])

    def gradient(p: np.ndarray) -> np.ndarray:
        # A quadratic: grad L = H p - (34, 38); H is symmetric, so p @ H is H p for every point.
        return np.dot(p, hessian) - offset

    def constant_hessian(p: np.ndarray) -> np.ndarray:
        """``[[10, 8], [8, 10]]`` at every point, shape (..., 2, 2)."""
        return hessian_from_entries(p, 10.0, 8.0, 10.0)

    return Surface(
        "booth",
        loss,
        ((-4.0, 6.0), (-2.0, 8.0)),
        minima=[(1.0, 3.0)],
        start=(-3.0, -1.0),
        gradient=gradient,
        hessian=constant_hessian,
        params={},
        finite_in_reach=True,
        description="A bowl stretched along a diagonal, with one minimum at (1, 3).",
    )
