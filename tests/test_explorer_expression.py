"""A student's own surface typed into the Explorer: the text box, its bounds, refusals shown
beside the box with the previous surface kept, and nothing of the text ever run."""

import html
from pathlib import Path

import numpy as np
import pytest

from lossviz import Explorer, Surface


@pytest.fixture
def ex():
    explorer = Explorer("rosenbrock", optimizers=("gd", "adam"), steps=100)
    yield explorer
    explorer.close()


def message(ex) -> str:
    """The message under the box, as text."""
    return html.unescape(ex._control_panel.messages["expression"].value)


def test_a_typed_surface_joins_the_choices_and_runs(ex):
    ex.controls["expression"].value = "x**2 + 3*sin(y)"
    assert ex.error is None and message(ex) == ""
    s = ex.surface
    reference = Surface.from_expression("x**2 + 3*sin(y)", ((-3, 3), (-3, 3)))
    p = np.array([[0.3, -1.2], [2.0, 0.5]])
    np.testing.assert_allclose(s(p), reference(p))
    np.testing.assert_allclose(s.grad(p), [[0.6, 3 * np.cos(-1.2)], [4.0, 3 * np.cos(0.5)]])
    assert ex.state.surface in [key for _, key in ex.catalog.surface_choices()]
    assert ex.controls["surface"].value == ex.state.surface
    assert ex.run.surface is s and ex.run.path.shape == (2, 101, 2)
    # The same text again is the same surface, not a second entry.
    choices = len(ex.catalog.surface_choices())
    ex.set(surface="himmelblau")
    ex.set(expression="x**2 +  3*sin(y)")
    assert ex.surface is s and len(ex.catalog.surface_choices()) == choices


@pytest.mark.parametrize(
    "text, said",
    [
        ("x.real + 1", "attribute access is not allowed"),
        ("__import__('os').system('true')", "is not allowed"),
        ("x if y else 1", "is not allowed"),
        ("log(-1 - x**2)", "has no finite value"),
        ("x ** ", "not valid syntax"),
        ("q + 1", "'q'"),
    ],
)
def test_a_refused_text_is_said_beside_the_box_and_the_surface_stays(ex, text, said):
    before = ex.state
    ex.controls["expression"].value = text
    assert said in message(ex)
    assert ex.state == before and ex.surface.name == "rosenbrock"
    assert ex.controls["expression"].value == text  # kept, for the student to correct
    assert ex.error is None  # not a failure of the widget: a refusal of the text
    ex.controls["expression"].value = "x**2 + y**2"  # corrected
    assert message(ex) == "" and ex.state.expression == "x**2 + y**2"


def test_set_refuses_with_the_same_message_and_changes_nothing(ex):
    before = ex.state
    with pytest.raises(ValueError, match="attribute access is not allowed"):
        ex.set(expression="x.real")
    with pytest.raises(ValueError, match="expression must be text"):
        ex.set(expression=3)
    assert ex.state == before


def test_bounds_as_text_numbers_or_pairs(ex):
    ex.set(expression="(x - 1)**2 + (y + 0.5)**2")
    ex.controls["expression_bounds"].value = "-2, 2, -1, 1"
    assert ex.surface.bounds == ((-2.0, 2.0), (-1.0, 1.0))
    np.testing.assert_allclose(ex.surface.minima, [[1.0, -0.5]], atol=1e-8)
    ex.set(expression_bounds=((-4, 4), (-3, 3)))
    assert ex.surface.bounds == ((-4.0, 4.0), (-3.0, 3.0))
    ex.set(expression_bounds=[-1, 3, -2, 2], expression="x**2 + y**2")  # bounds apply first
    assert ex.surface.bounds == ((-1.0, 3.0), (-2.0, 2.0)) and ex.state.expression == "x**2 + y**2"
    assert ex.controls["expression_bounds"].value == "-1, 3, -2, 2"


@pytest.mark.parametrize(
    "bounds, said",
    [
        ("-2, 2, 1", "four numbers"),
        ("a, b, c, d", "four numbers"),
        ("2, -2, -1, 1", "bounds[0][1] must be a number > 2; got -2.0"),
        ("-2, 2, -1, nan", "bounds[1][1] must be a finite number"),
    ],
)
def test_bad_bounds_are_refused(ex, bounds, said):
    ex.set(expression="x**2 + y**2")
    before = ex.state
    ex.controls["expression_bounds"].value = bounds
    assert said in message(ex)
    assert ex.state == before
    with pytest.raises(ValueError, match="four numbers|bounds"):
        ex.set(expression_bounds=bounds)


def test_an_empty_box_keeps_the_surface(ex):
    ex.set(expression="x**2 + y**2")
    key = ex.state.surface
    ex.controls["expression"].value = "   "
    assert ex.state.surface == key and ex.state.expression == ""


@pytest.mark.parametrize(
    "template",
    [
        "__import__('pathlib').Path('{path}').touch()",
        "open('{path}', 'w')",
        "().__class__.__bases__[0].__subclasses__()",
        "[c for c in ().__class__.__base__.__subclasses__()]",
        "exec(\"open('{path}', 'w')\")",
        "eval(\"open('{path}', 'w')\")",
    ],
)
def test_nothing_typed_ever_runs(ex, tmp_path, template):
    canary = tmp_path / "created"
    text = template.format(path=canary)
    ex.controls["expression"].value = text
    with pytest.raises(ValueError):
        ex.set(expression=text)
    assert not Path(canary).exists() and ex.surface.name == "rosenbrock"


# -- a student's own function, written in Python ---------------------------------------------
def raises_on_arrays(x, y):
    if x > 0:  # a Python `if` on arrays: fails on a grid of points
        return x**2 + y**2
    return -x + y**2


def wrong_shape(x, y):
    return np.sum(x**2 + y**2)  # one number for every point together


def not_differentiable(x, y):
    return np.asarray(np.round(x**2 * 100) / 100 + y**2, dtype=float)  # np.round: no autograd


@pytest.mark.parametrize(
    "f, said",
    [
        (raises_on_arrays, "failed on a grid of points of its map (ValueError"),
        (wrong_shape, "must give one loss per point"),
        (not_differentiable, "write its loss with autograd.numpy"),
    ],
    ids=["raises", "wrong-shape", "not-differentiable"],
)
def test_a_broken_function_is_refused_with_a_message_and_the_surface_stays(ex, f, said):
    broken = Surface("mine", f, ((-2, 2), (-2, 2)))
    before = ex.state
    with pytest.raises(ValueError, match=r"the (gradient of the )?surface 'mine'") as raised:
        ex.set(surface=broken)
    assert said in str(raised.value)
    assert ex.state == before and ex.surface.name == "rosenbrock" and ex.error is None
    ex.set(lr_scale=2.0)  # still working
    assert ex.error is None
    with pytest.raises(ValueError, match=said.split(" (")[0]):
        Explorer(broken)
