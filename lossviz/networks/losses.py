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


class NetworkLoss:
    """``loss(theta)``: the task's loss of ``net`` on ``(X, y)``; theta (..., n) -> loss (...).

    ``loss(theta) = criterion(net.predict(theta, X), y)``, written with
    ``autograd.numpy``, so ``autograd.grad(loss)`` is backpropagation. Made by
    `loss_function`; its fields let `lossviz.networks.slice_surface` evaluate a
    plane of models faster (`lossviz.networks.mlp.NetworkOnPlane`).

    Attributes
    ----------
    net
        The network.
    X, y
        Inputs (m, d) and labels or targets (m,).
    task
        A key of `LOSSES`.
    criterion
        ``LOSSES[task]``: outputs (..., m), y (m,) -> loss (...).
    """

    def __init__(self, net: MLP, X: np.ndarray, y: np.ndarray, task: str) -> None:
        if task not in LOSSES:
            raise ValueError(f"task must be one of {sorted(LOSSES)}; got {task!r}")
        self.net, self.X, self.y, self.task = net, X, y, task
        self.criterion: Callable[[Any, np.ndarray], Any] = LOSSES[task]

    def __call__(self, theta: Any) -> Any:
        return self.criterion(self.net.predict(theta, self.X), self.y)

    def __repr__(self) -> str:
        return f"NetworkLoss({self.net!r}, {self.task}, {len(self.y)} examples)"


def loss_function(net: MLP, X: np.ndarray, y: np.ndarray, task: str) -> NetworkLoss:
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
    return NetworkLoss(net, X, y, task)


def accuracy(net: MLP, theta: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Share of ``X`` classified right (logit > 0 means class 1); theta (..., n) -> (...)."""
    return np.mean((np.asarray(net.predict(theta, X)) > 0) == (y > 0.5), axis=-1)
