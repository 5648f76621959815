"""The 3-D view: the surface as a landscape with the paths walking on it, in place of the
contour map while the "3-D view" box is ticked. It is drawn whole at each frame (a 3-D
axes cannot be blitted cheaply), which a toggle for looking, not for dragging, allows."""

from __future__ import annotations

from lossviz.views.surface3d import (
    Surface3DArtists,
    draw_surface_3d,
    height_note,
    update_paths_3d,
)
from lossviz.widgets.panels.base import Frame, Panel
from lossviz.widgets.panels.step import inspecting


class LandscapePanel(Panel):
    """The surface in 3-D, each path lifted onto it, and the step's markers."""

    name = "map3d"
    depends_on = frozenset({"surface", "surface_params", "optimizers", "view3d"})
    redraw_alone = False  # a 3-D axes: the whole figure is drawn

    def __init__(self) -> None:
        super().__init__()
        self.landscape: Surface3DArtists | None = None

    def wanted(self, frame: Frame) -> bool:
        return frame.state.view3d and "view3d" in frame.shown

    def build(self, frame: Frame) -> None:
        self.ax.cla()
        self.landscape = draw_surface_3d(self.ax, frame.surface, frame.colors)
        name = frame.surface.name.replace("_", " ")
        self.ax.set_title(f"{name} ({height_note(self.landscape)})", fontsize=11)

    def update(self, frame: Frame) -> bool:
        step = frame.state.step if inspecting(frame) else None
        update_paths_3d(self.landscape, frame.run, step)
        return True  # drawn whole: the 3-D projection sorts what is in front

    def remove(self) -> None:
        super().remove()
        self.landscape = None
