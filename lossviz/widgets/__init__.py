"""Widgets: the only stateful objects. They own controls, call the engine and the views.

The Explorer is built from parts a newcomer finds by file name:

* ``state.py``: the one immutable state and the pure functions that change it
  (no ipywidgets, no matplotlib);
* ``control_table.py``: every control declared once (data);
* ``control_panel.py``: the ipywidgets made from that table;
* ``panels/``: one module per panel of the figure (map and paths, loss,
  schedule, model fit);
* ``frames.py``: the frame loop (coalesce, recompute, blit, redraw);
* ``run_cache.py``: the runs a drag reaches next, computed with the current one;
* ``main_thread.py``: every callback from the browser handled on the kernel's main
  thread (a subshell's thread may deliver it);
* ``layout.py``, ``readout.py``, ``canvas.py``: where panels sit, the table under
  the figure, the ipympl canvas;
* ``explorer.py``: the Explorer, which wires them together;
* ``network_state.py``, ``panels/network.py``, ``network_explorer.py``: the network
  explorer (train a small network, see its loss in slices), built the same way.
"""

from typing import Any


def __getattr__(name: str) -> Any:
    # Import the Explorer (ipywidgets, ipympl) only when it is asked for, so that the
    # pure state module can be imported without them.
    if name == "Explorer":
        from lossviz.widgets.explorer import Explorer

        return Explorer
    if name == "NetworkExplorer":
        from lossviz.widgets.network_explorer import NetworkExplorer

        return NetworkExplorer
    raise AttributeError(f"module 'lossviz.widgets' has no attribute {name!r}")


__all__ = ["Explorer", "NetworkExplorer"]
