"""Widgets: the only stateful objects. They own controls, call the engine and the views."""

from lossviz.widgets.explorer import Explorer

__all__ = ["Explorer"]
