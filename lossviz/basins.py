"""Basins of attraction: which known minimum each start point ends up in.

`basins` starts one optimizer from every point of a grid over a surface's
bounds, all in one `lossviz.descend` batch, and labels each start with the
minimum its run settles at (`lossviz.views.basins.draw_basins` draws them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lossviz._checks import check_integer, check_number
from lossviz.engine import OptimizerSpec, descend
from lossviz.optimizers.base import Optimizer, optimizer
from lossviz.surfaces.base import Surface, surface

DIVERGED = -1
"""The label of a start whose run diverged."""
NOT_CONVERGED = -2
"""The label of a start whose run did not settle near a known minimum within its steps."""

TOLERANCE = 0.01
"""The default ``tol`` of `basins`, as a fraction of the diagonal of the surface's bounds."""

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
) -> Basins:
    """Label every start of a grid over the bounds with the known minimum its run ends at.

    The ``resolution**2`` starts ``(x[j], y[i])`` descend in one `lossviz.descend`
    batch. A run *ends at* minimum ``m`` when it did not diverge and every point
    of its last tenth of steps (at least the last two points) lies within ``tol``
    of ``m``:

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

    Returns
    -------
    Basins
        ``labels`` (resolution, resolution) int, ``x`` and ``y`` (resolution,),
        and the ``minima`` the labels index.

    Raises
    ------
    ValueError
        For a surface that lists no minimum, a list of optimizers, or bad
        ``resolution``, ``steps``, ``tol``, ``noise``, ``batch_size`` or ``seed``.

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

    x = np.linspace(xmin, xmax, resolution)
    y = np.linspace(ymin, ymax, resolution)
    grid = s.grid(resolution)  # (resolution, resolution, 2), rows along y
    # Only the last tenth of each path is read, so only that is kept: the whole path of
    # 40,000 runs is large, and storing it costs more time than the steps themselves.
    run = descend(
        s,
        opt,
        start=grid.reshape(-1, 2),
        steps=steps,
        noise=noise,
        batch_size=batch_size,
        seed=seed,
        tail=max(1, steps // 10),
    )
    tail = run.path  # (runs, w + 1, 2): path indices steps - w .. steps
    to_minima = _length(tail[:, -1, None, :] - s.minima)  # (runs, k)
    with np.errstate(invalid="ignore"):
        nearest = np.argmin(np.where(np.isnan(to_minima), np.inf, to_minima), axis=1)
        settled = (_length(tail - s.minima[nearest][:, None, :]) < tol).all(axis=1)
    labels = np.where(run.diverged, DIVERGED, np.where(settled, nearest, NOT_CONVERGED))
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


def _length(vectors: np.ndarray) -> np.ndarray:
    """Euclidean length of vectors (..., 2), shape (...): ``sqrt(x * x + y * y)``.

    The same arithmetic as ``np.linalg.norm(vectors, axis=-1)``, without its
    reduction over an axis of length 2, which costs twice as much over 40,000 paths.
    """
    x, y = vectors[..., 0], vectors[..., 1]
    return np.sqrt(x * x + y * y)


__all__ = ["DIVERGED", "MAX_POINTS", "NOT_CONVERGED", "TOLERANCE", "Basins", "basins"]
