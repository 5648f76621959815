"""Views: drawing functions on an explicit matplotlib ``Axes``.

Each ``draw_*`` function makes its artists once and returns them; the matching
``update_*`` function changes their data in place, so a live widget never
rebuilds a figure. `draw_run` is the still picture of a whole run in one call,
for lessons and papers; `draw_step` shows one step inside it (markers, arrows,
curvature); `draw_stability_map` and `draw_basins` draw the maps of outcomes.
"""

from lossviz.views.basins import (
    BasinArtists,
    basin_colors,
    draw_basin_layer,
    draw_basins,
    update_basin_layer,
)
from lossviz.views.cloud import CloudArtists, CloudLossArtists, draw_cloud, draw_cloud_loss
from lossviz.views.colors import DIVERGED_COLOR, OKABE_ITO, optimizer_color, optimizer_colors
from lossviz.views.contour import SurfaceArtists, contour_levels, draw_surface, surface_grid
from lossviz.views.critical_points import (
    CriticalPointArtists,
    critical_point_kind,
    draw_critical_points,
)
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
from lossviz.views.run_loss import draw_run_loss
from lossviz.views.schedule_preview import (
    ScheduleArtists,
    draw_schedule_preview,
    draw_schedules,
    schedule_title,
    update_schedule_preview,
)
from lossviz.views.shared_levels import draw_runs_same_levels, shared_levels
from lossviz.views.slices import (
    SliceArtists,
    draw_interpolation,
    draw_slice,
    draw_slice_values,
    update_interpolation,
    update_slice_path,
)
from lossviz.views.stability_map import (
    StabilityMapArtists,
    draw_stability_map,
    update_current_pair,
    update_stability_map,
)
from lossviz.views.step import StepArtists, draw_step, step_note, update_step
from lossviz.views.step_sizes import StepSizeArtists, draw_step_sizes
from lossviz.views.surface3d import Surface3DArtists, draw_surface_3d, update_paths_3d
from lossviz.views.sweep import SweepArtists, draw_sweep

__all__ = [
    "DIVERGED_COLOR",
    "OKABE_ITO",
    "BasinArtists",
    "CloudArtists",
    "CloudLossArtists",
    "CriticalPointArtists",
    "LossArtists",
    "ModelFitArtists",
    "PathArtists",
    "RunArtists",
    "ScheduleArtists",
    "SliceArtists",
    "StabilityMapArtists",
    "StepArtists",
    "StepSizeArtists",
    "Surface3DArtists",
    "SurfaceArtists",
    "SweepArtists",
    "basin_colors",
    "contour_levels",
    "critical_point_kind",
    "draw_basin_layer",
    "draw_basins",
    "draw_cloud",
    "draw_cloud_loss",
    "draw_critical_points",
    "draw_interpolation",
    "draw_loss_curves",
    "draw_model_fit",
    "draw_paths",
    "draw_run",
    "draw_run_loss",
    "draw_runs_same_levels",
    "draw_schedule_preview",
    "draw_schedules",
    "draw_slice",
    "draw_slice_values",
    "draw_stability_map",
    "draw_starts",
    "draw_step",
    "draw_step_sizes",
    "draw_surface",
    "draw_surface_3d",
    "draw_sweep",
    "fit_limits",
    "loss_reference",
    "optimizer_color",
    "optimizer_colors",
    "shared_levels",
    "step_note",
    "surface_grid",
    "update_basin_layer",
    "update_current_pair",
    "update_interpolation",
    "update_loss_curves",
    "update_model_fit",
    "update_paths",
    "update_paths_3d",
    "schedule_title",
    "update_schedule_preview",
    "update_slice_path",
    "update_stability_map",
    "update_step",
]
