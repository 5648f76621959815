"""A multilayer perceptron whose parameters are one flat vector, batched over many vectors.

`MLP.predict` is the network's formula, written with ``autograd.numpy``.
`NetworkOnPlane` computes the same outputs faster for the many models of a slice
(plain numpy, tested equal to `MLP.predict`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import autograd.numpy as anp
import numpy as np

ACTIVATIONS = {"tanh": anp.tanh, "relu": lambda z: anp.maximum(z, 0.0)}
"""The hidden layers' nonlinearities, by name."""


def tanh_in_place(z: np.ndarray) -> np.ndarray:
    """``tanh(z) = 1 - 2 / (exp(2 z) + 1)``, written into ``z`` (any shape), which is returned.

    Equal to ``np.tanh`` to a few units in the last place, and faster where numpy's
    ``exp`` is faster than its ``tanh`` (about 1.6 times on the x86-64 machines we
    measured). Far from 0 it saturates as tanh does: ``exp(2 z) = inf`` gives 1,
    ``exp(2 z) = 0`` gives -1.

    Examples
    --------
    >>> z = np.array([-800.0, -1.0, 0.0, 0.5, 800.0])
    >>> bool(np.allclose(tanh_in_place(z.copy()), np.tanh(z), rtol=0, atol=1e-15))
    True
    """
    with np.errstate(over="ignore"):
        np.exp(np.multiply(z, 2.0, out=z), out=z)
    z += 1.0
    np.divide(-2.0, z, out=z)
    z += 1.0
    return z


def relu_in_place(z: np.ndarray) -> np.ndarray:
    """``max(z, 0)``, written into ``z``, which is returned."""
    return np.maximum(z, 0.0, out=z)


IN_PLACE_ACTIVATIONS = {"tanh": tanh_in_place, "relu": relu_in_place}
"""`ACTIVATIONS` in plain numpy, overwriting their argument (`NetworkOnPlane` uses them)."""

GridHidden = Callable[[slice, int], np.ndarray]
"""``hidden(columns, row)``: a grid row's first hidden layer, see `NetworkOnPlane.grid_hidden`."""

EXPONENT_LIMIT = 700.0
"""A bound on ``|2 u|`` under which ``exp(2 u)`` is a normal float64 number (up to ~708)."""


