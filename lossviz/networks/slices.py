"""Seeing a network's loss in two dimensions: directions, planes (slices) and lines.

A slice is the loss over the plane ``theta(a, b) = center + a d1 + b d2`` of
parameter space; `slice_surface` returns it as a `lossviz.Surface`, so
``descend``, the contour views and the Explorer work on it unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from autograd import elementwise_grad

from lossviz.networks.mlp import MLP
from lossviz.networks.train import evaluate_in_chunks
from lossviz.surfaces.base import Bounds, Surface, hessian_from_entries

Loss = Callable[[Any], Any]
"""``loss(theta)``: parameter vectors (..., n) -> losses (...), autograd-differentiable."""


def random_directions(
    net: MLP, theta: np.ndarray, seed: int = 0, normalize: str | None = "filter"
) -> np.ndarray:
    """Two seeded Gaussian directions, shape (2, n_params).

    With ``normalize="filter"`` (Li et al. 2018), every block of a direction (one
    unit's incoming weights and its bias, see `MLP.blocks`) is rescaled to the
    norm of the same block of ``theta``: ``d_B <- d_B * |theta_B| / |d_B|``, so a
    step of 1 along it is as large as the weights it moves, layer by layer.
    ``normalize=None`` gives the raw Gaussian directions.

    Examples
    --------
    >>> net = MLP((2, 3, 1))
    >>> theta = net.init()
    >>> d = random_directions(net, theta)
    >>> blocks = net.blocks()
    >>> bool(np.isclose(np.linalg.norm(d[0][blocks == 0]), np.linalg.norm(theta[blocks == 0])))
    True
    """
    if normalize not in ("filter", None):
        raise ValueError(f"normalize must be 'filter' or None; got {normalize!r}")
    directions = np.random.default_rng(seed).normal(size=(2, net.n_params))
    if normalize == "filter":
        blocks = net.blocks()
        theta_norms = np.sqrt(np.bincount(blocks, weights=np.asarray(theta) ** 2))
        for d in directions:
            d_norms = np.sqrt(np.bincount(blocks, weights=d**2))
            d *= (theta_norms / d_norms)[blocks]
    return directions


def pca_directions(trajectory: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first two principal directions of a path and the share of variance each explains.

    The path (steps + 1, n) is taken relative to its end point, ``theta_t - theta_T``,
    and centred (as PCA does); the directions are the two leading right singular
    vectors, unit length, shape (2, n); the shares are ``s_i**2 / sum(s**2)``, shape (2,).

    Examples
    --------
    >>> t = np.linspace(0, 1, 20)[:, None]
    >>> path = t * [1.0, 0, 0] + t**2 * [0, 1.0, 0]  # lies in the plane z = 0
    >>> directions, share = pca_directions(path)
    >>> round(float(share.sum()), 6), directions.shape
    (1.0, (2, 3))
    """
    relative = np.asarray(trajectory, dtype=np.float64) - trajectory[-1]
    relative = relative - relative.mean(axis=0)
    _, s, vt = np.linalg.svd(relative, full_matrices=False)
    total = np.sum(s**2)
    shares = s[:2] ** 2 / total if total > 0 else np.zeros(2)
    return vt[:2].copy(), shares


def project(trajectory: np.ndarray, center: np.ndarray, d1: np.ndarray, d2: np.ndarray):
    """Coordinates ``(a, b)`` of each row of ``trajectory`` (k, n) in the plane, shape (k, 2).

    Least squares: ``theta - center ≈ a d1 + b d2`` (exact for points in the plane;
    the directions need not be orthogonal).
    """
    basis = np.stack([d1, d2], axis=1)  # (n, 2)
    coords, *_ = np.linalg.lstsq(basis, (np.asarray(trajectory) - center).T, rcond=None)
    return coords.T


def slice_surface(
    loss: Loss,
    center: np.ndarray,
    d1: np.ndarray,
    d2: np.ndarray,
    bounds: Bounds = ((-1.0, 1.0), (-1.0, 1.0)),
    name: str = "slice",
) -> Surface:
    """The loss on the plane ``theta(a, b) = center + a d1 + b d2``, as a `lossviz.Surface`.

    Its value at a batch of points (..., 2) is one batched network evaluation.
    Its gradient is the network's gradient projected on the plane,
    ``[g . d1, g . d2]`` with ``g = autograd.grad(loss)(theta(a, b))``; its Hessian
    ``[[d1' H d1, d1' H d2], [d2' H d1, d2' H d2]]`` from Hessian-vector products
    ``H d`` (autograd's gradient of ``g . d``).

    Examples
    --------
    >>> from lossviz.networks import MLP, loss_function, two_moons
    >>> data = two_moons(n=40)
    >>> net = MLP((2, 4, 1))
    >>> theta = net.init()
    >>> loss = loss_function(net, data.X_train, data.y_train, data.task)
    >>> d1, d2 = random_directions(net, theta)
    >>> s = slice_surface(loss, theta, d1, d2)
    >>> bool(np.isclose(s([0.0, 0.0]), loss(theta)))
    True
    """
    center = np.asarray(center, dtype=np.float64)
    plane = np.stack([d1, d2]).astype(np.float64)  # (2, n)
    n = len(center)

    def models(p):
        return center + p @ plane  # (..., 2) -> (..., n)

    def function(a, b):
        p = np.stack([a, b], axis=-1) if isinstance(a, np.ndarray) else None
        if p is not None:  # plain numbers: evaluate chunk by chunk to bound memory
            flat = models(p).reshape(-1, n)
            return evaluate_in_chunks(loss, flat).reshape(np.shape(a))
        # autograd is tracing (Surface.autograd_grad): one batched call
        return loss(center + a[..., None] * plane[0] + b[..., None] * plane[1])

    network_gradient = elementwise_grad(loss)  # models are independent: per-model gradients

    def gradient(p):
        flat = models(np.asarray(p, dtype=np.float64)).reshape(-1, n)
        g = evaluate_in_chunks(network_gradient, flat)  # (k, n)
        return (g @ plane.T).reshape(*np.shape(p)[:-1], 2)

    def hessian_vector(v):
        return elementwise_grad(lambda theta: network_gradient(theta) @ v)

    hessian_times = [hessian_vector(plane[0]), hessian_vector(plane[1])]

    def hessian(p):
        p = np.asarray(p, dtype=np.float64)
        flat = models(p).reshape(-1, n)
        h1 = evaluate_in_chunks(hessian_times[0], flat)  # (k, n): H d1
        h2 = evaluate_in_chunks(hessian_times[1], flat)
        lead = p.shape[:-1]
        return hessian_from_entries(
            p,
            (h1 @ plane[0]).reshape(lead),
            (h1 @ plane[1]).reshape(lead),
            (h2 @ plane[1]).reshape(lead),
        )

    surface = Surface(
        name,
        function,
        bounds,
        start=(0.0, 0.0),
        gradient=gradient,
        hessian=hessian,
        params={"n_params": n},
        description="A network's loss on a plane through parameter space.",
    )
    surface.parameter_names = ("a", "b")
    return surface


def interpolate(loss: Loss, theta_a: np.ndarray, theta_b: np.ndarray, alphas: Any) -> np.ndarray:
    """Loss along the line ``(1 - alpha) theta_a + alpha theta_b``, shape (len(alphas),).

    Goodfellow et al. 2015: alpha 0 is ``theta_a``, 1 is ``theta_b``; values
    outside [0, 1] extend the line.

    Examples
    --------
    >>> interpolate(lambda th: (th**2).sum(-1), np.zeros(3), np.ones(3), [0, 0.5, 1]).tolist()
    [0.0, 0.75, 3.0]
    """
    alphas = np.asarray(alphas, dtype=np.float64)
    thetas = (1.0 - alphas[:, None]) * theta_a + alphas[:, None] * theta_b
    return evaluate_in_chunks(loss, thetas)
