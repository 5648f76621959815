"""lossviz: see how optimizers move over loss surfaces, live, in Jupyter.

The compute core (surfaces, models, optimizers, schedules, the engine) needs
only numpy and autograd; ``import lossviz`` imports neither ipywidgets nor
ipympl and leaves matplotlib's backend alone. The widgets are imported on first
use: ``from lossviz import Explorer``.
"""

from __future__ import annotations

from typing import Any

from lossviz import models, optimizers, schedules
from lossviz.engine import Run, descend
from lossviz.optimizers import Optimizer, optimizer, optimizer_names
from lossviz.schedules import schedule, schedule_names
from lossviz.surfaces import Surface, surface, surface_names

__version__ = "0.1.0"

_LAZY = {"Explorer": "lossviz.widgets.explorer"}


def __getattr__(name: str) -> Any:
    # Widgets pull in ipywidgets and ipympl: import them only when asked for.
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'lossviz' has no attribute {name!r}")


__all__ = [
    "Explorer",
    "Optimizer",
    "Run",
    "Surface",
    "descend",
    "models",
    "optimizer",
    "optimizer_names",
    "optimizers",
    "schedule",
    "schedule_names",
    "schedules",
    "surface",
    "surface_names",
]
