"""Nothing a student does breaks the Explorer: any control at any value of its range, both
ends included, in any combination of surface, optimizers and schedule, through ``set`` and
through the controls themselves (property-based, with hypothesis)."""

import math

import ipywidgets
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lossviz
from lossviz import Explorer
from lossviz.widgets.control_table import ARROW_KINDS, CONTROLS, SCHEDULE_DEFAULTS

SLIDER_KINDS = ("float", "log", "int")


@pytest.fixture(scope="module")
def ex():
    explorer = Explorer("rosenbrock", steps=120)
    explorer.canvas.syncing_data_url = False
    yield explorer
    explorer.close()


def ends_and_inside(name: str) -> st.SearchStrategy:
    """A slider's two ends, and values between them (log-spaced for a log slider)."""
    spec = CONTROLS[name]
    low, high = spec.low, spec.high
    if spec.kind == "int":
        return st.sampled_from([int(low), int(high)]) | st.integers(int(low), int(high))
    if spec.kind == "log":
        inside = st.floats(math.log10(low), math.log10(high)).map(lambda e: 10.0**e)
        return st.sampled_from([low, high]) | inside.map(lambda v: min(max(v, low), high))
    return st.sampled_from([low, high]) | st.floats(low, high)


def change() -> st.SearchStrategy:
    """One change ``{name: value}`` a student could make."""
    choices = [
        st.fixed_dictionaries({"surface": st.sampled_from(lossviz.surface_names())}),
        st.fixed_dictionaries({"optimizers": st.lists(
            st.sampled_from(lossviz.optimizer_names()), min_size=1, max_size=7, unique=True
        ).map(tuple)}),  # fmt: skip
        st.fixed_dictionaries({"schedule": st.sampled_from(lossviz.schedule_names())}),
        st.fixed_dictionaries({"noise": st.sampled_from([0.0, 0.3, 5.0])}),
        st.fixed_dictionaries({"arrows": st.lists(st.sampled_from(ARROW_KINDS), unique=True)}),
        st.fixed_dictionaries({"curvature": st.booleans()}),
        st.fixed_dictionaries({"tune": st.just("all")}),
        st.fixed_dictionaries({"start": st.tuples(st.floats(-1.0, 2.0), st.floats(-1.0, 2.0))}),
    ]
    for name in ("lr", "lr_scale", "momentum", "beta2", "steps", *SCHEDULE_DEFAULTS):
        choices.append(st.fixed_dictionaries({name: ends_and_inside(name)}))
    return st.one_of(choices)


def check_working(ex) -> None:
    """The widget shows a run of its state: no error, divergence flagged and drawn up to
    where it left, the map on the surface's view."""
    assert ex.error is None, ex.error
    run = ex.run
    assert run.path.shape == (len(run), ex.state.steps + 1, 2)
    for i in range(len(run)):
        n = run.diverged_step[i]
        if run.diverged[i]:
            assert np.isnan(run.path[i, n:]).all() and np.isfinite(run.path[i, :n]).all()
        else:
            assert np.isfinite(run.path[i]).all()
    (xmin, xmax), (ymin, ymax) = ex.surface.bounds
    assert ex.panels["map"].ax.get_xlim() == pytest.approx((xmin, xmax))
    assert ex.panels["map"].ax.get_ylim() == pytest.approx((ymin, ymax))


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.lists(change(), min_size=1, max_size=4))
def test_any_changes_through_set_leave_it_working(ex, changes):
    ex.set(surface="rosenbrock", optimizers=("gd", "momentum", "nesterov", "adam"))
    ex.reset()
    for values in changes:
        if "start" in values:  # a start relative to the surface shown: inside, or beyond
            (xmin, xmax), (ymin, ymax) = ex.surface.bounds
            fx, fy = values["start"]
            values = {"start": (xmin + fx * (xmax - xmin), ymin + fy * (ymax - ymin))}
        before = ex.state
        try:
            ex.set(**values)
        except ValueError as exc:
            # Refused (a control that does not apply now): said, and nothing changed.
            assert str(exc) and ex.state == before
        check_working(ex)


@pytest.mark.parametrize("surface", ["rosenbrock", "goldstein_price", "tiny_network", "saddle"])
def test_every_shown_control_at_both_ends_leaves_it_working(ex, surface):
    ex.set(surface=surface, optimizers=tuple(lossviz.optimizer_names()), schedule="cyclic")
    for name, control in ex.controls.items():
        if CONTROLS[name].kind not in SLIDER_KINDS or control.layout.display == "none":
            continue
        for end in ("min", "max", "min"):
            if isinstance(control, ipywidgets.FloatLogSlider):
                value = control.base ** getattr(control, end)
            else:
                value = getattr(control, end)
            control.value = value
            check_working(ex)
    ex.set(steps=120, lr_scale=1.0, schedule="constant")


def test_a_start_far_outside_the_view_is_refused_with_the_range(ex):
    ex.set(surface="rosenbrock")
    before = ex.state
    for start in [(1e308, 1e308), (np.nan, 0.0), (50.0, 0.0), "far"]:
        with pytest.raises(ValueError, match=r"start must be one (finite )?point"):
            ex.set(start=start)
        assert ex.state == before
    ex._on_click(type("Click", (), {"inaxes": None, "button": 1})())  # outside the map: nothing
    check_working(ex)


@pytest.mark.parametrize(
    "values, said",
    [
        ({"lr": "0.1"}, "lr must be a number in"),
        ({"lr": 1e300}, "lr must be a number in [1e-07, 10]"),
        ({"lr": float("nan")}, "lr must be a finite number"),
        ({"steps": 2.5}, "steps must be an integer between 1 and 2000"),
        ({"momentum": float("inf")}, "momentum must be a finite number"),
        ({"noise": -1}, "noise must be a number >= 0"),
        ({"schedule": "warp"}, "unknown schedule"),
    ],
)
def test_bad_values_name_the_control_and_its_range(ex, values, said):
    ex.set(surface="rosenbrock", optimizers=("gd", "adam"), tune="all")
    before = ex.state
    with pytest.raises(ValueError) as raised:
        ex.set(**values)
    assert said in str(raised.value) and ex.state == before