class MLP:
    """A fully connected network ``sizes[0] -> ... -> sizes[-1]``; parameters in one flat vector.

    Layer ``l`` computes ``h_{l+1} = act(h_l @ W_l + b_l)`` (no activation on the
    last layer: its outputs are logits or regression values). ``W_l`` has shape
    ``(sizes[l], sizes[l+1])``; the flat vector holds ``W_0, b_0, W_1, b_1, ...``
    in that order, each ``W`` row-major.

    Every method takes one parameter vector ``(n_params,)`` or a batch
    ``(..., n_params)`` and returns results with the same leading axes: a whole
    grid of models is one call. Written with ``autograd.numpy``, so
    ``autograd.grad`` of a loss is backpropagation.

    Parameters
    ----------
    sizes
        Units per layer, input first, e.g. ``(2, 16, 16, 1)``.
    activation
        ``"tanh"`` or ``"relu"``.
    seed
        Seed of `init`.

    Examples
    --------
    >>> net = MLP((2, 3, 1))
    >>> net.n_params  # 2*3 + 3 + 3*1 + 1
    13
    >>> X = np.ones((5, 2))
    >>> net.predict(net.init(), X).shape, net.predict(np.zeros((4, 13)), X).shape
    ((5,), (4, 5))
    """

    def __init__(self, sizes: Sequence[int], activation: str = "tanh", seed: int = 0) -> None:
        sizes = tuple(int(s) for s in sizes)
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"sizes must be at least two positive layer widths; got {sizes}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}; got {activation!r}")
        self.sizes = sizes
        self.activation = activation
        self.seed = int(seed)
        self._slices = []  # per layer: (start of W, end of W = start of b, end of b)
        start = 0
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
            self._slices.append(
                (start, start + fan_in * fan_out, start + fan_in * fan_out + fan_out)
            )
            start += fan_in * fan_out + fan_out
        self.n_params: int = start

    def init(self) -> np.ndarray:
        """The seeded initial vector ``(n_params,)``: ``W ~ Normal(0, 1/fan_in)``, ``b = 0``."""
        rng = np.random.default_rng(self.seed)
        theta = np.zeros(self.n_params)
        for (w0, w1, _), fan_in in zip(self._slices, self.sizes[:-1], strict=True):
            theta[w0:w1] = rng.normal(0.0, 1.0 / np.sqrt(fan_in), w1 - w0)
        return theta

    def layers(self, theta: Any) -> list[tuple[Any, Any]]:
        """The ``(W, b)`` of each layer, views into ``theta`` (..., n_params).

        ``W`` has shape ``(..., fan_in, fan_out)``, ``b`` shape ``(..., fan_out)``.
        """
        lead = theta.shape[:-1]
        out = []
        for (w0, w1, b1), fan_in, fan_out in zip(
            self._slices, self.sizes[:-1], self.sizes[1:], strict=True
        ):
            out.append(
                (anp.reshape(theta[..., w0:w1], (*lead, fan_in, fan_out)), theta[..., w1:b1])
            )
        return out

    def blocks(self) -> np.ndarray:
        """Block number of every parameter, shape (n_params,).

        A block is one unit's incoming weights and its bias (a "filter" in Li et
        al. 2018); `lossviz.networks.random_directions` normalises block by block.
        """
        ids = np.empty(self.n_params, dtype=np.intp)
        first = 0
        for (w0, w1, b1), fan_in, fan_out in zip(
            self._slices, self.sizes[:-1], self.sizes[1:], strict=True
        ):
            ids[w0:w1] = first + np.tile(np.arange(fan_out), fan_in)  # W row-major: column = unit
            ids[w1:b1] = first + np.arange(fan_out)
            first += fan_out
        return ids

    def predict(self, theta: Any, X: np.ndarray) -> Any:
        """Outputs for inputs ``X`` (m, sizes[0]) under parameters ``theta`` (..., n_params).

        Returns shape ``(..., m)`` for one output unit, else ``(..., m, sizes[-1])``.
        """
        if theta.shape[-1] != self.n_params:
            raise ValueError(
                f"theta must have a trailing axis of {self.n_params} parameters; "
                f"got shape {theta.shape}"
            )
        act = ACTIVATIONS[self.activation]
        h = X  # (m, d); after the first layer (..., m, width): matmul broadcasts the batch
        layers = self.layers(theta)
        for i, (W, b) in enumerate(layers):
            h = anp.matmul(h, W) + b[..., None, :]
            if i < len(layers) - 1:
                h = act(h)
        return h[..., 0] if self.sizes[-1] == 1 else h

    def __repr__(self) -> str:
        shape = "-".join(map(str, self.sizes))
        return f"MLP({shape}, {self.activation}, {self.n_params} parameters)"


