"""RMSProp: per-coordinate rates from a moving average of squared gradients."""

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
def rmsprop(lr: LearningRate = 0.01, alpha: float = 0.99, eps: float = 1e-8) -> Optimizer:
    """RMSProp, as ``torch.optim.RMSprop(lr, alpha=alpha, eps=eps)`` (not centred, no momentum).

    .. math::
        s_{t+1} = \\alpha s_t + (1 - \\alpha) g_t^2, \\qquad
        p_{t+1} = p_t - \\eta_t \\, \\frac{g_t}{\\sqrt{s_{t+1}} + \\epsilon}

    Parameters
    ----------
    lr
        Learning rate: a float > 0 or a schedule ``t -> lr``.
    alpha
        Smoothing constant of the squared-gradient average, in [0, 1).
    eps
        Added to the denominator for numerical stability, >= 0. With ``eps = 0``
        a coordinate whose second moment is 0 steps by 0, not by 0 / 0.

    Examples
    --------
    >>> import numpy as np
    >>> opt = rmsprop(lr=0.01, alpha=0.99, eps=0.0)
    >>> step, _ = opt.update(np.array([2.0]), opt.init(np.zeros(1)))
    >>> round(float(step[0]), 6)  # -0.01 * 2 / sqrt(0.01 * 4)
    -0.1
    """
    alpha = check_unit_interval(alpha, "alpha")
    eps = check_positive(eps, "eps", allow_zero=True)
    return moment_optimizer(
        "rmsprop",
        {"lr": lr, "alpha": alpha, "eps": eps},
        Moments(lr=lr, a_s=alpha, b_s=1.0 - alpha, c_g=1.0, eps=eps, adaptive=True),
    )
