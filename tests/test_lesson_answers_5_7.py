"""Every number lessons 5, 6 and 7 quote in their text and answers, recomputed from the package.

Each test names its lesson and quotes the sentence it pins, so that a change in the core or the
Explorer that makes an answer stale fails here, not in front of a student. The set-ups are the
lessons' own (same surfaces, rates, starts, seeds); a quoted number is checked to the precision
the lesson gives it.
"""

import re

import numpy as np
import pytest

import lossviz
from lossviz import Explorer, schedules


def status(ex: Explorer) -> list[str]:
    """The status column of the Explorer's readout, one entry per run."""
    rows = re.findall(r"<tr>(.*?)</tr>", ex.readout.value)
    return [re.findall(r"<td>(.*?)</td>", row)[-1] for row in rows if "<td>" in row]


def copies(point, k: int) -> np.ndarray:
    """``k`` copies of one start, shape (k, 2): runs that differ by their noise only."""
    return np.repeat([point], k, axis=0)


# ---- lesson 5: schedules and the noise floor ---------------------------------------------------

BOWL = lossviz.surface("quadratic")  # curvatures 1 and 10, start (-1.8, 1.2)
CURVATURES = (1.0, 10.0)


def noise_floor(lr: float, sigma: float, curvatures=CURVATURES) -> float:
    """Lesson 5, section 4: lr sigma^2 / (2 (2 - lr lambda)) per direction, summed."""
    return sum(lr * sigma**2 / (2 * (2 - lr * lam)) for lam in curvatures)


def expected_loss(lr: float, steps: int, sigma: float = 2.0) -> np.ndarray:
    """The mean loss of constant-rate noisy gd on the lesson's bowl at every step, exactly:
    in each direction the mean decays by (1 - lr lambda)^t and the variance follows
    v <- (1 - lr lambda)^2 v + lr^2 sigma^2 from 0."""
    t = np.arange(steps + 1)
    total = np.zeros(steps + 1)
    for lam, x0 in zip(CURVATURES, BOWL.start, strict=True):
        f = 1 - lr * lam
        variance = lr**2 * sigma**2 * (1 - f ** (2 * t)) / (1 - f**2)
        total += 0.5 * lam * ((x0 * f**t) ** 2 + variance)
    return total


def lesson_5_noisy_plans():
    """Lesson 5, section 3: three plans, 50 noisy runs each, seed 1."""
    plans = {
        "constant 0.05": lossviz.optimizer("gd", lr=0.05),
        "constant 0.005": lossviz.optimizer("gd", lr=0.005),
        "cosine from 0.05": lossviz.optimizer("gd", lr=schedules.cosine(0.05, steps=300)),
    }
    run = lossviz.descend(BOWL, plans, start=copies(BOWL.start, 50), steps=300, noise=2.0, seed=1)
    return {label: run.loss[run.runs_of(label)].mean(axis=0) for label in run.labels}


def test_lesson_5_the_schedule_table():
    # "0.99³⁰⁰ ≈ 0.05, so it ends at about 5 % of the start"; inverse time "here to a quarter".
    assert 0.99**300 == pytest.approx(0.049, abs=0.001)
    assert schedules.inverse_time(0.1, k=0.01)(300) / 0.1 == pytest.approx(0.25)


def test_lesson_5_three_plans_hover_overtake_and_settle():
    mean = lesson_5_noisy_plans()
    # "After about 50 steps the mean loss stops falling and hovers around 0.12"
    assert mean["constant 0.05"][50:].mean() == pytest.approx(0.12, abs=0.01)
    # "(0.090 against 0.113 at step 300)"
    assert round(mean["constant 0.005"][300], 3) == 0.090
    assert round(mean["constant 0.05"][300], 3) == 0.113
    # "at about step 270 its mean loss crosses below that of constant 0.05": in these 50 runs
    # the crossing (to stay) lies within ten steps of 270 ...
    below = mean["constant 0.005"] < mean["constant 0.05"]
    stays_below_from = len(below) - int(np.argmax(~below[::-1]))
    assert 260 <= stays_below_from <= 285
    # ... and in the exact mean over endless runs it is step 270.
    assert int(np.argmax(expected_loss(0.005, 300) < expected_loss(0.05, 300))) == 270
    # "It ends with the lowest mean loss, 0.017"
    assert round(mean["cosine from 0.05"][300], 3) == 0.017
    assert mean["cosine from 0.05"][300] < min(
        mean["constant 0.05"][300], mean["constant 0.005"][300]
    )


# Every pair below gd's stability limit lr < 2/condition: beyond it there is no floor.
FLOOR_CASES = [
    (0.01, 1),
    (0.05, 1),
    (0.15, 1),
    (0.01, 10),
    (0.05, 10),
    (0.15, 10),
    (0.01, 30),
    (0.05, 30),
]


