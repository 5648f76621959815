"""A one-neuron network ``y = w2 tanh(w1 x)`` fitted by mean squared error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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
from lossviz.surfaces.base import FEW_POINTS, register


def _network(w1, w2, x):
    return w2 * anp.tanh(w1 * x)


def _squared_error(w1, w2, x, y):
    return (w2 * anp.tanh(w1 * x) - y) ** 2


# Loss and gradient from five sums over the examples. With t_i = tanh(w1 x_i) and
# r_i = w2 t_i - y_i, both are polynomials in w2 whose coefficients are sums over i:
#   L        = (1/m) sum_i r_i^2              = (1/m) (w2 (w2 A - 2 B) + sum_i y_i^2)
#   dL/dw2   = (2/m) sum_i r_i t_i            = (2/m) (w2 A - B)
#   dL/dw1   = (2/m) sum_i r_i w2 s_i x_i     = (2/m) w2 ((w2 C - sum_i x_i y_i) - (w2 D - E))
# with s_i = 1 - t_i^2 = tanh'(w1 x_i) and
#   A = sum t_i^2,  B = sum y_i t_i,  C = sum x_i t_i,  D = sum x_i t_i^3,  E = sum x_i y_i t_i^2.
# Per point and example that is one tanh and two products (t^2, t^3); the sums are matrix
# products. Against the sum of squared residuals this rounds differently (the terms cancel
# near a minimum: a few ulps of 1 + w2^2, see the tests), and over many points it costs half
# as much as summing the residuals' terms: the tanh is most of a step. The loss, the gradient
# and the one pass read the same sums, computed the same way for one point or many, so a
# point gets the same numbers whichever the engine asks for and in whatever batch. Every
# product and sum only changes sign with p, so L(-p) = L(p) and grad L(-p) = -grad L(p) bit
# for bit.


def _sums(x: np.ndarray, y: np.ndarray):
    """``sums(points, cubes) -> S`` at weights ``points`` (n, 2): the five sums, scaled by 2/m.

    ``S`` has shape (3, n, 2) (2 without ``cubes``): ``S[0] = (2/m) (C, B)``,
    ``S[1] = (2/m) (A, E)`` and ``S[2] = (2/m) (D, 0)``, a view of an array padded to
    whole groups of rows (`row_blocks`).
    """
    m = len(y)
    # S[p] = t^(p + 1) @ weights[p], each (m, 2): a matrix product per power of t.
    weights = (2.0 / m) * np.stack(
        [
            np.stack([x, y], axis=1),
            np.stack([np.ones(m), x * y], axis=1),
            np.stack([x, np.zeros(m)], axis=1),
        ]
    )
    x_row = x[None, :]  # (1, m)

    def block_sums(w1: np.ndarray, k: int, t: np.ndarray, out: np.ndarray) -> None:
        """The sums ``out`` (3 or 2, rows, 2) of a block: ``w1`` (rows, 1), its first ``k``
        rows the points' and the rest 0; ``t`` (2, rows, m) holds t and t^2, then t^3."""
        t1, t2 = t
        # w1 x_i as a matrix product of one term (each entry is that one product):
        # it writes rows of m entries faster than a broadcast multiply does.
        np.dot(w1, x_row, out=t1)
        real = t1[:k]  # the padding rows are 0 = tanh(0) already
        np.tanh(real, out=real)
        np.multiply(t1, t1, out=t2)
        np.matmul(t, weights[:2], out=out[:2])
        if len(out) == 3:  # t^3 over t, now done with (a third array costs more)
            np.dot(np.multiply(t2, t1, out=t1), weights[2], out=out[2])

    def sums(points: np.ndarray, cubes: bool = True) -> np.ndarray:
        n = len(points)
        padded_n = -(-n // ROW_GROUP) * ROW_GROUP
        w1 = np.zeros((padded_n, 1))  # past n, w1 = 0: t = tanh(0) = 0 there
        w1[:n, 0] = points[:, 0]
        t = np.empty((2, min(BLOCK, padded_n), m))
        out = np.empty((3 if cubes else 2, padded_n, 2))
        if padded_n <= BLOCK:  # one block
            block_sums(w1, n, t, out)
        else:
            for block, k, padded in row_blocks(n):
                into = slice(block.start, block.start + padded)
                block_sums(w1[into], k, t[:, :padded], out[:, into])
        return out[:, :n]

    return sums


def _per_point(terms: Callable[..., Any], w2: np.ndarray, sums: np.ndarray) -> np.ndarray:
    """``terms(w2, *sums)`` for each of n points: ``w2`` (n,), ``sums`` (powers, n, 2) from
    `_sums`, one pair of sums per power of t.

    ``terms`` uses ``+``, ``-`` and ``*`` only, and returns one number per point or a
    tuple of them. Up to `FEW_POINTS` points it runs on each point's Python floats (each
    power's pair a list), beyond that on whole arrays (each pair two rows (n,)): the same
    IEEE operations in the same order, so the same bits either way (as
    `~lossviz.surfaces.base.gradient_by_terms`), without numpy's cost per call on a few
    points. Shape (n,), or (n, k) for k numbers per point.
    """
    if 0 < len(w2) <= FEW_POINTS:
        points = zip(w2.tolist(), *sums.tolist(), strict=True)
        return np.array([terms(*point) for point in points])
    values = terms(w2, *sums.transpose(0, 2, 1))
    if not isinstance(values, tuple):
        return values
    out = np.empty((len(w2), len(values)))
    for column, value in enumerate(values):
        out[:, column] = value
    return out


def _loss_from(y: np.ndarray):
    """``loss(w2, S) -> (n,)``: ``(1/m) (w2 (w2 A - 2 B) + sum y^2)`` from `_sums`."""
    sum_yy = 2.0 / len(y) * float(np.dot(y, y))  # scaled by 2/m, as the sums are

    def terms(w2, tx, t2x):
        (_, b), (a, _) = tx, t2x
        return 0.5 * (w2 * (w2 * a - 2.0 * b) + sum_yy)

    def loss(w2: np.ndarray, sums: np.ndarray) -> np.ndarray:
        return _per_point(terms, w2, sums[:2])

    return loss


def _gradient_from(x: np.ndarray, y: np.ndarray):
    """``gradient(w2, S) -> (n, 2)``: ``(2/m) (w2 ((w2 C - sum x y) - (w2 D - E)), w2 A - B)``
    from `_sums`."""
    sum_xy = 2.0 / len(y) * float(np.dot(x, y))

    def terms(w2, tx, t2x, t3x):
        (c, b), (a, e), (d, _) = tx, t2x, t3x
        # +0 for a zero gradient (autograd's, e.g. at the origin), not -0 from w2 = 0 times
        # a negative sum: adding +0 changes nothing else.
        return w2 * ((w2 * c - sum_xy) - (w2 * d - e)) + 0.0, w2 * a - b + 0.0

    def gradient(w2: np.ndarray, sums: np.ndarray) -> np.ndarray:
        return _per_point(terms, w2, sums)

    return gradient


def _mean_loss(x: np.ndarray, y: np.ndarray):
    """``(1/m) (w2 (w2 A - 2 B) + sum_i y_i^2)`` at weights (..., 2), shape (...)."""
    sums, loss_from = _sums(x, y), _loss_from(y)

    def loss(p: np.ndarray) -> np.ndarray:
        points = p.reshape(-1, 2)
        return loss_from(points[:, 1], sums(points, cubes=False)).reshape(p.shape[:-1])

    return loss


def _mean_gradient(x: np.ndarray, y: np.ndarray):
    """``(2/m) (w2 ((w2 C - sum x y) - (w2 D - E)), w2 A - B)`` at weights (..., 2), shape
    (..., 2): ``(2/m) sum_i r_i (w2 s_i x_i, t_i)`` from the five sums, as
    `_mean_loss_and_gradient` has it."""
    sums, gradient_from = _sums(x, y), _gradient_from(x, y)

    def gradient(p: np.ndarray) -> np.ndarray:
        points = p.reshape(-1, 2)
        return gradient_from(points[:, 1], sums(points)).reshape(p.shape)

    return gradient


def _mean_loss_and_gradient(x: np.ndarray, y: np.ndarray):
    """`_mean_loss` and `_mean_gradient` from one set of sums: the same numbers, bit for bit."""
    sums, loss_from, gradient_from = _sums(x, y), _loss_from(y), _gradient_from(x, y)

    def loss_and_gradient(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The loss and gradient at weights ``p`` (..., 2): shapes (...) and (..., 2)."""
        points = p.reshape(-1, 2)
        w2, both = points[:, 1], sums(points)
        loss = loss_from(w2, both).reshape(p.shape[:-1])
        return loss, gradient_from(w2, both).reshape(p.shape)

    return loss_and_gradient


def _mean_hessian(x: np.ndarray, y: np.ndarray):
    # hess L = (2/m) sum_i (grad r_i grad r_i^T + r_i hess r_i), with grad r_i = (w2 s_i x_i, t_i),
    # s_i = 1 - t_i^2 = tanh'(w1 x_i) and hess r_i = [[-2 w2 x_i^2 t_i s_i, s_i x_i], [s_i x_i, 0]];
    # entry by entry, (2/m) sum_i of
    #   xx = w2 x_i^2 s_i (w2 s_i - 2 r_i t_i),   xy = x_i s_i (w2 t_i + r_i),   yy = t_i^2.
    m = len(y)
    # The terms of xx, xy and yy without their x_i^2, x_i, 1, times these: each entry's sum
    # lands in its places of the flattened [[xx, xy], [xy, yy]], 0 in the others, and the
    # three products add up to the matrix.
    weights = np.zeros((3, m, 4))
    weights[0, :, 0] = x * x
    weights[1, :, 1] = weights[1, :, 2] = x
    weights[2, :, 3] = 1.0
    weights *= 2.0 / m

    def block_hessian(points: np.ndarray, terms: np.ndarray) -> np.ndarray:
        """The flattened Hessians (rows, 4) of a block of points (k, 2): ``terms`` (3, rows, m),
        rows >= k, holds the three entries' terms, 0 in its padding rows."""
        w1, w2 = points[:, 0:1], points[:, 1:2]
        xx, xy, yy = terms[:, : len(points)]
        t = np.tanh(w1 * x)
        np.multiply(t, t, out=yy)
        s = 1.0 - yy
        w2t = w2 * t
        r = w2t - y
        np.multiply(s, w2t + r, out=xy)
        w2s = w2 * s
        np.multiply(w2s, w2s - 2.0 * r * t, out=xx)
        return np.add.reduce(np.matmul(terms, weights), axis=0)

    def hessian(p: np.ndarray) -> np.ndarray:
        """``(2/m) sum_i (grad r_i grad r_i^T + r_i hess r_i)`` (entries above), (..., 2, 2),
        by blocks of whole groups of rows (`row_blocks`)."""
        points = p.reshape(-1, 2)
        n = len(points)
        padded_n = -(-n // ROW_GROUP) * ROW_GROUP
        terms = np.zeros((3, min(BLOCK, padded_n), m))  # the padding rows stay 0
        if padded_n <= BLOCK:  # one block: nothing to gather
            return block_hessian(points, terms)[:n].reshape(*p.shape, 2)
        out = np.empty((padded_n, 4))
        for block, k, padded in row_blocks(n):
            out[block] = block_hessian(points[block], terms[:, :padded])[:k]
        return out[:n].reshape(*p.shape, 2)

    return hessian


@register("tiny_network")
def tiny_network(
    n: int = 40,
    noise: float = 0.1,
    true_w1: float = 1.5,
    true_w2: float = 2.0,
    holdout: float = 0.25,
    seed: int = 0,
) -> ModelSurface:
    """Fit a one-neuron network: two mirror-image minima and a saddle at the origin.

    The data are ``n`` points ``x_i ~ Uniform(-2, 2)``,
    ``y_i = true_w2 tanh(true_w1 x_i) + noise * e_i`` with ``e_i ~ Normal(0, 1)``,
    drawn with ``numpy.random.default_rng(seed)``; the last ``round(holdout * n)``
    are held out. The surface over ``p = (w1, w2)`` (input weight, output weight) is

    ``L(w1, w2) = (1/m) sum_i (w2 tanh(w1 x_i) - y_i)^2``

    over the ``m`` training points, with gradient
    ``grad L = (2/m) sum_i r_i (w2 (1 - t_i^2) x_i, t_i)``, where ``t_i = tanh(w1 x_i)``
    and ``r_i = w2 t_i - y_i``, and Hessian ::

        hess L = (2/m) sum_i [[w2 x_i^2 s_i (w2 s_i - 2 r_i t_i),  x_i s_i (w2 t_i + r_i)],
                              [x_i s_i (w2 t_i + r_i),            t_i^2                 ]]

    with ``s_i = 1 - t_i^2``. Since ``tanh`` is odd, ``(w1, w2)`` and
    ``(-w1, -w2)`` compute the same function: the two minima mirror each other
    through the origin, which is a saddle point (zero gradient, one downhill and one
    uphill direction). Both axes are level at ``mean(y^2)``, the loss of predicting 0.
    The minima are found by Newton's method from the true weights.

    Parameters
    ----------
    n
        Number of points, training and held-out together.
    noise
        Standard deviation of the noise added to ``y`` (>= 0).
    true_w1, true_w2
        The weights the data are drawn from; both must be nonzero.
    holdout
        Fraction of points held out, in [0, 1).
    seed
        Seed of the random generator (an integer >= 0).

    Examples
    --------
    >>> s = tiny_network(seed=0)
    >>> s.grad([0.0, 0.0]).tolist()
    [0.0, 0.0]
    >>> bool(abs(s.minima[0] + s.minima[1]).max() < 1e-12)
    True
    """
    n = check_integer(n, "n", low=3)
    noise = check_number(noise, "noise", low=0.0)
    true_w1, true_w2 = check_number(true_w1, "true_w1"), check_number(true_w2, "true_w2")
    if true_w1 == 0 or true_w2 == 0:
        raise ValueError(
            f"true_w1 and true_w2 must be nonzero (else y is pure noise); got {true_w1}, {true_w2}"
        )

    def draw(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        x = rng.uniform(-2.0, 2.0, n)
        return x, true_w2 * np.tanh(true_w1 * x) + noise * rng.standard_normal(n)

    train, heldout = draw_dataset(draw, n, holdout, seed)

    minimum = newton_minimum(
        mean_loss(_squared_error, *train),
        [true_w1, true_w2],
        gradient=_mean_gradient(*train),
        hessian=_mean_hessian(*train),
    )
    if minimum[0] < 0:  # list the mirror image with w1 > 0 first
        minimum = -minimum
    half = np.ceil(2 * 1.4 * np.abs(minimum).max()) / 2
    # On the hillside between the minima, just off the line that runs into the saddle:
    # descent heads for the origin, stalls there, then escapes to the first minimum.
    start = np.array([1 / 3, -2 / 9]) * minimum
    return ModelSurface(
        "tiny_network",
        _network,
        _squared_error,
        train,
        heldout,
        ((-half, half), (-half, half)),
        minima=[minimum, -minimum],
        start=start,
        params=dict(n=n, noise=noise, true_w1=true_w1, true_w2=true_w2, holdout=holdout, seed=seed),
        gradient=_mean_gradient,
        hessian=_mean_hessian,
        loss=_mean_loss,
        loss_and_gradient=_mean_loss_and_gradient,
        symmetric_about_origin=True,
        finite_in_reach=True,
        description=(
            "A one-neuron network y = w2 tanh(w1 x) fitted by mean squared error: the height "
            "has two mirror-image minima and a saddle at the origin."
        ),
    )
