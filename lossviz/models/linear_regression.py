"""Linear regression ``y = w x + b`` fitted by mean squared error."""

from __future__ import annotations

import numpy as np

from lossviz._checks import check_integer, check_number
from lossviz.models.base import ModelSurface, draw_dataset, frame
from lossviz.surfaces.base import hessian_from_entries, register


def _line(w, b, x):
    return w * x + b


def _squared_error(w, b, x, y):
    return (w * x + b - y) ** 2


def _design_transposed(x: np.ndarray) -> np.ndarray:
    """``D^T`` (2, m) for the design matrix ``D = [x, 1]`` (m, 2): ``D p`` are the predictions."""
    design_t = np.ones((2, len(x)))
    design_t[0] = x
    return design_t


def _mean_gradient(x: np.ndarray, y: np.ndarray):
    # The mean squared error is quadratic in p = (w, b): with the design matrix D = [x, 1] (m, 2),
    # L = |D p - y|^2 / m and grad L = H p - c, H = (2/m) D^T D, c = (2/m) D^T y.
    design_t = _design_transposed(x)
    scale = 2.0 / len(y)
    hessian = np.dot(design_t, design_t.T) * scale
    offset = np.dot(design_t, y) * scale

    def gradient(p: np.ndarray) -> np.ndarray:
        return np.dot(p, hessian) - offset  # H is symmetric: p @ H is H p for every point

    return gradient


def _mean_loss(x: np.ndarray, y: np.ndarray):
    # Being quadratic, L is exactly its Taylor expansion about the least-squares fit p*,
    # where the gradient vanishes: L(p) = L(p*) + (p - p*)^T H (p - p*) / 2, H = (2/m) D^T D.
    # A sum of a non-negative L(p*) and a non-negative form: no cancellation, so it keeps
    # its relative accuracy near the minimum, which expanding |D p - y|^2 = p^T D^T D p
    # - 2 y^T D p + |y|^2 would lose (with noise-free data, where L(p*) is 0 to rounding,
    # both forms are only as good as the rounding of p* or of the residuals: ~1e-15 |p - p*|).
    # Evaluating it costs a few operations per point, not m (the data form, `_squared_error`
    # averaged by `mean_loss`, is the reference: `ModelSurface.data_loss`).
    design_t = _design_transposed(x)
    fit, *_ = np.linalg.lstsq(design_t.T, y, rcond=None)
    residual = np.dot(fit, design_t) - y
    floor = float(np.dot(residual, residual)) / len(y)  # L(p*)
    (xx, xy), (_, yy) = np.dot(design_t, design_t.T) / len(y)  # H / 2
    w_fit, b_fit = fit

    def loss(p: np.ndarray) -> np.ndarray:
        """``L(p*) + (p - p*)^T H (p - p*) / 2`` at every point, shape (...)."""
        dw = p[..., 0] - w_fit
        db = p[..., 1] - b_fit
        return floor + dw * (xx * dw + 2.0 * xy * db) + yy * db * db

    return loss


def _mean_hessian(x: np.ndarray, y: np.ndarray):
    design_t = _design_transposed(x)
    matrix = np.dot(design_t, design_t.T) * (2.0 / len(y))

    def hessian(p: np.ndarray) -> np.ndarray:
        """``(2/m) D^T D = (2/m) sum_i [[x_i^2, x_i], [x_i, 1]]`` at every point, (..., 2, 2)."""
        return hessian_from_entries(p, matrix[0, 0], matrix[0, 1], matrix[1, 1])

    return hessian


@register("linear_regression")
def linear_regression(
    n: int = 40,
    noise: float = 0.5,
    true_w: float = 2.0,
    true_b: float = -1.0,
    holdout: float = 0.25,
    seed: int = 0,
) -> ModelSurface:
    """Fit a straight line to noisy points: the mean squared error over slope and intercept.

    The data are ``n`` points ``x_i ~ Uniform(-1, 3)``,
    ``y_i = true_w x_i + true_b + noise * e_i`` with ``e_i ~ Normal(0, 1)``, drawn
    with ``numpy.random.default_rng(seed)``; the last ``round(holdout * n)`` are held
    out. The surface over ``p = (w, b)`` is

    ``L(w, b) = (1/m) sum_i (w x_i + b - y_i)^2``

    over the ``m`` training points: a quadratic bowl, with gradient
    ``grad L = (2/m) sum_i (w x_i + b - y_i) (x_i, 1)`` and constant Hessian
    ``hess L = (2/m) sum_i [[x_i^2, x_i], [x_i, 1]]``. Because the inputs are not
    centred on zero, slope and intercept trade off and the bowl is a tilted,
    elongated ellipse. Its minimum is the least-squares fit
    ``w* = cov(x, y) / var(x)``, ``b* = mean(y) - w* mean(x)``.

    Parameters
    ----------
    n
        Number of points, training and held-out together.
    noise
        Standard deviation of the noise added to ``y`` (>= 0).
    true_w, true_b
        The line the data are drawn around.
    holdout
        Fraction of points held out, in [0, 1).
    seed
        Seed of the random generator (an integer >= 0).

    Examples
    --------
    >>> s = linear_regression(seed=0)
    >>> s.x_train.shape, s.x_heldout.shape
    ((30,), (10,))
    >>> s.predict([2.0, -1.0], [0.0, 1.0]).tolist()
    [-1.0, 1.0]
    """
    n = check_integer(n, "n", low=3)
    noise = check_number(noise, "noise", low=0.0)
    true_w, true_b = check_number(true_w, "true_w"), check_number(true_b, "true_b")

    def draw(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        x = rng.uniform(-1.0, 3.0, n)
        return x, true_w * x + true_b + noise * rng.standard_normal(n)

    train, heldout = draw_dataset(draw, n, holdout, seed)

    x_train, y_train = train
    slope = np.mean((x_train - x_train.mean()) * (y_train - y_train.mean())) / np.var(x_train)
    minimum = np.array([slope, y_train.mean() - slope * x_train.mean()])
    # A flat line through the wrong side: the path to the fit runs along the valley.
    start = minimum + np.array([-2.5, 3.0])
    return ModelSurface(
        "linear_regression",
        _line,
        _squared_error,
        train,
        heldout,
        frame([minimum, start], 1.0),
        minima=[minimum],
        start=start,
        params=dict(n=n, noise=noise, true_w=true_w, true_b=true_b, holdout=holdout, seed=seed),
        parameter_names=("w", "b"),
        gradient=_mean_gradient,
        hessian=_mean_hessian,
        loss=_mean_loss,
        finite_in_reach=True,
        description=(
            "Fitting a straight line y = w x + b to noisy points: the height is the mean "
            "squared error for each slope w and intercept b."
        ),
    )
