"""Basins of attraction: which known minimum each start point ends up in.

`basins` starts one optimizer from every point of a grid over a surface's
bounds, in `lossviz.descend` batches shared among threads (half the grid where
the surface is symmetric about the origin), and labels each start with the
minimum its run settles at (`lossviz.views.basins.draw_basins` draws them).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from lossviz._checks import check_integer, check_number
from lossviz.engine import OptimizerSpec, _descend
from lossviz.optimizers.base import Optimizer, optimizer
from lossviz.surfaces.base import Surface, surface

DIVERGED = -1
"""The label of a start whose run diverged."""
NOT_CONVERGED = -2
"""The label of a start whose run did not settle near a known minimum within its steps."""

TOLERANCE = 0.01
"""The default ``tol`` of `basins`, as a fraction of the diagonal of the surface's bounds."""

RUNS_PER_WORKER = 4096
"""At least this many starts per thread (`basins`' ``workers``): fewer cost more in
starting threads and in per-step overhead than they gain."""

MAX_WORKERS = 8
"""The most threads `basins` starts by default."""

MAX_POINTS = 50_000_000
"""At most this many path points, ``resolution**2 * (steps + 1)``: this bounds the time of
one call to several seconds. (The engine keeps only each run's last tenth of steps,
``descend(..., tail=...)``, so memory stays near a tenth of 24 bytes a point.)"""


@dataclass(frozen=True, eq=False)
class Basins:
    """What `basins` found: the minimum each start of a grid ends at.

    Attributes
    ----------
    labels
        int, shape (resolution, resolution): at ``[i, j]`` the label of the start
        ``(x[j], y[i])``: the row of its minimum in ``minima``, `DIVERGED` (-1) or
        `NOT_CONVERGED` (-2).
    x, y
        The grid's coordinates, shape (resolution,) each, increasing, spanning
        the surface's bounds: row ``i`` is ``y[i]``, column ``j`` is ``x[j]``.
    minima
        The surface's known minima, shape (k, 2) (``surface.minima``).
    surface
        The surface the starts descended.
    optimizer
        The optimizer that ran from every start.
    steps
        Updates per start.
    tol
        The distance within which a run counts as at a minimum.
    """

    labels: np.ndarray
    x: np.ndarray
    y: np.ndarray
    minima: np.ndarray
    surface: Surface
    optimizer: Optimizer
    steps: int
    tol: float

    @property
    def starts(self) -> np.ndarray:
        """The start points, shape (resolution, resolution, 2): ``starts[i, j] = (x[j], y[i])``."""
        gx, gy = np.meshgrid(self.x, self.y)
        return np.stack([gx, gy], axis=-1)


