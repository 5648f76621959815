"""Views: drawing functions on an explicit matplotlib ``Axes``.

Each ``draw_*`` function makes its artists once and returns them; the matching
``update_*`` function changes their data in place, so a live widget never
rebuilds a figure. `draw_run` is the still picture of a whole run in one call,
for lessons and papers.
"""

from lossviz.views.colors import DIVERGED_COLOR, OKABE_ITO, optimizer_color, optimizer_colors
from lossviz.views.contour import SurfaceArtists, contour_levels, draw_surface, surface_grid
from lossviz.views.loss_curves import (
    LossArtists,
    draw_loss_curves,
    fit_limits,
    loss_reference,
    update_loss_curves,
)
from lossviz.views.model_fit import ModelFitArtists, draw_model_fit, update_model_fit
from lossviz.views.paths import PathArtists, draw_paths, draw_starts, update_paths
from lossviz.views.run import RunArtists, draw_run
from lossviz.views.schedule_preview import (
    ScheduleArtists,
    draw_schedule_preview,
    update_schedule_preview,
)

__all__ = [
    "DIVERGED_COLOR",
    "OKABE_ITO",
    "LossArtists",
    "ModelFitArtists",
    "PathArtists",
    "RunArtists",
    "ScheduleArtists",
    "SurfaceArtists",
    "contour_levels",
    "draw_loss_curves",
    "draw_model_fit",
    "draw_paths",
    "draw_run",
    "draw_schedule_preview",
    "draw_starts",
    "draw_surface",
    "fit_limits",
    "loss_reference",
    "optimizer_color",
    "optimizer_colors",
    "surface_grid",
    "update_loss_curves",
    "update_model_fit",
    "update_paths",
    "update_schedule_preview",
]
