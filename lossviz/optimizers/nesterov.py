"""Nesterov's accelerated gradient, in the form torch uses."""

from __future__ import annotations

from lossviz.optimizers.base import LearningRate, Optimizer, check_unit_interval, register
from lossviz.optimizers.moments import Moments, moment_optimizer


@register
def nesterov(lr: LearningRate = 0.001, beta: float = 0.9) -> Optimizer:
    """Nesterov momentum, as ``torch.optim.SGD(lr, momentum=beta, nesterov=True)``.

    .. math::
        v_{t+1} = \\beta v_t + g_t, \\qquad
        p_{t+1} = p_t - \\eta_t \\, (g_t + \\beta v_{t+1})

    The look-ahead is folded into the step: the gradient is taken at the
    current parameters, as in torch.

    Parameters
    ----------
    lr
        Learning rate: a float > 0 or a schedule ``t -> lr``.
    beta
        Momentum coefficient in [0, 1).

    Examples
    --------
    >>> import numpy as np
    >>> opt = nesterov(lr=0.1, beta=0.5)
    >>> step, _ = opt.update(np.array([1.0]), opt.init(np.zeros(1)))
    >>> step.tolist()  # v = 1, step = -0.1 * (1 + 0.5 * 1)
    [-0.15000000000000002]
    """
    beta = check_unit_interval(beta, "beta")
    return moment_optimizer(
        "nesterov", {"lr": lr, "beta": beta}, Moments(lr=lr, a_m=beta, b_m=1.0, c_g=1.0, c_m=beta)
    )
