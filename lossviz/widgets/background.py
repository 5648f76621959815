"""Costly maps (basins, stability maps) computed off the kernel's event loop.

A basin map of a model surface can take seconds. Computed inline, it would hold
every slider message until it finished. In a kernel, a `Background` runs the
computation in one worker thread, in stages from coarse to fine, and hands each
stage's result back to the event loop (``call_soon_threadsafe``), where the
widget draws it. numpy releases the interpreter lock inside its array loops, so
the kernel keeps answering a drag while the worker runs. A newer request makes
an older one's remaining stages stale: they are skipped, and a stale result is
never drawn.

A request starts only once no newer one has come for `QUIET` seconds. A drag sends
a new setting every few tens of milliseconds, each making the last map stale: started
at once, each would compete with the drag's frames for the interpreter lock, and a
coarse stage finished between two positions would be drawn, holding the next frame up
(``benchmarks/bench_responsive.py`` measured a drag's 95th-percentile response at 283
ms on himmelblau with the basin layer on, against 28 ms with none). So the map waits
for the hand to pause.

Outside a kernel (scripts, tests) every stage runs at once, in order, so the result
is there when the call returns.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from lossviz.widgets.frames import in_kernel
from lossviz.widgets.main_thread import remember_main_loop, running_loop

PROGRESS_AFTER = 0.5
"""Seconds after which a computation still running says how far it got."""

QUIET = 0.15
"""Seconds a request waits, in a kernel, for a newer one before it starts (a drag's
positions come every few tens of milliseconds; a hand that pauses, or a click, starts
the map this much later)."""


class Background:
    """One worker for a widget's costly maps; each job name keeps only its newest request."""

    def __init__(self) -> None:
        self._executor: ThreadPoolExecutor | None = None
        self._generation: dict[str, int] = {}
        self._lock = threading.Lock()
        self.threaded: bool | None = None
        """Run in the worker thread: ``None`` (the default) does inside a Jupyter kernel only."""

    def submit(
        self,
        name: str,
        stages: Sequence[Callable[[], Any]],
        on_result: Callable[[Any, int, int], None],
        on_progress: Callable[[str], None],
        label: str,
    ) -> None:
        """Compute ``stages`` in order; after each, ``on_result(result, i, n)`` on the
        event loop. ``on_progress`` gets a line such as ``"basins: 2 of 3 (1.2 s)"`` while
        it runs past `PROGRESS_AFTER`, and ``""`` when it ends; ``label`` names the map."""
        with self._lock:
            generation = self._generation.get(name, 0) + 1
            self._generation[name] = generation
        threaded = in_kernel() if self.threaded is None else self.threaded
        # Results go to the main thread's loop, where frames are drawn.
        loop = (remember_main_loop() or running_loop()) if threaded else None
        if loop is None:
            for i, stage in enumerate(stages):
                on_result(stage(), i, len(stages))
            return
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lossviz")

        def current() -> bool:
            return self._generation.get(name) == generation

        def post(fn: Callable[[], None]) -> None:
            loop.call_soon_threadsafe(lambda: fn() if current() else None)

        done = threading.Event()

        def still_running() -> None:
            if current() and not done.is_set():
                on_progress(f"computing {label}…")

        def start() -> None:  # after QUIET seconds, unless a newer request came meanwhile
            if current() and self._executor is not None:
                loop.call_later(PROGRESS_AFTER, still_running)
                self._executor.submit(work)

        def work() -> None:
            t0 = time.perf_counter()
            for i, stage in enumerate(stages):
                if not current():
                    return
                try:
                    result = stage()
                except Exception as exc:  # noqa: BLE001 - said in the widget
                    done.set()
                    post(lambda exc=exc: on_progress(f"{label}: {type(exc).__name__}: {exc}"))
                    return
                post(lambda result=result, i=i: on_result(result, i, len(stages)))
                elapsed = time.perf_counter() - t0
                if i + 1 < len(stages) and elapsed > PROGRESS_AFTER:
                    line = f"computing {label}: {i + 1} of {len(stages)} passes ({elapsed:.1f} s)"
                    post(lambda line=line: on_progress(line))
            done.set()
            post(lambda: on_progress(""))

        loop.call_later(QUIET, start)

    def cancel(self, name: str) -> None:
        """Forget the request under ``name``: its remaining stages are skipped."""
        with self._lock:
            self._generation[name] = self._generation.get(name, 0) + 1

    def close(self) -> None:
        with self._lock:
            for name in self._generation:
                self._generation[name] += 1
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
