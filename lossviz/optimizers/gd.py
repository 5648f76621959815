"""Plain gradient descent."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from lossviz.optimizers.base import LearningRate, Optimizer, as_schedule, register
from lossviz.optimizers.moments import Moments


class GDState(NamedTuple):
    """Gradient descent's state: only the update count, which a learning-rate schedule needs.

    Attributes
    ----------
    count
        Updates made so far; the next update uses the learning rate at ``t = count``.
    """

    count: int


@register
def gd(lr: LearningRate = 0.001) -> Optimizer:
    """Gradient descent, as ``torch.optim.SGD(lr)``.

    .. math:: p_{t+1} = p_t - \\eta_t \\, g_t

    In code, ``step = -lr(t) * g``, where ``t`` counts the updates made before
    this one (0 for the first).

    Parameters
    ----------
    lr
        Learning rate ``eta``: a float > 0 or a schedule ``t -> lr``.

    Returns
    -------
    Optimizer
        ``init(params) -> GDState`` and ``update(grad, state, params=None) ->
        (step, state)``; ``grad``, ``params`` and ``step`` have any one shape,
        e.g. (2,) or (n, 2).

    Examples
    --------
    >>> import numpy as np
    >>> opt = gd(lr=0.1)
    >>> p = np.zeros(2)
    >>> state = opt.init(p)
    >>> step, state = opt.update(np.array([1.0, -2.0]), state, p)
    >>> step.tolist(), state.count
    ([-0.1, 0.2], 1)
    """
    schedule = as_schedule(lr)

    def init(params: np.ndarray) -> GDState:
        return GDState(count=0)

    def update(
        grad: np.ndarray, state: GDState, params: np.ndarray | None = None
    ) -> tuple[np.ndarray, GDState]:
        g = np.asarray(grad, dtype=np.float64)
        step = -schedule(state.count) * g
        return step, GDState(count=state.count + 1)

    # The engine's batched form of the same rule (see lossviz.optimizers.moments).
    moments = Moments(lr=schedule, c_g=1.0)
    return Optimizer(init, update, name="gd", hyper={"lr": lr}, moments=moments)