@pytest.mark.parametrize(("lr", "condition"), FLOOR_CASES)
def test_lesson_5_noise_floor_formula_matches_the_mean_over_many_runs(lr, condition):
    # Section 4: "floor = lr σ² / (2 (2 − lr λ))" per direction,
    # derived from v = (1 − lr λ)² v + lr² σ².
    # Averaged over 400 runs and their last 1000 of 1500 steps; within 3 % (the runs' noise).
    bowl = lossviz.surface("quadratic", condition=condition)
    sigma = 1.5
    run = lossviz.descend(
        bowl,
        lossviz.optimizer("gd", lr=lr),
        start=copies(bowl.start, 400),
        steps=1500,
        noise=sigma,
        seed=7,
    )
    measured = run.loss[:, 500:].mean()
    assert measured == pytest.approx(noise_floor(lr, sigma, (1.0, condition)), rel=0.03)
    # "the spread v is proportional to 1/λ": v = lr σ² / (λ (2 − lr λ)) per coordinate.
    spread = run.path[:, 500:].reshape(-1, 2).var(axis=0)
    predicted = [lr * sigma**2 / (lam * (2 - lr * lam)) for lam in (1.0, condition)]
    np.testing.assert_allclose(spread, predicted, rtol=0.05)


def test_lesson_5_the_floor_of_the_figure_and_the_cloud_shape():
    # "0.05·4/(2·1.95) + 0.05·4/(2·1.5) = 0.051 + 0.067 = 0.118: the 0.12 of the figure"
    parts = [0.05 * 4 / (2 * (2 - 0.05 * lam)) for lam in CURVATURES]
    assert [round(p, 3) for p in parts] == [0.051, 0.067]
    assert round(noise_floor(0.05, 2.0), 3) == 0.118
    # The lesson's check: 200 runs, seed 2, mean loss over steps 200 to 600: "measured 0.118".
    cloud = lossviz.descend(
        BOWL,
        lossviz.optimizer("gd", lr=0.05),
        start=copies(BOWL.start, 200),
        steps=600,
        noise=2.0,
        seed=2,
    )
    assert round(cloud.loss[:, 200:].mean(), 3) == 0.118
    # Exercise 1: "a half-width of √(0.05·4/(1·1.95)) = 0.32 along x and √(0.05·4/(10·1.5)) = 0.115
    # along y: 2.8 times longer along x (for a very small rate the ratio would be √10 ≈ 3.2).
    # The cell measures 0.32 and 0.116."
    width = [np.sqrt(0.05 * 4 / (lam * (2 - 0.05 * lam))) for lam in CURVATURES]
    assert round(width[0], 2) == 0.32 and round(width[1], 3) == 0.115
    assert round(width[0] / width[1], 1) == 2.8 and round(np.sqrt(10), 1) == 3.2
    arrived = cloud.path[:, 200:]
    assert round(arrived[..., 0].std(), 3) == 0.320 and round(arrived[..., 1].std(), 3) == 0.116


def test_lesson_5_exercise_2_a_smaller_rate_ends_lower_and_later():
    # "noise_floor gives 0.054 for 0.025 (half of 0.118) and 0.010 for 0.005"
    assert round(noise_floor(0.025, 2.0), 3) == 0.054
    assert round(noise_floor(0.005, 2.0), 3) == 0.010
    # "The steps needed are ln(1.6 / (floor/2)) / (2 lr): 33 at 0.05, 82 at 0.025 and 577 at 0.005."
    start_loss = 0.5 * BOWL.start[0] ** 2
    assert round(start_loss, 1) == 1.6
    rule = {
        lr: np.log(start_loss / (noise_floor(lr, 2.0) / 2)) / (2 * lr)
        for lr in (0.05, 0.025, 0.005)
    }
    assert [round(v) for v in rule.values()] == [33, 82, 577]
    # "The cell measures 33, 77 and 568." (200 runs, 3000 steps, seed 3: the first step whose
    # mean loss is within 50 % of the floor)
    rates = {"gd 0.05": 0.05, "gd 0.025": 0.025, "gd 0.005": 0.005}
    run = lossviz.descend(
        BOWL,
        {k: lossviz.optimizer("gd", lr=v) for k, v in rates.items()},
        start=copies(BOWL.start, 200),
        steps=3000,
        noise=2.0,
        seed=3,
    )
    arrivals = []
    for label, lr in rates.items():
        mean = run.loss[run.runs_of(label)].mean(axis=0)
        arrivals.append(int(np.argmax(mean < 1.5 * noise_floor(lr, 2.0))))
        assert mean[2000:].mean() == pytest.approx(noise_floor(lr, 2.0), rel=0.03)
    assert arrivals == [33, 77, 568]


