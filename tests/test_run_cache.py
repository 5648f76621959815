"""A drag's next runs, computed with the current one (`lossviz.widgets.run_cache`)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lossviz import Explorer
from lossviz.widgets.control_table import SliderGrid
from lossviz.widgets.run_cache import (
    AHEAD,
    BEHIND,
    MAX_RUNS,
    RunCache,
    batchable,
    compute_runs,
    neighbour_states,
    run_key,
)
from lossviz.widgets.state import Catalog, apply_change, compute_run


def explorer_parts(**kwargs):
    ex = Explorer(**{"surface": "rosenbrock", "optimizers": ("gd", "momentum", "adam")} | kwargs)
    return ex, ex.catalog


def assert_same_run(run, alone):
    """Equal to rounding (a batch's arithmetic is a run's own; see lossviz.engine)."""
    assert run.labels == alone.labels and run.names == alone.names
    assert [repr(o) for o in run.optimizers] == [repr(o) for o in alone.optimizers]
    np.testing.assert_allclose(run.path, alone.path, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(run.loss, alone.loss, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(run.diverged_step, alone.diverged_step)


def test_slider_grid_gives_one_value_per_position():
    grid = SliderGrid(log=True, low=-7.0, high=1.0, step=0.02)
    assert grid.count == 401
    for k in (0, 1, 137, 200, 399, 400):
        value = grid.value(k)
        assert grid.position(value) == k
        # A browser's value for the position, off in the last bits, snaps to the same one.
        assert grid.snap(math.nextafter(value, 1.0)) == value
        assert grid.snap(value * (1 - 3e-16)) == value
    assert grid.value(200) == 0.001 and grid.value(400) == 10.0
    assert grid.snap(0.00123) == 0.00123  # a value set from code stays as it is
    linear = SliderGrid(log=False, low=0.0, high=0.99, step=0.01)
    assert linear.value(95) == 0.95 and linear.snap(0.9500000000000001) == 0.95
    assert linear.position(5.0) == 99  # clipped into the slider


def test_batched_states_equal_their_runs_alone():
    ex, catalog = explorer_parts(steps=200)
    try:
        states = [apply_change(ex.state, "lr", lr, catalog) for lr in (1e-4, 3e-4, 1e-3, 4e-3)]
        states.append(apply_change(states[0], "momentum", 0.5, catalog))
        runs = compute_runs(states, catalog)
        for state, run in zip(states, runs, strict=True):
            assert_same_run(run, compute_run(state, catalog))
        # With every step recorded too.
        traced = compute_runs(states[:2], catalog, trace=True)
        alone = compute_run(states[1], catalog, trace=True)
        np.testing.assert_allclose(traced[1].grad, alone.grad, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(traced[1].velocity, alone.velocity, rtol=1e-12, atol=1e-12)
        with pytest.raises(ValueError, match="differ in steps"):
            compute_runs([states[0], apply_change(states[0], "steps", 50, catalog)], catalog)
    finally:
        ex.close()


def test_neighbours_lie_ahead_of_the_move_nearest_first():
    ex, catalog = explorer_parts()
    try:
        grid = SliderGrid(log=True, low=-7.0, high=1.0, step=0.02)
        state = apply_change(ex.state, "lr", grid.value(200), catalog)
        up = neighbour_states(state, catalog, "lr", grid, grid.value(200), grid.value(199), 99)
        positions = [grid.position(s.hyper["gd"]["lr"]) for s in up]
        assert len(positions) == AHEAD + BEHIND
        assert positions[:3] == [201, 199, 202]
        assert sorted(positions) == [*range(200 - BEHIND, 200), *range(201, 201 + AHEAD)]
        # A quicker drag down, 3 positions a frame: ahead at its pace.
        down = neighbour_states(state, catalog, "lr", grid, grid.value(200), grid.value(203), 3)
        assert [grid.position(s.hyper["gd"]["lr"]) for s in down] == [197, 203, 194]
        # The first move (none known before it): one position at a time each way.
        first = neighbour_states(state, catalog, "lr", grid, grid.value(200), None, 4)
        assert [grid.position(s.hyper["gd"]["lr"]) for s in first] == [201, 199, 202, 198]
        # A jump (a click far along the track) is no drag: nothing ahead of it.
        assert neighbour_states(state, catalog, "lr", grid, grid.value(200), 1e-6, 99) == []
        # At the slider's end nothing lies beyond it.
        top = apply_change(ex.state, "lr", grid.value(400), catalog)
        beyond = neighbour_states(top, catalog, "lr", grid, grid.value(400), grid.value(399), 99)
        assert all(grid.position(s.hyper["gd"]["lr"]) < 400 for s in beyond)
    finally:
        ex.close()


@pytest.mark.parametrize("slider", ["lr_scale", "lr"])
def test_a_drag_draws_prefetched_runs_equal_to_runs_computed_alone(slider):
    ex, catalog = explorer_parts(steps=300)
    try:
        if slider == "lr":
            ex.set(tune="adam")  # the slider is Adam's own rate
        control = ex.controls[slider]
        grid = ex._control_panel.grid(slider)
        start = grid.position(control.value)
        computes = []
        # (The first position is skipped: the slider would send it back as the echo of the
        # value the kernel wrote, which is no move; see ControlPanel._changed.)
        for k in [*range(start + 1, start + 20), *range(start + 18, start - 5, -1)]:
            before = dict(ex.stats)
            # The value a browser would send: the position's, off in its last bit.
            control.value = math.nextafter(grid.value(k), 0.0)
            assert ex.error is None
            # One value per position in the state.
            shown = ex.state.lr_scale if slider == "lr_scale" else ex.state.hyper["adam"]["lr"]
            assert shown == grid.value(k)
            computes.append(ex.stats["cached"] == before["cached"])
            assert_same_run(ex.run, compute_run(ex.state, catalog))
        # Most frames of the drag found their run computed ahead.
        assert sum(computes) <= len(computes) // 3
        assert ex.stats["cached"] >= 2 * len(computes) // 3
    finally:
        ex.close()


def test_code_and_noise_compute_their_own_runs():
    ex, catalog = explorer_parts(steps=100)
    try:
        ex.set(lr=0.00123)  # from code: that exact rate, no prefetching
        assert ex.state.hyper["gd"]["lr"] == 0.00123
        np.testing.assert_array_equal(ex.run.path, compute_run(ex.state, catalog).path)
        noisy = apply_change(ex.state, "noise", 0.1, catalog)
        assert not batchable(noisy, catalog)
        assert batchable(ex.state, catalog)
    finally:
        ex.close()


def test_run_cache_keeps_the_latest_states():
    catalog = Catalog()
    ex, catalog = explorer_parts(steps=50)
    try:
        cache = RunCache(size=3)
        states = [apply_change(ex.state, "lr", lr, catalog) for lr in (1e-4, 2e-4, 3e-4, 4e-4)]
        first = cache.run(states[0], catalog, neighbours=lambda: states[1:3])
        assert cache.computed == 1 and cache.prefetched == 2
        assert cache.run(states[1], catalog) is not None and cache.hits == 1
        assert cache.run(states[0], catalog) is first and cache.hits == 2
        cache.run(states[3], catalog)  # a fourth state: the least recently used goes
        assert cache.computed == 2
        cache.run(states[2], catalog)
        assert cache.computed == 3  # it was the one dropped
        assert run_key(states[0], catalog, False) != run_key(states[0], catalog, True)
        # A batch larger than the cache keeps the state's own run, dropping neighbours.
        small = RunCache(size=2)
        own = small.run(states[0], catalog, neighbours=lambda: states[1:])
        assert small.run(states[0], catalog) is own and small.computed == 1
        # What may share a descend: measured once per surface, within MAX_RUNS.
        budget = cache.budget(states[0], catalog)
        assert 0 <= budget <= MAX_RUNS // 3 - 1
        assert cache.budget(states[1], catalog) == budget
    finally:
        ex.close()


def assert_identical_runs(run, alone):
    """Bit for bit, every field (NaN where NaN)."""
    assert run.labels == alone.labels and run.names == alone.names
    assert [repr(o) for o in run.optimizers] == [repr(o) for o in alone.optimizers]
    for name in (
        "path",
        "loss",
        "diverged",
        "diverged_step",
        "starts",
        "grad",
        "update",
        "velocity",
        "effective_lr",
        "lr",
    ):
        a, b = getattr(run, name), getattr(alone, name)
        assert (a is None) == (b is None), name
        if a is not None:
            np.testing.assert_array_equal(a, b, err_msg=name)
    np.testing.assert_array_equal(run.final, alone.final)
    assert run.steps == alone.steps and run.surface is alone.surface


@pytest.mark.parametrize("trace", [False, True])
@pytest.mark.parametrize(
    "surface",
    [
        "rosenbrock",
        "six_hump_camel",
        "goldstein_price",
        "multi_well",
        "tiny_network",
        "logistic_regression",
    ],
)
def test_a_tag_added_runs_that_optimizer_alone_and_reuses_the_others(surface, trace):
    """Adding an optimizer computes its run alone and puts it beside the kept runs of the
    others; removing one computes nothing. Each result is the state's run bit for bit."""
    ex = Explorer(surface, optimizers=("gd", "momentum", "adam"), steps=120)
    catalog = ex.catalog
    try:
        cache = RunCache()
        four = ex.state
        cache.run(four, catalog, trace)
        assert cache.computed == 1 and cache.reused == 0
        five = apply_change(four, "optimizers", ("gd", "momentum", "adam", "newton"), catalog)
        joined = cache.run(five, catalog, trace)
        assert cache.computed == 2 and cache.reused == 3
        assert_identical_runs(joined, compute_run(five, catalog, trace))
        fewer = apply_change(five, "optimizers", ("newton", "gd"), catalog)  # a new order too
        taken = cache.run(fewer, catalog, trace)
        assert cache.computed == 2 and cache.reused == 5
        assert_identical_runs(taken, compute_run(fewer, catalog, trace))
    finally:
        ex.close()


