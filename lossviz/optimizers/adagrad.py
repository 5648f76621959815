"""AdaGrad: per-coordinate rates from the sum of squared gradients."""

from __future__ import annotations

from lossviz.optimizers.base import LearningRate, Optimizer, check_positive, register
from lossviz.optimizers.moments import Moments, moment_optimizer


@register
def adagrad(lr: LearningRate = 0.01, eps: float = 1e-10) -> Optimizer:
    """AdaGrad, as ``torch.optim.Adagrad(lr, eps=eps)`` (no lr decay, zero initial sum).

    .. math::
        s_{t+1} = s_t + g_t^2, \\qquad
        p_{t+1} = p_t - \\eta_t \\, \\frac{g_t}{\\sqrt{s_{t+1}} + \\epsilon}

    Parameters
    ----------
    lr
        Learning rate: a float > 0 or a schedule ``t -> lr``.
    eps
        Added to the denominator for numerical stability, >= 0. With ``eps = 0``
        a coordinate whose second moment is 0 steps by 0, not by 0 / 0.

    Examples
    --------
    >>> import numpy as np
    >>> opt = adagrad(lr=0.1, eps=0.0)
    >>> step, _ = opt.update(np.array([4.0, -0.5]), opt.init(np.zeros(2)))
    >>> step.tolist()  # the first step is -lr * sign(g)
    [-0.1, 0.1]
    """
    eps = check_positive(eps, "eps", allow_zero=True)
    return moment_optimizer(
        "adagrad",
        {"lr": lr, "eps": eps},
        Moments(lr=lr, a_s=1.0, b_s=1.0, c_g=1.0, eps=eps, adaptive=True),
    )
