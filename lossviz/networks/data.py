"""Small seeded data sets: two moons, two spirals (classification), a noisy curve (regression)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Dataset(NamedTuple):
    """Training and held-out splits of a data set.

    ``X_*`` has shape (m, d); ``y_*`` shape (m,): labels 0/1 for
    ``task == "classification"``, real targets for ``"regression"``.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    task: str


def _split(X: np.ndarray, y: np.ndarray, test_fraction: float, task: str, rng) -> Dataset:
    order = rng.permutation(len(y))
    n_test = int(round(test_fraction * len(y)))
    test, train = order[:n_test], order[n_test:]
    return Dataset(X[train], y[train], X[test], y[test], task)


def two_moons(n: int = 200, noise: float = 0.15, test_fraction: float = 0.25, seed: int = 0):
    """Two interleaved half circles, ``n`` points in all, Gaussian noise of std ``noise``.

    Examples
    --------
    >>> data = two_moons(n=100, seed=1)
    >>> data.X_train.shape, data.X_test.shape, data.task
    ((75, 2), (25, 2), 'classification')
    """
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    angle = rng.uniform(0.0, np.pi, n)
    X = np.where(
        y[:, None] == 0,
        np.stack([np.cos(angle), np.sin(angle)], axis=1),
        np.stack([1.0 - np.cos(angle), 0.5 - np.sin(angle)], axis=1),
    )
    X = X + noise * rng.normal(size=X.shape)
    return _split(X, y.astype(float), test_fraction, "classification", rng)


def spirals(
    n: int = 200, noise: float = 0.1, turns: float = 1.5, test_fraction: float = 0.25, seed: int = 0
):
    """Two intertwined spirals of ``turns`` turns each: hard for a narrow network."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    r = rng.uniform(0.1, 1.0, n)
    angle = 2 * np.pi * turns * r + np.pi * y
    X = np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1)
    X = X + noise * rng.normal(size=X.shape)
    return _split(X, y.astype(float), test_fraction, "classification", rng)


def noisy_curve(n: int = 60, noise: float = 0.3, test_fraction: float = 0.25, seed: int = 0):
    """Regression: ``y = sin(2 x) + noise * e`` for ``x ~ Uniform(-2, 2)``; X has shape (m, 1)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2.0, 2.0, n)
    y = np.sin(2.0 * x) + noise * rng.normal(size=n)
    return _split(x[:, None], y, test_fraction, "regression", rng)
