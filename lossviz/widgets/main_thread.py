"""Every widget callback on the kernel's main thread.

A kernel with subshells (ipykernel 7 under JupyterLab 4.4 and newer, or Notebook 7)
can deliver widget messages on a subshell's own thread while the main thread runs
a cell; in JupyterLab the slider messages of a lesson arrive that way. matplotlib is
not thread-safe: a figure, its renderer and the font cache shared by every figure
must not be drawn from two threads at once. A frame drawn on a subshell thread
while a cell draws a figure, or while a frame asked for from a cell draws, can
corrupt memory (a lesson's kernel died in a CI run with ``malloc(): unaligned tcache
chunk detected`` during a slider drag), and two threads changing one widget's
state can lose a change.

So every callback that comes from the frontend (a control's change, a button, a
message to the canvas: clicks, resizes, redraw requests) runs on the main thread:
called on another thread, it is queued on the main thread's event loop
(``call_soon_threadsafe``), in the order the calls came. While a cell runs, the
widgets' changes wait for it, as they do in a kernel without subshells. Outside a
kernel (scripts, tests) there is no main loop to hand over to, and every call
runs where it is made.
"""

from __future__ import annotations

import asyncio
import functools
import sys
import threading
from collections.abc import Callable
from typing import Any

_main_loop: asyncio.AbstractEventLoop | None = None


def in_kernel() -> bool:
    """Whether this runs inside a Jupyter kernel (whose event loop delivers widget messages)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return getattr(shell, "kernel", None) is not None


def running_loop() -> asyncio.AbstractEventLoop | None:
    """This thread's running event loop, or None."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def owner() -> threading.Thread:
    """The thread that draws: the interpreter's main thread, where a kernel runs cells."""
    return threading.main_thread()


def on_main() -> bool:
    """Whether the current thread is the one that draws (`owner`)."""
    return threading.current_thread() is owner()


def remember_main_loop() -> asyncio.AbstractEventLoop | None:
    """Note the main thread's running event loop, if this is the main thread and one runs
    (a kernel's, while a cell or a message is handled); return the main loop known."""
    global _main_loop
    if on_main():
        loop = running_loop()
        if loop is not None:
            _main_loop = loop
    return main_loop()


def main_loop() -> asyncio.AbstractEventLoop | None:
    """The main thread's event loop, if this is a kernel, one has been seen, and it still
    runs. (Elsewhere a loop on the main thread may be anyone's, say a browser driver's in
    a test session, that would never run what is handed to it.)"""
    loop = _main_loop
    if loop is None or loop.is_closed() or not loop.is_running() or not in_kernel():
        return None
    return loop


def on_main_thread(fn: Callable[..., Any]) -> Callable[..., None]:
    """``fn`` made to run on the main thread: at once when called there (or when no main
    loop is known), else queued on the main loop. The wrapper returns None."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        loop = None if on_main() else main_loop()
        if loop is None:
            remember_main_loop()
            fn(*args, **kwargs)
        else:
            loop.call_soon_threadsafe(functools.partial(fn, *args, **kwargs))

    return wrapper


__all__ = [
    "in_kernel",
    "main_loop",
    "on_main",
    "on_main_thread",
    "owner",
    "remember_main_loop",
    "running_loop",
]
