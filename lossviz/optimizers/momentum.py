"""Heavy-ball momentum."""

from __future__ import annotations

from lossviz.optimizers.base import LearningRate, Optimizer, check_unit_interval, register
from lossviz.optimizers.moments import Moments, moment_optimizer


@register
def momentum(lr: LearningRate = 0.001, beta: float = 0.9) -> Optimizer:
    """Gradient descent with momentum, as ``torch.optim.SGD(lr, momentum=beta)``.

    .. math::
        v_{t+1} = \\beta v_t + g_t, \\qquad p_{t+1} = p_t - \\eta_t v_{t+1}

    with ``v_0 = 0`` (so the first step is plain gradient descent).

    Parameters
    ----------
    lr
        Learning rate: a float > 0 or a schedule ``t -> lr``.
    beta
        Momentum coefficient in [0, 1).

    Examples
    --------
    >>> import numpy as np
    >>> opt = momentum(lr=0.1, beta=0.5)
    >>> state = opt.init(np.zeros(1))
    >>> step, state = opt.update(np.array([1.0]), state)
    >>> step, state = opt.update(np.array([1.0]), state)
    >>> step.tolist()  # v = 0.5 * 1 + 1
    [-0.15000000000000002]
    """
    beta = check_unit_interval(beta, "beta")
    return moment_optimizer(
        "momentum", {"lr": lr, "beta": beta}, Moments(lr=lr, a_m=beta, b_m=1.0, c_g=0.0, c_m=1.0)
    )
