"""Training a network with lossviz's optimizers; the gradient is backpropagation (autograd)."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from autograd import grad

from lossviz.networks.data import Dataset
from lossviz.networks.losses import LOSSES, accuracy
from lossviz.networks.mlp import MLP
from lossviz.optimizers import Optimizer
from lossviz.optimizers import optimizer as build_optimizer

Progress = Callable[[int, int], None]
"""``progress(done, total)``, called about a hundred times over a long computation."""


class Training(NamedTuple):
    """What `train` returns.

    Attributes
    ----------
    trajectory
        Parameter vectors, shape (steps + 1, n_params); row 0 is ``net.init()``.
    train_loss, test_loss
        Loss on the training and held-out splits at every row, shape (steps + 1,).
    train_accuracy, test_accuracy
        Shares classified right, shape (steps + 1,); ``None`` for regression.
    """

    trajectory: np.ndarray
    train_loss: np.ndarray
    test_loss: np.ndarray
    train_accuracy: np.ndarray | None
    test_accuracy: np.ndarray | None


def evaluate_in_chunks(
    function: Callable[[np.ndarray], object],
    rows: np.ndarray,
    chunk: int = 256,
    progress: Progress | None = None,
) -> np.ndarray:
    """``function(rows)`` (k, ...) -> (k, ...), ``chunk`` rows at a time to bound memory.

    ``progress(done, total)``, if given, is called after some of the chunks (at
    most a hundred times), counting rows, the last time with ``(k, k)``.

    Examples
    --------
    >>> calls = []
    >>> evaluate_in_chunks(np.square, np.arange(5.0), chunk=2, progress=lambda *c: calls.append(c))
    array([ 0.,  1.,  4.,  9., 16.])
    >>> calls
    [(2, 5), (4, 5), (5, 5)]
    """
    total = len(rows)
    starts = range(0, total, chunk)
    every = -(-len(starts) // 100)  # ceil: progress at most a hundred times
    parts = []
    for i, start in enumerate(starts):
        parts.append(np.asarray(function(rows[start : start + chunk])))
        if progress is not None and ((i + 1) % every == 0 or i + 1 == len(starts)):
            progress(min(start + chunk, total), total)
    return np.concatenate(parts) if parts else np.asarray(function(rows))


def train(
    net: MLP,
    data: Dataset,
    optimizer: Optimizer | str,
    steps: int,
    batch_size: int | None = None,
    seed: int = 0,
    progress: Progress | None = None,
) -> Training:
    """Train ``net`` from ``net.init()`` for ``steps`` updates of ``optimizer``.

    At every step ``g = autograd.grad(loss)(theta)`` (reverse mode: backpropagation)
    on the whole training split, or on a seeded random mini-batch of
    ``batch_size`` examples; then ``step, state = optimizer.update(g, state, theta)``
    and ``theta = theta + step``. A diverging run is data: NaNs, not an exception.

    Examples
    --------
    >>> import lossviz
    >>> from lossviz.networks import MLP, two_moons
    >>> data = two_moons(n=60)
    >>> run = train(MLP((2, 8, 1)), data, lossviz.optimizer("adam", lr=0.05), steps=50)
    >>> run.trajectory.shape, bool(run.train_loss[-1] < run.train_loss[0])
    ((51, 33), True)
    """
    optimizer = build_optimizer(optimizer)
    criterion = LOSSES[data.task]

    def batch_loss(theta, X, y):
        return criterion(net.predict(theta, X), y)

    gradient = grad(batch_loss)
    rng = np.random.default_rng(seed)
    m = len(data.y_train)
    theta = net.init()
    state = optimizer.init(theta)
    trajectory = np.empty((steps + 1, net.n_params))
    trajectory[0] = theta
    every = max(1, steps // 100)
    with np.errstate(all="ignore"):
        for t in range(steps):
            if batch_size is None or batch_size >= m:
                X, y = data.X_train, data.y_train
            else:
                rows = rng.choice(m, batch_size, replace=False)
                X, y = data.X_train[rows], data.y_train[rows]
            step, state = optimizer.update(gradient(theta, X, y), state, theta)
            theta = theta + step
            trajectory[t + 1] = theta
            if progress is not None and ((t + 1) % every == 0 or t + 1 == steps):
                progress(t + 1, steps)
        train_loss = evaluate_in_chunks(
            lambda th: batch_loss(th, data.X_train, data.y_train), trajectory
        )
        test_loss = evaluate_in_chunks(
            lambda th: batch_loss(th, data.X_test, data.y_test), trajectory
        )
    train_acc = test_acc = None
    if data.task == "classification":
        train_acc = evaluate_in_chunks(
            lambda th: accuracy(net, th, data.X_train, data.y_train), trajectory
        )
        test_acc = evaluate_in_chunks(
            lambda th: accuracy(net, th, data.X_test, data.y_test), trajectory
        )
    return Training(trajectory, train_loss, test_loss, train_acc, test_acc)
