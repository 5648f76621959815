"""Locating minima exactly: Newton polishing with exact gradients and Hessians.

Surfaces list their minima as arrays ``(k, 2)``. Where no closed form exists, a
factory polishes published approximations (or lattice guesses) once, at build
time, to machine precision: the gradient there is ~0 and the Hessian positive
definite. Factories pass their hand-derived gradient and Hessian (fast); without
them autograd differentiates the loss.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from autograd import elementwise_grad

from lossviz.surfaces.base import Bounds, Gradient, Hessian, LossFunction, hessian_by_autograd

_SCALES = 0.5 ** np.arange(40.0)  # backtracking step fractions 1, 1/2, 1/4, ...


def derivatives(
    function: LossFunction, gradient: Gradient | None = None, hessian: Hessian | None = None
) -> tuple[Callable[[Any], Any], Gradient, Hessian]:
    """``(value, gradient, hessian)`` of ``f(x, y)`` on points (..., 2).

    The hand-derived ``gradient`` and ``hessian`` where given, autograd's otherwise.
    Shapes: value (...), gradient (..., 2), hessian (..., 2, 2).
    """

    def value(p):
        return function(p[..., 0], p[..., 1])

    by_autograd = elementwise_grad(value)
    if hessian is None:
        hessian = hessian_by_autograd(by_autograd)
    return value, by_autograd if gradient is None else gradient, hessian


def newton(
    function: LossFunction,
    guesses: Any,
    *,
    gradient: Gradient | None = None,
    hessian: Hessian | None = None,
    max_step: float = 1.0,
    iterations: int = 200,
) -> np.ndarray:
    """Descend from each guess (k, 2) to a nearby minimum; return the points (k, 2).

    Each iteration takes a saddle-free Newton step, ``-V diag(1 / |lambda|) V^T g``
    with ``H = V diag(lambda) V^T``, shortened to at most ``max_step`` and halved
    until the loss decreases, so it goes downhill even where the Hessian is
    indefinite. Near a minimum this is plain Newton and converges quadratically;
    three plain Newton steps at the end reach machine precision.
    """
    value, gradient, hessian = derivatives(function, gradient, hessian)
    p = np.array(guesses, dtype=np.float64).reshape(-1, 2)
    if len(p) == 0:
        return p
    f = value(p)
    for _ in range(iterations):
        g = np.asarray(gradient(p), dtype=np.float64)
        eigenvalues, vectors = np.linalg.eigh(hessian(p))
        size = np.abs(eigenvalues)
        floor = 1e-12 * (1.0 + size.max(axis=-1, keepdims=True))
        along = np.einsum("kij,ki->kj", vectors, g) / np.maximum(size, floor)
        step = -np.einsum("kij,kj->ki", vectors, along)
        length = np.linalg.norm(step, axis=-1, keepdims=True)
        step *= np.minimum(1.0, max_step / np.maximum(length, 1e-300))
        trials = p + _SCALES[:, None, None] * step  # (scales, k, 2)
        trial_f = value(trials)
        better = trial_f < f
        first = np.argmax(better, axis=0)
        moved = better[first, np.arange(len(p))]
        if not moved.any():
            break
        p = np.where(moved[:, None], trials[first, np.arange(len(p))], p)
        f = np.where(moved, trial_f[first, np.arange(len(p))], f)
    for _ in range(3):
        g = np.asarray(gradient(p), dtype=np.float64)
        h = hessian(p)
        positive = np.linalg.eigvalsh(h)[:, 0] > 0
        safe = np.where(positive[:, None, None], h, np.eye(2))
        update = np.linalg.solve(safe, g[..., None])[..., 0]
        p = p - np.where(positive[:, None], update, 0.0)
    return p


def is_minimum(
    function: LossFunction,
    p: Any,
    *,
    gradient: Gradient | None = None,
    hessian: Hessian | None = None,
    tolerance: float = 1e-8,
) -> np.ndarray:
    """Whether each point (k, 2) is a strict local minimum: ``|grad| < tolerance``, ``H`` > 0."""
    _, gradient, hessian = derivatives(function, gradient, hessian)
    p = np.asarray(p, dtype=np.float64).reshape(-1, 2)
    g = np.asarray(gradient(p), dtype=np.float64)
    small = np.linalg.norm(g, axis=-1) < tolerance
    return small & (np.linalg.eigvalsh(hessian(p))[:, 0] > 0)


def polish_minima(
    function: LossFunction,
    approximations: Any,
    *,
    gradient: Gradient | None = None,
    hessian: Hessian | None = None,
) -> np.ndarray:
    """Polish approximate minima (k, 2), e.g. published ones, to machine precision.

    Keeps their order. ``gradient`` and ``hessian``: the surface's hand-derived
    ones, else autograd's. Raises RuntimeError if one does not polish to a minimum
    (a wrong published value is a bug, not a user error).
    """
    exact = {"gradient": gradient, "hessian": hessian}
    approximations = np.asarray(approximations, dtype=np.float64).reshape(-1, 2)
    p = newton(function, approximations, max_step=1e-2, **exact)
    ok = is_minimum(function, p, **exact) & (np.linalg.norm(p - approximations, axis=-1) < 1e-2)
    if not ok.all():
        raise RuntimeError(f"minima near {approximations[~ok].tolist()} did not polish")
    return p


def find_minima(
    function: LossFunction,
    bounds: Bounds,
    guesses: Any = (),
    *,
    gradient: Gradient | None = None,
    hessian: Hessian | None = None,
    resolution: int = 121,
) -> np.ndarray:
    """Every minimum of ``f`` inside ``bounds``, shape (k, 2), sorted by loss (global first).

    Candidates are ``guesses`` and the grid points (``resolution`` per axis) lower
    than their eight neighbours; each is polished by :func:`newton` and kept if it
    is a strict minimum inside the bounds. Used where parameters move the minima.
    ``gradient`` and ``hessian``: the surface's hand-derived ones, else autograd's.
    """
    exact = {"gradient": gradient, "hessian": hessian}
    (xmin, xmax), (ymin, ymax) = bounds
    xs, ys = np.linspace(xmin, xmax, resolution), np.linspace(ymin, ymax, resolution)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1)
    z = np.asarray(function(grid[..., 0], grid[..., 1]), dtype=np.float64)
    centre = z[1:-1, 1:-1]
    lowest = np.ones_like(centre, dtype=bool)
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            if di or dj:
                lowest &= centre < z[1 + di : resolution - 1 + di, 1 + dj : resolution - 1 + dj]
    candidates = np.concatenate(
        [np.asarray(guesses, dtype=np.float64).reshape(-1, 2), grid[1:-1, 1:-1][lowest]]
    )
    size = max(xmax - xmin, ymax - ymin)
    p = newton(function, candidates, max_step=0.05 * size, **exact)
    inside = (p[:, 0] >= xmin) & (p[:, 0] <= xmax) & (p[:, 1] >= ymin) & (p[:, 1] <= ymax)
    p = p[inside & is_minimum(function, p, **exact)]
    values = np.asarray(function(p[:, 0], p[:, 1]), dtype=np.float64)
    # Sort by loss, ties (to 1e-9) in reading order, then drop duplicates.
    order = np.lexsort((p[:, 0], -p[:, 1], np.round(values, 9)))
    kept: list[np.ndarray] = []
    for point in p[order]:
        if all(np.linalg.norm(point - other) > 1e-6 * size for other in kept):
            kept.append(point)
    return np.array(kept, dtype=np.float64).reshape(-1, 2) + 0.0  # + 0.0 turns -0.0 into 0.0