def basins(
    surface_or_name: Surface | str,
    optimizer_or_name: OptimizerSpec,
    resolution: int = 200,
    steps: int = 300,
    *,
    tol: float | None = None,
    noise: float = 0.0,
    batch_size: int | None = None,
    seed: int = 0,
    workers: int | None = None,
) -> Basins:
    """Label every start of a grid over the bounds with the known minimum its run ends at.

    The ``resolution**2`` starts ``(x[j], y[i])`` descend in `lossviz.descend`
    batches (one per worker; the labels are those of one batch). A run *ends at*
    minimum ``m`` when it did not diverge and every point of its last tenth of steps
    (at least the last two points) lies within ``tol`` of ``m``:

    .. math::
        \\| p_t - m \\| < \\text{tol} \\quad \\text{for every }
        t \\ge \\text{steps} - \\max(1, \\lfloor \\text{steps} / 10 \\rfloor)

    with ``m`` the known minimum nearest to the run's last point. Asking the
    last tenth, not only the last point, leaves out a run that is merely
    passing by (or orbiting, with momentum) at the end. A run that diverged is
    labelled `DIVERGED` (-1); any other run `NOT_CONVERGED` (-2): still moving,
    too slow, or stuck at a point the surface does not list (a saddle, an
    unlisted local minimum).

    Parameters
    ----------
    surface_or_name
        A `Surface` or a registered name; it must list its minima.
    optimizer_or_name
        One optimizer (or a registered name, with its default hyperparameters).
        Its learning rate may be a schedule, as in `lossviz.descend`.
    resolution
        Starts per side of the grid, an integer between 2 and 1000;
        ``resolution**2 * (steps + 1)`` is limited to `MAX_POINTS` for memory.
    steps
        Updates per start.
    tol
        Distance to a minimum that counts as there; default `TOLERANCE` (1%) of
        the diagonal of the surface's bounds: small beside the distance between
        wells, and large enough for a slow optimizer to arrive within the steps.
    noise, batch_size, seed
        Gradient noise, mini-batches and their seed, as in `lossviz.descend`.
        With noise, raise ``tol`` above the jitter around a minimum.
    workers
        Threads that share the starts, each descending its own contiguous part (numpy
        works outside Python's lock, so they run at once on as many cores). By default
        one per core this process may use (within a container's CPU quota), at most
        `MAX_WORKERS`, and never under `RUNS_PER_WORKER` starts each. With noise, one:
        the noise a run draws depends on the whole batch. The labels are the same for
        any number of workers.

    Besides the workers, three savings keep a full map near a second: each run keeps
    only its last tenth of steps; on a surface whose loss is finite wherever runs go
    (``finite_in_reach``, every built-in one) the loss is not evaluated at all, as the
    labels need only where runs go; and on a surface whose ``symmetric_about_origin`` is
    True (see `lossviz.Surface`; with a grid whose bounds are symmetric too, no noise
    or mini-batches, and an optimizer the engine steps itself) only the rows up to the
    middle one descend: the run from ``-p`` is the mirror image of the run from ``p``,
    bit for bit, so the other rows are read off them.

    Returns
    -------
    Basins
        ``labels`` (resolution, resolution) int, ``x`` and ``y`` (resolution,),
        and the ``minima`` the labels index.

    Raises
    ------
    ValueError
        For a surface that lists no minimum, a list of optimizers, or bad
        ``resolution``, ``steps``, ``tol``, ``noise``, ``batch_size``, ``seed`` or
        ``workers``.

    Examples
    --------
    >>> import numpy as np, lossviz
    >>> b = lossviz.basins("himmelblau", lossviz.optimizer("gd", lr=0.01), resolution=40)
    >>> b.labels.shape, b.minima.shape
    ((40, 40), (4, 2))
    >>> sorted(np.unique(b.labels).tolist())  # four basins, every start converged
    [0, 1, 2, 3]
    """
    s = surface(surface_or_name) if isinstance(surface_or_name, str) else surface_or_name
    if not isinstance(s, Surface):
        raise TypeError(f"surface must be a Surface or a registered name; got {s!r}")
    if len(s.minima) == 0:
        raise ValueError(
            f"basins needs a surface that lists its minima (the labels index them); "
            f"{s.name!r} lists none"
        )
    if not isinstance(optimizer_or_name, str | Optimizer):
        raise ValueError(
            f"optimizer must be one optimizer or a registered name (basins runs one); "
            f"got {optimizer_or_name!r}"
        )
    opt = optimizer(optimizer_or_name)
    resolution = check_integer(resolution, "resolution", low=2, high=1000)
    steps = check_integer(steps, "steps", low=1)
    if resolution**2 * (steps + 1) > MAX_POINTS:
        raise ValueError(
            f"resolution**2 * (steps + 1) must be at most {MAX_POINTS:,} (it takes several "
            f"seconds); resolution={resolution} with steps={steps} gives "
            f"{resolution**2 * (steps + 1):,}: lower either"
        )
    (xmin, xmax), (ymin, ymax) = s.bounds
    if tol is None:
        tol = TOLERANCE * float(np.hypot(xmax - xmin, ymax - ymin))
    tol = check_number(tol, "tol", low=0, low_open=True)
    workers = _default_workers() if workers is None else check_integer(workers, "workers", low=1)

    x, y = _axis(xmin, xmax, resolution), _axis(ymin, ymax, resolution)
    gx, gy = np.meshgrid(x, y)
    grid = np.stack([gx, gy], axis=-1)  # (resolution, resolution, 2), rows along y
    # On a surface symmetric about the origin, with a grid symmetric too, the run from
    # -p is the mirror image of the run from p for an optimizer whose step only changes
    # sign with the gradient: only the rows up to the middle one descend.
    mirror = _mirrors(s, opt, noise, batch_size, x, y)
    rows = (resolution + 1) // 2 if mirror else resolution
    # Only the last tenth of each path is read, so only that is kept: the whole path of
    # 40,000 runs is large, and storing it costs more time than the steps themselves.
    # (runs, w + 1, 2): path indices steps - w .. steps, and (runs,)
    tail, diverged = _descend_in_parts(
        s,
        opt,
        grid[:rows].reshape(-1, 2),
        1 if noise else workers,
        steps=steps,
        noise=noise,
        batch_size=batch_size,
        seed=seed,
        tail=max(1, steps // 10),
    )
    if mirror:
        # Row i >= rows starts at -(start of row resolution - 1 - i), column reversed.
        tail = tail.reshape(rows, resolution, -1, 2)
        diverged = diverged.reshape(rows, resolution)
        source = slice(resolution - 1 - rows, None, -1)  # rows resolution - 1 - i, i >= rows
        tail = np.concatenate([tail, -tail[source, ::-1]]).reshape(resolution**2, -1, 2)
        diverged = np.concatenate([diverged, diverged[source, ::-1]]).reshape(-1)
    to_minima = _length(tail[:, -1, None, :] - s.minima)  # (runs, k)
    with np.errstate(invalid="ignore"):
        nearest = np.argmin(np.where(np.isnan(to_minima), np.inf, to_minima), axis=1)
        settled = (_length(tail - s.minima[nearest][:, None, :]) < tol).all(axis=1)
    labels = np.where(diverged, DIVERGED, np.where(settled, nearest, NOT_CONVERGED))
    return Basins(
        labels=labels.reshape(resolution, resolution),
        x=x,
        y=y,
        minima=s.minima.copy(),
        surface=s,
        optimizer=opt,
        steps=steps,
        tol=tol,
    )


def _default_workers() -> int:
    """The cores this process may run on, at most `MAX_WORKERS`: the CPUs it is allowed
    (all of the machine's where that is unknown), and no more than a container's CPU
    quota (cgroups v2 ``cpu.max`` or v1 ``cpu.cfs_quota_us``, as Binder sets it)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    quota = _cpu_quota()
    if quota is not None:
        cores = min(cores, quota)
    return max(1, min(MAX_WORKERS, cores))


def _cpu_quota(root: str = "/sys/fs/cgroup") -> int | None:
    """The whole CPUs a cgroup quota allows this process (rounded up), or None."""
    try:
        with open(os.path.join(root, "cpu.max")) as f:  # cgroups v2: "max 100000" or "q p"
            quota, period = f.read().split()[:2]
        if quota == "max":
            return None
        return max(1, -(-int(quota) // int(period)))
    except (OSError, ValueError):
        pass
    try:  # cgroups v1
        with open(os.path.join(root, "cpu", "cpu.cfs_quota_us")) as f:
            quota = int(f.read())
        with open(os.path.join(root, "cpu", "cpu.cfs_period_us")) as f:
            period = int(f.read())
    except (OSError, ValueError):
        return None
    return None if quota <= 0 or period <= 0 else max(1, -(-quota // period))


_GROUP = 64
"""Parts of a batch split at multiples of this many runs: OpenBLAS sums a row by where it
falls in its kernel's groups of rows, and whole groups keep every run's numbers as in one
batch."""


def _descend_in_parts(
    s: Surface, opt: Optimizer, starts: np.ndarray, workers: int, **options: Any
) -> tuple[np.ndarray, np.ndarray]:
    """``descend(s, opt, start=starts, **options)``'s ``(path, diverged)``, from up to
    ``workers`` threads that each descend a contiguous part of the starts (runs, 2)."""
    n = len(starts)
    parts = max(1, min(workers, n // RUNS_PER_WORKER))
    size = -(-n // parts)
    size = -(-size // _GROUP) * _GROUP
    if parts == 1 or size >= n:
        run = _descend(s, opt, start=starts, tail_loss=False, **options)
        return run.path, run.diverged

    def part(first: int):
        run = _descend(s, opt, start=starts[first : first + size], tail_loss=False, **options)
        return run.path, run.diverged

    with ThreadPoolExecutor(max_workers=parts, thread_name_prefix="lossviz-basins") as pool:
        done = list(pool.map(part, range(0, n, size)))
    return np.concatenate([p for p, _ in done]), np.concatenate([d for _, d in done])


def _axis(low: float, high: float, n: int) -> np.ndarray:
    """``n`` evenly spaced values from ``low`` to ``high``, shape (n,).

    ``np.linspace``, made exactly symmetric where the bounds are (``low == -high``): the
    mean of ``v`` and ``-v[::-1]``, which differs from linspace by at most an ulp of
    ``high`` (linspace's own rounding), so the start of column ``n - 1 - j`` is the
    negative of column ``j``'s, bit for bit.
    """
    v = np.linspace(low, high, n)
    return (v - v[::-1]) / 2 if low == -high else v


def _mirrors(
    s: Surface, opt: Optimizer, noise: float, batch_size: int | None, x: np.ndarray, y: np.ndarray
) -> bool:
    """Whether the run from ``-p`` is the mirror image of the run from ``p``, bit for bit.

    It is where the surface says so (`Surface.symmetric_about_origin`), the grid is
    symmetric, no noise or mini-batch draws break the symmetry, and the optimizer is one
    the engine steps itself (the moment rule of gd, momentum, nesterov, adagrad, rmsprop
    and adam; Newton's step): their updates are odd in the gradient and even in
    everything else, so every number only changes sign. A user's ``update`` may not be.
    """
    return (
        s.symmetric_about_origin
        and noise == 0
        and batch_size is None
        and (opt.moments is not None or opt.second_order is not None)
        and bool((x == -x[::-1]).all() and (y == -y[::-1]).all())
    )


def _length(vectors: np.ndarray) -> np.ndarray:
    """Euclidean length of vectors (..., 2), shape (...): ``sqrt(x * x + y * y)``.

    The same arithmetic as ``np.linalg.norm(vectors, axis=-1)``, without its
    reduction over an axis of length 2, which costs twice as much over 40,000 paths.
    """
    x, y = vectors[..., 0], vectors[..., 1]
    return np.sqrt(x * x + y * y)


__all__ = ["DIVERGED", "MAX_POINTS", "NOT_CONVERGED", "TOLERANCE", "Basins", "basins"]
