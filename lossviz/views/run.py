"""A whole run in one call: the contour map, every path, its start and end, and a legend."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.legend import Legend

from lossviz.engine import Run
from lossviz.views.colors import optimizer_colors
from lossviz.views.contour import SurfaceArtists, draw_surface
from lossviz.views.paths import PathArtists, draw_paths, show_end

START_LINESTYLES = ("-", "--", ":", "-.")
"""Line style of the paths from each start, in ``run.starts`` order; colour is the optimizer."""


@dataclass
class RunArtists:
    """What `draw_run` made, to restyle: the map, the paths and the legend.

    ``paths.lines[j]`` and ``paths.ends[j]`` belong to run ``runs[j]``.
    """

    surface: SurfaceArtists
    paths: PathArtists
    legend: Legend | None
    runs: list[int]

    def remove(self) -> None:
        self.surface.remove()
        self.paths.remove()
        if self.legend is not None:
            self.legend.remove()


def run_labels(run: Run, runs: Sequence[int]) -> list[str]:
    """The legend label of each of ``runs``: its optimizer's label, followed by
    ``from (x, y)`` when the run has several starts."""
    k = len(run.starts)
    if k == 1:
        return [run.names[i] for i in runs]
    return [
        f"{run.names[i]} from ({run.starts[i % k, 0]:g}, {run.starts[i % k, 1]:g})" for i in runs
    ]


def run_colors(run: Run, runs: Sequence[int]) -> list[str]:
    """One colour per run of ``runs``: its optimizer's colour (`optimizer_colors`), so
    the runs of one optimizer from several starts share it, and two optimizers of one
    kind drawn together (gd at two rates) get different ones."""
    k = len(run.starts)
    shown = sorted({i // k for i in runs})
    colors = optimizer_colors([run.optimizers[j].name for j in shown])
    by_optimizer = dict(zip(shown, colors, strict=True))
    return [by_optimizer[i // k] for i in runs]


def draw_run(
    ax: Axes,
    run: Run,
    *,
    runs: Sequence[int] | None = None,
    step_markers: bool = False,
    legend: bool = True,
) -> RunArtists:
    """Draw ``run`` over its surface on ``ax``: a finished picture in one call.

    The contour map of ``run.surface`` with its known minima as stars
    (`draw_surface`); each run's path in its optimizer's colour, solid from the
    first start, dashed, dotted and dash-dotted from the next ones; a dot at each
    path's end, or a cross at its last finite point where it diverged; the starts
    as white circles; and a legend outside the axes, on the right, where it can
    hide no star and no path. ``fig.tight_layout()`` makes room for it beside
    other axes; Jupyter shows it whole (it saves figures with
    ``bbox_inches="tight"``), and so does ``fig.savefig(..., bbox_inches="tight")``.

    Parameters
    ----------
    ax
        The axes to draw on.
    run
        A result of `lossviz.descend`; its surface is drawn too.
    runs
        Indices of the runs to draw (``run.runs_of(label)`` gives an optimizer's),
        in drawing order: later ones on top. Default all, in order. The legend
        lists them in run order.
    step_markers
        Mark every step with a small dot, to show how long the steps are.
    legend
        Add the legend. Without it, ``ax.legend()`` still finds every label.

    Returns
    -------
    RunArtists
        The map, the paths (``paths.lines``, ``paths.ends``, ``paths.start``) and
        the legend, to restyle. This is a still picture: a live one keeps
        `draw_paths` and updates it with `update_paths`, as the Explorer does.

    Examples
    --------
    >>> import lossviz
    >>> from matplotlib.figure import Figure
    >>> run = lossviz.descend("himmelblau", ["gd", "adam"], steps=100)
    >>> ax = Figure(figsize=(7, 4)).add_subplot()  # or: fig, ax = plt.subplots()
    >>> artists = draw_run(ax, run)
    >>> len(artists.paths.lines), [t.get_text() for t in artists.legend.get_texts()][:2]
    (2, ['gd', 'adam'])
    """
    order = list(range(len(run))) if runs is None else [int(i) for i in runs]
    if not order or not all(0 <= i < len(run) for i in order):
        raise ValueError(f"runs must be indices of this run's {len(run)} runs; got {runs!r}")
    k = len(run.starts)
    labels = run_labels(run, order)
    colors = run_colors(run, order)
    surface = draw_surface(ax, run.surface)
    paths = draw_paths(ax, labels, colors)
    final = run.final
    for line, end, i, color in zip(paths.lines, paths.ends, order, colors, strict=True):
        line.set_data(run.path[i, :, 0], run.path[i, :, 1])
        line.set_linestyle(START_LINESTYLES[i % k % len(START_LINESTYLES)])
        if step_markers:
            # A thinner line, so that the dots stand out on it.
            line.set(marker="o", markersize=3, linewidth=1.2)
        show_end(end, final[i], bool(run.diverged[i]), color)
    starts = run.starts[sorted({i % k for i in order})]
    paths.start.set_data(starts[:, 0], starts[:, 1])

    artists = RunArtists(surface, paths, None, order)
    if legend:
        # Listed in run order, whatever order they were drawn in.
        by_run = sorted(range(len(order)), key=order.__getitem__)
        handles = [paths.lines[j] for j in by_run] + [paths.start]
        names = [labels[j] for j in by_run] + ["start"]
        diverged = [end for end, i in zip(paths.ends, order, strict=True) if run.diverged[i]]
        if diverged:
            handles.append(diverged[0])
            names.append("diverged (last finite point)")
        if len(run.surface.minima):
            handles.append(surface.minima)
            names.append("known minimum")
        artists.legend = ax.legend(
            handles,
            names,
            loc="upper left",
            bbox_to_anchor=(1.02, 1.0),
            borderaxespad=0.0,
            fontsize=9,
        )
    return artists
