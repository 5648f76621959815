"""Plain gradient descent."""

from __future__ import annotations

from lossviz.optimizers.base import LearningRate, Optimizer, register
from lossviz.optimizers.moments import Moments, moment_optimizer


@register
def gd(lr: LearningRate = 0.001) -> Optimizer:
    """Gradient descent, as ``torch.optim.SGD(lr)``.

    .. math:: p_{t+1} = p_t - \\eta_t \\, g_t

    Parameters
    ----------
    lr
        Learning rate ``eta``: a float > 0 or a schedule ``t -> lr``.

    Examples
    --------
    >>> import numpy as np
    >>> opt = gd(lr=0.1)
    >>> step, state = opt.update(np.array([1.0, -2.0]), opt.init(np.zeros(2)))
    >>> step.tolist()
    [-0.1, 0.2]
    """
    return moment_optimizer("gd", {"lr": lr}, Moments(lr=lr, c_g=1.0))
