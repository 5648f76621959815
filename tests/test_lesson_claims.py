"""Numbers that the lessons' answers quote, computed here so a change that breaks one fails."""

import numpy as np
import pytest

import lossviz


def race(condition: float):
    """Lesson 3, section 5: gd, momentum and Nesterov at lr 0.01 and beta 0.9 for 300 steps."""
    valley = lossviz.surface("quadratic", condition=condition, angle=30)
    racers = {
        "gd": lossviz.optimizer("gd", lr=0.01),
        "momentum": lossviz.optimizer("momentum", lr=0.01, beta=0.9),
        "nesterov": lossviz.optimizer("nesterov", lr=0.01, beta=0.9),
    }
    run = lossviz.descend(valley, racers, steps=300)
    return run, run.convergence_step()


def test_lesson_3_round_bowl_with_a_small_rate():
    run, steps = race(1.0)
    assert steps[0] == -1 and not run.diverged[0]  # gd: not converged in 300 steps
    assert 85 <= steps[2] <= 95 and 110 <= steps[1] <= 120  # Nesterov about 90, momentum 115
    assert 0.99**300 == pytest.approx(0.049, abs=0.001)


@pytest.mark.parametrize("condition", [10, 50, 100, 130])
def test_lesson_3_steps_barely_change_until_an_optimizer_breaks(condition):
    run, steps = race(condition)
    assert not run.diverged.any()
    assert 103 <= steps[1] <= 124 and 87 <= steps[2] <= 92


def test_lesson_3_nesterov_breaks_first_then_gd_then_the_heavy_ball():
    limits = {"nesterov": 3.8 / (2.8 * 0.01), "gd": 2 / 0.01, "momentum": 3.8 / 0.01}
    assert limits["nesterov"] == pytest.approx(135.7, abs=0.1)
    order = ["gd", "momentum", "nesterov"]
    for name, limit in limits.items():
        i = order.index(name)
        below, _ = race(limit * 0.97)
        above, _ = race(limit * 1.03)
        assert not below.diverged[i] and above.diverged[i], name
    assert race(140)[0].diverged.tolist() == [False, False, True]
    assert np.array_equal(race(300)[0].diverged, [True, False, True])
