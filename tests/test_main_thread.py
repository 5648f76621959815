"""Widget callbacks run on the main thread, whichever thread delivers them.

A kernel with subshells delivers the browser's widget messages on a subshell's
thread; matplotlib must not draw from two threads at once (`lossviz.widgets.main_thread`).
Here a worker thread plays the subshell, and the thread running the test's event loop
plays the kernel's main thread.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from lossviz import Explorer
from lossviz.widgets import main_thread


def in_a_kernel_like_loop(monkeypatch, scenario):
    """Run ``scenario(me)`` in a fresh event loop on a new thread that stands in for the
    kernel's main thread (``me``); another may already run a loop on this one."""

    async def run():
        me = threading.current_thread()
        monkeypatch.setattr(main_thread, "owner", lambda: me)
        monkeypatch.setattr(main_thread, "in_kernel", lambda: True)
        return await scenario(me)

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result()


def from_another_thread(fn) -> threading.Thread:
    """Call ``fn`` on a new thread (the subshell) and wait for it."""
    errors = []

    def call():
        try:
            fn()
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            errors.append(exc)

    thread = threading.Thread(target=call)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return thread


def test_a_call_from_another_thread_runs_on_the_main_loop_in_order(monkeypatch):
    async def scenario(me):
        main_thread.remember_main_loop()
        seen = []
        record = main_thread.on_main_thread(lambda k: seen.append((k, threading.current_thread())))
        record(0)  # on the main thread: at once
        assert seen == [(0, me)]
        from_another_thread(lambda: [record(k) for k in (1, 2, 3)])
        assert len(seen) == 1  # queued, not run on the other thread
        await asyncio.sleep(0.05)
        return seen

    seen = in_a_kernel_like_loop(monkeypatch, scenario)
    assert [k for k, _ in seen] == [0, 1, 2, 3]
    assert len({thread for _, thread in seen}) == 1


def test_without_a_main_loop_a_call_runs_where_it_is_made(monkeypatch):
    monkeypatch.setattr(main_thread, "_main_loop", None)
    seen = []
    record = main_thread.on_main_thread(lambda: seen.append(threading.current_thread()))
    other = from_another_thread(record)
    assert seen == [other]


def test_slider_moves_and_clicks_from_a_subshell_thread_are_drawn_on_the_main_thread(monkeypatch):
    async def scenario(me):
        ex = Explorer("quadratic", optimizers=("gd",), steps=60)
        ex.coalesce = True  # as inside a kernel
        frames = []
        make_frame = ex.loop.make_frame

        def recording(*args):
            frames.append(threading.current_thread())
            return make_frame(*args)

        ex.loop.make_frame = recording
        try:
            # A slider's move, as a subshell thread delivers it.
            before = ex.state
            from_another_thread(lambda: setattr(ex.controls["lr"], "value", 0.15))
            assert ex.state is before  # handed to the main loop, not applied on that thread
            await asyncio.sleep(0.05)
            assert ex.run.optimizers[0].hyper["lr"] == pytest.approx(0.15)

            # A click on the map, as ipympl's message to the canvas.
            x, y = 0.5, -0.25
            px, py = ex.panels["map"].ax.transData.transform((x, y))
            height = ex.canvas.get_renderer().height
            message = {"type": "button_press", "x": px, "y": height - py, "button": 0}
            message |= {"buttons": 1, "modifiers": [], "guiEvent": None}
            before = ex.state
            from_another_thread(lambda: ex.canvas._handle_message(ex.canvas, message, []))
            assert ex.state is before
            await asyncio.sleep(0.05)
            np.testing.assert_allclose(ex.run.starts[0], (x, y), atol=0.02)
            return frames
        finally:
            ex.close()

    frames = in_a_kernel_like_loop(monkeypatch, scenario)
    assert len(frames) >= 2
    assert len(set(frames)) == 1  # every frame on the loop's thread, none on the other


def test_outside_a_kernel_a_loop_on_the_main_thread_is_not_handed_calls(monkeypatch):
    """A test session or a script may run someone else's loop on the main thread (a
    browser driver's); outside a kernel nothing is queued on it, where it would never run."""

    async def scenario(me):
        monkeypatch.setattr(main_thread, "in_kernel", lambda: False)
        assert main_thread.remember_main_loop() is None
        seen = []
        record = main_thread.on_main_thread(lambda: seen.append(threading.current_thread()))
        other = from_another_thread(record)
        return seen, other

    seen, other = in_a_kernel_like_loop(monkeypatch, scenario)
    assert seen == [other]
