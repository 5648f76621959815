"""Adam: momentum on the gradient and on its square, with bias correction."""

from __future__ import annotations

from lossviz.optimizers.base import (
    LearningRate,
    Optimizer,
    check_positive,
    check_unit_interval,
    register,
)
from lossviz.optimizers.moments import Moments, moment_optimizer


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

    Parameters
    ----------
    lr
        Learning rate: a float > 0 or a schedule ``t -> lr``.
    beta1, beta2
        Decay rates of the first and second moment averages, in [0, 1).
    eps
        Added to the denominator for numerical stability, >= 0. With ``eps = 0``
        a coordinate whose second moment is 0 steps by 0, not by 0 / 0.

    Examples
    --------
    >>> import numpy as np
    >>> opt = adam(lr=0.1, eps=0.0)
    >>> step, _ = opt.update(np.array([3.0, -0.01]), opt.init(np.zeros(2)))
    >>> step.round(12).tolist()  # the first step is -lr * sign(g)
    [-0.1, 0.1]
    """
    beta1 = check_unit_interval(beta1, "beta1")
    beta2 = check_unit_interval(beta2, "beta2")
    eps = check_positive(eps, "eps", allow_zero=True)
    return moment_optimizer(
        "adam",
        {"lr": lr, "beta1": beta1, "beta2": beta2, "eps": eps},
        Moments(
            lr=lr,
            a_m=beta1,
            b_m=1.0 - beta1,
            a_s=beta2,
            b_s=1.0 - beta2,
            c_g=0.0,
            c_m=1.0,
            eps=eps,
            adaptive=True,
            bias_correction=True,
        ),
    )
