"""A one-neuron network ``y = w2 tanh(w1 x)`` fitted by mean squared error."""

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
# near a minimum: a few ulps of 1 + w2^2, see the tests), and over many points it costs half
# as much: the tanh is most of a step. The loss, the one pass and the gradient on many points
# read the same sums, so a large batch is the same whichever the engine asks for; on few
# points the gradient is taken term by term (`_direct_gradient`, fewer numpy calls), equal to
# rounding. Every product and sum only changes sign with p, so L(-p) = L(p) and
# grad L(-p) = -grad L(p) bit for bit.

def _sums(x: np.ndarray, y: np.ndarray):
    """``sums(points, cubes) -> (tx, t2x, t3x)`` at weights ``points`` (n, 2), scaled by 2/m.

    ``tx = (2/m) (B, C)``, ``t2x = (2/m) (A, E)``, ``t3x = (2/m) (D, 0)``, each (n, 2)
    (views of arrays padded to whole groups of rows, `row_blocks`); ``t3x`` is None
    unless ``cubes``.
    """
    m = len(y)
    scale = 2.0 / m
    by_t = scale * np.stack([y, x], axis=1)  # (m, 2): t @ by_t = (2/m) (B, C)
    by_t2 = scale * np.stack([np.ones(m), x * y], axis=1)  # t^2 @ by_t2 = (2/m) (A, E)
    by_t3 = scale * np.stack([x, np.zeros(m)], axis=1)  # t^3 @ by_t3 = (2/m) (D, 0)
    x_row = x[None, :]  # (1, m)

    def sums(points: np.ndarray, cubes: bool = True):
        n = len(points)
        padded_n = -(-n // ROW_GROUP) * ROW_GROUP
        rows = min(BLOCK, padded_n)
        w1 = np.zeros((rows, 1))
        t, t2 = np.empty((rows, m)), np.empty((rows, m))
        tx, t2x = np.empty((padded_n, 2)), np.empty((padded_n, 2))
        t3x = np.empty((padded_n, 2)) if cubes else None
        for block, k, padded in row_blocks(n):
            w1[:k, 0] = points[block, 0]
            w1[k:padded] = 0.0
            into = slice(block.start, block.start + padded)
            t_, t2_ = t[:padded], t2[:padded]
            # w1 x_i as a matrix product of one term (each entry is that one product):
            # it writes rows of m entries faster than a broadcast multiply does.
            np.dot(w1[:padded], x_row, out=t_)
            np.tanh(t_, out=t_)
            np.dot(t_, by_t, out=tx[into])
            np.multiply(t_, t_, out=t2_)
            np.dot(t2_, by_t2, out=t2x[into])
            if cubes:
                np.dot(np.multiply(t2_, t_, out=t_), by_t3, out=t3x[into])
        return tx[:n], t2x[:n], None if t3x is None else t3x[:n]

    return sums


def _loss_from(y: np.ndarray):
    """``loss(w2, tx, t2x) -> (n,)``: ``(1/m) (w2 (w2 A - 2 B) + sum y^2)`` from `_sums`."""
    sum_yy = 2.0 / len(y) * float(np.dot(y, y))  # scaled by 2/m, as the sums are

    def loss(w2: np.ndarray, tx: np.ndarray, t2x: np.ndarray) -> np.ndarray:
        out = w2 * t2x[:, 0]
        out -= 2.0 * tx[:, 0]
        out *= w2
        out += sum_yy
        out *= 0.5
        return out

    return loss


def _gradient_from(x: np.ndarray, y: np.ndarray):
    """``gradient(w2, tx, t2x, t3x) -> (n, 2)`` from `_sums`:
    ``(2/m) (w2 ((w2 C - sum x y) - (w2 D - E)), w2 A - B)``."""
    sum_xy = 2.0 / len(y) * float(np.dot(x, y))

    def gradient(w2: np.ndarray, tx: np.ndarray, t2x: np.ndarray, t3x: np.ndarray):
        out = np.empty((len(w2), 2))
        g1, g2 = out[:, 0], out[:, 1]
        np.multiply(w2, t2x[:, 0], out=g2)
        g2 -= tx[:, 0]
        np.multiply(w2, t3x[:, 0], out=g1)
        g1 -= t2x[:, 1]  # w2 D - E
        np.subtract(np.multiply(w2, tx[:, 1]) - sum_xy, g1, out=g1)
        g1 *= w2
        # +0 for a zero gradient (autograd's, e.g. at the origin), not -0 from w2 = 0 times
        # a negative sum: adding +0 changes nothing else.
        out += 0.0
        return out

    return gradient


def _mean_loss(x: np.ndarray, y: np.ndarray):
    """``(1/m) (w2 (w2 A - 2 B) + sum_i y_i^2)`` at weights (..., 2), shape (...)."""
    sums, loss_from = _sums(x, y), _loss_from(y)

    def loss(p: np.ndarray) -> np.ndarray:
        points = p.reshape(-1, 2)
        tx, t2x, _ = sums(points, cubes=False)
        return loss_from(points[:, 1], tx, t2x).reshape(p.shape[:-1])

    return loss


def _direct_gradient(x: np.ndarray, y: np.ndarray):
    """``(2/m) sum_i r_i (w2 s_i x_i, t_i)`` at weights (..., 2), term by term.

    With t_i = tanh(w1 x_i), r_i = w2 t_i - y_i and s_i = 1 - t_i^2. On few points each
    numpy call costs more than its arithmetic, and this form makes fewer calls than the
    sums; on many, the sums' half as many passes over (points, m) arrays win.
    """
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


_SUMS_FROM = 32
"""`_mean_gradient` takes the five sums from this many points on, `_direct_gradient` below
(4 points: 7.9 against 15.1 us; 64 points: 35 against 21 us). The engine's
`~lossviz.engine.ONE_PASS_FROM`: from there on it reads the sums in one pass, so with or
without the one pass a run takes the same gradient."""


def _mean_gradient(x: np.ndarray, y: np.ndarray):
    """The gradient at weights (..., 2): from the five sums, as `_mean_loss_and_gradient`
    has it, on `_SUMS_FROM` points or more; term by term (`_direct_gradient`) on fewer.
    The two agree to rounding."""
    sums, gradient_from = _sums(x, y), _gradient_from(x, y)
    direct = _direct_gradient(x, y)

    def gradient(p: np.ndarray) -> np.ndarray:
        points = p.reshape(-1, 2)
        if len(points) < _SUMS_FROM:
            return direct(p)
        return gradient_from(points[:, 1], *sums(points)).reshape(p.shape)

    return gradient


def _mean_loss_and_gradient(x: np.ndarray, y: np.ndarray):
    """`_mean_loss` and `_mean_gradient` from one set of sums: the same numbers, bit for bit."""
    sums, loss_from, gradient_from = _sums(x, y), _loss_from(y), _gradient_from(x, y)

    def loss_and_gradient(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The loss and gradient at weights ``p`` (..., 2): shapes (...) and (..., 2)."""
        points = p.reshape(-1, 2)
        w2 = points[:, 1]
        tx, t2x, t3x = sums(points)
        loss = loss_from(w2, tx, t2x)
        return loss.reshape(p.shape[:-1]), gradient_from(w2, tx, t2x, t3x).reshape(p.shape)

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
        finite_in_reach=True,
        description=(
            "A one-neuron network y = w2 tanh(w1 x) fitted by mean squared error: the height "
            "has two mirror-image minima and a saddle at the origin."
        ),
    )
