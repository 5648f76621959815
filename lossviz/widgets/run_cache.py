"""The runs a drag reaches next, computed with the current one in one `descend`.

A student drags a slider through its positions one after another. `descend`
costs about the same for 4 runs as for 40: each step is a handful of array
operations whose cost is per call, not per number (on Rosenbrock, 500 steps of
4 runs take about 11 ms here and of 36 runs about 12 ms). So when a frame must
compute the run of a state that a hyperparameter slider reached, it also
computes, in the same call, the runs of the slider's next positions in the
direction it moves (and a few behind), and keeps them. The next frames of the
drag find their run here and only draw. The batch is one `descend` whose runs are
the states' optimizers side by side; each state's part equals its run computed
alone to rounding, as any batch of the engine does (`lossviz.engine`).

A `RunCache` keeps the latest runs by the state fields a run depends on
(`lossviz.widgets.state.RUN_FIELDS`), so a state met again (a drag back over the
same positions) is not computed again either.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from lossviz.engine import Run, descend
from lossviz.widgets.control_table import SliderGrid
from lossviz.widgets.state import (
    RUN_FIELDS,
    Catalog,
    ExplorerState,
    apply_change,
    build_optimizers,
    compute_run,
    current_surface,
    hyperparameters_in_use,
    noisy,
)

PREFETCH_CONTROLS = frozenset({"lr", "lr_scale", "momentum", "beta2"})
"""Sliders whose positions change only the optimizers' hyperparameters: the states they
reach can share one `descend`."""

AHEAD = 8
"""Moves computed ahead of a moving slider (in the direction and at the pace of its last
move: a quick drag skips positions between frames)."""

BEHIND = 2
"""Moves computed behind it (a drag that turns back)."""

JUMP = 12
"""A move of more positions than this is a jump (a click on the slider's track), not a
drag: nothing is computed ahead of it."""

MAX_RUNS = 64
"""At most this many runs in one prefetching batch (states times optimizers)."""

EXTRA_COST = 0.5
"""The runs computed ahead may add at most this share to the cost of the frame's own
`descend` (as measured on the surface: see `RunCache.budget`)."""

PROBE_STEPS = 40
"""Steps of the two short `descend` calls that measure what another run costs."""

SIZE = 64
"""States whose runs are kept."""

_RUN_FIELD_ORDER = tuple(sorted(RUN_FIELDS))


def run_key(state: ExplorerState, catalog: Catalog, trace: bool) -> tuple:
    """What the run of ``state`` depends on, hashable: its `RUN_FIELDS`, the surface they
    name (the object: a run kept holds it, so its id is not reused) and ``trace``."""
    surface = id(current_surface(state, catalog))
    return (trace, surface, *(_hashable(getattr(state, name)) for name in _RUN_FIELD_ORDER))


_SHARED_FIELD_ORDER = tuple(
    n for n in _RUN_FIELD_ORDER if n not in ("optimizers", "hyper", "lr_scale")
)


def setting_key(state: ExplorerState, catalog: Catalog, trace: bool) -> tuple:
    """What every run of ``state`` depends on besides its own optimizer: `run_key` without
    the optimizers and their hyperparameters."""
    surface = id(current_surface(state, catalog))
    return (trace, surface, *(_hashable(getattr(state, name)) for name in _SHARED_FIELD_ORDER))


def _hashable(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_hashable(v) for v in value)
    return value


def batchable(state: ExplorerState, catalog: Catalog) -> bool:
    """Whether neighbours of ``state`` can share its `descend`: no noise (whose cloud of
    seeds is computed apart) and only built-in optimizers that the engine steps as one
    array (a user's own ``update`` would be called once per state)."""
    if noisy(state, current_surface(state, catalog)):
        return False
    return all(
        o.moments is not None or o.second_order is not None
        for o in build_optimizers(state, catalog).values()
    )


def neighbour_states(
    state: ExplorerState,
    catalog: Catalog,
    name: str,
    grid: SliderGrid,
    value: float,
    previous: float | None,
    limit: int,
) -> list[ExplorerState]:
    """The states slider ``name`` reaches from ``value`` at its next positions: `AHEAD`
    moves like its last one (from ``previous``) and `BEHIND` back, nearest first; one
    position at a time each way with no move known; none after a jump (a move of more
    than `JUMP` positions). At most ``limit``; positions the state does not allow are
    left out."""
    here = grid.position(value)
    if previous is None:
        offsets = [o for j in range(1, AHEAD // 2 + 1) for o in (j, -j)]
    else:
        move = here - grid.position(previous)  # positions, signed
        if move == 0 or abs(move) > JUMP:
            return []
        ahead = [move * j for j in range(1, AHEAD + 1)]
        behind = [-move * j for j in range(1, BEHIND + 1)]
        # Nearest first; ahead before behind at the same distance.
        offsets = sorted(ahead + behind, key=lambda o: abs(o) + (0.5 if o * move < 0 else 0))
    states = []
    for offset in offsets:
        position = here + offset
        if not 0 <= position < grid.count or len(states) >= limit:
            continue
        try:
            states.append(apply_change(state, name, grid.value(position), catalog))
        except ValueError:
            continue  # a value the state refuses (another optimizer's range, say)
    return states


def compute_runs(
    states: Sequence[ExplorerState], catalog: Catalog, trace: bool = False
) -> list[Run]:
    """The run of each state, in one `descend`. The states must differ only in their
    optimizers' hyperparameters (``hyper``, ``lr_scale``): same surface, start, steps,
    schedule, noise and seed."""
    first = states[0]
    shared = [n for n in RUN_FIELDS if n not in ("hyper", "lr_scale")]
    for other in states[1:]:
        different = [n for n in shared if getattr(other, n) != getattr(first, n)]
        if different:
            raise ValueError(f"states batched together differ in {', '.join(sorted(different))}")
    built = [build_optimizers(state, catalog) for state in states]
    batch = {f"{j}/{label}": opt for j, opts in enumerate(built) for label, opt in opts.items()}
    run = compute_run(first, catalog, trace, optimizers=batch)
    k = len(run.starts)
    runs, offset = [], 0
    for opts in built:
        rows = slice(offset * k, (offset + len(opts)) * k)
        runs.append(_part(run, rows, list(opts), list(opts.values()), k))
        offset += len(opts)
    return runs


def _part(run: Run, rows: slice, labels: list[str], optimizers: list, k: int) -> Run:
    """The runs ``rows`` of ``run`` as a `Run` of their own, labelled ``labels``."""

    def cut(a: Any) -> Any:
        return None if a is None else a[rows]

    return replace(
        run,
        path=run.path[rows],
        loss=run.loss[rows],
        names=[label for label in labels for _ in range(k)],
        diverged=run.diverged[rows],
        diverged_step=run.diverged_step[rows],
        labels=labels,
        optimizers=optimizers,
        grad=cut(run.grad),
        update=cut(run.update),
        velocity=cut(run.velocity),
        effective_lr=cut(run.effective_lr),
        lr=cut(run.lr),
        last_finite=cut(run.last_finite),
        last_finite_loss=cut(run.last_finite_loss),
    )


def join_runs(parts: Sequence[Run]) -> Run:
    """One `Run` of ``parts`` side by side (runs of the same setting: surface, starts,
    steps), optimizer-major in the order given: what one `descend` of all their optimizers
    gives, since each run of a batch equals that run alone (`lossviz.engine`)."""
    first = parts[0]

    def join(name: str) -> Any:
        arrays = [getattr(part, name) for part in parts]
        return None if arrays[0] is None else np.concatenate(arrays)

    return replace(
        first,
        path=join("path"),
        loss=join("loss"),
        names=[name for part in parts for name in part.names],
        diverged=join("diverged"),
        diverged_step=join("diverged_step"),
        labels=[label for part in parts for label in part.labels],
        optimizers=[o for part in parts for o in part.optimizers],
        grad=join("grad"),
        update=join("update"),
        velocity=join("velocity"),
        effective_lr=join("effective_lr"),
        lr=join("lr"),
        last_finite=join("last_finite"),
        last_finite_loss=join("last_finite_loss"),
    )


class RunCache:
    """The latest runs of an Explorer's states, by `run_key`.

    A state not kept whose optimizers were all or partly run before in the same setting
    (an optimizer tag added or removed, one optimizer's rate set) takes those optimizers'
    runs from the runs kept and computes only the others' (`RunCache.run`).

    ``hits`` counts the runs found here, ``computed`` the `descend` calls made, and
    ``prefetched`` the runs computed for states not yet asked for; ``reused`` counts the
    optimizers' runs taken from other states' runs.
    """

    def __init__(self, size: int = SIZE) -> None:
        self.size = size
        self._runs: OrderedDict[tuple, Run] = OrderedDict()
        # Per run kept: its setting_key, and each optimizer's hyperparameters in use.
        self._settings: dict[tuple, tuple[tuple, dict[str, Any]]] = {}
        self._budgets: dict[tuple, int] = {}
        self.hits = 0
        self.computed = 0
        self.prefetched = 0
        self.reused = 0

    def run(
        self,
        state: ExplorerState,
        catalog: Catalog,
        trace: bool = False,
        neighbours: Callable[[], list[ExplorerState]] | None = None,
    ) -> Run:
        """The run of ``state``: kept, or computed now together with the states
        ``neighbours()`` gives (called only then) whose runs are not kept yet."""
        key = run_key(state, catalog, trace)
        found = self._runs.get(key)
        if found is not None:
            self._runs.move_to_end(key)
            self.hits += 1
            return found
        if neighbours is None:  # a drag batches the positions ahead instead
            joined = self._from_parts(state, catalog, trace)
            if joined is not None:
                self._keep(key, state, catalog, trace, joined)
                return joined
        others = []
        if neighbours is not None:
            seen = {key}
            for other in neighbours():
                other_key = run_key(other, catalog, trace)
                if other_key not in seen and other_key not in self._runs:
                    seen.add(other_key)
                    others.append((other_key, other))
        runs = compute_runs([state, *(other for _, other in others)], catalog, trace)
        self.computed += 1
        self.prefetched += len(others)
        # The state's own run last in, so that it outlives its prefetched neighbours.
        for (other_key, other), run in [
            *zip(others, runs[1:], strict=True),
            ((key, state), runs[0]),
        ]:
            self._keep(other_key, other, catalog, trace, run)
        return runs[0]

    def _keep(self, key: tuple, state: ExplorerState, catalog: Catalog, trace: bool, run: Run):
        self._runs[key] = run
        self._runs.move_to_end(key)
        if batchable(state, catalog):  # runs that equal their optimizers' runs alone
            hyper = {
                label: _hashable(h) for label, h in hyperparameters_in_use(state, catalog).items()
            }
            self._settings[key] = (setting_key(state, catalog, trace), hyper)
        while len(self._runs) > self.size:
            old, _ = self._runs.popitem(last=False)
            self._settings.pop(old, None)

    def _from_parts(self, state: ExplorerState, catalog: Catalog, trace: bool) -> Run | None:
        """The run of ``state`` put together from the kept runs of its optimizers in the same
        setting, with the others computed in one `descend` of their own; None when no kept
        run has any of them, or when the state's runs are not each a run alone
        (`batchable`: noise, or a user's own optimizer)."""
        if not self._settings or not batchable(state, catalog):
            return None
        setting = setting_key(state, catalog, trace)
        wanted = {
            label: _hashable(h) for label, h in hyperparameters_in_use(state, catalog).items()
        }
        parts: dict[str, Run] = {}
        for key in reversed(self._runs):  # the latest first
            kept = self._settings.get(key)
            if kept is None or kept[0] != setting:
                continue
            run = self._runs[key]
            for label, hyper in kept[1].items():
                if label not in parts and wanted.get(label) == hyper:
                    rows = run.runs_of(label)
                    parts[label] = _part(
                        run,
                        slice(rows[0], rows[-1] + 1),
                        [label],
                        [run.optimizers[run.labels.index(label)]],
                        len(run.starts),
                    )
            if len(parts) == len(wanted):
                break
        if not parts:
            return None
        missing = [label for label in state.optimizers if label not in parts]
        if missing:
            built = build_optimizers(state, catalog)
            computed = compute_run(state, catalog, trace, optimizers={m: built[m] for m in missing})
            self.computed += 1
            k = len(computed.starts)
            for i, label in enumerate(missing):
                parts[label] = _part(
                    computed, slice(i * k, (i + 1) * k), [label], [built[label]], k
                )
        self.reused += len(state.optimizers) - len(missing)
        return join_runs([parts[label] for label in state.optimizers])

    def budget(self, state: ExplorerState, catalog: Catalog) -> int:
        """How many more states may share a `descend` with ``state`` for at most
        `EXTRA_COST` more time, at most `MAX_RUNS` runs in all.

        What a run costs depends on the surface: on Rosenbrock 40 runs cost about what 4
        do (per-call overhead), on a model each run is a pass over its data (logistic
        regression: 44 runs about 4 times 4). Measured once per surface and number of
        optimizers, with two short `descend` calls of ``PROBE_STEPS`` steps: the
        state's optimizers, and 8 copies of them; cost = ``a + b * runs``.
        """
        s = current_surface(state, catalog)
        opts = list(build_optimizers(state, catalog).values())
        per_state = max(len(opts), 1)
        key = (id(s), per_state)
        if key not in self._budgets:
            steps = min(state.steps, PROBE_STEPS)
            times = []
            for copies in (1, 8):
                batch = {f"{j}/{i}": o for j in range(copies) for i, o in enumerate(opts)}
                t0 = time.perf_counter()
                descend(s, batch, start=state.start, steps=steps)
                times.append(time.perf_counter() - t0)
            per_run = max(times[1] - times[0], 1e-9) / (7 * per_state)
            fixed = max(times[0] - per_run * per_state, 0.0)
            extra = EXTRA_COST * (fixed + per_run * per_state) / (per_run * per_state)
            self._budgets[key] = max(0, min(int(extra), MAX_RUNS // per_state - 1))
        return self._budgets[key]

    def clear(self) -> None:
        self._runs.clear()
        self._settings.clear()
