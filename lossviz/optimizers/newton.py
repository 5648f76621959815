"""Damped Newton's method: a second-order step, for contrast.

``update`` below is the method as a student would write it: solve
``(H + lambda I) d = g`` and step by ``-lr d``. The engine steps every Newton
run of a batch at once with `newton_step`, the same step for 2-D parameters
written out by Cramer's rule (several times faster than ``np.linalg.solve`` on
a few points); a test holds the two equal to rounding.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from lossviz._checks import check_number
from lossviz.optimizers.base import LearningRate, Optimizer, Schedule, as_schedule, register


class NewtonState(NamedTuple):
    """State of Newton's method: only the update count."""

    count: int


class NewtonRule(NamedTuple):
    """Newton's settings, for the engine's batched form of its step (`newton_step`)."""

    lr: Schedule
    damping: float


@register
def newton(lr: LearningRate = 1.0, damping: float = 1e-3) -> Optimizer:
    """Damped Newton's method (Levenberg style).

    .. math:: p_{t+1} = p_t - \\eta_t \\, (H_t + \\lambda I)^{-1} g_t

    with ``H_t`` the exact Hessian and ``lambda`` the damping. On a quadratic
    bowl one step with ``lr = 1`` lands on the minimum; near a saddle the step
    is attracted to the saddle, a useful contrast with first-order methods.
    The update needs the Hessian: ``update(grad, state, params, hessian=H)``
    with ``H`` of shape (..., n, n) for params of shape (..., n); the engine
    passes it.

    Parameters
    ----------
    lr
        Step scale: a float > 0 or a schedule ``t -> lr``.
    damping
        ``lambda >= 0`` added to the Hessian's diagonal, so flat directions do
        not produce huge steps.

    Examples
    --------
    >>> import numpy as np
    >>> opt = newton(lr=1.0, damping=0.0)
    >>> H = np.array([[2.0, 0.0], [0.0, 8.0]])
    >>> p = np.array([1.0, 1.0])
    >>> step, _ = opt.update(H @ p, opt.init(p), p, hessian=H)
    >>> (p + step).tolist()
    [0.0, 0.0]
    """
    schedule = as_schedule(lr)
    damping = check_number(damping, "damping", low=0.0)

    def init(params: np.ndarray) -> NewtonState:
        return NewtonState(0)

    def update(grad, state: NewtonState, params=None, *, hessian=None):
        if hessian is None:
            raise ValueError("newton needs the Hessian: call update(..., hessian=H)")
        g = np.asarray(grad, dtype=np.float64)
        h = np.asarray(hessian, dtype=np.float64)
        n = g.shape[-1]
        if h.shape != g.shape + (n,):
            raise ValueError(f"hessian must have shape {g.shape + (n,)}; got {h.shape}")
        system = h + damping * np.eye(n)  # H + lambda I
        with np.errstate(all="ignore"):
            direction = _solve(system, g)  # (H + lambda I)^-1 g
        step = -np.asarray(schedule(state.count)) * direction
        return step, NewtonState(state.count + 1)

    return Optimizer(
        init,
        update,
        name="newton",
        hyper={"lr": lr, "damping": damping},
        needs_hessian=True,
        second_order=NewtonRule(schedule, damping),  # the engine's batched form: newton_step
    )


SCALAR_UP_TO = 8
"""`newton_step` computes on Python floats up to this many points."""


def _newton_step_floats(g: np.ndarray, hessian: np.ndarray, scale: Any, damping: Any):
    """`newton_step` for a few points, on Python floats; ``None`` if a system is singular."""
    n = len(g)

    def per_point(value: Any) -> list[float]:
        if isinstance(value, np.ndarray) and value.ndim:
            return value.tolist()
        return [float(value)] * n

    scales, dampings = per_point(scale), per_point(damping)
    rows = []
    for (g0, g1), ((a, b), (c, d)), f, lam in zip(
        g.tolist(), hessian.tolist(), scales, dampings, strict=True
    ):
        a += lam
        d += lam
        det = a * d - b * c
        if det == 0:
            return None  # the least-squares solution, by the array form
        f /= det
        rows.append(((d * g0 - b * g1) * f, (a * g1 - c * g0) * f))
    return np.array(rows, dtype=np.float64).reshape(n, 2)


def _solve(system: np.ndarray, g: np.ndarray) -> np.ndarray:
    """``system^-1 g`` for matrices (..., n, n) and vectors (..., n); where a matrix is
    singular (a flat direction with no damping), the least-squares solution."""
    try:
        return np.linalg.solve(system, g[..., None])[..., 0]
    except np.linalg.LinAlgError:
        return (np.linalg.pinv(system) @ g[..., None])[..., 0]


def newton_step(g: np.ndarray, hessian: np.ndarray, scale: Any, damping: Any) -> np.ndarray:
    """``scale * (H + damping I)^-1 g`` for many 2-D points at once: the engine's Newton step.

    Parameters
    ----------
    g
        Gradients, shape (n, 2).
    hessian
        Hessians ``H``, shape (n, 2, 2).
    scale
        ``-lr(t)`` per point, shape (n,) or a number.
    damping
        ``lambda`` per point, shape (n,) or a number.

    Returns
    -------
    numpy.ndarray
        The steps, shape (n, 2). By Cramer's rule, with ``[[a, b], [c, d]] = H + lambda I``::

            (H + lambda I)^-1 g = (d g0 - b g1, a g1 - c g0) / (a d - b c)

        and, where ``a d - b c = 0`` (a singular system), the least-squares
        solution, as `newton`'s own ``update`` gives.

    Up to `SCALAR_UP_TO` points (the Explorer's few runs) the same arithmetic runs on
    Python floats: each numpy operation on a handful of numbers costs about half a
    microsecond of overhead, the whole step in floats less. IEEE arithmetic makes the
    numbers the same either way.
    """
    if len(g) <= SCALAR_UP_TO:
        step = _newton_step_floats(g, hessian, scale, damping)
        if step is not None:
            return step
    a = hessian[:, 0, 0] + damping
    b = hessian[:, 0, 1]
    c = hessian[:, 1, 0]
    d = hessian[:, 1, 1] + damping
    g0, g1 = g[:, 0], g[:, 1]
    det = a * d - b * c
    singular = det == 0
    any_singular = singular.any()
    if any_singular:
        det = np.where(singular, 1.0, det)  # those rows are replaced below
    factor = scale / det
    step = np.empty(g.shape)
    step[:, 0] = (d * g0 - b * g1) * factor
    step[:, 1] = (a * g1 - c * g0) * factor
    if any_singular:
        system = hessian[singular] + np.multiply.outer(
            np.broadcast_to(damping, det.shape)[singular], np.eye(2)
        )
        least_squares = (np.linalg.pinv(system) @ g[singular][..., None])[..., 0]
        step[singular] = np.broadcast_to(scale, det.shape)[singular, None] * least_squares
    return step