def test_a_changed_rate_or_noise_is_computed_not_reused():
    ex, catalog = explorer_parts(steps=80)
    try:
        cache = RunCache()
        cache.run(ex.state, catalog)
        faster = apply_change(ex.state, "tune", "gd", catalog)
        faster = apply_change(faster, "lr", 0.0004, catalog)  # gd's rate only
        run = cache.run(faster, catalog)
        assert cache.computed == 2 and cache.reused == 2  # momentum and adam kept
        assert_identical_runs(run, compute_run(faster, catalog))
        everyone = apply_change(apply_change(ex.state, "tune", "all", catalog), "lr", 2.0, catalog)
        cache.run(everyone, catalog)
        assert cache.computed == 3 and cache.reused == 2  # every rate changed: nothing kept
        noisy = apply_change(ex.state, "noise", 0.1, catalog)
        run = cache.run(noisy, catalog)
        assert cache.computed == 4 and cache.reused == 2  # a noisy batch draws as a batch
        assert_identical_runs(run, compute_run(noisy, catalog))
        cache.clear()
        cache.run(faster, catalog)
        assert cache.computed == 5 and cache.reused == 2
    finally:
        ex.close()


def test_the_explorer_shows_the_run_of_the_state_after_tag_changes():
    ex, catalog = explorer_parts(steps=150)
    try:
        for optimizers in (("gd", "momentum", "adam", "newton"), ("adam", "rmsprop"), ("gd",)):
            ex.set(optimizers=optimizers)
            assert_identical_runs(ex.run, compute_run(ex.state, catalog))
    finally:
        ex.close()
