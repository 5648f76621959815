"""A movie of the Explorer's steps (`Explorer.movie`): frames drawn once and sent ahead,
played by the browser alone through links between its play button, slider and frames."""

import io
import warnings
from base64 import b64decode

import ipywidgets
import numpy as np
import pytest
from ipywidgets.widgets.widget_link import Link
from PIL import Image

from lossviz import Explorer
from lossviz.widgets import explorer as explorer_module
from lossviz.widgets.movie import MAX_FRAMES, Movie, frame_steps


@pytest.fixture
def ex():
    explorer = Explorer(
        "rosenbrock",
        optimizers=("gd", "momentum", "adam"),
        steps=40,
        controls=("lr", "step", "arrows"),
        arrows=("gradient", "update"),
    )
    explorer.canvas.syncing_data_url = False
    yield explorer
    explorer.close()


def decode(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


def decode_url(value: bytes) -> np.ndarray:
    head, _, body = bytes(value).partition(b",")
    assert head == b"data:image/png;base64"
    return decode(b64decode(body))


def shown(movie: Movie, index: int) -> np.ndarray:
    """What a browser shows for frame ``index``: its overlay over the first frame."""
    first = decode_url(movie.first.value)
    top = decode_url(movie.stack.children[index].value)
    assert set(np.unique(top[:, :, 3])) <= {0, 255}  # opaque where drawn, clear elsewhere
    return np.where(top[:, :, 3:] == 255, top, first)


def registered_widgets() -> int:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return len(ipywidgets.Widget.widgets)


def test_each_frame_is_the_explorers_picture_at_its_step(ex):
    movie = ex.movie(frames=5)
    assert movie.steps == (0, 10, 20, 30, 40)
    for index, step in enumerate(movie.steps):
        ex.set(step=step)
        np.testing.assert_array_equal(shown(movie, index), decode(ex.picture()))
        np.testing.assert_array_equal(movie.frame(index), decode(ex.picture()))
    movie.close()


def test_frames_differ_where_the_step_moved_and_the_first_is_whole(ex):
    movie = ex.movie(frames=3)
    first = decode_url(movie.first.value)
    assert (first[:, :, 3] == 255).all()
    assert (decode_url(movie.stack.children[0].value)[:, :, 3] == 0).all()  # nothing over it
    later = decode_url(movie.stack.children[2].value)
    assert 0 < (later[:, :, 3] == 255).mean() < 0.05  # markers, arrows, the loss's line
    assert movie.size < 200_000
    movie.close()


def test_making_a_movie_puts_the_step_back_and_draws_without_descend(ex):
    ex.set(step=17)
    picture, computes = ex.picture(), ex.stats["computes"]
    movie = ex.movie(frames=9)
    assert ex.state.step == 17 and ex.error is None
    assert ex.stats["computes"] == computes  # the run is reused: only redraws
    np.testing.assert_array_equal(decode(ex.picture()), decode(picture))
    movie.close()


def test_the_frames_are_a_snapshot(ex):
    movie = ex.movie(frames=3)
    before = movie.frame(2)
    ex.set(lr=ex.hyperparameters["gd"]["lr"] / 2, step=40)
    np.testing.assert_array_equal(movie.frame(2), before)
    assert "make the movie again" in movie.note.value
    assert "rosenbrock" in movie.note.value and "3 frames of steps 0 to 40" in movie.note.value
    movie.close()


def test_play_slider_and_frames_are_linked_in_the_browser(ex):
    movie = ex.movie(frames=5, fps=12.5)
    links = {(link.source, link.target) for link in movie.links}
    # Both ways (not jsdlink): scrubbing the slider also moves where play goes on from.
    assert all(type(link) is Link for link in movie.links)
    assert links == {
        ((movie.play, "value"), (movie.slider, "index")),
        ((movie.slider, "index"), (movie.stack, "selected_index")),
    }
    assert (movie.play.min, movie.play.max, movie.play.interval) == (0, 4, 80)
    assert movie.slider.options == (("0", 0), ("10", 1), ("20", 2), ("30", 3), ("40", 4))
    assert movie.slider.description == "step"
    assert len(movie.stack.children) == 5 and movie.stack.selected_index == 0
    assert [image._dom_classes for image in movie.stack.children] == [
        (f"lossviz-step-{k}",) for k in movie.steps
    ]
    assert all(image.format == "url" for image in (movie.first, *movie.stack.children))
    movie.close()


@pytest.mark.parametrize(
    ("steps", "frames", "expected"),
    [
        (40, None, tuple(range(41))),  # every step of a run shorter than 101
        (300, None, tuple(range(0, 301, 3))),
        (40, 2, (0, 40)),
        (40, 41, tuple(range(41))),
        (10, 4, (0, 3, 7, 10)),
    ],
)
def test_frame_count_and_steps_as_asked(steps, frames, expected):
    ex = Explorer("quadratic", optimizers=("gd",), steps=steps, controls=("step",))
    try:
        movie = ex.movie(frames=frames, fps=20)
        assert movie.steps == expected == frame_steps(steps, len(expected))
        assert len(movie.stack.children) == len(expected) == movie.play.max + 1
        assert movie.play.interval == 50
        movie.close()
    finally:
        ex.close()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"frames": 1}, "frames must be an integer between 2 and 301; got 1"),
        ({"frames": 2.5}, "frames must be an integer between 2 and 301; got 2.5"),
        ({"frames": "10"}, "frames must be an integer"),
        ({"frames": True}, "frames must be an integer"),
        ({"frames": MAX_FRAMES + 1}, f"frames must be an integer between 2 and {MAX_FRAMES}"),
        ({"frames": 42}, "frames must be at most steps + 1 = 41 (a frame per step); got 42"),
        ({"fps": 0}, "fps must be a number in [1, 60]; got 0"),
        ({"fps": 61}, "fps must be a number in [1, 60]; got 61"),
        ({"fps": float("nan")}, "fps must be"),
        ({"fps": "fast"}, "fps must be"),
    ],
)
def test_bad_arguments_are_refused_with_a_clear_message(ex, arguments, message):
    step = ex.state.step
    with pytest.raises(ValueError) as refused:
        ex.movie(**arguments)
    assert message in str(refused.value)
    assert ex.state.step == step


def test_an_explorer_without_its_step_control_is_refused():
    ex = Explorer("rosenbrock", optimizers=("gd",), steps=20, controls=("lr",))
    try:
        with pytest.raises(ValueError, match="step control"):
            ex.movie()
    finally:
        ex.close()
    with pytest.raises(ValueError, match="closed"):
        ex.movie()


def test_close_frees_every_widget(ex):
    before = registered_widgets()
    movie = ex.movie(frames=6)
    assert registered_widgets() > before
    movie.close()
    assert movie.closed
    assert registered_widgets() == before
    movie.close()  # a second close does nothing


def test_closing_the_explorer_leaves_the_movie_playable(ex):
    movie = ex.movie(frames=3)
    ex.close()
    assert movie.frame(1).shape == (400, 820, 4)
    movie.close()


def test_rerunning_its_cell_closes_the_movie_it_displayed(ex, monkeypatch):
    where = {"value": ("cell-1", "run-1")}
    monkeypatch.setattr(
        explorer_module._DisplayedIn, "_where", staticmethod(lambda: where["value"])
    )
    first = ex.movie(frames=3)
    bundle = first._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["image/png"][:8] == "iVBORw0K"  # the first frame, for a static page
    where["value"] = ("cell-1", "run-2")
    second = ex.movie(frames=3)
    second._repr_mimebundle_()
    assert first.closed and not second.closed
    assert not ex.closed
    second.close()
