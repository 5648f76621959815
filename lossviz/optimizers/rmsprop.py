"""RMSProp: per-coordinate rates from a moving average of squared gradients."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from lossviz._checks import check_number
from lossviz.optimizers.base import LearningRate, Optimizer, as_schedule, register
from lossviz.optimizers.moments import Moments


class RMSPropState(NamedTuple):
    """RMSProp's state, named as in ``torch.optim.RMSprop``.

    Attributes
    ----------
    count
        Updates made so far; the next update uses the learning rate at ``t = count``.
    square_avg
        The moving average of squared gradients, per coordinate. Same shape as params.
    """

    count: int
    square_avg: np.ndarray


@register
def rmsprop(lr: LearningRate = 0.01, alpha: float = 0.99, eps: float = 1e-8) -> Optimizer:
    """RMSProp, as ``torch.optim.RMSprop(lr, alpha=alpha, eps=eps)`` (not centred, no momentum).

    .. math::
        s_{t+1} = \\alpha s_t + (1 - \\alpha) g_t^2, \\qquad
        p_{t+1} = p_t - \\eta_t \\, \\frac{g_t}{\\sqrt{s_{t+1}} + \\epsilon}

    with ``s_0 = 0``. In code::

        square_avg = alpha * square_avg + (1 - alpha) * g**2
        step = -lr(t) * g / (sqrt(square_avg) + eps)

    Parameters
    ----------
    lr
        Learning rate: a float > 0 or a schedule ``t -> lr``.
    alpha
        Smoothing constant of the squared-gradient average, in [0, 1).
    eps
        Added to the denominator for numerical stability, >= 0. With ``eps = 0``
        a coordinate whose second moment is 0 steps by 0, not by 0 / 0.

    Returns
    -------
    Optimizer
        ``init(params) -> RMSPropState`` and ``update(grad, state, params=None)
        -> (step, state)``; ``grad``, ``params``, ``step`` and ``square_avg``
        have any one shape, e.g. (2,) or (n, 2).

    Examples
    --------
    >>> import numpy as np
    >>> opt = rmsprop(lr=0.01, alpha=0.99, eps=0.0)
    >>> step, state = opt.update(np.array([2.0]), opt.init(np.zeros(1)))
    >>> round(float(step[0]), 6)  # -0.01 * 2 / sqrt(0.01 * 4)
    -0.1
    """
    alpha = check_number(alpha, "alpha", low=0, high=1, high_open=True)
    eps = check_number(eps, "eps", low=0)
    schedule = as_schedule(lr)

    def init(params: np.ndarray) -> RMSPropState:
        return RMSPropState(count=0, square_avg=np.zeros(np.shape(params)))

    def update(
        grad: np.ndarray, state: RMSPropState, params: np.ndarray | None = None
    ) -> tuple[np.ndarray, RMSPropState]:
        g = np.asarray(grad, dtype=np.float64)
        square_avg = alpha * state.square_avg + (1 - alpha) * g**2
        denominator = np.sqrt(square_avg) + eps
        # With eps = 0, a coordinate whose average is 0 steps by 0, not by 0 / 0 (optax's guard).
        scaled = np.divide(g, denominator, out=np.zeros_like(g), where=denominator != 0)
        step = -schedule(state.count) * scaled
        return step, RMSPropState(count=state.count + 1, square_avg=square_avg)

    # The engine's batched form of the same rule (see lossviz.optimizers.moments).
    moments = Moments(lr=schedule, a_s=alpha, b_s=1.0 - alpha, c_g=1.0, eps=eps, adaptive=True)
    return Optimizer(
        init,
        update,
        name="rmsprop",
        hyper={"lr": lr, "alpha": alpha, "eps": eps},
        moments=moments,
    )
