"""Nothing cut off, nothing drawn over another panel: the widgets' figures as a student sees them.

Every surface at the longest run (2,000 steps, so the loss axis ends on a four-digit
label), with each panel that can join the map (schedule, stability map, model fit),
and the NetworkExplorer on every data set and plane.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest
from figure_check import layout_problems
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

import lossviz
from lossviz import Explorer, NetworkExplorer

# Each arrangement of the panels beside the map (layers on the map do not move them).
CHANGES = ({}, {"schedule": "cosine"}, {"stability_map": True})


def test_the_check_finds_a_label_cut_off_and_a_label_over_a_panel():
    figure = Figure(figsize=(6, 3))
    FigureCanvasAgg(figure)
    left, right = figure.subplots(1, 2, gridspec_kw={"left": 0.1, "right": 0.999, "wspace": 0.0})
    left.plot([0, 2000], [0, 1])
    left.set_xlim(0, 2000)
    right.plot([0, 2000], [0, 1])
    right.set_xlim(0, 2000)
    right.set_ylabel("a long label on the right panel")
    problems = layout_problems(figure)
    assert any("cut off" in p for p in problems)  # the last tick, 2000, past the right edge
    assert any("overlaps" in p and "y axis" in p for p in problems)  # its label over the left
    tidy = Figure(figsize=(6, 3))
    FigureCanvasAgg(tidy)
    tidy.subplots(1, 2, gridspec_kw={"wspace": 0.4})
    assert layout_problems(tidy) == []


@pytest.mark.parametrize("name", lossviz.surface_names())
def test_explorer_figure_is_tidy_on_every_surface(name):
    for change in CHANGES:
        ex = Explorer(name, steps=2000)
        try:
            ex.set(**change)
            assert ex.error is None
            assert layout_problems(ex.panels["map"].ax.figure) == [], (name, change)
        finally:
            ex.close()


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"data": "spirals", "width": 2},
        {"data": "noisy_curve", "plane": "raw"},
        {"optimizer": "momentum", "lr": 0.1, "batch_size": 4, "plane": "filter"},
    ],
    ids=["defaults", "spirals-narrow", "regression-raw", "small-batch-filter"],
)
def test_network_explorer_figure_is_tidy(settings):
    nx = NetworkExplorer(**{"steps": 300, "resolution": 21, **settings})
    try:
        assert layout_problems(nx.panels["curves"].ax.figure) == []
    finally:
        nx.close()
    plt.close("all")
