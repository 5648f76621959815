"""Adam: momentum on the gradient and on its square, with bias correction."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from lossviz._checks import check_number
from lossviz.optimizers.base import LearningRate, Optimizer, as_schedule, register
from lossviz.optimizers.moments import Moments


class AdamState(NamedTuple):
    """Adam's state, named as in ``torch.optim.Adam``.

    Attributes
    ----------
    count
        Updates made so far (torch's ``step``); the next update is number
        ``n = count + 1`` and uses the learning rate at ``t = count``.
    exp_avg
        First moment ``m``: the moving average of gradients. Same shape as params.
    exp_avg_sq
        Second moment ``v``: the moving average of squared gradients. Same shape as params.
    """

    count: int
    exp_avg: np.ndarray
    exp_avg_sq: np.ndarray


@register
def adam(
    lr: LearningRate = 0.001, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8
) -> Optimizer:
    """Adam, as ``torch.optim.Adam(lr, betas=(beta1, beta2), eps=eps)``.

    With ``n = t + 1`` updates made:

    .. math::
        m_{t+1} = \\beta_1 m_t + (1 - \\beta_1) g_t, \\qquad
        v_{t+1} = \\beta_2 v_t + (1 - \\beta_2) g_t^2

        p_{t+1} = p_t - \\eta_t \\,
        \\frac{m_{t+1} / (1 - \\beta_1^n)}{\\sqrt{v_{t+1} / (1 - \\beta_2^n)} + \\epsilon}

    with ``m_0 = v_0 = 0``; dividing by ``1 - beta**n`` (bias correction)
    undoes their pull towards 0 in the first steps. ``eps`` sits outside the
    corrected root, as in torch. In code::

        exp_avg = beta1 * exp_avg + (1 - beta1) * g
        exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * g**2
        m_hat = exp_avg / (1 - beta1**n)
        v_hat = exp_avg_sq / (1 - beta2**n)
        step = -lr(t) * m_hat / (sqrt(v_hat) + eps)

    Parameters
    ----------
    lr
        Learning rate: a float > 0 or a schedule ``t -> lr``.
    beta1, beta2
        Decay rates of the first and second moment averages, in [0, 1).
    eps
        Added to the denominator for numerical stability, >= 0. With ``eps = 0``
        a coordinate whose second moment is 0 steps by 0, not by 0 / 0.

    Returns
    -------
    Optimizer
        ``init(params) -> AdamState`` and ``update(grad, state, params=None) ->
        (step, state)``; ``grad``, ``params``, ``step`` and both moments have
        any one shape, e.g. (2,) or (n, 2).

    Examples
    --------
    >>> import numpy as np
    >>> opt = adam(lr=0.1, eps=0.0)
    >>> step, state = opt.update(np.array([3.0, -0.01]), opt.init(np.zeros(2)))
    >>> step.round(12).tolist()  # the first step is -lr * sign(g)
    [-0.1, 0.1]
    >>> state.count, state.exp_avg.round(12).tolist()
    (1, [0.3, -0.001])
    """
    beta1 = check_number(beta1, "beta1", low=0, high=1, high_open=True)
    beta2 = check_number(beta2, "beta2", low=0, high=1, high_open=True)
    eps = check_number(eps, "eps", low=0)
    schedule = as_schedule(lr)

    def init(params: np.ndarray) -> AdamState:
        shape = np.shape(params)
        return AdamState(count=0, exp_avg=np.zeros(shape), exp_avg_sq=np.zeros(shape))

    def update(
        grad: np.ndarray, state: AdamState, params: np.ndarray | None = None
    ) -> tuple[np.ndarray, AdamState]:
        g = np.asarray(grad, dtype=np.float64)
        n = state.count + 1
        exp_avg = beta1 * state.exp_avg + (1 - beta1) * g
        exp_avg_sq = beta2 * state.exp_avg_sq + (1 - beta2) * g**2
        m_hat = exp_avg / (1 - beta1**n)
        v_hat = exp_avg_sq / (1 - beta2**n)
        denominator = np.sqrt(v_hat) + eps
        # With eps = 0, a coordinate whose v_hat is 0 steps by 0, not by x / 0 (optax's guard).
        scaled = np.divide(m_hat, denominator, out=np.zeros_like(m_hat), where=denominator != 0)
        step = -schedule(state.count) * scaled
        return step, AdamState(count=n, exp_avg=exp_avg, exp_avg_sq=exp_avg_sq)

    # The engine's batched form of the same rule (see lossviz.optimizers.moments).
    moments = Moments(
        lr=schedule,
        a_m=beta1,
        b_m=1.0 - beta1,
        a_s=beta2,
        b_s=1.0 - beta2,
        c_g=0.0,
        c_m=1.0,
        eps=eps,
        adaptive=True,
        bias_correction=True,
    )
    return Optimizer(
        init,
        update,
        name="adam",
        hyper={"lr": lr, "beta1": beta1, "beta2": beta2, "eps": eps},
        moments=moments,
    )
