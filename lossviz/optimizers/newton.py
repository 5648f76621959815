"""Damped Newton's method: a second-order step, for contrast."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from lossviz.optimizers.base import (
    LearningRate,
    Optimizer,
    as_schedule,
    check_positive,
    register,
)


class NewtonState(NamedTuple):
    """State of Newton's method: only the update count."""

    count: int


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
    damping = check_positive(damping, "damping", allow_zero=True)

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
        with np.errstate(all="ignore"):
            direction = _solve(h + damping * np.eye(n), g)
        step = -np.asarray(schedule(state.count)) * direction
        return step, NewtonState(state.count + 1)

    return Optimizer(
        init, update, name="newton", hyper={"lr": lr, "damping": damping}, needs_hessian=True
    )


def _solve(system: np.ndarray, g: np.ndarray) -> np.ndarray:
    """``system^-1 g`` for matrices (..., n, n) and vectors (..., n); least squares where a
    matrix is singular (a flat direction with no damping).

    For n = 2, the case of every surface, Cramer's rule: ``[[a, b], [c, d]]^-1 g =
    (d g0 - b g1, a g1 - c g0) / (a d - b c)``, several times faster than
    ``np.linalg.solve`` on a few points.
    """
    if g.shape[-1] == 2:
        a, b = system[..., 0, 0], system[..., 0, 1]
        c, d = system[..., 1, 0], system[..., 1, 1]
        det = a * d - b * c
        direction = np.stack([d * g[..., 0] - b * g[..., 1], a * g[..., 1] - c * g[..., 0]], -1)
        direction /= det[..., None]
        singular = det == 0
        if not np.any(singular):
            return direction
        direction[singular] = (np.linalg.pinv(system[singular]) @ g[singular][..., None])[..., 0]
        return direction
    try:
        return np.linalg.solve(system, g[..., None])[..., 0]
    except np.linalg.LinAlgError:
        return (np.linalg.pinv(system) @ g[..., None])[..., 0]