class NetworkOnPlane:
    """The outputs of ``net`` on ``X`` for the models ``theta(a, b) = center + a d1 + b d2``.

    The same numbers as ``net.predict(center + a * d1 + b * d2, X)`` (tested equal
    to 1e-10), in plain numpy and several times faster, for drawing a slice
    (`lossviz.networks.slice_surface`). `MLP.predict` stays the formula to read and
    the one autograd differentiates. Three things make this faster:

    1. Every layer's weights are affine in ``(a, b)``: ``W(a, b) = W_c + a W_1 + b W_2``
       with ``W_c, W_1, W_2`` that layer's part of ``center, d1, d2`` (biases alike).
       So the first layer's pre-activation is affine too,
       ``z(a, b) = X W(a, b) + b(a, b) = Z_c + a Z_1 + b Z_2``, and the three
       (m, width) matrices ``Z`` are computed once, here, not once per model.
    2. On a grid (columns of one ``a``, rows of one ``b``) the first tanh layer
       factorises: with ``u = Z_c + a Z_1`` and ``v = b Z_2``,
       ``tanh(u + v) = 1 - 2 / (1 + exp(2 u) exp(2 v))``: one exponential per column
       and one per row instead of one per grid point (`grid_hidden`).
    3. Hidden layers are computed in place (`IN_PLACE_ACTIVATIONS`), for a few
       models at a time so that they stay in the processor's cache (the caller
       chooses how many: `models_per_chunk`).

    Parameters
    ----------
    net
        The network.
    center, d1, d2
        The plane, each shape (n_params,).
    X
        Inputs, shape (m, sizes[0]).

    Examples
    --------
    >>> net = MLP((2, 3, 1))
    >>> center, d1, d2 = np.random.default_rng(0).normal(size=(3, net.n_params))
    >>> X = np.ones((5, 2))
    >>> a, b = np.array([0.5, -1.0]), np.array([0.25, 2.0])
    >>> plane = NetworkOnPlane(net, center, d1, d2, X)
    >>> expected = net.predict(center + a[:, None] * d1 + b[:, None] * d2, X)
    >>> plane.outputs(a, b).shape, bool(np.allclose(plane.outputs(a, b), expected))
    ((2, 5), True)
    """

    def __init__(
        self, net: MLP, center: np.ndarray, d1: np.ndarray, d2: np.ndarray, X: np.ndarray
    ) -> None:
        stacked = np.stack([center, d1, d2]).astype(np.float64)  # (3, n): c, 1, 2
        (W, bias), *later = net.layers(stacked)
        self.first: np.ndarray = np.asarray(X, dtype=np.float64) @ W + bias[:, None, :]
        """``Z_c, Z_1, Z_2``, shape (3, m, width): the first layer's pre-activation."""
        self.later = later  # per later layer: W (3, fan_in, fan_out), b (3, fan_out)
        self.activation = net.activation
        self.one_output = net.sizes[-1] == 1
        self.m, self.widest = len(self.first[0]), max(net.sizes[1:])

    def models_per_chunk(self, cache_bytes: int = 2**20) -> int:
        """How many models' activations (models, m, widest layer) fit in ``cache_bytes``."""
        return max(1, cache_bytes // (8 * self.m * self.widest))

    def hidden(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """The first hidden layer ``act(Z_c + a Z_1 + b Z_2)`` for ``a, b`` (k,): (k, m, width)."""
        z = self.first[0] + a[:, None, None] * self.first[1]
        z += b[:, None, None] * self.first[2]
        return IN_PLACE_ACTIVATIONS[self.activation](z)

    def grid_hidden(self, xs: np.ndarray, ys: np.ndarray) -> GridHidden | None:
        """The first hidden layer on the grid of columns ``a = xs`` (w,) and rows ``b = ys`` (h,).

        Returns ``hidden(columns, row)``: the first hidden layer of the models
        ``a = xs[columns]``, ``b = ys[row]``, shape (len(xs[columns]), m, width), as
        ``1 - 2 / (1 + exp(2 u) exp(2 v))`` from ``exp(2 u)`` computed here once per
        column (w, m, width) and ``exp(2 v)`` once per row (h, m, width). Returns
        None where that does not apply: activations other than tanh, a network
        without hidden layers, or ``|2 u|`` or ``|2 v|`` above `EXPONENT_LIMIT`
        (their exponentials would overflow or lose precision) or NaN.
        """
        if self.activation != "tanh" or not self.later:
            return None
        u = self.first[0] + xs[:, None, None] * self.first[1]  # (w, m, width)
        v = ys[:, None, None] * self.first[2]  # (h, m, width)
        largest = 2.0 * max(np.max(np.abs(u)), np.max(np.abs(v)))
        if not largest <= EXPONENT_LIMIT:  # also NaN
            return None
        column_factors, row_factors = np.exp(2.0 * u), np.exp(2.0 * v)

        def hidden(columns: slice, row: int) -> np.ndarray:
            with np.errstate(over="ignore"):  # exp(2u) exp(2v) = inf where tanh is 1
                h = np.multiply(column_factors[columns], row_factors[row])
            h += 1.0
            np.divide(-2.0, h, out=h)
            h += 1.0
            return h

        return hidden

    def outputs(self, a: np.ndarray, b: np.ndarray, hidden: np.ndarray | None = None) -> np.ndarray:
        """Outputs of the models at ``a, b`` (k,): shape (k, m), or (k, m, sizes[-1]).

        ``hidden`` is their first hidden layer (k, m, width) if already computed
        (`grid_hidden`); it is overwritten.
        """
        a3, b3 = a[:, None, None], b[:, None, None]
        if not self.later:  # no hidden layer: the first layer is the output layer
            h = self.first[0] + a3 * self.first[1] + b3 * self.first[2]
            return h[..., 0] if self.one_output else h
        h = self.hidden(a, b) if hidden is None else hidden
        for i, (W, bias) in enumerate(self.later):
            h = np.matmul(h, W[0] + a3 * W[1] + b3 * W[2])
            h += bias[0] + a3 * bias[1] + b3 * bias[2]
            if i < len(self.later) - 1:
                IN_PLACE_ACTIVATIONS[self.activation](h)
        return h[..., 0] if self.one_output else h
