"""`lossviz._checks`: one message style for every argument check, and every public entry
point refusing a string where a number belongs with a message that starts with the name."""

import math
from fractions import Fraction

import numpy as np
import pytest

import lossviz
from lossviz._checks import check_integer, check_number, describe_range


# -- the message forms ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("bounds", "rule"),
    [
        ({}, ""),
        ({"low": 0}, " >= 0"),
        ({"low": 0, "low_open": True}, " > 0"),
        ({"high": 1}, " <= 1"),
        ({"high": 1, "high_open": True}, " < 1"),
        ({"low": 0, "high": 1}, " in [0, 1]"),
        ({"low": 0, "high": 1, "high_open": True}, " in [0, 1)"),
        ({"low": 0, "high": 5, "low_open": True}, " in (0, 5]"),
        ({"low": 0, "high": 1, "low_open": True, "high_open": True}, " in (0, 1)"),
        ({"low": 1e-7, "high": 10}, " in [1e-07, 10]"),
    ],
)
def test_describe_range(bounds, rule):
    assert describe_range(**bounds) == rule


@pytest.mark.parametrize(
    ("value", "bounds", "message"),
    [
        ("0.1", {"low": 0, "low_open": True}, "lr must be a number > 0; got '0.1'"),
        (0, {"low": 0, "low_open": True}, "lr must be a number > 0; got 0"),
        (-1.0, {"low": 0}, "lr must be a number >= 0; got -1.0"),
        (1, {"low": 0, "high": 1, "high_open": True}, "lr must be a number in [0, 1); got 1"),
        (1.5, {"high": 1}, "lr must be a number <= 1; got 1.5"),
        (math.inf, {"low": 0}, "lr must be a finite number >= 0; got inf"),
        (math.nan, {}, "lr must be a finite number; got nan"),
        (None, {}, "lr must be a number; got None"),
    ],
)
def test_number_messages(value, bounds, message):
    with pytest.raises(ValueError) as info:
        check_number(value, "lr", **bounds)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("value", "bounds", "message"),
    [
        (2.5, {"low": 1, "high": 2000}, "steps must be an integer between 1 and 2000; got 2.5"),
        (0, {"low": 1, "high": 2000}, "steps must be an integer between 1 and 2000; got 0"),
        (2001, {"low": 1, "high": 2000}, "steps must be an integer between 1 and 2000; got 2001"),
        (-1, {"low": 0}, "steps must be an integer >= 0; got -1"),
        (6, {"high": 5}, "steps must be an integer <= 5; got 6"),
        ("3", {}, "steps must be an integer; got '3'"),
        (3.0, {"low": 0}, "steps must be an integer >= 0; got 3.0"),
    ],
)
def test_integer_messages(value, bounds, message):
    with pytest.raises(ValueError) as info:
        check_integer(value, "steps", **bounds)
    assert str(info.value) == message


# -- types ------------------------------------------------------------------------------------
WRONG_TYPES = [
    "0.5",
    "",
    True,
    False,
    None,
    [0.5],
    (0.5,),
    {"x": 0.5},
    np.array([0.5]),
    np.zeros((2, 2)),
    np.array("0.5"),
    0.5 + 0j,
    object(),
]


@pytest.mark.parametrize("value", WRONG_TYPES, ids=repr)
def test_wrong_types_are_value_errors_naming_the_argument(value):
    with pytest.raises(ValueError, match=r"^beta must be a number in \[0, 1\]; got "):
        check_number(value, "beta", low=0, high=1)
    with pytest.raises(ValueError, match="^n must be an integer >= 0; got "):
        check_integer(value, "n", low=0)


@pytest.mark.parametrize(
    "value",
    [
        0.5,
        1,
        np.float64(0.5),
        np.float32(0.5),
        np.int64(1),
        np.uint8(1),
        np.array(0.5),
        np.array(1),
        Fraction(1, 2),
    ],
    ids=repr,
)
def test_numbers_of_every_kind_are_accepted_as_floats(value):
    result = check_number(value, "beta", low=0, high=1)
    assert type(result) is float and result == float(value)


