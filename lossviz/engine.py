"""The descent engine: run many optimizers from many starts in lockstep.

All runs advance together with one gradient evaluation per step for the whole
batch. The optimizers that are instances of the moment rule (gd, momentum,
nesterov, adagrad, rmsprop, adam; see `lossviz.optimizers.moments`) advance in
one array operation per step with per-run coefficients, and every damped
Newton run in one closed-form 2-D solve per step (see
`lossviz.optimizers.newton.newton_step`); any other optimizer (a user's own
``init``/``update`` pair) is stepped on its own slice of the batch.

``descend(..., tail=w)`` keeps only the last ``w`` steps of each path, for callers
that need where the runs end, not how they got there (`lossviz.basins`): no
(steps + 1, runs, 2) path is stored, divergence is checked as the runs advance,
and the loop stops once every run has diverged.

Every step needs the gradient at the runs' positions and, to tell which runs
diverged, the loss there; on a surface whose loss is finite wherever runs are
followed (``Surface(..., finite_in_reach=True)``, every built-in one), a tail run
tells them by position alone and takes the loss only in the tail. A model surface
that computes both in one pass over its data (``ModelSurface(...,
loss_and_gradient=...)``) gives both at once on full-batch steps of large batches
(`ONE_PASS_FROM`); the numbers are the same either way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

import numpy as np

from lossviz._checks import check_integer, check_number
from lossviz.optimizers.base import Optimizer, optimizer
from lossviz.optimizers.moments import Moments, moment_step, step_factors
from lossviz.optimizers.newton import newton_step
from lossviz.surfaces.base import Surface, as_points, surface

FAR = 10.0
"""A run is diverged once it is more than ``FAR`` times the bounds' width outside them."""

ONE_PASS_FROM = 32
"""`descend` takes a surface's one-pass loss and gradient from this many runs on. Below it,
the gradient alone at every step and the loss of the whole path in one call afterwards cost
less (on a few runs each numpy call's overhead, not the arithmetic, is the cost). Either way
a point gets the same bits (``tests/test_batch_independence.py``)."""

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
        step 0 is NaN throughout (`final` still gives its start). With
        ``descend(..., tail=w)``, only the last ``w`` steps: shape (runs, w + 1, 2),
        ``path[:, i]`` being path index ``first_index + i``.
    loss
        Loss along each path, shape (runs, steps + 1), or (runs, w + 1) with a
        tail; NaN where ``path`` is.
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
    first_index
        The path index (steps taken) of ``path[:, 0]``: 0, or ``steps - w`` when
        ``descend(..., tail=w)`` kept only the last ``w`` steps.
    last_finite, last_finite_loss
        With a tail only (``None`` otherwise): `final` (runs, 2) and `final_loss`
        (runs,), kept as the runs advanced, since a run's last finite point may
        lie before the tail.
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
    first_index: int = 0
    last_finite: np.ndarray | None = None
    last_finite_loss: np.ndarray | None = None

    @property
    def steps(self) -> int:
        """Number of steps (updates) of each run."""
        return self.first_index + self.path.shape[1] - 1

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
        if self.last_finite is not None:
            return self.last_finite.copy()
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
        if self.last_finite_loss is not None:
            return self.last_finite_loss.copy()
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

        Raises
        ------
        ValueError
            For a run made with ``descend(..., tail=...)`` that kept less than the whole path.
        """
        if self.first_index > 0:
            raise ValueError(
                "convergence_step needs the whole path; this run kept only its last "
                f"{self.path.shape[1] - 1} steps (descend(..., tail=...)): descend without tail"
            )
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
    return _learning_rate_table([schedule], steps, [label])[:, 0]


def _learning_rate_table(schedules: Sequence[Any], steps: int, labels: Sequence[str]) -> np.ndarray:
    """Each schedule evaluated at t = 0 .. steps - 1, shape (steps, len(schedules)).

    Every rate must be finite and >= 0; the first schedule (in order) that breaks
    that is named in the ValueError.
    """
    t = np.arange(steps)
    table = np.empty((steps, len(schedules)))
    for j, schedule in enumerate(schedules):
        try:
            try:
                values = np.asarray(schedule(t), dtype=np.float64)
                if values.shape != (steps,):  # a constant written as one number
                    values = np.broadcast_to(values, (steps,))
                table[:, j] = values
            except Exception:  # a schedule written for integer t only
                table[:, j] = [float(schedule(int(i))) for i in t]
        except Exception:
            _check_rates(table[:, :j], labels)  # an earlier schedule's bad rate comes first
            raise
    _check_rates(table, labels)
    return table


def _check_rates(table: np.ndarray, labels: Sequence[str]) -> None:
    """Raise for the first column of ``table`` (steps, n) with a rate not finite or < 0."""
    bad = ~np.isfinite(table) | (table < 0)
    if bad.any():
        j = int(np.argmax(bad.any(axis=0)))
        i = int(np.argmax(bad[:, j]))
        raise ValueError(
            f"the learning rate of {labels[j]} must be finite and >= 0 at every step; "
            f"its schedule gives {table[i, j]!r} at step {i}"
        )


def descend(
    surface_or_name: Surface | str,
    optimizers: Optimizers,
    start: Any = None,
    steps: int = 500,
    noise: float = 0.0,
    batch_size: int | None = None,
    seed: int = 0,
    trace: bool = False,
    tail: int | None = None,
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
    tail
        Keep only the last ``tail`` steps of each path, an integer between 0 and
        ``steps``: ``path`` (runs, tail + 1, 2) holds path indices ``steps - tail``
        .. ``steps`` (`Run.first_index` says where it begins), ``loss`` their
        losses. ``final``, ``final_loss``, ``diverged`` and ``diverged_step`` are
        those of the whole path, and every kept number equals the whole path's.
        The whole path is never stored, divergence is checked as the runs
        advance, and the loop stops once every run has diverged: for many runs
        whose ends alone matter (`lossviz.basins`). Not with ``trace``; the views
        (`lossviz.views`) draw whole paths, so leave it out for them.

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
    >>> ends = lossviz.descend("quadratic", ["gd", "adam"], start=(2.0, 1.0), steps=50, tail=5)
    >>> ends.path.shape, ends.first_index, ends.steps, bool((ends.path == run.path[:, 45:]).all())
    ((2, 6, 2), 45, 50, True)
    """
    return _descend(surface_or_name, optimizers, start, steps, noise, batch_size, seed, trace, tail)


