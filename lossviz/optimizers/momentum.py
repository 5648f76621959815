"""Heavy-ball momentum."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from lossviz._checks import check_number
from lossviz.optimizers.base import LearningRate, Optimizer, as_schedule, register
from lossviz.optimizers.moments import Moments


class MomentumState(NamedTuple):
    """The state of momentum (and of nesterov), named as in ``torch.optim.SGD``.

    Attributes
    ----------
    count
        Updates made so far; the next update uses the learning rate at ``t = count``.
    velocity
        The velocity ``v``, torch's ``momentum_buffer``: a running sum of past
        gradients in which older ones fade by ``beta`` per step. Same shape as params.
    """

    count: int
    velocity: np.ndarray


@register
def momentum(lr: LearningRate = 0.001, beta: float = 0.9) -> Optimizer:
    """Gradient descent with momentum, as ``torch.optim.SGD(lr, momentum=beta)``.

    .. math::
        v_{t+1} = \\beta v_t + g_t, \\qquad p_{t+1} = p_t - \\eta_t v_{t+1}

    with ``v_0 = 0`` (so the first step is plain gradient descent, as torch's
    ``momentum_buffer = g`` on the first step). In code::

        velocity = beta * velocity + g
        step = -lr(t) * velocity

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
    >>> opt = momentum(lr=0.1, beta=0.5)
    >>> state = opt.init(np.zeros(1))
    >>> step, state = opt.update(np.array([1.0]), state)
    >>> step, state = opt.update(np.array([1.0]), state)
    >>> step.tolist(), state.velocity.tolist()  # v = 0.5 * 1 + 1
    ([-0.15000000000000002], [1.5])
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
        step = -schedule(state.count) * velocity
        return step, MomentumState(count=state.count + 1, velocity=velocity)

    # The engine's batched form of the same rule (see lossviz.optimizers.moments).
    moments = Moments(lr=schedule, a_m=beta, b_m=1.0, c_g=0.0, c_m=1.0)
    return Optimizer(init, update, name="momentum", hyper={"lr": lr, "beta": beta}, moments=moments)
