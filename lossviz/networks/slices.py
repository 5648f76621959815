"""Seeing a network's loss in two dimensions: directions, planes (slices) and lines.

A slice is the loss over the plane ``theta(a, b) = center + a d1 + b d2`` of
parameter space; `slice_surface` returns it as a `lossviz.Surface`, so
``descend``, the contour views and the Explorer work on it unchanged.

Its values at a batch of points are the loss of every model ``theta(a, b)``,
``loss(center + a d1 + b d2)``; for a network's loss (`loss_function`) they are
computed by `plane_values`, faster and equal to 1e-10 (see
`lossviz.networks.mlp.NetworkOnPlane` for how).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from autograd import elementwise_grad
from autograd.tracer import isbox

from lossviz.networks.losses import NetworkLoss
from lossviz.networks.mlp import MLP, NetworkOnPlane
from lossviz.networks.train import Progress, evaluate_in_chunks
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


PlaneValues = Callable[..., np.ndarray]
"""``values(a, b, progress=None)``: a loss on the plane at ``a, b`` of one shape (...) -> (...)."""


def plane_values(
    loss: NetworkLoss, center: np.ndarray, d1: np.ndarray, d2: np.ndarray
) -> PlaneValues:
    """``values(a, b, progress=None) = loss(center + a d1 + b d2)``, fast, for a network's loss.

    ``a`` and ``b`` have one shape (...); so has the result. Plain numpy through
    `lossviz.networks.mlp.NetworkOnPlane`, a few models at a time; on a grid
    (``a`` constant down its columns, ``b`` along its rows, as `Surface.grid`
    makes them) a grid row at a time, so that its first tanh layer is
    computed from one exponential per column and per row. ``progress(done,
    total)``, if given, counts points, at most a hundred times, the last time
    with ``(k, k)`` for k points.

    Examples
    --------
    >>> from lossviz.networks import loss_function, two_moons
    >>> data, net = two_moons(n=40), MLP((2, 4, 1))
    >>> loss = loss_function(net, data.X_train, data.y_train, data.task)
    >>> center, d1, d2 = net.init(), *random_directions(net, net.init())
    >>> values = plane_values(loss, center, d1, d2)
    >>> a, b = np.meshgrid([-1.0, 0.0, 1.0], [0.0, 0.5])
    >>> values(a, b).shape, bool(np.isclose(values(a, b)[1, 2], loss(center + d1 + 0.5 * d2)))
    ((2, 3), True)
    """
    plane = NetworkOnPlane(loss.net, center, d1, d2, loss.X)
    chunk = plane.models_per_chunk()

    def values(a: Any, b: Any, progress: Progress | None = None) -> np.ndarray:
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        out = np.empty(a.shape)
        grid_hidden = None
        if a.ndim == 2 and a.size and np.all(a == a[:1]) and np.all(b == b[:, :1]):
            grid_hidden = plane.grid_hidden(a[0], b[:, 0])
        pieces = []  # (columns, row, where in the flat output): a grid row's pieces, or any
        if grid_hidden is not None:
            height, width = a.shape
            for row in range(height):
                for start in range(0, width, chunk):
                    columns = slice(start, min(start + chunk, width))
                    where = slice(row * width + columns.start, row * width + columns.stop)
                    pieces.append((columns, row, where))
        else:
            starts = range(0, a.size, chunk)
            pieces = [(None, None, slice(i, min(i + chunk, a.size))) for i in starts]
        flat_a, flat_b, flat_out = a.reshape(-1), b.reshape(-1), out.reshape(-1)
        every = -(-len(pieces) // 100)  # ceil: progress at most a hundred times
        for i, (columns, row, where) in enumerate(pieces):
            hidden = None if grid_hidden is None else grid_hidden(columns, row)
            outputs = plane.outputs(flat_a[where], flat_b[where], hidden)
            flat_out[where] = loss.criterion(outputs, loss.y)
            if progress is not None and ((i + 1) % every == 0 or i + 1 == len(pieces)):
                progress(where.stop, a.size)
        return out

    return values


def slice_surface(
    loss: Loss,
    center: np.ndarray,
    d1: np.ndarray,
    d2: np.ndarray,
    bounds: Bounds = ((-1.0, 1.0), (-1.0, 1.0)),
    name: str = "slice",
    progress: Progress | None = None,
) -> Surface:
    """The loss on the plane ``theta(a, b) = center + a d1 + b d2``, as a `lossviz.Surface`.

    Its value at a batch of points (..., 2) is the loss of every model
    ``theta(a, b)``: for a network's loss (`loss_function`) by `plane_values`
    (faster, the same values to 1e-10), for any other ``loss(theta)`` by batches
    of ``theta``.
    ``progress(done, total)``, like `train`'s, if given, is called while a
    batch's values are computed (counting points, at most a hundred times):
    a notebook can show a bar with it; nothing is printed.
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

    fast = plane_values(loss, center, *plane) if isinstance(loss, NetworkLoss) else None

    def function(a, b):
        if isbox(a) or isbox(b):  # autograd is tracing (Surface.autograd_grad): the formula
            return loss(center + a[..., None] * plane[0] + b[..., None] * plane[1])
        if fast is not None:
            return fast(a, b, progress)
        flat = models(np.stack([a, b], axis=-1)).reshape(-1, n)  # chunks bound the memory
        return evaluate_in_chunks(loss, flat, progress=progress).reshape(np.shape(a))

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
