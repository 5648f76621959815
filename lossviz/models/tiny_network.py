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


# Loss and gradient from five sums over the examples. With t_i = tanh(w1 x_i) and
# r_i = w2 t_i - y_i, both are polynomials in w2 whose coefficients are sums over i:
#   L        = (1/m) sum_i r_i^2              = (1/m) (w2 (w2 A - 2 B) + sum_i y_i^2)
#   dL/dw2   = (2/m) sum_i r_i t_i            = (2/m) (w2 A - B)
#   dL/dw1   = (2/m) sum_i r_i w2 s_i x_i     = (2/m) w2 ((w2 C - sum_i x_i y_i) - (w2 D - E))
# with s_i = 1 - t_i^2 = tanh'(w1 x_i) and
#   A = sum t_i^2,  B = sum y_i t_i,  C = sum x_i t_i,  D = sum x_i t_i^3,  E = sum x_i y_i t_i^2.
# Per point and example that is one tanh and two products (t^2, t^3); the sums are matrix
# products. Against the sum of squared residuals this rounds differently (the terms cancel
# near a minimum: a few ulps of 1 + w2^2, see the tests), and it costs half as much: the
# tanh is most of a step. The loss, the gradient and the two in one pass all read the same
# sums, so a run is the same whichever the engine asks for. Every product and sum only
# changes sign with p, so L(-p) = L(p) and grad L(-p) = -grad L(p) bit for bit.

_BLOCK = 1024
"""Points per block in `_sums`: two (points, m) buffers of this many rows stay in cache,
where full-size temporaries (40,000 points x 30 examples) would not."""

_ROWS = 16
"""Blocks are computed in whole multiples of this many rows (zeros fill the last): OpenBLAS
sums the rows past the last whole group of its kernel in another order, so only then does a
point get the same sums alone, in a small batch and anywhere in a large one."""


def _sums(x: np.ndarray, y: np.ndarray):
    """``sums(points, cubes) -> (A, B, C, D, E)``, each (n,), at weights ``points`` (n, 2).

    ``D`` (the only sum that needs ``t^3``) is None unless ``cubes``.
    """
    m = len(y)
    by_t = np.stack([y, x], axis=1)  # (m, 2): t @ by_t = (B, C)
    by_t2 = np.stack([np.ones(m), x * y], axis=1)  # (m, 2): t^2 @ by_t2 = (A, E)
    by_t3 = np.stack([x, np.zeros(m)], axis=1)  # (m, 2): t^3 @ by_t3 = (D, 0)
    x_row = x[None, :]  # (1, m)

    def sums(points: np.ndarray, cubes: bool = True):
        n = len(points)
        rows = min(_BLOCK, -(-n // _ROWS) * _ROWS)
        t_, t2_ = np.empty((rows, m)), np.empty((rows, m))
        w1 = np.zeros((rows, 1))
        tx, t2x, t3x = (np.empty((rows, 2)) for _ in range(3))
        out = np.empty((5 if cubes else 2, n))  # A, B, then C, D, E
        for start in range(0, n, _BLOCK):
            k = min(_BLOCK, n - start)
            padded = -(-k // _ROWS) * _ROWS
            block = slice(start, start + k)
            t, t2 = t_[:padded], t2_[:padded]
            w1[:k, 0] = points[block, 0]
            w1[k:padded] = 0.0
            # w1 x_i as a matrix product of one term (each entry is that one product):
            # it writes rows of m entries faster than a broadcast multiply does.
            np.dot(w1[:padded], x_row, out=t)
            np.tanh(t, out=t)
            np.multiply(t, t, out=t2)
            np.dot(t2, by_t2, out=t2x[:padded])
            np.dot(t, by_t, out=tx[:padded])
            out[0, block], out[1, block] = t2x[:k, 0], tx[:k, 0]
            if cubes:
                np.dot(np.multiply(t2, t, out=t), by_t3, out=t3x[:padded])
                out[2, block], out[3, block], out[4, block] = tx[:k, 1], t3x[:k, 0], t2x[:k, 1]
        return (out[0], out[1], *(out[2:] if cubes else (None, None, None)))

    return sums


def _mean_loss(x: np.ndarray, y: np.ndarray):
    """``(1/m) (w2 (w2 A - 2 B) + sum_i y_i^2)`` at weights (..., 2), shape (...)."""
    sums, m = _sums(x, y), len(y)
    sum_yy = float(np.dot(y, y))

    def loss(p: np.ndarray) -> np.ndarray:
        points = p.reshape(-1, 2)
        a, b, _, _, _ = sums(points, cubes=False)
        w2 = points[:, 1]
        return ((w2 * (w2 * a - 2.0 * b) + sum_yy) / m).reshape(p.shape[:-1])

    return loss


def _mean_gradient_from(x: np.ndarray, y: np.ndarray):
    """``gradient(points, sums) -> (n, 2)`` from the five sums at weights (n, 2)."""
    m = len(y)
    sum_xy = float(np.dot(x, y))

    def gradient(points: np.ndarray, a, b, c, d, e) -> np.ndarray:
        w2 = points[:, 1]
        out = np.empty((len(points), 2))
        out[:, 0] = w2 * ((w2 * c - sum_xy) - (w2 * d - e)) * (2.0 / m)
        out[:, 1] = (w2 * a - b) * (2.0 / m)
        # +0 for a zero gradient (autograd's, e.g. at the origin), not -0 from w2 = 0 times
        # a negative sum: adding +0 changes nothing else.
        return np.add(out, 0.0, out=out)

    return gradient


def _mean_gradient(x: np.ndarray, y: np.ndarray):
    """``(2/m) (w2 ((w2 C - sum x y) - (w2 D - E)), w2 A - B)`` at weights (..., 2)."""
    sums, from_sums = _sums(x, y), _mean_gradient_from(x, y)

    def gradient(p: np.ndarray) -> np.ndarray:
        points = p.reshape(-1, 2)
        return from_sums(points, *sums(points)).reshape(p.shape)

    return gradient


def _mean_loss_and_gradient(x: np.ndarray, y: np.ndarray):
    """`_mean_loss` and `_mean_gradient` from one set of sums: the same numbers, bit for bit."""
    sums, from_sums, m = _sums(x, y), _mean_gradient_from(x, y), len(y)
    sum_yy = float(np.dot(y, y))

    def loss_and_gradient(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The loss and gradient at weights ``p`` (..., 2): shapes (...) and (..., 2)."""
        points = p.reshape(-1, 2)
        a, b, c, d, e = sums(points)
        w2 = points[:, 1]
        loss = (w2 * (w2 * a - 2.0 * b) + sum_yy) / m
        return loss.reshape(p.shape[:-1]), from_sums(points, a, b, c, d, e).reshape(p.shape)

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
        loss=_mean_loss,
        loss_and_gradient=_mean_loss_and_gradient,
        symmetric_about_origin=True,
        description=(
            "A one-neuron network y = w2 tanh(w1 x) fitted by mean squared error: the height "
            "has two mirror-image minima and a saddle at the origin."
        ),
    )
