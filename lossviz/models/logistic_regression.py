"""Logistic regression on two features, without bias, fitted by cross-entropy."""

from __future__ import annotations

import autograd.numpy as anp
import numpy as np

from lossviz._checks import check_integer, check_number
from lossviz.models.base import (
    BLOCK,
    ROW_GROUP,
    ModelSurface,
    draw_dataset,
    mean_loss,
    newton_minimum,
    row_blocks,
)
from lossviz.surfaces.base import register


def _logit(w1, w2, x):
    return w1 * x[..., 0] + w2 * x[..., 1]


def _probability(w1, w2, x):
    # sigmoid(z) = 1 / (1 + e^-z) = (1 + tanh(z / 2)) / 2; tanh, unlike e^-z, cannot overflow
    # (e^-z warns and gives inf once -z > 709, for weights a student can easily reach).
    return 0.5 * (1.0 + anp.tanh(0.5 * _logit(w1, w2, x)))


def _cross_entropy(w1, w2, x, y):
    # -y log s(z) - (1 - y) log(1 - s(z)) = log(1 + e^z) - y z, without overflow for large |z|.
    z = _logit(w1, w2, x)
    return anp.logaddexp(0.0, z) - y * z


def _mean_gradient(x: np.ndarray, y: np.ndarray):
    # dL_i/dz_i = sigmoid(z_i) - y_i = (tanh(z_i / 2) + 1 - 2 y_i) / 2 and z = x @ p, so
    # grad L = (1/m) sum_i (sigmoid(z_i) - y_i) x_i = tanh(p @ x^T / 2) @ x / (2 m) + c,
    # with the constant c = (1 - 2 y) @ x / (2 m): one tanh per point and example, and no
    # other pass over them. (tanh, unlike 1 / (1 + exp(-z)), cannot overflow.)
    half_x = np.ascontiguousarray(0.5 * x.T)  # (2, m); C order: a third faster in np.dot
    scaled_x = x / (2.0 * len(y))  # (m, 2)
    constant = np.dot(1.0 - 2.0 * y, scaled_x)  # (2,)

    def gradient(p: np.ndarray) -> np.ndarray:
        """The gradient at weights ``p`` (..., 2), shape (..., 2), by blocks of whole
        groups of rows (`row_blocks`): a point's numbers do not depend on where in a
        batch it is."""
        points = p.reshape(-1, 2)
        n = len(points)
        out = np.empty((-(-n // ROW_GROUP) * ROW_GROUP, 2))
        block = np.zeros((min(BLOCK, len(out)), 2))
        z = np.empty((len(block), len(y)))
        for rows, k, padded in row_blocks(n):
            block[:k] = points[rows]
            block[k:padded] = 0.0
            t = np.tanh(np.dot(block[:padded], half_x, out=z[:padded]), out=z[:padded])
            np.dot(t, scaled_x, out=out[rows.start : rows.start + padded])
        out = out[:n]
        out += constant
        return out.reshape(p.shape)

    return gradient


def _mean_loss(x: np.ndarray, y: np.ndarray):
    # log(1 + e^z) - y z, averaged: with log(1 + e^z) = (z + |z|) / 2 + log(1 + e^-|z|),
    # the sums of z and of y z are the weights times constant vectors (sum_i x_i and
    # sum_i y_i x_i), so per point and example there remain |z| and log(1 + e^-|z|):
    # numpy's vectorised exp and log, where np.logaddexp costs ten times as much.
    # log(1 + e) for log1p(e) (e <= 1) errs by at most an ulp of 1, far below the loss.
    m = len(y)
    x_t = x.T.copy()  # (2, m)
    halves, ones = np.full(m, 0.5 / m), np.full(m, 1.0 / m)
    constant = x.sum(axis=0) / (2.0 * m) - np.dot(y, x) / m  # (2,)

    def loss(p: np.ndarray) -> np.ndarray:
        """``(1/m) sum_i [log(1 + exp(z_i)) - y_i z_i]``, ``z_i = p . x_i``, shape (...)."""
        points = p.reshape(-1, 2)
        n = len(points)
        out = np.empty(-(-n // ROW_GROUP) * ROW_GROUP)
        logs = np.empty_like(out)
        block = np.zeros((min(BLOCK, len(out)), 2))
        z = np.empty((len(block), m))
        for rows, k, padded in row_blocks(n):
            block[:k] = points[rows]
            block[k:padded] = 0.0
            a = np.abs(np.dot(block[:padded], x_t, out=z[:padded]), out=z[:padded])
            np.dot(a, halves, out=out[rows.start : rows.start + padded])  # mean |z| / 2
            np.negative(a, out=a)
            np.exp(a, out=a)
            a += 1.0
            np.log(a, out=a)
            np.dot(a, ones, out=logs[rows.start : rows.start + padded])
        out += logs
        # p . constant one coordinate at a time: a matrix product would round each
        # point's sum by where it falls in the batch.
        out = out[:n] + points[:, 0] * constant[0] + points[:, 1] * constant[1]
        return out.reshape(p.shape[:-1])

    return loss


def _mean_hessian(x: np.ndarray, y: np.ndarray):
    # d2L_i/dz_i^2 = sigmoid(z_i) (1 - sigmoid(z_i)) = (1 - tanh(z_i / 2)^2) / 4, so
    # hess L = (1/m) sum_i sigmoid'(z_i) x_i x_i^T: one product with the flattened x_i x_i^T.
    half_x = np.ascontiguousarray(0.5 * x.T)  # (2, m)
    outer = (x[:, :, None] * x[:, None, :]).reshape(len(y), 4) / (4.0 * len(y))  # (m, 4)

    def block_hessian(points: np.ndarray, k: int, z: np.ndarray | None = None) -> np.ndarray:
        """The flattened Hessians (rows, 4) of a block: ``points`` (rows, 2), its first ``k``
        rows the points' and the rest the origin; ``z`` (rows, m) to hold z, or None."""
        z = np.dot(points, half_x, out=z)
        real = z[:k]  # 1 - tanh(z / 2)^2 on the block's points; the padding's z = 0 is finite
        np.tanh(real, out=real)
        np.subtract(1.0, np.multiply(real, real, out=real), out=real)
        return np.dot(z, outer)

    def hessian(p: np.ndarray) -> np.ndarray:
        """``(1/m) sum_i sigmoid(z_i) (1 - sigmoid(z_i)) x_i x_i^T``, shape (..., 2, 2), by
        blocks of whole groups of rows (`row_blocks`), as `_mean_gradient`."""
        points = p.reshape(-1, 2)
        n = len(points)
        padded_n = -(-n // ROW_GROUP) * ROW_GROUP
        padded_points = np.zeros((padded_n, 2))  # past n, the origin: z = 0 there
        padded_points[:n] = points
        if padded_n <= BLOCK:  # one block: nothing to gather
            return block_hessian(padded_points, n)[:n].reshape(*p.shape, 2)
        out = np.empty((padded_n, 4))
        z = np.empty((BLOCK, len(y)))
        for rows, k, padded in row_blocks(n):
            into = slice(rows.start, rows.start + padded)
            out[into] = block_hessian(padded_points[into], k, z[:padded])
        return out[:n].reshape(*p.shape, 2)

    return hessian


def separable(x: np.ndarray, y: np.ndarray) -> bool:
    """Whether a line through the origin puts every class-1 point on one side, class 0 on the other.

    Then the cross-entropy has no finite minimum. Flip each class-0 point through
    the origin; the classes are separable exactly when all flipped points fit in an
    open half-plane, that is, when their directions leave an angular gap wider than pi.
    """
    flipped = np.where(y[:, None] == 1, x, -x)
    angles = np.sort(np.arctan2(flipped[:, 1], flipped[:, 0]))
    gaps = np.diff(np.concatenate([angles, angles[:1] + 2 * np.pi]))
    return bool(gaps.max() > np.pi)


@register("logistic_regression")
def logistic_regression(
    n: int = 60,
    separation: float = 2.0,
    angle: float = 30.0,
    holdout: float = 0.25,
    seed: int = 0,
) -> ModelSurface:
    """Classify points from two overlapping clouds: the cross-entropy over two feature weights.

    The data are ``n`` points with labels ``y_i`` in {0, 1}, half of each, and
    features ``x_i = (2 y_i - 1) (separation / 2) u + e_i``, shape (n, 2), where
    ``u = (cos angle, sin angle)`` and ``e_i ~ Normal(0, I)``: two unit-spread
    clouds whose centres lie ``separation`` apart, on either side of the origin.
    They are drawn with ``numpy.random.default_rng(seed)``; the last
    ``round(holdout * n)`` are held out. The model (no bias) predicts
    ``P(y = 1 | x) = sigmoid(w1 x1 + w2 x2)`` and the surface over ``p = (w1, w2)`` is
    the mean cross-entropy over the ``m`` training points,

    ``L(w1, w2) = (1/m) sum_i [log(1 + exp(z_i)) - y_i z_i]``, ``z_i = w1 x_i1 + w2 x_i2``,

    a convex bowl that flattens into a ramp far from its minimum, with gradient
    ``grad L = (1/m) sum_i (sigmoid(z_i) - y_i) x_i`` and Hessian
    ``hess L = (1/m) sum_i sigmoid(z_i) (1 - sigmoid(z_i)) x_i x_i^T``. The clouds
    overlap, so the minimum is finite (near ``separation * u``); it is found by
    Newton's method.

    Parameters
    ----------
    n
        Number of points, training and held-out together.
    separation
        Distance between the two cloud centres, in units of their spread (> 0).
        Large values make the classes separable and the minimum run off to infinity.
    angle
        Direction of the line joining the centres, in degrees.
    holdout
        Fraction of points held out, in [0, 1).
    seed
        Seed of the random generator (an integer >= 0).

    Raises
    ------
    ValueError
        If the training points are separable by a line through the origin (no
        finite minimum): lower ``separation`` or change ``seed``.

    Examples
    --------
    >>> s = logistic_regression(seed=0)
    >>> s.x_train.shape, s.y_train.shape
    ((45, 2), (45,))
    >>> s.predict([1.0, -1.0], [[2.0, 2.0]]).tolist()
    [0.5]
    """
    n = check_integer(n, "n", low=4)
    separation = check_number(separation, "separation", low=0.0, low_open=True)
    angle = check_number(angle, "angle")
    direction = np.array([np.cos(np.radians(angle)), np.sin(np.radians(angle))])

    def draw(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        y = rng.permutation(np.arange(n) % 2).astype(np.float64)
        x = (2 * y - 1)[:, None] * (separation / 2) * direction + rng.standard_normal((n, 2))
        return x, y

    train, heldout = draw_dataset(draw, n, holdout, seed)
    if separable(*train):
        raise ValueError(
            f"with separation={separation!r} and seed={seed!r} a line through the origin "
            "separates the training classes perfectly, so the loss has no finite minimum; "
            "lower separation or change seed"
        )

    minimum = newton_minimum(
        mean_loss(_cross_entropy, *train),
        separation * direction,
        gradient=_mean_gradient(*train),
        hessian=_mean_hessian(*train),
    )
    # Start with the weights pointing nearly the wrong way (the decision line turned 135
    # degrees), so the path has to swing round the origin, where every prediction is 1/2.
    turn = np.radians(135.0)
    start = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]]) @ minimum
    half = np.ceil(2 * 1.6 * np.linalg.norm(minimum)) / 2
    return ModelSurface(
        "logistic_regression",
        _probability,
        _cross_entropy,
        train,
        heldout,
        ((-half, half), (-half, half)),
        minima=[minimum],
        start=start,
        params=dict(n=n, separation=separation, angle=angle, holdout=holdout, seed=seed),
        gradient=_mean_gradient,
        hessian=_mean_hessian,
        loss=_mean_loss,
        finite_in_reach=True,
        description=(
            "Classifying points from two overlapping clouds with a line through the origin: "
            "the height is the cross-entropy for each pair of feature weights (w1, w2)."
        ),
    )
