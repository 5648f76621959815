"""The loss of each task, as a function of the parameter vector (batched)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import autograd.numpy as anp
import numpy as np

from lossviz.networks.mlp import MLP


def binary_cross_entropy(logits: Any, y: np.ndarray) -> Any:
    """Mean ``log(1 + exp(z)) - y z`` over the last axis: logits (..., m), labels 0/1 (m,).

    Written with ``logaddexp(0, z)`` (softplus), so a logit of 1000 is no overflow.

    Examples
    --------
    >>> float(binary_cross_entropy(np.array([0.0]), np.array([1.0])))  # log 2
    0.6931471805599453
    >>> float(binary_cross_entropy(np.array([1000.0]), np.array([0.0])))
    1000.0
    """
    return anp.mean(anp.logaddexp(0.0, logits) - y * logits, axis=-1)


def mean_squared_error(predictions: Any, y: np.ndarray) -> Any:
    """Mean ``(prediction - y)**2`` over the last axis: predictions (..., m), targets (m,)."""
    return anp.mean((predictions - y) ** 2, axis=-1)


LOSSES = {"classification": binary_cross_entropy, "regression": mean_squared_error}
"""The loss of each task kind."""


def loss_function(net: MLP, X: np.ndarray, y: np.ndarray, task: str) -> Callable[[Any], Any]:
    """``loss(theta)``: the task's loss of ``net`` on ``(X, y)``; theta (..., n) -> loss (...).

    Examples
    --------
    >>> from lossviz.networks import MLP, two_moons
    >>> data = two_moons(n=40)
    >>> net = MLP((2, 4, 1))
    >>> loss = loss_function(net, data.X_train, data.y_train, data.task)
    >>> loss(np.zeros((3, net.n_params))).round(4).tolist()  # logits 0: log 2
    [0.6931, 0.6931, 0.6931]
    """
    if task not in LOSSES:
        raise ValueError(f"task must be one of {sorted(LOSSES)}; got {task!r}")
    criterion = LOSSES[task]

    def loss(theta):
        return criterion(net.predict(theta, X), y)

    return loss


def accuracy(net: MLP, theta: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Share of ``X`` classified right (logit > 0 means class 1); theta (..., n) -> (...)."""
    return np.mean((np.asarray(net.predict(theta, X)) > 0) == (y > 0.5), axis=-1)
