"""lossviz: see how optimizers move over loss surfaces, live, in Jupyter.

The compute core (surfaces, models, optimizers, schedules, the engine) needs
only numpy and autograd; ``import lossviz`` imports neither ipywidgets nor
ipympl and leaves matplotlib's backend alone. The widgets are imported on first
use: ``from lossviz import Explorer``.
"""

from __future__ import annotations

from typing import Any

from lossviz import models, networks, optimizers, schedules
from lossviz.basins import Basins, basins
from lossviz.engine import Run, descend
from lossviz.optimizers import Optimizer, optimizer, optimizer_names
from lossviz.schedules import schedule, schedule_names
from lossviz.stability_map import StabilityMap, stability_border, stability_map
from lossviz.surfaces import Surface, surface, surface_names

__version__ = "0.1.0"

_LAZY = {
    "Explorer": "lossviz.widgets.explorer",
    "NetworkExplorer": "lossviz.widgets.network_explorer",
}


def __getattr__(name: str) -> Any:
    # Widgets pull in ipywidgets and ipympl: import them only when asked for.
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'lossviz' has no attribute {name!r}")


__all__ = [
    "Basins",
    "Explorer",
    "NetworkExplorer",
    "Optimizer",
    "Run",
    "StabilityMap",
    "Surface",
    "basins",
    "descend",
    "models",
    "networks",
    "optimizer",
    "optimizer_names",
    "optimizers",
    "schedule",
    "schedule_names",
    "schedules",
    "stability_border",
    "stability_map",
    "surface",
    "surface_names",
]