@pytest.mark.parametrize("value", [3, np.int64(3), np.int32(3), np.uint16(3)], ids=repr)
def test_integers_of_every_kind_are_accepted_as_ints(value):
    result = check_integer(value, "steps", low=1, high=10)
    assert type(result) is int and result == 3


# -- bounds -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "bounds", "allowed"),
    [
        (0.0, {"low": 0}, True),
        (0.0, {"low": 0, "low_open": True}, False),
        (1e-300, {"low": 0, "low_open": True}, True),
        (1.0, {"high": 1}, True),
        (1.0, {"high": 1, "high_open": True}, False),
        (0.0, {"low": 0, "high": 1, "high_open": True}, True),
        (1.0, {"low": 0, "high": 1, "low_open": True}, True),
        (-1e-12, {"low": 0, "high": 1}, False),
        (-1e300, {}, True),
    ],
)
def test_open_and_closed_bounds(value, bounds, allowed):
    if allowed:
        assert check_number(value, "x", **bounds) == value
    else:
        with pytest.raises(ValueError, match="^x must be a number"):
            check_number(value, "x", **bounds)


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, np.float64("nan")], ids=repr)
def test_non_finite_numbers_are_refused_even_without_bounds(value):
    with pytest.raises(ValueError, match="^x must be a finite number; got "):
        check_number(value, "x")


def test_integer_bounds_are_inclusive():
    assert check_integer(1, "steps", low=1, high=2) == 1
    assert check_integer(2, "steps", low=1, high=2) == 2


# -- every public entry point refuses a string where a number belongs -------------------------
STRING_FOR_A_NUMBER = {
    "descend steps": ("steps", lambda: lossviz.descend("quadratic", "gd", steps="3")),
    "descend noise": ("noise", lambda: lossviz.descend("quadratic", "gd", noise="0.1")),
    "descend seed": ("seed", lambda: lossviz.descend("quadratic", "gd", seed="1")),
    "descend start": ("start", lambda: lossviz.descend("quadratic", "gd", start=("1", "2"))),
    "optimizer lr": ("lr", lambda: lossviz.optimizer("adam", lr="0.1")),
    "optimizer beta1": ("beta1", lambda: lossviz.optimizer("adam", beta1="0.9")),
    "schedule lr": ("lr", lambda: lossviz.schedule("cosine", lr="0.1", steps=10)),
    "schedule steps": ("steps", lambda: lossviz.schedule("cosine", lr=0.1, steps="10")),
    "schedule factor": (
        "factor",
        lambda: lossviz.schedule("step_decay", lr=0.1, every=5, factor="0.5"),
    ),
    "surface condition": ("condition", lambda: lossviz.surface("quadratic", condition="10")),
    "surface a": ("a", lambda: lossviz.surface("rosenbrock", a="1")),
    "surface bounds": (
        "bounds[0][1]",
        lambda: lossviz.Surface("s", lambda x, y: x * x + y * y, ((-1, "1"), (-1, 1))),
    ),
    "model n": ("n", lambda: lossviz.surface("linear_regression", n="10")),
    "model noise": ("noise", lambda: lossviz.surface("linear_regression", noise="0.1")),
}


@pytest.mark.parametrize("case", STRING_FOR_A_NUMBER.values(), ids=STRING_FOR_A_NUMBER.keys())
def test_public_entry_points_refuse_a_string_for_a_number_naming_the_argument(case):
    name, call = case
    with pytest.raises(ValueError) as info:
        call()
    assert str(info.value).startswith(f"{name} must be ")


@pytest.fixture(scope="module")
def explorer():
    from lossviz import Explorer

    ex = Explorer("quadratic", optimizers=("gd",), steps=20)
    yield ex
    ex.close()


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"lr": "0.1"}, "lr must be a number in [1e-07, 10]; got '0.1'"),
        ({"steps": 2.5}, "steps must be an integer between 1 and 2000; got 2.5"),
        ({"noise": "0"}, "noise must be a number >= 0; got '0'"),
        ({"seed": None}, "seed must be an integer >= 0; got None"),
    ],
)
def test_the_explorer_refuses_a_wrong_type_naming_the_control_and_its_range(
    explorer, values, message
):
    state = explorer.state
    with pytest.raises(ValueError) as info:
        explorer.set(**values)
    assert str(info.value) == message
    assert explorer.state == state
