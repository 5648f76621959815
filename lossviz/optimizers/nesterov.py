"""Nesterov's accelerated gradient, in the form torch uses."""

from __future__ import annotations

import numpy as np

from lossviz._checks import check_number
from lossviz.optimizers.base import LearningRate, Optimizer, as_schedule, register
from lossviz.optimizers.moments import Moments
from lossviz.optimizers.momentum import MomentumState


@register
def nesterov(lr: LearningRate = 0.001, beta: float = 0.9) -> Optimizer:
    """Nesterov momentum, as ``torch.optim.SGD(lr, momentum=beta, nesterov=True)``.

    .. math::
        v_{t+1} = \\beta v_t + g_t, \\qquad
        p_{t+1} = p_t - \\eta_t \\, (g_t + \\beta v_{t+1})

    with ``v_0 = 0``. The look-ahead is folded into the step: the gradient is
    taken at the current parameters, as in torch. The state is momentum's
    (`MomentumState`); only the step differs. In code::

        velocity = beta * velocity + g
        step = -lr(t) * (g + beta * velocity)

    Parameters
    ----------
    lr
        Learning rate: a float > 0 or a schedule ``t -> lr``.
    beta
        Momentum coefficient in [0, 1).

    Returns
    -------
    Optimizer
        ``init(params) -> MomentumState`` and ``update(grad, state, params=None)
        -> (step, state)``; ``grad``, ``params``, ``step`` and the velocity
        have any one shape, e.g. (2,) or (n, 2).

    Examples
    --------
    >>> import numpy as np
    >>> opt = nesterov(lr=0.1, beta=0.5)
    >>> step, state = opt.update(np.array([1.0]), opt.init(np.zeros(1)))
    >>> step.tolist()  # v = 1, step = -0.1 * (1 + 0.5 * 1)
    [-0.15000000000000002]
    """
    beta = check_number(beta, "beta", low=0, high=1, high_open=True)
    schedule = as_schedule(lr)

    def init(params: np.ndarray) -> MomentumState:
        return MomentumState(count=0, velocity=np.zeros(np.shape(params)))

    def update(
        grad: np.ndarray, state: MomentumState, params: np.ndarray | None = None
    ) -> tuple[np.ndarray, MomentumState]:
        g = np.asarray(grad, dtype=np.float64)
        velocity = beta * state.velocity + g
        step = -schedule(state.count) * (g + beta * velocity)
        return step, MomentumState(count=state.count + 1, velocity=velocity)

    # The engine's batched form of the same rule (see lossviz.optimizers.moments).
    moments = Moments(lr=schedule, a_m=beta, b_m=1.0, c_g=1.0, c_m=beta)
    return Optimizer(init, update, name="nesterov", hyper={"lr": lr, "beta": beta}, moments=moments)
