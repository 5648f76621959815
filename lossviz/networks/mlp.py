"""A multilayer perceptron whose parameters are one flat vector, batched over many vectors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import autograd.numpy as anp
import numpy as np

ACTIVATIONS = {"tanh": anp.tanh, "relu": lambda z: anp.maximum(z, 0.0)}
"""The hidden layers' nonlinearities, by name."""


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
