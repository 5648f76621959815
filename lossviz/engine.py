"""The descent engine: run many optimizers from many starts in lockstep.

All runs advance together with one gradient evaluation per step for the whole
batch. The optimizers that are instances of the moment rule (gd, momentum,
nesterov, adagrad, rmsprop, adam; see `lossviz.optimizers.moments`) advance in
one array operation per step with per-run coefficients, and every damped
Newton run in one closed-form 2-D solve per step (see
`lossviz.optimizers.newton.newton_step`); any other optimizer (a user's own
``init``/``update`` pair) is stepped on its own slice of the batch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lossviz._checks import check_integer, check_number
from lossviz.optimizers.base import Optimizer, optimizer
from lossviz.optimizers.moments import moment_step, step_factors
from lossviz.optimizers.newton import newton_step
from lossviz.surfaces.base import Surface, as_points, surface

FAR = 10.0
"""A run is diverged once it is more than ``FAR`` times the bounds' width outside them."""

OptimizerSpec = Optimizer | str
Optimizers = OptimizerSpec | Sequence[OptimizerSpec] | Mapping[str, OptimizerSpec]


@dataclass(frozen=True, eq=False)
class Run:
    """The result of `descend`. Runs are ordered optimizer-major: all starts of
    the first optimizer, then all starts of the second, and so on.

    Attributes
    ----------
    path
        Positions, shape (runs, steps + 1, 2); ``path[:, 0]`` are the starts.
        Entries from the first diverged index on are NaN, so a run diverged at
        step 0 is NaN throughout (`final` still gives its start).
    loss
        Loss along each path, shape (runs, steps + 1); NaN where ``path`` is.
    names
        The optimizer label of each run, length runs.
    diverged
        Whether each run diverged, shape (runs,) bool.
    diverged_step
        The first path index that diverged (non-finite, or far outside the
        bounds), shape (runs,); -1 where the run did not diverge.
    labels
        One label per optimizer, in order.
    optimizers
        The optimizers, one per label.
    starts
        The distinct start points, shape (k, 2).
    surface
        The surface the runs descended.
    grad, update, velocity, effective_lr, lr
        What each optimizer saw and did at each step, recorded only by
        ``descend(..., trace=True)`` (``None`` otherwise). Step ``t`` goes from
        ``path[:, t]`` to ``path[:, t + 1]``; like the path, every entry from a
        run's divergence on is NaN.

        * ``grad`` (runs, steps, 2): the gradient the optimizer used (with noise
          or a mini-batch, the noisy one);
        * ``update`` (runs, steps, 2): the step taken, ``path[:, t + 1] - path[:, t]``;
        * ``velocity`` (runs, steps, 2): the first-moment buffer after the step's
          update, where the optimizer keeps one: momentum's and Nesterov's
          buffer as torch.optim keeps it (``v <- beta v + g``), Adam's
          bias-corrected first moment ``m / (1 - beta1**n)``; NaN for the others;
        * ``effective_lr`` (runs, steps, 2): the per-coordinate step size ``eta``
          in ``update = -eta * direction``, the direction being the gradient (gd,
          AdaGrad, RMSProp), the velocity (momentum, Adam), ``g + beta v``
          (Nesterov) or the Newton direction ``(H + lambda I)^-1 g`` (newton):
          the scheduled rate for gd, momentum, Nesterov and newton,
          ``lr / (sqrt(corrected second moment) + eps)`` for the adaptive ones
          (0 where that denominator is 0, as the step there is 0); NaN for a
          user's own optimizer;
        * ``lr`` (runs, steps): the scheduled learning rate; NaN for a user's own
          optimizer.
    """

    path: np.ndarray
    loss: np.ndarray
    names: list[str]
    diverged: np.ndarray
    diverged_step: np.ndarray
    labels: list[str]
    optimizers: list[Optimizer]
    starts: np.ndarray
    surface: Surface
    grad: np.ndarray | None = None
    update: np.ndarray | None = None
    velocity: np.ndarray | None = None
    effective_lr: np.ndarray | None = None
    lr: np.ndarray | None = None

    @property
    def steps(self) -> int:
        """Number of steps (updates) of each run."""
        return self.path.shape[1] - 1

    def __len__(self) -> int:
        return self.path.shape[0]

    def runs_of(self, label: str) -> np.ndarray:
        """Indices of the runs made by the optimizer ``label``, shape (k,)."""
        if label not in self.labels:
            raise KeyError(f"no optimizer {label!r} in this run; it has {', '.join(self.labels)}")
        i = self.labels.index(label)
        k = len(self.starts)
        return np.arange(i * k, (i + 1) * k)

    @property
    def final(self) -> np.ndarray:
        """The last finite position of each run, shape (runs, 2).

        That is the last point before the divergence for a diverged run, and the
        start itself for a run diverged at step 0 (a start far outside the
        bounds, or one where the loss is not finite), whose path is all NaN.
        """
        last = self._last_index()
        final = self.path[np.arange(len(self)), np.maximum(last, 0)]
        at_start = last < 0
        if at_start.any():
            final[at_start] = self._run_starts()[at_start]
        return final

    @property
    def final_loss(self) -> np.ndarray:
        """Loss at each run's `final` position, shape (runs,).

        Finite, except for a run diverged at step 0 because its start's loss is
        not finite: that loss (inf or NaN) is returned as it is.
        """
        last = self._last_index()
        loss = self.loss[np.arange(len(self)), np.maximum(last, 0)]
        at_start = last < 0
        if at_start.any():
            with np.errstate(all="ignore"):
                loss[at_start] = self.surface._value(self._run_starts()[at_start])
        return loss

    def _last_index(self) -> np.ndarray:
        """Path index of each run's last finite point, shape (runs,); -1 if diverged at step 0."""
        return np.where(self.diverged, self.diverged_step - 1, self.steps)

    def _run_starts(self) -> np.ndarray:
        """The start of each run, shape (runs, 2): ``starts`` repeated once per optimizer."""
        return np.tile(self.starts, (len(self.labels), 1))

    def convergence_step(self, tol: float | None = None) -> np.ndarray:
        """First step after which each run stays within ``tol`` of where it ends, shape (runs,).

        A run counts as converged only if it did not diverge, settles (its last
        tenth of steps stays within ``tol`` of its end), and, where the surface
        lists minima, ends within ``tol`` of one. Others get -1. ``tol``
        defaults to 1e-3 times the diagonal of the surface's bounds.
        """
        if tol is None:
            (xmin, xmax), (ymin, ymax) = self.surface.bounds
            tol = 1e-3 * float(np.hypot(xmax - xmin, ymax - ymin))
        final = self.final
        with np.errstate(invalid="ignore"):
            near_end = np.linalg.norm(self.path - final[:, None, :], axis=-1) < tol
        # The first index from which every later point is near the end.
        outside = ~near_end
        first_near = np.where(
            outside.any(axis=1), self.steps + 1 - np.argmax(outside[:, ::-1], axis=1), 0
        )
        settled = first_near <= self.steps - max(1, self.steps // 10)
        converged = ~self.diverged & settled
        if len(self.surface.minima):
            _, distance = self.surface.nearest_minimum(final)
            converged &= distance < tol
        return np.where(converged, first_near, -1)


def _as_optimizers(optimizers: Optimizers) -> tuple[list[str], list[Optimizer]]:
    if isinstance(optimizers, Mapping):
        items = [(str(k), optimizer(v)) for k, v in optimizers.items()]
    else:
        if isinstance(optimizers, str | Optimizer):
            optimizers = [optimizers]
        try:
            built = [optimizer(o) for o in optimizers]
        except TypeError as exc:
            raise TypeError(
                "optimizers must be an optimizer, a name, a sequence of them, or a mapping "
                f"label -> optimizer; got {optimizers!r}"
            ) from exc
        seen: dict[str, int] = {}
        items = []
        for o in built:
            seen[o.name] = seen.get(o.name, 0) + 1
            label = o.name if seen[o.name] == 1 else f"{o.name} ({seen[o.name]})"
            items.append((label, o))
    if not items:
        raise ValueError("optimizers is empty: give at least one optimizer")
    return [label for label, _ in items], [o for _, o in items]


def _learning_rates(schedule: Any, steps: int, label: str) -> np.ndarray:
    """The schedule evaluated at t = 0 .. steps - 1, shape (steps,)."""
    t = np.arange(steps)
    try:
        values = np.broadcast_to(np.asarray(schedule(t), dtype=np.float64), (steps,))
    except Exception:  # a schedule written for integer t only
        values = np.array([float(schedule(int(i))) for i in t], dtype=np.float64)
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(
            f"the learning rate of {label} must be finite and >= 0 at every step; "
            f"its schedule gives {values[i]!r} at step {i}"
        )
    return values


def descend(
    surface_or_name: Surface | str,
    optimizers: Optimizers,
    start: Any = None,
    steps: int = 500,
    noise: float = 0.0,
    batch_size: int | None = None,
    seed: int = 0,
    trace: bool = False,
) -> Run:
    """Run every optimizer from every start over a surface.

    Parameters
    ----------
    surface_or_name
        A `Surface` or a registered name.
    optimizers
        One optimizer (or name), a sequence, or a mapping label -> optimizer.
    start
        One point (2,) or several (k, 2); default the surface's ``start``.
    steps
        Number of updates per run.
    noise
        Standard deviation of Gaussian noise added to every gradient (seeded):
        stochastic gradient descent on any surface.
    batch_size
        On a model surface (`lossviz.models`), use the gradient of a seeded
        random mini-batch of this many training examples at every step (one
        batch per step, shared by all runs).
    seed
        Seed of the noise and the mini-batches.
    trace
        Also record what each optimizer saw and did at every step: the `Run`'s
        ``grad``, ``update``, ``velocity``, ``effective_lr`` and ``lr``. It costs
        memory (five more arrays the size of the path) and a little time; without
        it nothing is recorded.

    Returns
    -------
    Run
        ``path`` (runs, steps + 1, 2), ``loss`` (runs, steps + 1) and the rest;
        runs are optimizer-major (runs = optimizers x starts). A diverging run
        stops: NaN from its first bad point on, and ``diverged`` says so.

    Examples
    --------
    >>> import lossviz
    >>> run = lossviz.descend("quadratic", ["gd", "adam"], start=(2.0, 1.0), steps=50)
    >>> run.path.shape, run.names
    ((2, 51, 2), ['gd', 'adam'])
    """
    s = surface(surface_or_name) if isinstance(surface_or_name, str) else surface_or_name
    if not isinstance(s, Surface):
        raise TypeError(f"surface must be a Surface or a registered name; got {s!r}")
    labels, opts = _as_optimizers(optimizers)
    steps = check_integer(steps, "steps", low=0)
    if batch_size is not None:
        batch_size = check_integer(batch_size, "batch_size", low=1)
    noise = check_number(noise, "noise", low=0)
    seed = check_integer(seed, "seed", low=0)
    starts = as_points(s.start if start is None else start, "start").reshape(-1, 2)
    if len(starts) == 0 or not np.all(np.isfinite(starts)):
        raise ValueError(f"start must be finite points of shape (2,) or (k, 2); got {start!r}")
    k = len(starts)

    # Internal order: moment-rule optimizers first (advanced together), then the Newton
    # runs (advanced together), then the others.
    fused = [i for i, o in enumerate(opts) if o.moments is not None]
    newtons = [i for i, o in enumerate(opts) if o.moments is None and o.second_order is not None]
    others = [i for i, o in enumerate(opts) if o.moments is None and o.second_order is None]
    order = fused + newtons + others
    n_fused, n_newton = len(fused) * k, len(newtons) * k
    runs = len(opts) * k

    if not isinstance(trace, bool):
        raise ValueError(f"trace must be True or False; got {trace!r}")
    rng = np.random.default_rng(seed)
    # Time-major while stepping: each step writes one contiguous row.
    path = np.empty((steps + 1, runs, 2))
    p = np.concatenate([starts] * len(order), axis=0)
    path[0] = p

    if fused:
        factors = _FusedFactors([opts[i] for i in fused], [labels[i] for i in fused], k, steps)
        m = np.zeros((n_fused, 2))
        s_ = np.zeros((n_fused, 2))
    if newtons:
        newton_rows = slice(n_fused, n_fused + n_newton)
        # -lr(t) per step and run, shape (steps, n_newton), and the damping per run.
        newton_scale = -np.repeat(
            np.stack(
                [_learning_rates(opts[i].second_order.lr, steps, labels[i]) for i in newtons],
                axis=1,
            ),
            k,
            axis=1,
        )
        newton_damping = np.repeat([float(opts[i].second_order.damping) for i in newtons], k)
    first_other = n_fused + n_newton
    other_states = [
        opts[i].init(p[first_other + j * k : first_other + (j + 1) * k])
        for j, i in enumerate(others)
    ]

    if trace:
        grads = np.empty((steps, runs, 2))
        moments_m, moments_s = np.empty((steps, n_fused, 2)), np.empty((steps, n_fused, 2))

    # Hoisted out of the loop: at a few runs, each Python-level lookup is a sizeable share
    # of a step that costs about ten microseconds.
    gradient, hessian = s._gradient, s._hessian
    if fused:
        k_g, k_m, r, constants = factors.k_g, factors.k_m, factors.r, factors.constants
    with np.errstate(all="ignore"):
        for t in range(steps):
            g = gradient(p) if batch_size is None else s.stochastic_grad(p, batch_size, rng)
            if noise:
                g = g + noise * rng.standard_normal(g.shape)
            if n_fused == runs:
                step, m, s_ = moment_step(g, m, s_, k_g[t], k_m[t], r[t], *constants)
            else:
                step = np.empty((runs, 2))
                if fused:
                    step[:n_fused], m, s_ = moment_step(
                        g[:n_fused], m, s_, k_g[t], k_m[t], r[t], *constants
                    )
                if newtons:
                    step[newton_rows] = newton_step(
                        g[newton_rows], hessian(p[newton_rows]), newton_scale[t], newton_damping
                    )
                for j, i in enumerate(others):
                    rows = slice(first_other + j * k, first_other + (j + 1) * k)
                    extra = {"hessian": hessian(p[rows])} if opts[i].needs_hessian else {}
                    step[rows], other_states[j] = opts[i].update(
                        g[rows], other_states[j], p[rows], **extra
                    )
            p = p + step
            path[t + 1] = p
            if trace:
                grads[t] = g
                if fused:
                    moments_m[t], moments_s[t] = m, s_

        if trace:
            traced = [grads, *_step_sizes(opts, labels, order, k, steps, moments_m, moments_s)]
        if order != sorted(order):
            # Back to optimizer-major order as the caller gave the optimizers.
            inverse = np.argsort(order, kind="stable")

            def caller_order(a: np.ndarray) -> np.ndarray:
                return a.reshape(a.shape[0], len(order), k, *a.shape[2:])[:, inverse].reshape(
                    a.shape
                )

            path = caller_order(path)
            if trace:
                traced = [caller_order(a) for a in traced]
        loss, bad = _loss_and_divergence(s, path)
    diverged = bad.any(axis=0)
    diverged_step = np.where(diverged, np.argmax(bad, axis=0), -1)
    after = np.arange(steps + 1)[:, None] >= np.where(diverged, diverged_step, steps + 1)
    path[after] = np.nan
    loss[after] = np.nan
    # Runs-major views (runs, steps + 1, ...), without copying the arrays.
    path = path.transpose(1, 0, 2)
    loss = loss.T
    recorded: dict[str, np.ndarray] = {}
    if trace:
        for a in traced:
            a[after[:-1]] = np.nan  # step t is taken from path[t]: gone once that is
        grad, velocity, effective_lr, lr = (np.moveaxis(a, 0, 1) for a in traced)
        update = np.diff(path, axis=1)
        recorded = dict(
            grad=grad, update=update, velocity=velocity, effective_lr=effective_lr, lr=lr
        )

    return Run(
        path=path,
        loss=loss,
        names=[label for label in labels for _ in range(k)],
        diverged=diverged,
        diverged_step=diverged_step,
        labels=labels,
        optimizers=opts,
        starts=starts,
        surface=s,
        **recorded,
    )


def _step_sizes(
    opts: list[Optimizer],
    labels: list[str],
    order: list[int],
    k: int,
    steps: int,
    moments_m: np.ndarray | None,
    moments_s: np.ndarray | None,
) -> list[np.ndarray]:
    """``[velocity, effective_lr, lr]`` of every run in the engine's internal order,
    time-major: (steps, runs, 2), (steps, runs, 2), (steps, runs); see `Run`.

    ``moments_m`` and ``moments_s`` are the fused runs' unnormalised moments after
    each step (see `lossviz.optimizers.moments`): ``exp_avg = b_m m`` and
    ``exp_avg_sq = b_s s``, bias-corrected by ``1 - a**n`` with ``n = t + 1``.
    """
    runs = len(order) * k
    velocity = np.full((steps, runs, 2), np.nan)
    effective_lr = np.full((steps, runs, 2), np.nan)
    lr_in_use = np.full((steps, runs), np.nan)
    n = np.arange(1, steps + 1)[:, None, None]
    fused_row = 0
    for position, i in enumerate(order):
        rows = slice(position * k, (position + 1) * k)
        opt = opts[i]
        rule = opt.moments if opt.moments is not None else opt.second_order
        if rule is None:
            continue  # a user's own optimizer: only its gradient and update are known
        lr = _learning_rates(rule.lr, steps, labels[i])
        lr_in_use[:, rows] = lr[:, None]
        effective_lr[:, rows] = lr[:, None, None]
        if opt.moments is None:
            continue  # newton
        mo, mine = opt.moments, slice(fused_row, fused_row + k)
        fused_row += k
        if mo.c_m != 0.0:
            corrected = 1.0 - mo.a_m**n if mo.bias_correction else 1.0
            velocity[:, rows] = mo.b_m * moments_m[:, mine] / corrected
        if mo.adaptive:
            corrected = 1.0 - mo.a_s**n if mo.bias_correction else 1.0
            denominator = np.sqrt(mo.b_s * moments_s[:, mine] / corrected) + mo.eps
            with np.errstate(divide="ignore", invalid="ignore"):
                sizes = lr[:, None, None] / denominator
            effective_lr[:, rows] = np.where(denominator == 0, 0.0, sizes)
    return [velocity, effective_lr, lr_in_use]


def _loss_and_divergence(s: Surface, path: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Loss along time-major paths (steps + 1, runs, 2) and where they are diverged.

    Both results have shape (steps + 1, runs). A point is diverged where its
    loss is not finite or it lies more than ``FAR`` bounds-widths outside the
    bounds. Large batches go in blocks of steps that stay in cache: streaming
    the whole path through full-size temporaries costs several times more.
    """
    points, runs = path.shape[:2]
    (xmin, xmax), (ymin, ymax) = s.bounds
    centre = np.array([(xmin + xmax) / 2, (ymin + ymax) / 2])
    reach = np.array([(0.5 + FAR) * (xmax - xmin), (0.5 + FAR) * (ymax - ymin)])
    loss = np.empty((points, runs))
    bad = np.empty((points, runs), dtype=bool)
    block = max(1, (1 << 16) // max(runs, 1))
    for i in range(0, points, block):
        part = path[i : i + block]
        value = np.asarray(s._value(part), dtype=np.float64)
        loss[i : i + block] = value
        # NaN compares False, so non-finite points count as outside too.
        inside = (np.abs(part - centre) <= reach).all(axis=-1)
        np.logical_not(inside & np.isfinite(value), out=bad[i : i + block])
    return loss, bad


class _FusedFactors:
    """The moment rule's factors for every fused run (see `lossviz.optimizers.moments`).

    Constants have shape (n, 2); the per-step factors ``k_g[t], k_m[t], r[t]``
    come from (steps, n, 2) tables for small batches, where matching shapes
    avoid numpy's broadcasting overhead, and are expanded from (steps,
    optimizers) tables step by step for large ones, to bound memory.
    """

    FULL_TABLES_UP_TO = 256 * 1024  # elements per table

    def __init__(self, opts: list[Optimizer], labels: list[str], k: int, steps: int) -> None:
        moments = [o.moments for o in opts]
        t = np.arange(steps)
        columns = []
        for mo, label in zip(moments, labels, strict=True):
            lr = _learning_rates(mo.lr, steps, label)
            columns.append([np.broadcast_to(f, (steps,)) for f in step_factors(mo, lr, t)])
        # (3, steps, optimizers): k_g, k_m, r.
        tables = np.stack([np.stack(c, axis=-1) for c in zip(*columns, strict=True)])
        self.n = len(opts) * k
        if steps * self.n * 2 <= self.FULL_TABLES_UP_TO:
            full = np.repeat(tables, k, axis=2)[..., None].repeat(2, axis=-1)
            self.k_g, self.k_m, self.r = full
        else:
            self.k_g, self.k_m, self.r = (_PerRun(table, k) for table in tables)

        def per_run(values: list[float]) -> np.ndarray:
            return np.repeat(np.asarray(values, dtype=np.float64), k)[:, None].repeat(2, axis=1)

        uses_s = any(mo.adaptive for mo in moments)
        # In a batch that mixes adaptive runs with others, keeps the others' second
        # moment at 0 so they stay independent of the batch (see `moment_step`).
        mixed = uses_s and not all(mo.adaptive for mo in moments)
        # `moment_step`'s arguments after the per-step factors.
        self.constants = (
            per_run([mo.eps if mo.adaptive else 1.0 for mo in moments]),  # e
            per_run([mo.a_m for mo in moments]),
            per_run([mo.a_s for mo in moments]),
            any(mo.c_m != 0.0 for mo in moments),  # uses_m
            uses_s,
            per_run([float(mo.adaptive) for mo in moments]) if mixed else None,  # s_weight
            any(mo.adaptive and mo.eps == 0 for mo in moments),  # guard_zero
        )


class _PerRun:
    """A (steps, optimizers) table read as (steps, runs, 1): each optimizer's factor
    repeated for its ``k`` starts, expanded one step at a time."""

    def __init__(self, table: np.ndarray, k: int) -> None:
        self.table, self.k = table, k

    def __getitem__(self, t: int) -> np.ndarray:
        return np.repeat(self.table[t], self.k)[:, None]
