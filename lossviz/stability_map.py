"""Stability maps: which (learning rate, momentum) pairs converge from a start, and how fast.

`stability_map` runs one optimizer at every pair of a grid of learning rates and
momentum coefficients, all in one `lossviz.descend` batch, and returns what
each pair did: its final loss, the step from which its loss stays near the best
known minimum's, and whether it diverged. On a quadratic the border between
converging and diverging rates is known exactly; `stability_border` gives it,
so theory and experiment can be drawn on one picture
(`lossviz.views.stability_map.draw_stability_map`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lossviz._checks import check_integer, check_number
from lossviz.engine import descend
from lossviz.optimizers.base import optimizer, optimizer_names
from lossviz.schedules import LearningRateSchedule
from lossviz.surfaces.base import Surface, as_points, surface

MOMENTUM_HYPERPARAMETERS = ("beta", "beta1")
"""The hyperparameter that ``betas`` sets, in the order looked for: momentum's and
Nesterov's ``beta``, Adam's ``beta1``."""

BORDER_FORMULAS = {
    "gd": "2/λmax",
    "momentum": "2(1+β)/λmax",
    "nesterov": "2(1+β)/((1+2β)λmax)",
}
"""The analytic border of each optimizer `stability_border` knows, as a legend writes it."""


@dataclass(frozen=True, eq=False)
class StabilityMap:
    """What `stability_map` found: one cell per (learning rate, momentum) pair.

    Row ``i`` is ``lrs[i]``, column ``j`` is ``betas[j]`` (a single column when
    ``betas`` is None).

    Attributes
    ----------
    final_loss
        Loss after the last step, shape (len(lrs), len(betas)) or (len(lrs), 1).
        For a diverged pair, the loss at its last finite point (as
        `lossviz.Run.final_loss`).
    steps_to_converge
        The first step ``t`` such that the loss at every step from ``t`` on is
        within ``tol`` of the target (see `stability_map`), int, same shape; -1
        where that never happens within ``steps`` (diverged, too slow, or
        settled elsewhere).
    diverged
        Whether each pair diverged (non-finite, or far outside the bounds; see
        `lossviz.engine.FAR`), bool, same shape.
    lrs
        The learning rates, shape (len(lrs),), increasing. With a schedule they
        are the peak rates.
    betas
        The momentum coefficients, shape (len(betas),), increasing; None when
        not swept.
    beta_name
        The hyperparameter ``betas`` set (``"beta"``, or ``"beta1"`` for adam);
        None when not swept.
    optimizer
        The optimizer's registered name.
    hyperparameters
        The hyperparameters shared by every pair, e.g. ``{"beta2": 0.999, "eps": 1e-8}``
        for adam, or ``{"beta": 0.9}`` for momentum without ``betas``.
    start
        The start point, shape (2,).
    schedule
        The schedule giving every pair's rate its shape, or None for constant rates.
    steps
        Updates per pair.
    target_loss
        The loss convergence is measured against: the surface's
        `~lossviz.Surface.global_minimum_loss`.
    tolerance
        The loss gap that counts as converged: ``tol * (loss(start) - target_loss)``.
    surface
        The surface the pairs descended.
    """

    final_loss: np.ndarray
    steps_to_converge: np.ndarray
    diverged: np.ndarray
    lrs: np.ndarray
    betas: np.ndarray | None
    beta_name: str | None
    optimizer: str
    hyperparameters: dict[str, Any]
    start: np.ndarray
    schedule: Callable[[Any], Any] | None
    steps: int
    target_loss: float
    tolerance: float
    surface: Surface

    @property
    def converged(self) -> np.ndarray:
        """Whether each pair converged within ``steps``, bool, shape of `final_loss`."""
        return self.steps_to_converge >= 0

    def pair(self, i: int, j: int = 0) -> dict[str, float]:
        """The hyperparameters of cell ``(i, j)``: ``{"lr": lrs[i], beta_name: betas[j]}``.

        Examples
        --------
        >>> import numpy as np, lossviz
        >>> m = lossviz.stability_map("quadratic", "momentum", [0.1, 0.2], betas=[0.0, 0.5],
        ...                           steps=10)
        >>> m.pair(1, 1)
        {'lr': 0.2, 'beta': 0.5}
        """
        n, m = self.final_loss.shape
        if not (0 <= i < n and 0 <= j < m):
            raise IndexError(f"cell ({i}, {j}) is outside this map of {n} x {m} pairs")
        values = {"lr": float(self.lrs[i])}
        if self.betas is not None:
            values[self.beta_name] = float(self.betas[j])
        return values

    def cell(self, lr: float, beta: float | None = None) -> tuple[int, int]:
        """The cell ``(i, j)`` nearest to ``(lr, beta)``: nearest in log(lr), nearest in beta.

        What a click on the map at ``(lr, beta)`` picks; ``beta`` is ignored
        when the map has one column.

        Examples
        --------
        >>> import lossviz
        >>> m = lossviz.stability_map("quadratic", "gd", [0.01, 0.1, 1.0], steps=10)
        >>> m.cell(0.2)
        (1, 0)
        """
        lr = check_number(lr, "lr", low=0, low_open=True)
        i = int(np.argmin(np.abs(np.log(self.lrs) - np.log(lr))))
        if self.betas is None:
            return i, 0
        beta = check_number(beta, "beta")
        return i, int(np.argmin(np.abs(self.betas - beta)))


def stability_map(
    surface_or_name: Surface | str,
    optimizer_name: str,
    lrs: Sequence[float] | np.ndarray,
    betas: Sequence[float] | np.ndarray | None = None,
    start: Any = None,
    steps: int = 300,
    *,
    hyperparameters: Mapping[str, Any] | None = None,
    schedule: Callable[[Any], Any] | None = None,
    tol: float = 1e-3,
    noise: float = 0.0,
    batch_size: int | None = None,
    seed: int = 0,
) -> StabilityMap:
    """Run ``optimizer_name`` at every (learning rate, momentum) pair from one start.

    Pair ``(i, j)`` runs the optimizer with ``lr = lrs[i]`` and its momentum
    coefficient (``beta``, or ``beta1`` for adam) ``= betas[j]``; all
    ``len(lrs) * len(betas)`` pairs go in one `lossviz.descend` batch, so they
    advance together in one array operation per step.

    A pair has converged at step ``t`` when its loss from step ``t`` on stays
    within a tolerance of the best known minimum's loss ``L*``
    (`~lossviz.Surface.global_minimum_loss`):

    .. math::
        L(p_s) - L^* \\le \\text{tol} \\, (L(p_0) - L^*) \\quad \\text{for every } s \\ge t,

    i.e. the gap to the minimum has shrunk to ``tol`` times the start's. The
    tolerance is relative so that one ``tol`` means the same on every surface and
    model whatever the scale of its loss. A pair that settles in a worse minimum
    than the best one does not count as converged.

    Parameters
    ----------
    surface_or_name
        A `Surface` or a registered name. It must list its minima (the target
        loss is the best one's).
    optimizer_name
        A registered optimizer with a learning rate ``lr``, e.g. ``"gd"``,
        ``"momentum"``, ``"adam"``.
    lrs
        Learning rates, increasing, each > 0, shape (n,). Log-spaced rates
        (``np.geomspace``) suit the map, drawn over a log axis.
    betas
        Momentum coefficients, increasing, each in [0, 1), shape (m,): momentum's
        and Nesterov's ``beta``, Adam's ``beta1``. Leave it out for optimizers
        without momentum (gd, adagrad, rmsprop), or to run every rate with one
        fixed coefficient (``hyperparameters`` or the optimizer's default).
    start
        The start point (2,); default the surface's ``start``.
    steps
        Updates per pair.
    hyperparameters
        Hyperparameters shared by every pair, e.g. ``{"beta2": 0.99}`` for adam
        (not ``lr``, nor the coefficient ``betas`` sweeps).
    schedule
        A learning-rate schedule ``t -> rate`` (e.g.
        ``lossviz.schedule("cosine", lr=1.0, steps=300)``) that gives the
        *shape* of every pair's rate: pair ``i`` runs at
        ``lrs[i] * schedule(t) / max_s schedule(s)`` (max over the ``steps``
        steps), so each ``lrs[i]`` is that pair's peak rate whatever ``lr`` the
        schedule was built with. The Explorer scales its schedule to each
        optimizer's rate the same way. Default: constant rates.
    tol
        The fraction of the start's loss gap that counts as converged, in (0, 1).
        With ``noise`` or ``batch_size`` the loss jitters around the minimum:
        raise ``tol`` above the jitter.
    noise, batch_size, seed
        Gradient noise, mini-batches and their seed, as in `lossviz.descend`.
        Every pair draws its own noise, so with noise a pair's run depends on
        the grid it is in (mini-batches are shared, and do not).

    Returns
    -------
    StabilityMap
        ``final_loss``, ``steps_to_converge`` and ``diverged`` of shape
        (len(lrs), len(betas)), or (len(lrs), 1) without ``betas``, and the
        grid they were computed on.

    Raises
    ------
    ValueError
        For an unknown optimizer or one without ``lr``; ``betas`` for an
        optimizer without momentum; rates or coefficients out of range or not
        increasing; a surface that lists no minimum; and bad ``steps``,
        ``tol``, ``noise``, ``batch_size`` or ``seed``. Each message names the
        argument and what it allows.

    Examples
    --------
    >>> import numpy as np, lossviz
    >>> bowl = lossviz.surface("quadratic", condition=10.0)
    >>> m = lossviz.stability_map(bowl, "momentum", np.geomspace(0.01, 1.0, 5),
    ...                           betas=[0.0, 0.5, 0.9], steps=200)
    >>> m.steps_to_converge.shape
    (5, 3)
    >>> m.diverged[:, 0].tolist()  # beta = 0 is gd: diverged above lr = 2/10
    [False, False, False, True, True]
    """
    s = surface(surface_or_name) if isinstance(surface_or_name, str) else surface_or_name
    if not isinstance(s, Surface):
        raise TypeError(f"surface must be a Surface or a registered name; got {s!r}")
    if not isinstance(optimizer_name, str) or optimizer_name not in optimizer_names():
        raise ValueError(
            f"optimizer_name must be a registered optimizer's name, one of "
            f"{', '.join(optimizer_names())}; got {optimizer_name!r}"
        )
    fixed = _fixed_hyperparameters(hyperparameters)
    defaults = optimizer(optimizer_name, **fixed).hyper
    if "lr" not in defaults:
        raise ValueError(
            f"optimizer_name must name an optimizer with a learning rate lr; "
            f"{optimizer_name!r} has {', '.join(defaults) or 'no hyperparameters'}"
        )
    beta_name = next((b for b in MOMENTUM_HYPERPARAMETERS if b in defaults), None)
    lrs = _increasing(lrs, "lrs", low=0.0, low_open=True)
    if betas is not None:
        if beta_name is None:
            raise ValueError(
                f"betas sets the momentum coefficient, and {optimizer_name!r} has none "
                f"(no hyperparameter {' or '.join(MOMENTUM_HYPERPARAMETERS)}): leave betas out"
            )
        betas = _increasing(betas, "betas", low=0.0, high=1.0, high_open=True)
    for name in ("lr", *([beta_name] if betas is not None else [])):
        if name in fixed:
            swept = "lrs" if name == "lr" else "betas"
            raise ValueError(
                f"hyperparameters must not set {name}: the map sweeps it (give {swept})"
            )
    start = as_points(s.start if start is None else start, "start")
    if start.shape != (2,) or not np.all(np.isfinite(start)):
        raise ValueError(f"start must be one finite point of shape (2,); got {start!r}")
    steps = check_integer(steps, "steps", low=1)
    tol = check_number(tol, "tol", low=0, high=1, low_open=True, high_open=True)
    target = s.global_minimum_loss
    if not np.isfinite(target):
        raise ValueError(
            f"stability_map needs a surface that lists its minima (convergence is measured "
            f"against the best one's loss); {s.name!r} lists none with a finite loss"
        )
    factors = None if schedule is None else _schedule_factors(schedule, steps)

    columns = [None] if betas is None else [float(b) for b in betas]
    opts = []
    for lr in lrs:
        rate = float(lr) if factors is None else _scaled(float(lr), factors)
        for beta in columns:
            pair = {} if beta is None else {beta_name: beta}
            opts.append(optimizer(optimizer_name, **fixed, **pair, lr=rate))
    run = descend(s, opts, start=start, steps=steps, noise=noise, batch_size=batch_size, seed=seed)

    shape = (len(lrs), len(columns))
    with np.errstate(invalid="ignore"):
        tolerance = tol * max(float(s(start)) - target, 0.0)
        within = run.loss - target <= tolerance  # NaN (after divergence) is not within
    # The first index from which every later loss is within: -1 if the last one is not.
    outside = ~within
    last_outside = steps - np.argmax(outside[:, ::-1], axis=1)
    first_within = np.where(outside.any(axis=1), last_outside + 1, 0)
    steps_to_converge = np.where(within[:, -1], first_within, -1)
    swept = {"lr", beta_name} if betas is not None else {"lr"}
    shared = {k: v for k, v in opts[0].hyper.items() if k not in swept}
    return StabilityMap(
        final_loss=run.final_loss.reshape(shape),
        steps_to_converge=steps_to_converge.reshape(shape),
        diverged=run.diverged.reshape(shape),
        lrs=lrs,
        betas=betas,
        beta_name=beta_name if betas is not None else None,
        optimizer=optimizer_name,
        hyperparameters=shared,
        start=start.copy(),
        schedule=schedule,
        steps=steps,
        target_loss=target,
        tolerance=tolerance,
        surface=s,
    )


def stability_border(
    optimizer_name: str,
    betas: Sequence[float] | np.ndarray | None,
    curvature: float,
) -> np.ndarray:
    """The largest constant learning rate that converges on a quadratic, per momentum coefficient.

    On ``L(p) = 1/2 p^T A p`` every optimizer below moves each eigendirection of
    ``A`` on its own; along one with curvature ``lambda`` the coordinate ``x``
    follows a linear recurrence, and the run converges for every start exactly
    when the recurrence is stable for ``lambda = lambda_max`` (the largest
    eigenvalue, ``curvature``). With ``a = lr * lambda``:

    * gd, ``x_{t+1} = (1 - a) x_t``: stable iff ``|1 - a| < 1``, so

      .. math:: \\text{lr} < 2 / \\lambda_{max}

    * heavy ball as torch and lossviz write it, ``v_{t+1} = beta v_t + lambda x_t``,
      ``x_{t+1} = x_t - lr v_{t+1}``. Since ``lr v_t = x_{t-1} - x_t``,

      ``x_{t+1} = (1 + beta - a) x_t - beta x_{t-1}``,

      with characteristic polynomial ``z^2 - (1 + beta - a) z + beta``. Both
      roots lie inside the unit circle iff (Jury's test) ``beta < 1``,
      ``1 - (1 + beta - a) + beta > 0`` (i.e. ``a > 0``) and
      ``1 + (1 + beta - a) + beta > 0``, so

      .. math:: \\text{lr} < 2 (1 + \\beta) / \\lambda_{max}

      the border in Goh, "Why Momentum Really Works" (Distill, 2017), whose
      ``z_{k+1} = beta z_k + grad``, ``w_{k+1} = w_k - alpha z_{k+1}`` is this
      same convention. (With the other convention ``v <- beta v - lr g``,
      ``p <- p + v``, the border is the same in ``lr``.)

    * Nesterov as torch writes it, ``v_{t+1} = beta v_t + lambda x_t``,
      ``x_{t+1} = x_t - lr (lambda x_t + beta v_{t+1})``. In ``(x, lr v)`` the
      step is the matrix ``[[1 - a (1 + beta), -beta^2], [a, beta]]``, with
      trace ``T = 1 + beta - a (1 + beta)`` and determinant ``D = beta (1 - a)``;
      Jury's test ``1 - T + D = a > 0``, ``1 + T + D > 0`` and ``|D| < 1`` gives

      .. math:: \\text{lr} < 2 (1 + \\beta) / ((1 + 2 \\beta) \\lambda_{max})

    All three reduce to ``2 / lambda_max`` at ``beta = 0``. At the border itself
    the run neither converges nor diverges; just below it converges slowly.

    Parameters
    ----------
    optimizer_name
        ``"gd"``, ``"momentum"`` or ``"nesterov"`` (the keys of `BORDER_FORMULAS`).
        Adaptive optimizers (adagrad, rmsprop, adam) rescale their steps by
        the gradients they have seen, so no such formula holds for them.
    betas
        Momentum coefficients in [0, 1), shape (m,); None for gd.
    curvature
        ``lambda_max``, the largest eigenvalue of the Hessian, > 0
        (`lossviz.curvature.stability_limit` gives it at a surface's minimum).

    Returns
    -------
    numpy.ndarray
        The border rate per coefficient, shape (m,); shape (1,) for gd, one
        value per column of a `StabilityMap`.

    Examples
    --------
    >>> stability_border("gd", None, curvature=10.0).tolist()
    [0.2]
    >>> stability_border("momentum", [0.0, 0.5, 0.9], curvature=10.0).round(6).tolist()
    [0.2, 0.3, 0.38]
    >>> stability_border("nesterov", [0.5], curvature=10.0).round(6).tolist()
    [0.15]
    """
    if optimizer_name not in BORDER_FORMULAS:
        raise ValueError(
            f"optimizer_name must be one of {', '.join(BORDER_FORMULAS)} (the optimizers with "
            f"a known border on a quadratic); got {optimizer_name!r}"
        )
    curvature = check_number(curvature, "curvature", low=0, low_open=True)
    if optimizer_name == "gd":
        if betas is not None:
            raise ValueError("betas must be None for gd, which has no momentum")
        return np.array([2.0 / curvature])
    if betas is None:
        raise ValueError(f"betas must be given for {optimizer_name}: its border depends on beta")
    beta = np.array(
        [check_number(b, f"betas[{i}]", low=0, high=1, high_open=True) for i, b in enumerate(betas)]
    )
    if optimizer_name == "momentum":
        return 2.0 * (1.0 + beta) / curvature
    return 2.0 * (1.0 + beta) / ((1.0 + 2.0 * beta) * curvature)


def _fixed_hyperparameters(hyperparameters: Mapping[str, Any] | None) -> dict[str, Any]:
    if hyperparameters is None:
        return {}
    if not isinstance(hyperparameters, Mapping) or not all(
        isinstance(k, str) for k in hyperparameters
    ):
        raise ValueError(
            f"hyperparameters must be a mapping of names to values, e.g. {{'beta2': 0.99}}; "
            f"got {hyperparameters!r}"
        )
    return dict(hyperparameters)


def _increasing(
    values: Any,
    name: str,
    *,
    low: float,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> np.ndarray:
    """``values`` as an increasing float array (n,), each checked like `check_number`."""
    if isinstance(values, str) or np.ndim(values) != 1 or len(values) == 0:
        raise ValueError(
            f"{name} must be a non-empty 1-D sequence of numbers, e.g. np.geomspace(1e-3, 1, 40); "
            f"got {values!r}"
        )
    array = np.array(
        [
            check_number(
                v, f"{name}[{i}]", low=low, high=high, low_open=low_open, high_open=high_open
            )
            for i, v in enumerate(values)
        ]
    )
    if np.any(np.diff(array) <= 0):
        raise ValueError(
            f"{name} must be increasing (each value above the one before); got {values!r}"
        )
    return array


def _schedule_factors(schedule: Callable[[Any], Any], steps: int) -> np.ndarray:
    """The schedule at t = 0 .. steps - 1 divided by its peak there, shape (steps,)."""
    if not callable(schedule):
        raise ValueError(
            f"schedule must be a schedule t -> rate, e.g. lossviz.schedule('cosine', lr=1.0, "
            f"steps=300); got {schedule!r}"
        )
    t = np.arange(steps)
    values = np.broadcast_to(np.asarray(schedule(t), dtype=np.float64), (steps,))
    if not np.all(np.isfinite(values)) or np.any(values < 0) or not np.any(values > 0):
        raise ValueError(
            f"schedule must give finite rates >= 0, not all 0, over the {steps} steps; "
            f"{schedule!r} does not"
        )
    return values / values.max()


def _scaled(lr: float, factors: np.ndarray) -> LearningRateSchedule:
    """``lr * factors[t]``: one pair's rate under the map's schedule."""
    return LearningRateSchedule(
        "scaled", {"lr": lr}, lambda t: lr * factors[np.minimum(t, len(factors) - 1)]
    )


__all__ = [
    "BORDER_FORMULAS",
    "MOMENTUM_HYPERPARAMETERS",
    "StabilityMap",
    "stability_border",
    "stability_map",
]