def _descend(
    surface_or_name: Surface | str,
    optimizers: Optimizers,
    start: Any = None,
    steps: int = 500,
    noise: float = 0.0,
    batch_size: int | None = None,
    seed: int = 0,
    trace: bool = False,
    tail: int | None = None,
    tail_loss: bool = True,
) -> Run:
    """`descend`; with a ``tail`` and ``tail_loss=False``, on a surface finite in reach
    (`Surface.finite_in_reach`), the loss is not evaluated at any step: the `Run`'s
    ``loss`` is then all NaN and ``final_loss`` NaN except where a run diverged, while
    the positions and divergence are those of `descend`. For callers that read only
    where runs go (`lossviz.basins`), to whom the loss would be a tenth of the time."""
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
    if tail is not None:
        tail = check_integer(tail, "tail", low=0, high=steps)
        if trace:
            raise ValueError("trace records every step, tail keeps the last few: give one of them")
    rng = np.random.default_rng(seed)
    p = np.concatenate([starts] * len(order), axis=0)
    if tail is None:
        # Time-major while stepping: each step writes one contiguous row.
        path = np.empty((steps + 1, runs, 2))
        path[0] = p
    else:
        kept = _Tail(s, runs, steps, tail, losses=tail_loss)

    if fused:
        factors = _FusedFactors([opts[i] for i in fused], [labels[i] for i in fused], k, steps)
        m = np.zeros((n_fused, 2))
        s_ = np.zeros((n_fused, 2))
    if newtons:
        newton_rows = slice(n_fused, n_fused + n_newton)
        # -lr(t) per step and run, shape (steps, n_newton), and the damping per run.
        newton_scale = -np.repeat(
            _learning_rate_table(
                [opts[i].second_order.lr for i in newtons], steps, [labels[i] for i in newtons]
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
    # Loss and gradient in one pass where the surface has it, for batches of at least
    # `ONE_PASS_FROM` runs; a mini-batch's gradient is not the full loss's, so then they are
    # taken apart. ``value`` is the loss at path index t, read where step t takes its gradient.
    both = s._loss_and_gradient if batch_size is None and runs >= ONE_PASS_FROM else None
    value = None
    if both is not None and tail is None:
        losses = np.empty((steps + 1, runs))  # time-major, like path
    # Newton runs at a constant rate, without noise or mini-batches, whose steps leave
    # them where they are, or bring them back to where they were one step before, bit for
    # bit, take those same steps at every later step, in turn: no Hessian is taken after
    # that (checked every `SETTLED_EVERY` steps).
    newton_settles = bool(newtons) and _newton_settles(noise, batch_size, newton_scale)
    newton_cycle = None  # (step at cycle_from, step after it), taken in turn from cycle_from
    newton_before = None  # (positions, step) of the Newton runs at the step before a check
    cycle_from = 0
    settles = both is None and _settles(
        tail, noise, batch_size, others, factors if fused else None,
        newton_scale if newtons else None,
    )  # fmt: skip
    with np.errstate(all="ignore"):
        for t in range(steps):
            if settles and t % SETTLED_EVERY == 0 and t > 0:
                if _same_bits(p, path[t - 1]):
                    # Every run stayed where it was, bit for bit: so does every later step,
                    # with the same gradient and moments as the last one.
                    path[t + 1 :] = p
                    if trace:
                        grads[t:] = grads[t - 1]
                        if fused:
                            moments_m[t:], moments_s[t:] = moments_m[t - 1], moments_s[t - 1]
                    break
                if _same_bits(p, path[t - 2]):
                    # Every run is back where it was two steps ago, bit for bit: every later
                    # step goes round the same two points, with their gradients and moments.
                    path[t + 1 :: 2], path[t + 2 :: 2] = path[t - 1], p
                    if trace:
                        grads[t::2], grads[t + 1 :: 2] = grads[t - 2], grads[t - 1]
                        if fused:
                            for a in (moments_m, moments_s):
                                a[t::2], a[t + 1 :: 2] = a[t - 2], a[t - 1]
                    break
            if both is not None:
                value, g = both(p)
            if tail is not None and not kept.record(t, p, value):
                break  # every run has diverged: nothing after this is kept
            if both is None:
                g = gradient(p) if batch_size is None else s.stochastic_grad(p, batch_size, rng)
            elif tail is None:
                losses[t] = value
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
                if newton_cycle is not None:
                    step[newton_rows] = newton_cycle[(t - cycle_from) % 2]
                elif newtons:
                    newton_move = newton_step(
                        g[newton_rows], hessian(p[newton_rows]), newton_scale[t], newton_damping
                    )
                    step[newton_rows] = newton_move
                    if newton_settles and t % SETTLED_EVERY == SETTLED_EVERY - 1:
                        newton_before = (p[newton_rows], newton_move)
                    elif newton_settles and t % SETTLED_EVERY == 0 and newton_before is not None:
                        here = p[newton_rows]
                        there = here + newton_move  # where this step takes them
                        if _same_bits(there, here):
                            # Every Newton run stays where it is, bit for bit: each later
                            # step is this one (the same point, gradient, Hessian and rate).
                            newton_cycle, cycle_from = (newton_move, newton_move), t + 1
                        elif _same_bits(there, newton_before[0]):
                            # Every Newton run goes back to where it was a step ago (or
                            # stays): later steps are the one taken there and this one, in
                            # turn (a Newton step is a function of the position alone).
                            newton_cycle, cycle_from = (newton_before[1], newton_move), t + 1
                for j, i in enumerate(others):
                    rows = slice(first_other + j * k, first_other + (j + 1) * k)
                    extra = {"hessian": hessian(p[rows])} if opts[i].needs_hessian else {}
                    step[rows], other_states[j] = opts[i].update(
                        g[rows], other_states[j], p[rows], **extra
                    )
            p = p + step
            if tail is not None:
                continue
            path[t + 1] = p
            if trace:
                grads[t] = g
                if fused:
                    moments_m[t], moments_s[t] = m, s_
        else:  # every step taken (or none asked for): the last positions
            if tail is not None:
                kept.record(steps, p)
            elif both is not None:
                losses[steps] = _loss(s, p)

        if tail is not None:
            ends = kept.finish()
        elif trace:
            traced = [grads, *_step_sizes(opts, labels, order, k, steps, moments_m, moments_s)]
        if order != sorted(order):
            # Back to optimizer-major order as the caller gave the optimizers.
            inverse = np.argsort(order, kind="stable")

            def caller_order(a: np.ndarray, axis: int = 1) -> np.ndarray:
                shape = a.shape
                blocks = a.reshape(*shape[:axis], len(order), k, *shape[axis + 1 :])
                return blocks[(slice(None),) * axis + (inverse,)].reshape(shape)

            if tail is not None:
                ends = {name: caller_order(a, axis=0) for name, a in ends.items()}
            else:
                path = caller_order(path)
                if both is not None:
                    losses = caller_order(losses)
                if trace:
                    traced = [caller_order(a) for a in traced]
        if tail is None:
            loss, bad = _loss_and_divergence(s, path, losses if both is not None else None)
    names = [label for label in labels for _ in range(k)]
    if tail is not None:
        return Run(
            names=names,
            labels=labels,
            optimizers=opts,
            starts=starts,
            surface=s,
            first_index=steps - tail,
            **ends,
        )
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
        names=names,
        diverged=diverged,
        diverged_step=diverged_step,
        labels=labels,
        optimizers=opts,
        starts=starts,
        surface=s,
        **recorded,
    )


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two float64 arrays of one shape hold the same bits (-0.0 is not 0.0)."""
    return bool((a.view(np.int64) == b.view(np.int64)).all())


SETTLED_EVERY = 8
"""In a batch that can settle (`_settles`), every this many steps the engine looks
whether the last step left every run where it was, or brought it back to where it was two
steps before (a run that goes round two points: Newton's on rastrigin and six-hump camel
at its default rate); so too for the Newton runs of a mixed batch."""


def _settles(
    tail: int | None,
    noise: float,
    batch_size: int | None,
    others: list[int],
    factors: _FusedFactors | None,
    newton_scale: np.ndarray | None,
) -> bool:
    """Whether each step of the batch is one fixed function of the positions alone.

    So it is when every optimizer keeps no state (gd, newton) and its rate is the
    same at every step, with no noise or mini-batches: then once a step leaves every
    run where it was, bit for bit, every later step does too, and the rest of the path
    is that point (a converged gd or Newton run: Newton's gets there within 5 to 110
    steps on most built-in surfaces); and once every run is back where it was two steps
    before, the rest of the path goes round those two points. Whole paths only (a
    ``trace`` is filled in too).
    """
    if tail is not None or noise or batch_size is not None or others:
        return False
    if factors is not None:
        _, _, _, uses_m, uses_s, _, _ = factors.constants
        tables = (factors.k_g, factors.k_m, factors.r)
        if uses_m or uses_s or not all(isinstance(a, np.ndarray) and a.ndim == 3 for a in tables):
            return False
        if not all((a == a[:1]).all() for a in tables):
            return False  # a schedule
    return newton_scale is None or _newton_settles(noise, batch_size, newton_scale)


def _newton_settles(noise: float, batch_size: int | None, newton_scale: np.ndarray) -> bool:
    """Whether a Newton step is one fixed function of its run's position alone: no noise,
    the full batch and the same rate at every step (``newton_scale``, (steps, runs))."""
    if noise or batch_size is not None:
        return False
    return bool((newton_scale == newton_scale[:1]).all())


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


_Box = tuple[tuple[float, float], tuple[float, float]]


def _far_box(s: Surface) -> _Box:
    """``((centre_x, reach_x), (centre_y, reach_y))``: a point is within reach where
    ``|p_i - centre_i| <= reach_i`` for both coordinates ``i``, that is at most ``FAR``
    bounds-widths outside the bounds."""
    return tuple(((low + high) / 2, (0.5 + FAR) * (high - low)) for low, high in s.bounds)


_POINTS_PER_CALL = 1 << 14
"""At most this many points go to a surface's loss in one call: a model's loss makes
temporaries of (points, examples), which should stay in cache (at 40,000 points and 30
examples they take twice as long)."""


def _loss(s: Surface, points: np.ndarray) -> np.ndarray:
    """Loss at ``points`` (..., 2), shape (...), in calls of at most `_POINTS_PER_CALL`."""
    flat = points.reshape(-1, 2)
    if len(flat) <= _POINTS_PER_CALL:
        return np.asarray(s._value(points), dtype=np.float64)
    value = np.empty(len(flat))
    for i in range(0, len(flat), _POINTS_PER_CALL):
        value[i : i + _POINTS_PER_CALL] = s._value(flat[i : i + _POINTS_PER_CALL])
    return value.reshape(points.shape[:-1])


def _loss_and_bad(
    s: Surface, points: np.ndarray, box: _Box, value: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Loss at ``points`` (..., 2) and whether each is diverged, both of shape (...).

    A point is diverged where its loss is not finite or it lies out of reach (`_far_box`).
    ``value``, where given, is the loss at ``points``, already computed.
    """
    if value is None:
        value = _loss(s, points)
    ok = _within_reach(points, box)
    ok &= np.isfinite(value)
    if value.shape != ok.shape:  # a loss written as a constant, e.g. lambda x, y: 1.0
        value = np.broadcast_to(value, ok.shape)
    return value, ~ok


def _within_reach(points: np.ndarray, box: _Box) -> np.ndarray:
    """Whether each point (..., 2) lies within reach (`_far_box`), shape (...); NaN is not."""
    # One coordinate at a time: an operation between (..., 2) and (2,) runs an inner
    # loop of length 2 per point, ten times slower. NaN compares False: outside.
    (centre_x, reach_x), (centre_y, reach_y) = box
    x = points[..., 0] - centre_x
    y = points[..., 1] - centre_y
    ok = np.abs(x, out=x) <= reach_x
    ok &= np.abs(y, out=y) <= reach_y
    return ok


def _loss_and_divergence(
    s: Surface, path: np.ndarray, loss: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Loss along time-major paths (steps + 1, runs, 2) and where they are diverged.

    Both results have shape (steps + 1, runs). A point is diverged where its
    loss is not finite or it lies more than ``FAR`` bounds-widths outside the
    bounds. Large batches go in blocks of steps that stay in cache: streaming
    the whole path through full-size temporaries costs several times more.
    ``loss``, where given, is the loss along the paths, already computed.
    """
    points, runs = path.shape[:2]
    box = _far_box(s)
    given = loss
    if given is None:
        loss = np.empty((points, runs))
    bad = np.empty((points, runs), dtype=bool)
    block = max(1, _POINTS_PER_CALL // max(runs, 1))
    for i in range(0, points, block):
        rows = slice(i, i + block)
        loss[rows], bad[rows] = _loss_and_bad(
            s, path[rows], box, None if given is None else given[rows]
        )
    return loss, bad


class _Tail:
    """What ``descend(..., tail=w)`` keeps as the runs advance, in the engine's run order.

    For every path index ``i`` the runs reach, in order from 0, `record` evaluates the
    loss (or takes it) and the divergence test of `_loss_and_divergence` on the (runs, 2)
    positions, and keeps:

    * the positions and losses of indices ``steps - w`` .. ``steps``, time-major
      (w + 1, runs, 2) and (w + 1, runs), as the whole path would hold them;
    * each run's first diverged index, and its last finite position and loss
      (those of the index before it; the start's for a run diverged at index 0),
      which is what `Run.final` and `Run.final_loss` read off the whole path.
    """

    def __init__(self, s: Surface, runs: int, steps: int, tail: int, losses: bool = True) -> None:
        self.surface = s
        # Whether the loss is evaluated in the tail too (where not given) on a surface
        # finite in reach; before the tail it never is there.
        self.losses = losses
        self.box = _far_box(s)
        self.first = steps - tail
        self.steps = steps
        self.path = np.full((tail + 1, runs, 2), np.nan)
        self.loss = np.full((tail + 1, runs), np.nan)
        self.diverged_step = np.full(runs, -1)
        self.last_finite = np.empty((runs, 2))
        self.last_finite_loss = np.full(runs, np.nan)
        self.alive = np.ones(runs, dtype=bool)

    def record(self, i: int, p: np.ndarray, loss: np.ndarray | None = None) -> bool:
        """Take in the positions ``p`` (runs, 2) at path index ``i``, and their ``loss``
        (runs,) if already computed; False once every run has diverged. ``p`` must not be
        modified afterwards (it is kept as the previous positions).

        On a surface whose loss is finite wherever it can be reached
        (`Surface.finite_in_reach`), a run is diverged exactly when its position is out
        of reach: before the tail, the loss is then not evaluated at all (it is most of
        a step's cost after the gradient), only at the last finite positions of runs
        that diverge.
        """
        if loss is None and self.surface.finite_in_reach and (i < self.first or not self.losses):
            bad = ~_within_reach(p, self.box)
        else:
            loss, bad = _loss_and_bad(self.surface, p, self.box, loss)
        newly = bad & self.alive
        some = newly.any()
        if some:
            # The index before; at index 0 the start itself, as `Run.final` has it.
            before, before_loss = (p, loss) if i == 0 else self.previous
            self.last_finite[newly] = before[newly]
            self.last_finite_loss[newly] = (
                _loss(self.surface, before[newly]) if before_loss is None else before_loss[newly]
            )
            self.diverged_step[newly] = i
            self.alive[newly] = False
        if i >= self.first:
            self.path[i - self.first] = p
            if loss is not None:
                self.loss[i - self.first] = loss
        self.previous = p, loss
        return bool(self.alive.any()) if some else True

    def finish(self) -> dict[str, np.ndarray]:
        """The `Run` fields, runs-major: ``path`` (runs, w + 1, 2) and ``loss`` (runs, w + 1),
        NaN from each run's diverged index on, ``diverged``, ``diverged_step``,
        ``last_finite`` and ``last_finite_loss``."""
        p, loss = self.previous
        alive = self.alive
        self.last_finite[alive] = p[alive]
        if loss is not None:  # None: every run diverged before the tail, none is alive
            self.last_finite_loss[alive] = loss[alive]
        diverged = self.diverged_step >= 0
        index = np.arange(self.first, self.steps + 1)[:, None]
        after = index >= np.where(diverged, self.diverged_step, self.steps + 1)
        self.path[after] = np.nan
        self.loss[after] = np.nan
        return dict(
            path=self.path.transpose(1, 0, 2),
            loss=self.loss.T,
            diverged=diverged,
            diverged_step=self.diverged_step,
            last_finite=self.last_finite,
            last_finite_loss=self.last_finite_loss,
        )


class _FusedFactors:
    """The moment rule's factors for every fused run (see `lossviz.optimizers.moments`).

    Constants have shape (n, 2); the per-step factors ``k_g[t], k_m[t], r[t]``
    come from (steps, n, 2) tables for small batches, where matching shapes
    avoid numpy's broadcasting overhead, and are expanded from (steps,
    optimizers) tables step by step for large ones, to bound memory. A large
    batch of one optimizer reads every factor and constant as (1, 1), the same
    for every run, which saves expanding them at all.
    """

    FULL_TABLES_UP_TO = 256 * 1024  # elements per table

    def __init__(self, opts: list[Optimizer], labels: list[str], k: int, steps: int) -> None:
        moments = [o.moments for o in opts]
        lr = _learning_rate_table([mo.lr for mo in moments], steps, labels)
        tables = _step_factor_tables(moments, lr)  # (3, steps, optimizers): k_g, k_m, r
        self.n = len(opts) * k
        small = steps * self.n * 2 <= self.FULL_TABLES_UP_TO
        shared = not small and len(opts) == 1
        if small:
            full = np.repeat(tables, k, axis=2)[..., None].repeat(2, axis=-1)
            self.k_g, self.k_m, self.r = full
        elif shared:
            self.k_g, self.k_m, self.r = tables[..., None]  # (steps, 1, 1) each
        else:
            self.k_g, self.k_m, self.r = (_PerRun(table, k) for table in tables)

        def per_run(values: list[float]) -> np.ndarray:
            if shared:
                return np.asarray(values, dtype=np.float64)[:, None]  # (1, 1)
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


_COEFFICIENTS = ("a_m", "b_m", "a_s", "b_s", "c_g", "c_m", "eps")


def _step_factor_tables(moments: list[Moments], lr: np.ndarray) -> np.ndarray:
    """`step_factors` of every optimizer at every step, shape (3, steps, optimizers).

    ``lr`` is the (steps, optimizers) learning-rate table. Rather than one call per
    optimizer (a map of 1,600 pairs has 1,600), one call per kind of optimizer
    (whether adaptive, whether bias-corrected) with each coefficient as an array of
    one entry per optimizer: the same arithmetic, element by element.
    """
    steps, count = lr.shape
    t = np.arange(steps)[:, None]
    tables = np.empty((3, steps, count))
    kinds: dict[tuple[bool, bool], list[int]] = {}
    for j, mo in enumerate(moments):
        kinds.setdefault((bool(mo.adaptive), bool(mo.bias_correction)), []).append(j)
    coefficients_of = attrgetter(*_COEFFICIENTS)
    for (adaptive, bias_correction), columns in kinds.items():
        # (len(_COEFFICIENTS), len(columns)): one row per coefficient.
        values = np.array([coefficients_of(moments[j]) for j in columns], dtype=np.float64).T
        kind = Moments(
            lr=None,
            adaptive=adaptive,
            bias_correction=bias_correction,
            **dict(zip(_COEFFICIENTS, values, strict=True)),
        )
        for table, factor in zip(tables, step_factors(kind, lr[:, columns], t), strict=True):
            table[:, columns] = factor
    return tables


class _PerRun:
    """A (steps, optimizers) table read as (steps, runs, 1): each optimizer's factor
    repeated for its ``k`` starts, expanded one step at a time."""

    def __init__(self, table: np.ndarray, k: int) -> None:
        self.table, self.k = table, k

    def __getitem__(self, t: int) -> np.ndarray:
        return np.repeat(self.table[t], self.k)[:, None]
