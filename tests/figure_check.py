"""Is anything on a figure cut off by its edge, or drawn over another panel? For tests.

A picture that cuts off a tick label or lays one panel's label over another's
axes confuses a student. `layout_problems` draws the figure and compares, for
every visible 2-D axes, its tight box (ticks, labels and title included) with
the figure's edge, and its parts (the axes area, the title, the x and y axes with
their tick labels and labels) with every other axes' parts.
"""

from __future__ import annotations

import itertools

from matplotlib.figure import Figure
from matplotlib.transforms import Bbox

TOLERANCE = 0.5  # pixels: rounding of text extents


def _parts(ax, renderer) -> dict[str, Bbox]:
    parts = {"axes area": ax.get_window_extent(renderer)}
    if ax.title.get_visible() and ax.title.get_text():
        parts["title"] = ax.title.get_window_extent(renderer)
    for name, axis in (("x axis", ax.xaxis), ("y axis", ax.yaxis)):
        if axis.get_visible():
            box = axis.get_tightbbox(renderer)
            if box is not None and box.width > 0 and box.height > 0:
                parts[name] = box
    return parts


def _name(ax) -> str:
    return ax.get_title() or ax.get_ylabel() or ax.get_label() or repr(ax)


def layout_problems(figure: Figure) -> list[str]:
    """Every part cut off by the figure's edge, and every two panels' parts that overlap."""
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    edge = figure.bbox
    axes = [ax for ax in figure.axes if ax.get_visible() and ax.name != "3d"]
    problems = []
    for ax in axes:
        box = ax.get_tightbbox(renderer)
        if (
            box.x0 < edge.x0 - TOLERANCE
            or box.y0 < edge.y0 - TOLERANCE
            or box.x1 > edge.x1 + TOLERANCE
            or box.y1 > edge.y1 + TOLERANCE
        ):
            extents = [round(v) for v in box.extents]
            size = f"{edge.width:.0f} x {edge.height:.0f}"
            problems.append(f"{_name(ax)!r} cut off: {extents} outside {size}")
    for first, second in itertools.combinations(axes, 2):
        for (part1, box1), (part2, box2) in itertools.product(
            _parts(first, renderer).items(), _parts(second, renderer).items()
        ):
            if box1.overlaps(box2):
                problems.append(f"{_name(first)!r} {part1} overlaps {_name(second)!r} {part2}")
    return problems