def schedule_explorer() -> Explorer:
    """Lesson 5, section 5, as the lesson builds it."""
    ex = Explorer(
        "quadratic",
        optimizers=("gd",),
        lr=0.05,
        schedule="cosine",
        steps=300,
        controls=(
            "lr",
            "schedule",
            "schedule_every",
            "schedule_factor",
            "schedule_gamma",
            "schedule_k",
            "schedule_warmup",
            "schedule_period",
            "schedule_floor",
            "noise",
            "steps",
        ),
    )
    ex.set(noise=2.0)
    return ex


def test_lesson_5_exercise_3_a_cosine_with_floor_1_is_constant():
    # "the path, the loss curve and the table are exactly those of constant"
    ex = schedule_explorer()
    ex.set(schedule_floor=1.0)
    floor_one = ex.run.path.copy()
    ex.set(schedule="constant")
    np.testing.assert_array_equal(ex.run.path, floor_one)
    ex.close()


def test_lesson_5_exercise_4_the_staircase_halves_the_floor():
    # "averaged over many runs, the loss hovers around 0.12, then 0.055, then 0.028"
    run = lossviz.descend(
        BOWL,
        lossviz.optimizer("gd", lr=schedules.step_decay(0.05, every=100, factor=0.5)),
        start=copies(BOWL.start, 2000),
        steps=300,
        noise=2.0,
        seed=5,
    )
    mean = run.loss.mean(axis=0)
    levels = [mean[50:100].mean(), mean[150:200].mean(), mean[250:300].mean()]
    assert levels == pytest.approx([0.12, 0.055, 0.028], rel=0.06)
    # "in it [the Explorer's one run] the first drop hardly shows, the second clearly does"
    ex = schedule_explorer()
    ex.set(schedule="step_decay")
    loss = ex.run.loss[0]
    first, second, third = (np.median(loss[a : a + 50]) for a in (50, 150, 250))
    assert second > 0.8 * first and third < 0.5 * second
    ex.close()


def test_lesson_5_exercise_5_no_noise_and_robbins_monro():
    ex = schedule_explorer()
    ex.set(noise=0.0)
    # "constant converges in 113 steps, cosine in 127"
    assert status(ex) == ["converged in 127 steps"]
    ex.set(schedule="constant")
    assert status(ex) == ["converged in 113 steps"]
    # "its rates add up to 0.05 (1 − 0.99³⁰⁰)/(1 − 0.99) = 4.75 over the 300 steps"
    rates = schedules.exponential(0.05, gamma=0.99)(np.arange(300))
    assert round(rates.sum(), 2) == 4.75 and 0.05 * (1 - 0.99**300) / 0.01 == pytest.approx(
        rates.sum()
    )
    # "the product of the factors is about e^(−4.75) ≈ 0.009 (exactly 0.008)"
    assert round(np.exp(-4.75), 3) == 0.009 and round(np.prod(1 - rates), 3) == 0.008
    # "it ends about 0.015 from the minimum (the table says 0.0145, near a minimum, still moving)"
    ex.set(schedule="exponential")
    assert "<td>0.0145</td>" in ex.readout.value
    assert status(ex) == ["near a minimum, still moving"]
    assert abs(ex.run.final[0, 0]) == pytest.approx(1.8 * np.prod(1 - rates), rel=1e-9)
    # "Even with endless steps its rates add up to only 0.05/0.01 = 5, and it would never get
    # closer than 0.011."
    endless = schedules.exponential(0.05, gamma=0.99)(np.arange(20_000))
    assert endless.sum() == pytest.approx(5.0, abs=1e-6)
    assert round(1.8 * np.prod(1 - endless), 3) == 0.011
    # "inverse_time ... converges (in 196 steps)"
    ex.set(schedule="inverse_time")
    assert status(ex) == ["converged in 196 steps"]
    ex.close()


def test_lesson_5_exercise_6_a_long_warm_up():
    # "its first 50 rates add up to only 0.425, against 2.45 for cosine"
    t = np.arange(50)
    warm = schedules.warmup_cosine(0.05, warmup=150, steps=300)
    assert warm(0) == pytest.approx(0.05 / 150)  # "from 1/150 of the peak"
    assert round(warm(t).sum(), 3) == 0.425
    assert round(schedules.cosine(0.05, steps=300)(t).sum(), 2) == 2.45
    # "x has only shrunk by e^(−0.425) ≈ 0.65, from −1.8 to about −1.18, so the loss at step 50 is
    # about ½·1.18² ≈ 0.7"; "cosine ... shrank by e^(−2.45) ≈ 0.09"
    assert round(np.exp(-0.425), 2) == 0.65 and round(-1.8 * np.exp(-0.425), 2) == -1.18
    assert round(0.5 * 1.18**2, 1) == 0.7 and round(np.exp(-2.45), 2) == 0.09
    # "(the curve says 0.70)"; "(this run says 0.08)"
    ex = schedule_explorer()
    assert round(ex.run.loss[0, 50], 2) == 0.08
    ex.set(schedule="warmup_cosine", schedule_warmup=150)
    assert round(ex.run.loss[0, 50], 2) == 0.70
    ex.close()
