"""`ModelSurface`: the loss of a tiny model over its two weights, computed from its own data.

A model surface is a `Surface` whose two coordinates are the weights ``p = (w1, w2)``
of a small model and whose height is the model's mean loss over a training set.
It also keeps a held-out split (to show over- and under-fitting) and can draw
mini-batches (to show stochastic gradient descent).

Shapes: weights carry a trailing axis of length 2, ``(2,)``, ``(n, 2)`` or
``(h, w, 2)``, like every surface point; the data are ``x`` of shape ``(m,)`` (one
feature) or ``(m, 2)`` (two features) and ``y`` of shape ``(m,)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import autograd
import autograd.numpy as anp
import numpy as np
from autograd import elementwise_grad

from lossviz._checks import check_integer, check_number
from lossviz.surfaces.base import Bounds, Gradient, Hessian, LossFunction, Surface, as_points

Model = Callable[[Any, Any, np.ndarray], Any]
"""``model(w1, w2, x) -> output``: weights (..., 1) broadcast against inputs x (m,) or (m, 2),
giving outputs (..., m). Written with ``autograd.numpy``."""

ExampleLoss = Callable[[Any, Any, np.ndarray, np.ndarray], Any]
"""``example_loss(w1, w2, x, y) -> losses``: one loss per example, shape (..., m), for weights
(..., 1). Written with ``autograd.numpy`` so that autograd can differentiate it."""

MeanGradient = Callable[[np.ndarray, np.ndarray], Callable[[np.ndarray], np.ndarray]]
"""``mean_gradient(x, y) -> g``: the hand-derived gradient of the mean example loss over the
examples ``x`` (m,) or (m, 2), ``y`` (m,), as a function ``g(p) -> (..., 2)`` of weights (..., 2).
Work that depends on the data alone (sums, scaled copies) is done once, in ``mean_gradient``;
``g`` is then called at every step."""

MeanHessian = Callable[[np.ndarray, np.ndarray], Callable[[np.ndarray], np.ndarray]]
"""``mean_hessian(x, y) -> h``: the hand-derived Hessian of the mean example loss over the
examples ``x`` (m,) or (m, 2), ``y`` (m,), as a function ``h(p) -> (..., 2, 2)`` of weights
(..., 2); like `MeanGradient`, data-only work is done once, in ``mean_hessian``."""

MeanLoss = Callable[[np.ndarray, np.ndarray], Callable[[np.ndarray], np.ndarray]]
"""``mean_loss(x, y) -> f``: the mean example loss over the examples ``x`` (m,) or (m, 2),
``y`` (m,) in a cheaper form than the data's (a closed form), as a function ``f(p) -> (...)``
of weights (..., 2); data-only work (the least-squares fit, say) is done once, in ``mean_loss``."""

MeanLossAndGradient = Callable[
    [np.ndarray, np.ndarray], Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
]
"""``mean_loss_and_gradient(x, y) -> f``: the mean example loss and its gradient over the
examples ``x``, ``y`` in one pass over the data, as ``f(p) -> (loss (...), gradient (..., 2))``
for weights (..., 2): where that pass dominates (a ``tanh`` per example and point), the engine
then makes it once per step instead of twice."""


def mean_loss(example_loss: ExampleLoss, x: np.ndarray, y: np.ndarray) -> LossFunction:
    """The mean of ``example_loss`` over the data, as a surface function ``f(w1, w2)``.

    ``f(w1, w2) = (1/m) sum_i example_loss(w1, w2, x_i, y_i)``, elementwise over
    weights of any equal shape (...); the result has shape (...).
    """

    def loss(w1, w2):
        return anp.mean(example_loss(w1[..., None], w2[..., None], x, y), axis=-1)

    return loss


class ModelSurface(Surface):
    """The training loss of a two-weight model, with its data.

    Parameters
    ----------
    name
        Registry name, e.g. ``"linear_regression"``.
    model
        ``model(w1, w2, x) -> output`` (see `Model`); what `predict` returns.
    example_loss
        ``example_loss(w1, w2, x, y) -> losses (..., m)`` (see `ExampleLoss`).
        The surface height is its mean over the training split.
    train, heldout
        ``(x, y)`` pairs: inputs (m,) or (m, 2) and targets (m,). The held-out
        split may be empty.
    bounds, minima, start, params, description
        As for `Surface`.
    gradient
        Optional hand-derived gradient for speed, a `MeanGradient` ``gradient(x, y) -> g``:
        ``gradient(x_train, y_train)`` becomes the surface's gradient, and mini-batches use
        ``gradient(x_batch, y_batch)``. It must equal autograd's gradient of the mean loss
        (the tests hold it to that); without it, autograd differentiates ``example_loss``.
    hessian
        Optional hand-derived Hessian for speed, a `MeanHessian` ``hessian(x, y) -> h``:
        ``hessian(x_train, y_train)`` becomes the surface's Hessian (Newton's method asks
        for it at every step; it uses the full training loss, never a mini-batch). It must
        equal autograd's Hessian of the mean loss; without it, autograd computes it.
    loss
        Optional cheaper form of the training loss, a `MeanLoss` ``loss(x, y) -> f``:
        ``loss(x_train, y_train)`` becomes the surface's height (what calling the surface
        and the engine evaluate). It must equal the mean of ``example_loss`` over the
        training split, which stays the reference (`data_loss`; the tests hold it to
        that). Mini-batches only ever need gradients; the held-out loss uses the data.
    loss_and_gradient
        Optional `MeanLossAndGradient` ``loss_and_gradient(x, y) -> f``: the engine
        evaluates ``loss_and_gradient(x_train, y_train)`` once per step, where it needs
        both at the same point (full-batch steps). Its loss must be the surface's loss
        bit for bit, its gradient the surface's gradient (bit for bit where a BLAS
        product sums each row alike; the tests hold it to that), so that a run is the
        same with it or without it.
    parameter_names
        Names of the two weights, for axis labels, e.g. ``("w", "b")``.
    symmetric_about_origin
        As for `Surface`: the loss, gradient and Hessian as computed are even, odd and
        even in the weights, bit for bit.
    finite_in_reach
        As for `Surface` (the built-in models' losses, squared error and a cross-entropy
        written without overflow, are finite at every finite weight).

    Attributes
    ----------
    x_train, y_train, x_heldout, y_heldout
        The data, read-only float64 arrays.

    Examples
    --------
    >>> import lossviz.models
    >>> s = lossviz.models.linear_regression(noise=0.0, true_w=2.0, true_b=-1.0)
    >>> s.minima.round(6).tolist(), round(float(s([2.0, -1.0])), 12)
    ([[2.0, -1.0]], 0.0)
    """

    def __init__(
        self,
        name: str,
        model: Model,
        example_loss: ExampleLoss,
        train: tuple[np.ndarray, np.ndarray],
        heldout: tuple[np.ndarray, np.ndarray],
        bounds: Bounds,
        *,
        minima: Sequence[Sequence[float]] | np.ndarray = (),
        start: Sequence[float] | np.ndarray | None = None,
        params: dict[str, Any] | None = None,
        description: str = "",
        parameter_names: tuple[str, str] = ("w1", "w2"),
        gradient: MeanGradient | None = None,
        hessian: MeanHessian | None = None,
        loss: MeanLoss | None = None,
        loss_and_gradient: MeanLossAndGradient | None = None,
        symmetric_about_origin: bool = False,
        finite_in_reach: bool = False,
    ) -> None:
        self.x_train, self.y_train = (_read_only(a) for a in train)
        self.x_heldout, self.y_heldout = (_read_only(a) for a in heldout)
        if len(self.x_train) != len(self.y_train) or len(self.x_heldout) != len(self.y_heldout):
            raise ValueError("each split needs as many inputs x as targets y")
        super().__init__(
            name,
            mean_loss(example_loss, self.x_train, self.y_train),
            bounds,
            minima=minima,
            start=start,
            gradient=None if gradient is None else gradient(self.x_train, self.y_train),
            hessian=None if hessian is None else hessian(self.x_train, self.y_train),
            params=params,
            description=description,
            symmetric_about_origin=symmetric_about_origin,
            finite_in_reach=finite_in_reach,
        )
        self.parameter_names = parameter_names
        # The data form stays as the reference (`data_loss`) and as what autograd
        # differentiates; a closed form, where given, is the height everyone reads.
        self._data_loss = self._value
        if loss is not None:
            self._value = loss(self.x_train, self.y_train)
        self._loss_and_gradient = (
            None if loss_and_gradient is None else loss_and_gradient(self.x_train, self.y_train)
        )
        self._model = model
        self._example_loss = example_loss
        self._mean_gradient = gradient
        self._autograd_batch_gradient = elementwise_grad(self._loss_on, 0)

    def _loss_on(self, p, x, y):
        """Mean loss of weights ``p`` (..., 2) over the examples ``x``, ``y``; shape (...)."""
        return anp.mean(self._example_loss(p[..., 0:1], p[..., 1:2], x, y), axis=-1)

    def data_loss(self, p: Any) -> np.ndarray:
        """The training loss at ``p`` (..., 2) as the mean of ``example_loss`` over the data,
        shape (...): the reference for a closed form given as ``loss``."""
        p = as_points(p)
        return np.asarray(self._data_loss(p), dtype=np.float64)

    def predict(self, p: Any, x: Any) -> np.ndarray:
        """The model's output for weights ``p`` (..., 2) at inputs ``x`` (m,) or (m, 2).

        Returns shape (..., m): one row of outputs per weight point.
        """
        p = as_points(p)
        x = np.asarray(x, dtype=np.float64)
        return np.asarray(self._model(p[..., 0:1], p[..., 1:2], x), dtype=np.float64)

    def heldout_loss(self, p: Any) -> np.ndarray:
        """Mean loss over the held-out split at weights ``p`` (..., 2), shape (...).

        NaN everywhere if the surface was built with ``holdout=0``.
        """
        p = as_points(p)
        if len(self.y_heldout) == 0:
            return np.full(p.shape[:-1], np.nan)
        return np.asarray(self._loss_on(p, self.x_heldout, self.y_heldout), dtype=np.float64)

    def stochastic_grad(self, p: Any, batch_size: int, rng: np.random.Generator) -> np.ndarray:
        """Gradient of the mean loss over one random mini-batch, shape (..., 2).

        ``batch_size`` training examples are drawn without replacement by ``rng``;
        one batch per call, shared by every point of ``p`` (..., 2). With
        ``batch_size`` equal to the number of training examples this is the
        full gradient `grad`; averaged over batches it is the full gradient too.

        Raises
        ------
        ValueError
            If ``batch_size`` is not an integer between 1 and the number of training examples.
        """
        p = as_points(p)
        x, y = self._draw_batch(batch_size, rng)
        if self._mean_gradient is None:
            return np.asarray(self._autograd_batch_gradient(p, x, y), dtype=np.float64)
        return np.asarray(self._mean_gradient(x, y)(p), dtype=np.float64)

    def autograd_stochastic_grad(
        self, p: Any, batch_size: int, rng: np.random.Generator
    ) -> np.ndarray:
        """`stochastic_grad` by autograd alone (the reference for a hand gradient), (..., 2).

        Draws the same batch as `stochastic_grad` from an ``rng`` in the same state.
        """
        p = as_points(p)
        x, y = self._draw_batch(batch_size, rng)
        return np.asarray(self._autograd_batch_gradient(p, x, y), dtype=np.float64)

    def _draw_batch(
        self, batch_size: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """``batch_size`` training examples ``(x, y)`` drawn without replacement by ``rng``."""
        n_train = len(self.y_train)
        batch_size = check_integer(batch_size, "batch_size", low=1, high=n_train)
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy.random.Generator; got {rng!r}")
        batch = rng.choice(n_train, size=batch_size, replace=False)
        return self.x_train[batch], self.y_train[batch]

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return (
            f"<ModelSurface {self.name}({params}) n_train={len(self.y_train)} "
            f"n_heldout={len(self.y_heldout)} bounds={self.bounds}>"
        )


BLOCK = 1024
"""Points per block where a model evaluates (points, m) arrays block by block
(`row_blocks`): a few buffers of this many rows stay in cache, where full-size
temporaries (40,000 points x 45 examples: 14 MB each) would not, and fresh memory of
that size is slow to touch."""

ROW_GROUP = 16
"""Blocks are evaluated in whole multiples of this many rows (`row_blocks`): OpenBLAS
sums the rows past the last whole group of its kernel in another order, so only then
does a point get the same numbers alone, in a small batch and anywhere in a large one."""


def row_blocks(n: int) -> Iterator[tuple[slice, int, int]]:
    """``(rows, k, padded)`` for each block of `BLOCK` points of ``n``: the block's rows,
    its number of points ``k`` and ``k`` rounded up to whole groups of `ROW_GROUP` (the
    rows to evaluate, the last ones filled with any finite point).

    >>> [(r.start, r.stop, k, padded) for r, k, padded in row_blocks(1030)]
    [(0, 1024, 1024, 1024), (1024, 1030, 6, 16)]
    """
    for start in range(0, n, BLOCK):
        k = min(BLOCK, n - start)
        yield slice(start, start + k), k, -(-k // ROW_GROUP) * ROW_GROUP


def _read_only(a: Any) -> np.ndarray:
    # The minima were computed from these arrays; editing them in place would silently
    # make the surface lie, so they are frozen.
    arr = np.array(a, dtype=np.float64)
    arr.flags.writeable = False
    return arr


# -- helpers for the factories ------------------------------------------------------------------
Examples = tuple[np.ndarray, np.ndarray]
"""``(x, y)``: inputs (m,) or (m, 2) and targets (m,)."""


def draw_dataset(
    draw: Callable[[np.random.Generator, int], Examples], n: int, holdout: Any, seed: Any
) -> tuple[Examples, Examples]:
    """Draw ``n`` examples with ``draw(numpy.random.default_rng(seed), n)``; split off a holdout.

    Every model factory draws its data this way, so a seed means the same thing for all
    of them: one generator, seeded once, and the last ``round(holdout * n)`` examples
    held out (see `split`).

    Parameters
    ----------
    draw
        ``draw(rng, n) -> (x, y)``: the model's data-generating process, ``n`` independent
        examples drawn from ``rng``.
    n
        Number of examples, training and held-out together (checked by the factory, which
        knows how few its model can fit).
    holdout
        Fraction held out, in [0, 1).
    seed
        Seed of the random generator, an integer >= 0.

    Returns
    -------
    ``(train, heldout)``, each a pair ``(x, y)``.

    Raises
    ------
    ValueError
        If ``seed`` or ``holdout`` is out of range, or fewer than 2 training examples remain.

    Examples
    --------
    >>> def draw(rng, n):
    ...     x = rng.uniform(0.0, 1.0, n)
    ...     return x, 2.0 * x
    >>> (x_train, y_train), (x_heldout, y_heldout) = draw_dataset(draw, 8, 0.25, seed=0)
    >>> len(y_train), len(y_heldout), bool((y_train == 2.0 * x_train).all())
    (6, 2, True)
    """
    rng = np.random.default_rng(check_integer(seed, "seed", low=0))
    x, y = draw(rng, n)
    return split(x, y, holdout)


def split(x: np.ndarray, y: np.ndarray, holdout: Any) -> tuple[Examples, Examples]:
    """Split examples drawn independently into ``(train, heldout)`` pairs ``(x, y)``.

    The last ``round(holdout * m)`` of the ``m`` examples are held out. Because
    the examples are independent draws, this is as good as a random split.

    Raises
    ------
    ValueError
        If ``holdout`` is not in [0, 1) or fewer than 2 training examples remain.
    """
    fraction = check_number(holdout, "holdout", low=0.0, high=1.0, high_open=True)
    n_train = len(y) - int(round(fraction * len(y)))
    if n_train < 2:
        raise ValueError(
            f"holdout={holdout!r} of n={len(y)} examples leaves {n_train} for training; "
            "at least 2 are needed (raise n or lower holdout)"
        )
    return (x[:n_train], y[:n_train]), (x[n_train:], y[n_train:])


def newton_minimum(
    loss: LossFunction,
    guess: Sequence[float] | np.ndarray,
    *,
    gradient: Gradient | None = None,
    hessian: Hessian | None = None,
    steps: int = 100,
) -> np.ndarray:
    """Polish ``guess`` (2,) into a minimum of ``loss(w1, w2)`` by damped Newton steps.

    Each step solves ``(H + mu I) d = -g`` with ``mu`` just large enough to make
    the matrix positive definite, and halves ``d`` until the loss does not rise.
    Gradient ``g`` and Hessian ``H`` are the hand-derived ones if given (functions
    of weights (2,), e.g. a model's `MeanGradient` and `MeanHessian` of its training
    data), else autograd's.

    Returns
    -------
    The minimum, shape (2,).

    Raises
    ------
    ValueError
        If no point with zero gradient and positive definite Hessian is reached.
    """

    def objective(q):
        return loss(q[0:1], q[1:2])[0]

    gradient = autograd.grad(objective) if gradient is None else gradient
    curvature = autograd.hessian(objective) if hessian is None else hessian
    p = np.asarray(guess, dtype=np.float64).copy()
    for _ in range(steps):
        g, h = gradient(p), curvature(p)
        if np.linalg.norm(g) < 1e-13:
            break
        shift = max(0.0, 1e-9 - np.linalg.eigvalsh(h)[0])
        d = np.linalg.solve(h + shift * np.eye(2), -g)
        value = objective(p)
        while objective(p + d) > value and np.linalg.norm(d) > 1e-15:
            d = d / 2
        p = p + d
    if not (np.linalg.norm(gradient(p)) < 1e-8 and np.linalg.eigvalsh(curvature(p))[0] > 0):
        raise ValueError(
            f"could not locate the loss minimum near {np.round(guess, 3).tolist()} "
            "for these parameters; try another seed or less noise"
        )
    return p


def frame(points: Any, margin: float) -> Bounds:
    """Bounds ``((xmin, xmax), (ymin, ymax))`` around ``points`` (k, 2), ``margin`` on every side.

    The edges are rounded outwards to multiples of 0.5 so that the axes read well.
    """
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    low = np.floor(2 * (points.min(axis=0) - margin)) / 2
    high = np.ceil(2 * (points.max(axis=0) + margin)) / 2
    return ((float(low[0]), float(high[0])), (float(low[1]), float(high[1])))


__all__ = [
    "ModelSurface",
    "MeanGradient",
    "MeanHessian",
    "MeanLoss",
    "MeanLossAndGradient",
    "draw_dataset",
    "mean_loss",
    "newton_minimum",
]
