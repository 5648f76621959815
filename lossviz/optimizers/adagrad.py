"""AdaGrad: per-coordinate rates from the sum of squared gradients."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from lossviz._checks import check_number
from lossviz.optimizers.base import LearningRate, Optimizer, as_schedule, register
from lossviz.optimizers.moments import Moments


class AdaGradState(NamedTuple):
    """AdaGrad's state.

    Attributes
    ----------
    count
        Updates made so far; the next update uses the learning rate at ``t = count``.
    sum_sq
        The sum of every squared gradient so far, per coordinate (torch's
        ``state["sum"]``). Same shape as params.
    """

    count: int
    sum_sq: np.ndarray


@register
def adagrad(lr: LearningRate = 0.01, eps: float = 1e-10) -> Optimizer:
    """AdaGrad, as ``torch.optim.Adagrad(lr, eps=eps)`` (no lr decay, zero initial sum).

    .. math::
        s_{t+1} = s_t + g_t^2, \\qquad
        p_{t+1} = p_t - \\eta_t \\, \\frac{g_t}{\\sqrt{s_{t+1}} + \\epsilon}

    with ``s_0 = 0``. In code::

        sum_sq = sum_sq + g**2
        step = -lr(t) * g / (sqrt(sum_sq) + eps)

    Parameters
    ----------
    lr
        Learning rate: a float > 0 or a schedule ``t -> lr``.
    eps
        Added to the denominator for numerical stability, >= 0. With ``eps = 0``
        a coordinate whose gradients so far are all 0 steps by 0, not by 0 / 0.

    Returns
    -------
    Optimizer
        ``init(params) -> AdaGradState`` and ``update(grad, state, params=None)
        -> (step, state)``; ``grad``, ``params``, ``step`` and ``sum_sq`` have
        any one shape, e.g. (2,) or (n, 2).

    Examples
    --------
    >>> import numpy as np
    >>> opt = adagrad(lr=0.1, eps=0.0)
    >>> step, state = opt.update(np.array([4.0, -0.5]), opt.init(np.zeros(2)))
    >>> step.tolist(), state.sum_sq.tolist()  # the first step is -lr * sign(g)
    ([-0.1, 0.1], [16.0, 0.25])
    """
    eps = check_number(eps, "eps", low=0)
    schedule = as_schedule(lr)

    def init(params: np.ndarray) -> AdaGradState:
        return AdaGradState(count=0, sum_sq=np.zeros(np.shape(params)))

    def update(
        grad: np.ndarray, state: AdaGradState, params: np.ndarray | None = None
    ) -> tuple[np.ndarray, AdaGradState]:
        g = np.asarray(grad, dtype=np.float64)
        sum_sq = state.sum_sq + g**2
        denominator = np.sqrt(sum_sq) + eps
        # With eps = 0, a coordinate whose sum is still 0 steps by 0, not by 0 / 0 (optax's guard).
        scaled = np.divide(g, denominator, out=np.zeros_like(g), where=denominator != 0)
        step = -schedule(state.count) * scaled
        return step, AdaGradState(count=state.count + 1, sum_sq=sum_sq)

    # The engine's batched form of the same rule (see lossviz.optimizers.moments).
    moments = Moments(lr=schedule, a_s=1.0, b_s=1.0, c_g=1.0, eps=eps, adaptive=True)
    return Optimizer(init, update, name="adagrad", hyper={"lr": lr, "eps": eps}, moments=moments)
