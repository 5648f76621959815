"""The Explorer's state functions, without widgets or a canvas: every control's change,
"all" against one optimizer, reset, and what the controls show."""

import sys

import numpy as np
import pytest

import lossviz
from lossviz.widgets.control_table import CONTROLS, SCHEDULE_DEFAULTS
from lossviz.widgets.state import (
    RUN_FIELDS,
    Catalog,
    Setup,
    apply_change,
    apply_changes,
    changed_fields,
    compute_run,
    control_views,
    hyperparameters_in_use,
    initial_state,
    rates_in_use,
    reset_state,
    schedule_factors,
    shown_controls,
)


@pytest.fixture
def catalog():
    return Catalog()


@pytest.fixture
def state(catalog):
    return initial_state(Setup("rosenbrock", ("gd", "momentum", "adam"), steps=100), catalog)


def test_the_state_module_needs_no_widgets():
    import subprocess

    code = ("import sys, lossviz.widgets.state; "
            "print(sorted(m for m in sys.modules if m.startswith(('ipywidgets', 'matplotlib'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_initial_state_takes_per_surface_defaults(state, catalog):
    s = lossviz.surface("rosenbrock")
    assert state.hyper["gd"] == lossviz.defaults.default_hyperparameters(s, "gd")
    assert state.start == tuple(s.start) and state.tune == "all" and state.lr_scale == 1.0
    assert state.batch_size is None and state.schedule == "constant"


# (control, a valid value, the field it changes, what that field becomes)
EVERY_CONTROL = [
    ("surface", "himmelblau", "surface", "himmelblau"),
    ("optimizers", ("adam", "gd"), "optimizers", ("adam", "gd")),
    ("tune", "adam", "tune", "adam"),
    ("lr_scale", 2.0, "lr_scale", 2.0),
    ("steps", 250, "steps", 250),
    ("schedule", "cosine", "schedule", "cosine"),
    ("noise", 0.5, "noise", 0.5),
    ("loss_scale", "linear", "loss_scale", "linear"),
    ("start", (0.5, 0.5), "start", (0.5, 0.5)),
    ("seed", 3, "seed", 3),
    ("step", 50, "step", 50),
    ("arrows", ["velocity", "gradient"], "arrows", ("gradient", "velocity")),
    ("curvature", True, "curvature", True),
    ("basins", True, "basins", True),
    ("cloud", 4, "cloud", 4),
    ("view3d", True, "view3d", True),
    ("stability_map", True, "stability_map", True),
    ("expression", "x**2 + y**2", "expression", "x**2 + y**2"),
    ("expression_bounds", "-2, 2, -1, 1", "expression_bounds", ((-2.0, 2.0), (-1.0, 1.0))),
    *[(name, value, "schedule_params", None) for name, value in
      [("schedule_every", 20), ("schedule_factor", 0.2), ("schedule_gamma", 0.95),
       ("schedule_k", 0.1), ("schedule_warmup", 50), ("schedule_period", 60),
       ("schedule_floor", 0.1)]],
]


@pytest.mark.parametrize("name, value, field, expected", EVERY_CONTROL,
                         ids=[c[0] for c in EVERY_CONTROL])
def test_every_control_changes_its_field_only(state, catalog, name, value, field, expected):
    new = apply_change(state, name, value, catalog)
    changed = changed_fields(state, new)
    assert field in changed
    if expected is not None:
        assert getattr(new, field) == expected
    else:
        assert new.schedule_params[name] == value
    if name == "optimizers":  # the optimizers removed take their settings with them
        assert changed == {"optimizers", "hyper"}
    elif name == "steps":  # the step shown at the end stays at the end
        assert changed == {"steps", "step"} and new.step == new.steps
    elif name not in ("surface", "expression"):  # a new surface: its own defaults and start
        assert changed == {field}


def test_every_control_is_covered():
    covered = {c[0] for c in EVERY_CONTROL} | {"lr", "momentum", "beta2", "reset", "play"}
    covered |= {"condition", "angle", "amplitude", "width", "batch_size"}  # tested below
    assert set(CONTROLS) <= covered


def test_lr_with_all_sets_every_rate_and_with_one_only_that(state, catalog):
    everyone = apply_change(state, "lr", 0.002, catalog)
    assert {n: h["lr"] for n, h in everyone.hyper.items()} == {
        "gd": 0.002, "momentum": 0.002, "adam": 0.002}
    one = apply_change(apply_change(state, "tune", "adam", catalog), "lr", 0.002, catalog)
    assert one.hyper["adam"]["lr"] == 0.002
    assert one.hyper["gd"] == state.hyper["gd"]


def test_lr_scale_keeps_the_ratios_and_lr_sets_the_rate_in_use(state, catalog):
    scaled = apply_change(state, "lr_scale", 10.0, catalog)
    assert scaled.hyper == state.hyper  # own rates unchanged; the factor applies
    rates = rates_in_use(scaled, catalog)
    assert rates == pytest.approx({n: 10 * h["lr"] for n, h in state.hyper.items()})
    tuned = apply_change(apply_change(scaled, "tune", "gd", catalog), "lr", 0.004, catalog)
    assert rates_in_use(tuned, catalog)["gd"] == pytest.approx(0.004)
    assert control_views(tuned, catalog)["lr"].value == pytest.approx(0.004)


def test_mapping_sets_the_named_optimizers(state, catalog):
    new = apply_change(state, "momentum", {"adam": 0.8}, catalog)
    assert new.hyper["adam"]["beta1"] == 0.8 and new.hyper["momentum"]["beta"] == 0.9
    with pytest.raises(ValueError, match="gd has no momentum hyperparameter"):
        apply_change(state, "momentum", {"gd": 0.5}, catalog)
    with pytest.raises(ValueError, match="not shown or not tunable"):
        apply_change(state, "lr", {"rmsprop": 0.1}, catalog)


def test_momentum_with_one_optimizer_tuned(state, catalog):
    new = apply_changes(state, {"tune": "momentum", "momentum": 0.5}, catalog)
    assert new.hyper["momentum"]["beta"] == 0.5 and new.hyper["adam"]["beta1"] == 0.9
    gd_tuned = apply_change(state, "tune", "gd", catalog)
    assert control_views(gd_tuned, catalog)["momentum"].disabled
    assert apply_change(gd_tuned, "momentum", 0.5, catalog).hyper == gd_tuned.hyper


def test_beta2_sets_adams_beta2_and_rmsprops_alpha(catalog):
    state = initial_state(Setup("beale", ("adam", "rmsprop")), catalog)
    new = apply_change(state, "beta2", 0.95, catalog)
    assert new.hyper["adam"]["beta2"] == 0.95 and new.hyper["rmsprop"]["alpha"] == 0.95


def test_optimizers_keep_settings_and_add_defaults(state, catalog):
    tuned = apply_change(state, "lr", {"gd": 5e-4}, catalog)
    new = apply_change(tuned, "optimizers", ("gd", "rmsprop"), catalog)
    assert new.hyper["gd"]["lr"] == 5e-4
    assert new.hyper["rmsprop"] == catalog.defaults("rosenbrock", {}, "rmsprop")
    assert set(new.hyper) == {"gd", "rmsprop"}
    one = apply_change(apply_change(state, "tune", "adam", catalog), "optimizers", ("gd",),
                       catalog)
    assert one.tune == "gd"  # the tuned one left: the only one is tuned


def test_defaults_are_computed_once_per_surface_and_optimizer(state, catalog, monkeypatch):
    calls = []
    import lossviz.widgets.state as state_module

    real = state_module.default_hyperparameters
    monkeypatch.setattr(state_module, "default_hyperparameters",
                        lambda s, n: calls.append(n) or real(s, n))
    for _ in range(3):
        state = apply_change(state, "optimizers", ("gd", "momentum", "adam", "newton"), catalog)
        state = apply_change(state, "optimizers", ("gd", "momentum", "adam"), catalog)
    assert calls == ["newton"]


def test_surface_change_brings_that_surfaces_defaults(state, catalog):
    scaled = apply_changes(state, {"lr_scale": 3.0, "noise": 100.0}, catalog)
    new = apply_change(scaled, "surface", "quadratic", catalog)
    assert new.hyper["gd"] == {"lr": 0.1} and new.lr_scale == 1.0
    assert new.start == (-1.8, 1.2)
    assert new.noise == catalog.noise_top("quadratic", {})  # clamped to the new slider


def test_surface_parameters(catalog):
    state = initial_state(Setup("quadratic", ("gd",), surface_params={"condition": 50.0}),
                          catalog)
    assert compute_run(state, catalog).surface.params["condition"] == 50.0
    new = apply_change(state, "angle", 45.0, catalog)
    assert new.surface_params == {"condition": 50.0, "angle": 45.0}
    assert new.hyper == state.hyper
    assert "condition" in shown_controls(new, catalog, None)
    assert control_views(new, catalog)["angle"].value == 45.0
    with pytest.raises(ValueError, match=r"condition must be a number in \[1, 1000\]"):
        apply_change(state, "condition", 0.5, catalog)
    wells = apply_change(state, "surface", "multi_well", catalog)
    assert apply_change(wells, "width", 0.8, catalog).surface_params == {"width": 0.8}
    with pytest.raises(ValueError, match="amplitude is a parameter of the rastrigin"):
        apply_change(wells, "amplitude", 5.0, catalog)


def test_reset_returns_to_the_setup_on_its_surface_and_to_defaults_elsewhere(catalog):
    setup = Setup("himmelblau", ("gd", "adam"), steps=80, lr={"gd": 0.002}, start=(1.0, 1.0),
                  schedule="exponential", schedule_params={"schedule_gamma": 0.98})
    first = initial_state(setup, catalog)
    moved = apply_changes(first, {"lr": 0.05, "start": (0.0, 0.0), "steps": 20,
                                  "schedule": "constant", "lr_scale": 2.0}, catalog)
    assert reset_state(moved, setup, catalog) == first
    elsewhere = apply_change(moved, "surface", "quadratic", catalog)
    back = reset_state(elsewhere, setup, catalog)
    assert back.hyper["gd"] == {"lr": 0.1} and back.start == (-1.8, 1.2)
    assert back.steps == 80 and back.schedule == "exponential"


def test_compute_run_is_descend_of_the_state(state, catalog):
    new = apply_changes(state, {"schedule": "step_decay", "schedule_every": 10,
                                "lr_scale": 0.5, "noise": 0.1, "seed": 2}, catalog)
    run = compute_run(new, catalog)
    hyper = hyperparameters_in_use(new, catalog)
    opts = {n: lossviz.optimizer(n, **{**h, "lr": lossviz.schedules.step_decay(
        h["lr"], every=10, factor=SCHEDULE_DEFAULTS["schedule_factor"])})
        for n, h in hyper.items()}
    expected = lossviz.descend("rosenbrock", opts, start=new.start, steps=100, noise=0.1, seed=2)
    np.testing.assert_array_equal(run.path, expected.path)
    np.testing.assert_allclose(schedule_factors(new)[:21], [1.0] * 10 + [0.5] * 10 + [0.25])


def test_view_fields_do_not_need_a_new_run(state, catalog):
    for name, value in (("tune", "gd"), ("loss_scale", "linear")):
        assert not changed_fields(state, apply_change(state, name, value, catalog)) & RUN_FIELDS


def test_shown_controls_follow_the_state(state, catalog):
    shown = shown_controls(state, catalog, None)
    assert "lr_scale" in shown and "lr" not in shown  # several rates under "all"
    assert "batch_size" not in shown and "condition" not in shown
    assert [n for n in shown if n.startswith("schedule_")] == []
    tuned = apply_change(state, "tune", "gd", catalog)
    assert "lr" in shown_controls(tuned, catalog, None)
    assert "lr_scale" not in shown_controls(tuned, catalog, None)
    # Asking for "lr" asks for the learning-rate slot, whichever slider fills it.
    assert shown_controls(state, catalog, ("lr",)) == {"lr_scale"}
    model = apply_change(state, "surface", "linear_regression", catalog)
    assert "batch_size" in shown_controls(model, catalog, None)


def test_batch_size_is_none_for_the_full_set(catalog):
    state = initial_state(Setup("linear_regression", ("gd",)), catalog)
    assert state.batch_size is None
    assert control_views(state, catalog)["batch_size"].value == 0
    n = len(lossviz.surface("linear_regression").y_train)
    assert apply_change(state, "batch_size", n, catalog).batch_size == n
    with pytest.raises(ValueError, match=f"between 1 and {n}"):
        apply_change(state, "batch_size", n + 1, catalog)
    with pytest.raises(ValueError, match=f"between 1 and {n}"):
        apply_change(state, "batch_size", 0, catalog)


@pytest.mark.parametrize("name, value", [
    ("lr", "0.1"), ("lr", True), ("lr", float("nan")), ("steps", 10.0), ("steps", "10"),
    ("noise", None), ("schedule_every", 0), ("schedule_floor", 2.0), ("seed", -1),
    ("start", "here"), ("start", (1.0, 2.0, 3.0)), ("surface", 3), ("optimizers", ()),
    ("optimizers", ("gd", "gd")),
])
def test_bad_values_raise_value_errors_that_name_the_control(state, catalog, name, value):
    with pytest.raises(ValueError, match=name):
        apply_change(state, name, value, catalog)


def test_optimizer_objects_run_as_given(catalog):
    mine = lossviz.optimizer("adam", lr=0.3)
    label = catalog.add_optimizer(mine)
    assert label == "adam (custom)" and catalog.add_optimizer(mine) == label
    state = initial_state(Setup("quadratic", ("gd", label)), catalog)
    assert rates_in_use(state, catalog)[label] == 0.3
    scaled = apply_change(state, "lr_scale", 2.0, catalog)
    assert compute_run(scaled, catalog).optimizers[1] is mine
    assert rates_in_use(scaled, catalog)[label] == 0.3
