"""A one-neuron network ``y = w2 tanh(w1 x)`` fitted by mean squared error."""

from __future__ import annotations

import autograd.numpy as anp
import numpy as np

from lossviz._checks import check_integer, check_number
from lossviz.models.base import ModelSurface, draw_dataset, mean_loss, newton_minimum
from lossviz.surfaces.base import hessian_from_entries, register


def _network(w1, w2, x):
    return w2 * anp.tanh(w1 * x)


def _squared_error(w1, w2, x, y):
    return (w2 * anp.tanh(w1 * x) - y) ** 2


def _mean_gradient(x: np.ndarray, y: np.ndarray):
    # With t_i = tanh(w1 x_i) and residuals r_i = w2 t_i - y_i:
    #   grad L = (2/m) sum_i r_i (w2 (1 - t_i^2) x_i, t_i)
    scaled_x = 2.0 * x / len(y)  # (m,)
    scaled_ones = np.full(len(y), 2.0 / len(y))  # (m,): a dot with it is (2/m) sum_i

    def gradient(p: np.ndarray) -> np.ndarray:
        w2 = p[..., 1:2]
        t = np.tanh(p[..., 0:1] * x)  # (..., m)
        r = w2 * t - y
        rt = r * t
        out = np.empty(p.shape)
        # w2 inside the sum, as autograd has it: at w2 = 0 the sum of zeros is +0, not -0.
        out[..., 0] = np.dot((r - rt * t) * w2, scaled_x)
        out[..., 1] = np.dot(rt, scaled_ones)
        return out

    return gradient


_BLOCK = 1 << 16
"""Examples times points per block in `_mean_loss_and_gradient`, about: three (points, m)
buffers of this size stay in cache, where full-size temporaries (40,000 points x 30 examples)
would not."""


def _mean_loss_and_gradient(x: np.ndarray, y: np.ndarray):
    # The loss mean(r_i^2) and `_mean_gradient` from one tanh(w1 x_i) per point and example:
    # the tanh costs most of a step. The same operations in the same order as
    # `_squared_error` averaged by `mean_loss` and as `_mean_gradient` (so the same numbers,
    # bit for bit), written in place, block by block of points.
    m = len(y)
    scaled_x = 2.0 * x / m
    scaled_ones = np.full(m, 2.0 / m)
    # Whole multiples of 64 points: OpenBLAS's matrix-vector product sums a row in an order
    # that depends on where the row falls in its groups of rows, so only blocks that keep
    # those groups give every point the sums of one product over all points.
    block = max(1, _BLOCK // (64 * m)) * 64

    def loss_and_gradient(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``((1/m) sum_i r_i^2, grad L)`` at every point: shapes (...) and (..., 2)."""
        points = p.reshape(-1, 2)
        n = len(points)
        loss = np.empty(n)
        gradient = np.empty((n, 2))
        t, r, work = (np.empty((min(block, n), m)) for _ in range(3))
        for start in range(0, n, block):
            rows = slice(start, start + block)
            q = points[rows]
            k = len(q)
            t_, r_, work_ = t[:k], r[:k], work[:k]
            w2 = q[:, 1:2]
            np.tanh(np.multiply(q[:, 0:1], x, out=t_), out=t_)  # t_i
            np.subtract(np.multiply(w2, t_, out=r_), y, out=r_)  # r_i = w2 t_i - y_i
            np.add.reduce(np.multiply(r_, r_, out=work_), axis=-1, out=loss[rows])
            np.multiply(r_, t_, out=work_)  # r_i t_i
            gradient[rows, 1] = np.dot(work_, scaled_ones)
            np.multiply(work_, t_, out=work_)
            np.multiply(np.subtract(r_, work_, out=work_), w2, out=work_)  # (r_i - r_i t_i^2) w2
            gradient[rows, 0] = np.dot(work_, scaled_x)
        loss /= m
        return loss.reshape(p.shape[:-1]), gradient.reshape(p.shape)

    return loss_and_gradient


def _mean_hessian(x: np.ndarray, y: np.ndarray):
    # hess L = (2/m) sum_i (grad r_i grad r_i^T + r_i hess r_i), with grad r_i = (w2 s_i x_i, t_i),
    # s_i = 1 - t_i^2 = tanh'(w1 x_i) and hess r_i = [[-2 w2 x_i^2 t_i s_i, s_i x_i], [s_i x_i, 0]];
    # entry by entry, (2/m) sum_i of
    #   xx = w2 x_i^2 s_i (w2 s_i - 2 r_i t_i),   xy = x_i s_i (w2 t_i + r_i),   yy = t_i^2.
    scaled_x = 2.0 * x / len(y)  # (m,)
    scaled_x2 = 2.0 * x * x / len(y)  # (m,)
    scaled_ones = np.full(len(y), 2.0 / len(y))  # (m,)

    def hessian(p: np.ndarray) -> np.ndarray:
        """``(2/m) sum_i (grad r_i grad r_i^T + r_i hess r_i)`` (entries above), (..., 2, 2)."""
        w2 = p[..., 1:2]
        t = np.tanh(p[..., 0:1] * x)  # (..., m)
        r = w2 * t - y
        s = 1.0 - t * t
        return hessian_from_entries(
            p,
            np.dot(w2 * s * (w2 * s - 2.0 * r * t), scaled_x2),
            np.dot(s * (w2 * t + r), scaled_x),
            np.dot(t * t, scaled_ones),
        )

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
        loss_and_gradient=_mean_loss_and_gradient,
        description=(
            "A one-neuron network y = w2 tanh(w1 x) fitted by mean squared error: the height "
            "has two mirror-image minima and a saddle at the origin."
        ),
    )
