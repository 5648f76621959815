"""`TiledLegend`: matplotlib's legend, drawn from kept pictures of its entries."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D

from lossviz.views import optimizer_color, tiled_legend
from lossviz.views.tiled_legend import figure_legend

LABELS = ["gd", "momentum", "nesterov", "adam", "newton", "start", "known minimum"]
# The Explorer's legend options (lossviz.widgets.panels.map)
OPTIONS = dict(
    loc="upper left",
    ncol=4,
    frameon=False,
    fontsize=9.5,
    bbox_to_anchor=(0.005, 1.0),
    handlelength=1.6,
    columnspacing=1.2,
    borderaxespad=0.2,
)


def handles() -> list[Line2D]:
    lines = [
        Line2D([], [], color=optimizer_color(label), lw=2, marker="o", markersize=3)
        for label in LABELS[:5]
    ]
    start = Line2D([], [], linestyle="none", marker="o", markersize=7, markerfacecolor="white")
    star = Line2D([], [], linestyle="none", marker="*", markersize=13, markerfacecolor="white")
    return [*lines, start, star]


def draw(tiled: bool, dpi: float = 100, **options):
    figure = Figure(figsize=(8.2, 1.0), dpi=dpi)
    FigureCanvasAgg(figure)
    options = {**OPTIONS, **options}
    if tiled:
        legend = figure_legend(figure, handles(), LABELS, **options)
    else:
        legend = figure.legend(handles=handles(), labels=LABELS, **options)
    figure.canvas.draw()
    grey = np.asarray(figure.canvas.buffer_rgba())[..., :3].mean(axis=2) / 255
    return legend, grey, figure


def block_means(grey: np.ndarray, k: int = 8) -> np.ndarray:
    h, w = (grey.shape[0] // k) * k, (grey.shape[1] // k) * k
    return grey[:h, :w].reshape(h // k, k, w // k, k).mean(axis=(1, 3))


@pytest.mark.parametrize("dpi", [100, 150, 300])
@pytest.mark.parametrize("ncol", [4, 3, 7])
def test_it_looks_like_matplotlibs_legend_in_the_same_place(dpi, ncol):
    """Same box, same ink, the same picture at 8-pixel blocks: only the labels' glyphs sit
    up to half a pixel apart (the entries are pasted at whole pixels)."""
    mpl, mpl_grey, mpl_figure = draw(False, dpi, ncol=ncol)
    tiled, tiled_grey, tiled_figure = draw(True, dpi, ncol=ncol)
    assert tiled.pasteable()
    box = tiled.get_window_extent(tiled_figure.canvas.get_renderer())
    np.testing.assert_allclose(
        box.bounds, mpl.get_window_extent(mpl_figure.canvas.get_renderer()).bounds, atol=0.01
    )
    ink, tiled_ink = (1 - mpl_grey).sum(), (1 - tiled_grey).sum()
    assert ink > 500
    assert abs(tiled_ink - ink) < 0.01 * ink
    assert np.abs(block_means(mpl_grey) - block_means(tiled_grey)).max() < 0.2


def test_its_texts_and_handles_are_a_legends():
    legend, _, figure = draw(True)
    assert isinstance(legend, Legend) and legend in figure.legends
    assert [t.get_text() for t in legend.get_texts()] == LABELS
    legend.remove()
    assert legend not in figure.legends


def test_an_entry_is_rendered_once_then_pasted(monkeypatch):
    draw(True)  # every entry's picture made (or already kept)
    rendered = []
    real_draw = Legend.draw
    monkeypatch.setattr(Legend, "draw", lambda self, r: (rendered.append(self), real_draw(self, r)))
    _, grey, _ = draw(True)
    assert rendered == []  # no entry drawn by matplotlib again
    assert (1 - grey).sum() > 500  # yet the legend is there
    legend, _, figure = draw(True, ncol=2)  # a new layout of the same entries: still none
    assert rendered == []
    legend.texts[1].set_text("momentum (beta 0.9)")  # a new label: that entry alone
    figure.canvas.draw()
    assert len(rendered) == 1


def test_a_picture_is_kept_per_style_label_and_resolution():
    draw(True, dpi=123)
    keys = list(tiled_legend._pictures)[-7:]  # the most recently used
    assert {key[1] for key in keys} == set(LABELS)
    assert {key[2] for key in keys} == {123}


def test_what_it_cannot_paste_matplotlib_draws(monkeypatch):
    drawn = []
    real_draw = Legend.draw
    monkeypatch.setattr(Legend, "draw", lambda self, r: (drawn.append(self), real_draw(self, r)))
    for options in ({"frameon": True}, {"title": "runs"}, {"markerfirst": False}):
        legend, grey, _ = draw(True, **options)
        assert not legend.pasteable()
        assert legend in drawn
        assert (1 - grey).sum() > 500


def test_a_vector_file_keeps_the_legend_in_vectors(monkeypatch, tmp_path):
    legend, _, figure = draw(True)
    drawn = []
    real_draw = Legend.draw
    monkeypatch.setattr(Legend, "draw", lambda self, r: (drawn.append(self), real_draw(self, r)))
    FigureCanvasSVG(figure)
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        figure.savefig(tmp_path / "legend.svg")
    svg = (tmp_path / "legend.svg").read_text()
    assert drawn == [legend]
    assert "known minimum" in svg and "<image" not in svg
