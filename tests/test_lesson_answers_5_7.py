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


# ---- lesson 6: saddles, Newton, plateaus, wells and their borders ------------------------------

SADDLE = lossviz.surface("saddle")
MONKEY = lossviz.surface("monkey_saddle")


def first_step_past(path: np.ndarray, coordinate: int, size: float) -> int:
    """The first step at which ``|path[:, coordinate]|`` exceeds ``size``."""
    return int(np.argmax(np.abs(path[:, coordinate]) > size))


def test_lesson_6_section_1_a_saddle_and_who_lingers():
    # "one curvature is positive (up along x) and one negative"; "two valleys, at (0, ±1.41)"
    np.testing.assert_allclose(np.linalg.eigvalsh(SADDLE.hessian([0.0, 0.0])), [-2.0, 2.0])
    np.testing.assert_allclose(SADDLE.minima, [[0, np.sqrt(2)], [0, -np.sqrt(2)]])
    np.testing.assert_allclose(SADDLE(SADDLE.minima), [-1.0, -1.0])
    racers = {
        "gd": lossviz.optimizer("gd", lr=0.1),
        "momentum": lossviz.optimizer("momentum", lr=0.1, beta=0.9),
    }
    run = lossviz.descend(SADDLE, racers, start=[[1.8, 0.001], [1.8, 0.0]], steps=150)
    near = (np.linalg.norm(run.path, axis=-1) < 0.25).sum(axis=1)
    # "lingers there for about 20 steps"; "0.001 must be multiplied about 40 times to grow to 1"
    assert 18 <= near[0] <= 24
    assert round(np.log(1000) / np.log(1.2)) == 38
    # "gd from (1.8, 0) never leaves"; "momentum from (1.8, 0) is stuck too"
    np.testing.assert_allclose(run.final[[1, 3]], 0.0, atol=1e-3)
    # gd and momentum from (1.8, 0.001) end in the upper valley
    np.testing.assert_allclose(run.final[[0, 2]], [[0, np.sqrt(2)]] * 2, atol=0.01)


def saddle_explorer() -> Explorer:
    """Lesson 6, section 2, as the lesson builds it."""
    return Explorer(
        "saddle",
        optimizers=("gd", "momentum"),
        start=(1.8, 0.0),
        lr=0.1,
        momentum=0.9,
        steps=150,
        controls=("noise", "tune", "lr", "momentum", "steps"),
    )


def test_lesson_6_section_2_and_exercises_1_to_3_escaping_with_noise():
    ex = saddle_explorer()
    # "both get stuck at the saddle (the table says not converged, 1.41 from the nearest minimum)"
    assert status(ex) == ["not converged", "not converged"]
    assert ex.readout.value.count("<td>1.41</td>") == 2
    # Exercise 1: "Momentum leaves first: its y passes 0.5 after about 10 steps, gd's after about
    # 40. With this noise both end in the lower valley, near (0, −1.41)"; and section 2: "the table
    # says near a minimum, still moving"
    ex.set(noise=0.1)
    gd, momentum = (first_step_past(ex.run.path[i], 1, 0.5) for i in (0, 1))
    assert 8 <= momentum <= 12 and 36 <= gd <= 44
    np.testing.assert_allclose(ex.run.final, [[0, -np.sqrt(2)]] * 2, atol=0.1)
    assert status(ex) == ["near a minimum, still moving"] * 2
    # Exercise 2: "ln 250 / ln 1.04 ≈ 140 steps. Its y passes 0.5 after 131 steps"
    ex.set(tune="gd", lr=0.02)
    assert round(np.log(250) / np.log(1.04), -1) == 140
    assert first_step_past(ex.run.path[0], 1, 0.5) == 131
    # Exercise 3: "gd spends fewer than 10 steps near the saddle, momentum none ... gd ends about
    # 0.3 from the minimum"
    ex.set(lr=0.1)
    ex.set(tune="all")
    ex.set(noise=1.0)
    near = (np.linalg.norm(ex.run.path, axis=-1) < 0.25).sum(axis=1)
    assert near[0] < 10 and near[1] == 0
    assert round(ex.surface.nearest_minimum(ex.run.final)[1][0], 1) == 0.3
    ex.close()


def test_lesson_6_section_3_the_monkey_saddle():
    run = lossviz.descend(
        MONKEY,
        {
            "gd": lossviz.optimizer("gd", lr=0.02),
            "momentum": lossviz.optimizer("momentum", lr=0.02, beta=0.9),
        },
        start=[[1.2, 0.0], [1.2, 0.02]],
        steps=300,
    )
    # "0.12 away after 100 steps, 0.07 after 200, 0.05 after 300"
    distance = np.linalg.norm(run.path[0, [100, 200, 300]], axis=1)
    assert distance.round(2).tolist() == [0.12, 0.07, 0.05]
    # momentum ends "at (−1.5, 0)"; gd off the axis "in the upper-right valley at (0.75, 1.30)"
    np.testing.assert_allclose(run.final[2], [-1.5, 0.0], atol=0.01)
    np.testing.assert_allclose(run.final[1], [0.75, 1.30], atol=0.01)


def test_lesson_6_section_4_newton_is_drawn_onto_saddles():
    race = {"gd": lossviz.optimizer("gd", lr=0.1), "newton": lossviz.optimizer("newton", lr=1.0)}
    run = lossviz.descend(SADDLE, race, start=(1.8, 0.3), steps=50)
    # "gd escapes into the upper valley at (0, 1.41)"; Newton "lands on the saddle, and there it
    # stays"; "sends y from 0.3 to −0.031"; "0.3, then −0.031, then 0.00005"
    np.testing.assert_allclose(run.final[0], [0, np.sqrt(2)], atol=0.01)
    np.testing.assert_allclose(run.path[1, 2:], 0.0, atol=1e-4)
    assert abs(run.path[1, 1, 0]) < 1e-3  # "takes x to (almost exactly) 0 at once"
    assert round(run.path[1, 1, 1], 3) == -0.031
    assert round(run.path[1, 2, 1], 5) == 0.00005
    # "2y³/(3y² − 2)": Newton's y step, y − (y³ − 2y)/(3y² − 2), with the damping 0.001 added
    # to the curvature (1 % off here, invisible in the lesson's 0.031)
    y = run.path[1, 0, 1]
    assert run.path[1, 1, 1] == pytest.approx(y - (y**3 - 2 * y) / (3 * y**2 - 2 + 0.001))
    assert round(2 * y**3 / (3 * y**2 - 2), 3) == -0.031
    # "from every start with |y| below 0.63, where |2y³/(3y² − 2)| < |y|": the border is √0.4
    assert round(np.sqrt(0.4), 2) == 0.63
    ys = np.array([0.62, -0.5, 0.3, 0.1])
    steps = lossviz.descend(
        SADDLE, race["newton"], start=np.column_stack([ys * 0 + 1, ys]), steps=40
    )
    np.testing.assert_allclose(steps.final, 0.0, atol=1e-6)
    # Monkey: Newton "halving its distance at every step (1.2, 0.71, 0.40, 0.22, 0.12, …)";
    # gd from the same start turns off into a valley
    monkey = lossviz.descend(
        MONKEY,
        {"gd": lossviz.optimizer("gd", lr=0.02), "newton": lossviz.optimizer("newton", lr=1.0)},
        steps=300,
    )
    distance = np.linalg.norm(monkey.path[1, :5], axis=1)
    assert distance.round(2).tolist() == [1.2, 0.71, 0.40, 0.22, 0.12]
    # the ratio tends to 1/2 (until the damping 0.001 matters, at distances near 0.001)
    distance = np.linalg.norm(monkey.path[1, 4:9], axis=1)
    np.testing.assert_allclose(distance[1:] / distance[:-1], 0.5, atol=0.025)
    np.testing.assert_allclose(monkey.final[1], 0.0, atol=1e-4)
    np.testing.assert_allclose(monkey.final[0], [0.75, 1.30], atol=0.01)


def test_lesson_6_exercise_4_where_newton_goes():
    run = lossviz.descend(
        SADDLE, lossviz.optimizer("newton", lr=1.0), start=[[1.0, 0.5], [1.0, 0.7]], steps=20
    )
    # "From (1.0, 0.5): y goes to 2·0.125/(0.75 − 2) = −0.2, then to about 0.009, then to 0"
    assert round(2 * 0.125 / (0.75 - 2), 2) == -0.2
    assert run.path[0, 1:4, 1].round(3).tolist() == [-0.201, 0.009, -0.0]
    np.testing.assert_allclose(run.final[0], 0.0, atol=1e-8)
    # "From (1.0, 0.7): 3y² − 2 = −0.53 ... y jumps to 2·0.343/(−0.53) ≈ −1.3 ... Newton settles
    # at (0, −1.41) in three more steps"
    assert round(3 * 0.7**2 - 2, 2) == -0.53 and round(2 * 0.343 / -0.53, 1) == -1.3
    assert round(run.path[1, 1, 1], 1) == -1.3
    np.testing.assert_allclose(run.path[1, 4], [0, -np.sqrt(2)], atol=1e-3)
    # "(|y| near 0.82)": where the curvature 3y² − 2 vanishes
    assert round(np.sqrt(2 / 3), 2) == 0.82


def test_lesson_6_exercise_5_random_curvatures_are_rarely_all_positive():
    # The lesson's cell, seed 0: "50 % for n = 1, then 14.5 %, 2.7 %, 0.01 % (2 of 20,000) and, for
    # n = 10, none at all"; coin flips "25 %, 12.5 %, 3 %, 0.1 %"
    rng = np.random.default_rng(0)
    minima = {}
    for n in (1, 2, 3, 5, 10):
        a = rng.standard_normal((20_000, n, n))
        curvatures = np.linalg.eigvalsh((a + np.swapaxes(a, 1, 2)) / 2)
        minima[n] = int((curvatures > 0).all(axis=1).sum())
    assert round(minima[1] / 20_000, 2) == 0.50
    assert round(minima[2] / 20_000, 3) == 0.145
    assert round(minima[3] / 20_000, 3) == 0.027
    assert minima[5] == 2 and minima[10] == 0
    assert [round(100 * 0.5**n, 1) for n in (2, 3, 5, 10)] == [25.0, 12.5, 3.1, 0.1]


def test_lesson_6_section_5_a_plateau_and_a_ridge():
    plateau = lossviz.surface("plateau_ridge")
    run = lossviz.descend(
        plateau,
        {"gd": lossviz.optimizer("gd", lr=0.1), "adam": lossviz.optimizer("adam", lr=0.1)},
        start=[plateau.start, [0.0, 1.5]],
        steps=300,
    )
    # "from x = −2 to about −1.99"; "the gradient there is about 0.0003"
    assert round(run.final[0, 0], 2) == -1.99
    assert np.linalg.norm(plateau.grad(plateau.start)) == pytest.approx(0.0003, abs=0.0001)
    # Adam "stops in the shallow dip in front of it" at about (0.79, 0); gd from (0, 1.5) ends
    # in the deep valley at about (2, 0)
    np.testing.assert_allclose(run.final[2], [0.79, 0.0], atol=0.01)
    np.testing.assert_allclose(run.final[1], [2.0, 0.0], atol=0.01)


def test_lesson_6_section_6_basins_of_three_surfaces():
    wells = {"multi_well": 0.2, "six_hump_camel": 0.01, "himmelblau": 0.005}
    shares, losses = {}, {}
    for name, lr in wells.items():
        b = lossviz.basins(name, lossviz.optimizer("gd", lr=lr), resolution=80, steps=300)
        shares[name] = [round(float(np.mean(b.labels == k)), 2) for k in range(len(b.minima))]
        losses[name] = [round(float(b.surface(m)), 2) for m in b.minima]
    # "The deepest, at (1.45, −1.16) (loss −0.82), has the largest basin, 39 % of the starts, but
    # the other two basins are big too (23 % and 38 %)"
    assert losses["multi_well"] == [-0.82, -0.57, -0.45]
    assert shares["multi_well"] == [0.39, 0.23, 0.38]
    # "The two global ones, at (±0.09, ∓0.71) (loss −1.03), sit in the middle"
    assert losses["six_hump_camel"][:2] == [-1.03, -1.03]
    assert min(losses["six_hump_camel"]) == -1.03
    # "four minima, all with loss 0"
    assert losses["himmelblau"] == [0.0] * 4
    # Exercise 6: "The default start lies in the basin of the minimum at about (−1.23, 1.13), the
    # shallowest of the three wells (loss −0.45, against −0.82 for the deepest)"
    run = lossviz.descend("multi_well", lossviz.optimizer("gd", lr=0.2), steps=300)
    np.testing.assert_allclose(run.final[0], [-1.23, 1.13], atol=0.01)
    assert round(run.final_loss[0], 2) == -0.45


def test_lesson_6_section_7_the_rate_and_momentum_move_the_borders():
    himmelblau = lossviz.surface("himmelblau")
    steepest = [np.linalg.eigvalsh(himmelblau.hessian(m))[-1] for m in himmelblau.minima]
    # "(λ_max = 133.8, so gd is stable there only for lr < 0.0149)": the steepest of the four
    assert int(np.argmax(steepest)) == 2 and round(steepest[2], 1) == 133.8
    assert round(2 / steepest[2], 4) == 0.0149
    maps = {
        "gd 0.005": lossviz.basins(himmelblau, lossviz.optimizer("gd", lr=0.005), resolution=120),
        "gd 0.016": lossviz.basins(himmelblau, lossviz.optimizer("gd", lr=0.016), resolution=120),
        "momentum": lossviz.basins(
            himmelblau, lossviz.optimizer("momentum", lr=0.005, beta=0.9), resolution=120
        ),
    }
    gd = maps["gd 0.005"].labels
    moved = {k: float(np.mean((b.labels != gd) & (b.labels >= 0))) for k, b in maps.items()}
    # "at 0.016 its quarter of the map turns grey"; "8 % of the starts end in a different well"
    fast = maps["gd 0.016"].labels
    assert np.mean(fast == 2) == 0 and round(float(np.mean(fast == -2)), 2) == 0.23
    assert round(moved["gd 0.016"], 2) == 0.08
    # "they bounce across it forever ... in a two-step cycle that neither settles nor leaves"
    run = lossviz.descend(
        himmelblau, lossviz.optimizer("gd", lr=0.016), start=(-3.5, -3.0), steps=300
    )
    assert not run.diverged[0]
    np.testing.assert_allclose(run.path[0, -1], run.path[0, -3], atol=1e-9)
    assert np.linalg.norm(run.path[0, -1] - run.path[0, -2]) > 1
    # The basin vanishes right at the limit: still there at 0.0148, gone at 0.0151.
    below = lossviz.basins(himmelblau, lossviz.optimizer("gd", lr=0.0148), resolution=60)
    above = lossviz.basins(himmelblau, lossviz.optimizer("gd", lr=0.0151), resolution=60)
    assert np.mean(below.labels == 2) > 0.2 and np.mean(above.labels == 2) < 0.01
    # "With momentum the four basins keep about their size (26 %, 26 %, 23 %, 24 %) ... 24 % of the
    # starts end in a different well than gd's"
    momentum = maps["momentum"].labels
    assert [round(float(np.mean(momentum == k)), 2) for k in range(4)] == [0.26, 0.26, 0.23, 0.24]
    assert round(moved["momentum"], 2) == 0.24


def camel_explorer() -> Explorer:
    """Lesson 6, section 7, as the lesson builds it."""
    return Explorer(
        "six_hump_camel",
        optimizers=("gd", "momentum"),
        lr=0.01,
        momentum=0.9,
        steps=300,
        controls=("tune", "lr", "momentum", "steps"),
    )


def test_lesson_6_exercises_8_to_10_momentum_changes_the_valley():
    ex = camel_explorer()
    camel = ex.surface
    # Exercise 8: gd ends "at about (−1.61, −0.57), the highest of the six (loss 2.10)";
    # momentum "into the valley at about (−1.70, 0.80), loss −0.22"
    np.testing.assert_allclose(ex.run.final, [[-1.61, -0.57], [-1.70, 0.80]], atol=0.01)
    assert camel(ex.run.final).round(2).tolist() == [2.10, -0.22]
    assert round(float(camel(camel.minima).max()), 2) == 2.10
    # Exercise 9: "At β = 0.80 momentum still reaches the deeper valley; at 0.79 and below it stays
    # in gd's valley"; "At β = 0 momentum is gradient descent"
    ex.set(tune="momentum", momentum=0.80)
    np.testing.assert_allclose(ex.run.final[1], [-1.70, 0.80], atol=0.01)
    for beta in (0.79, 0.7, 0.5):
        ex.set(momentum=beta)
        np.testing.assert_allclose(ex.run.final[1], [-1.61, -0.57], atol=0.01)
    ex.set(momentum=0.0)
    np.testing.assert_array_equal(ex.run.path[0], ex.run.path[1])
    # Exercise 10: "(0, 0.5) (both end at about (−0.09, 0.71)) or (0.5, −0.5) (both end at about
    # (0.09, −0.71))"
    ex.set(momentum=0.9)
    for start, end in [((0.0, 0.5), (-0.09, 0.71)), ((0.5, -0.5), (0.09, -0.71))]:
        ex.set(start=start)
        np.testing.assert_allclose(ex.run.final, [end, end], atol=0.01)
    ex.close()


# ---- lesson 7: toy models from data --------------------------------------------------------------

LINE = lossviz.surface("linear_regression")
NET = lossviz.surface("tiny_network")


def line_explorer() -> Explorer:
    """Lesson 7, section 2, as the lesson builds it."""
    return Explorer(
        "linear_regression",
        optimizers=("gd", "adam"),
        steps=100,
        controls=("optimizers", "tune", "lr", "steps", "batch_size"),
    )


def net_explorer() -> Explorer:
    """Lesson 7, section 5, as the lesson builds it."""
    return Explorer(
        "tiny_network",
        optimizers=("gd", "momentum"),
        steps=200,
        lr={"momentum": 0.03},
        controls=("optimizers", "tune", "lr", "momentum", "steps", "noise"),
    )


def test_lesson_7_section_1_the_line_and_gds_route():
    # "30 training points, 10 held out; the best line is y = 2.08 x -0.96"
    assert (len(LINE.y_train), len(LINE.y_heldout)) == (30, 10)
    assert LINE.minima[0].round(2).tolist() == [2.08, -0.96]
    # "(no zig-zag: lr 0.1 is well below this bowl's limit 2/λ_max = 0.29)": the part of the
    # path along the steep direction never changes sign
    curvatures, directions = np.linalg.eigh(LINE.hessian(LINE.minima[0]))
    assert round(2 / curvatures[-1], 2) == 0.29
    run = lossviz.descend(LINE, lossviz.optimizer("gd", lr=0.1), steps=100)
    across = (run.path[0] - LINE.minima[0]) @ directions[:, -1]
    assert np.all(np.sign(across[np.abs(across) > 1e-12]) == np.sign(across[0]))


def test_lesson_7_exercises_1_and_2_ten_steps_and_sgd():
    ex = line_explorer()
    # "The table shows the learning rates: gd 0.1, Adam 0.05. The start is (−0.42, 2.04) and the
    # best line (2.08, −0.96): 2.5 away in w and 3 in b."
    assert ex.hyperparameters["gd"]["lr"] == 0.1 and ex.hyperparameters["adam"]["lr"] == 0.05
    assert LINE.start.round(2).tolist() == [-0.42, 2.04]
    assert (LINE.minima[0] - LINE.start).round(1).tolist() == [2.5, -3.0]
    # Exercise 1: "it has moved from (−0.42, 2.04) to (0.08, 1.54)"; "training loss 1.23 for gd,
    # 6.79 for Adam (both started at 10.4)"
    ex.set(steps=10)
    assert ex.run.final[1].round(2).tolist() == [0.08, 1.54]
    assert "<td>1.225</td>" in ex.readout.value and "<td>6.788</td>" in ex.readout.value
    assert round(float(LINE(LINE.start)), 1) == 10.4
    # "Give them 100 steps and both arrive"
    ex.set(steps=100)
    assert status(ex) == ["converged in 64 steps", "near a minimum, still moving"]
    # Exercise 2: "after 600 steps gd ends 0.093 from the star, and the table says near a minimum,
    # still moving"
    ex.set(steps=600, batch_size=2)
    assert round(float(np.linalg.norm(ex.run.final[0] - LINE.minima[0])), 3) == 0.093
    assert status(ex)[0] == "near a minimum, still moving"
    # Exercise 7 (section 6): after a reset, "0.2887 held out against 0.2894 for training"
    ex.reset()
    row = re.findall(r"<tr>(.*?)</tr>", ex.readout.value)[1]  # gd's row
    assert "<td>0.2894</td><td>0.2887</td>" in row
    ex.close()


def minibatch_noise(size: int, seed: int = 1):
    """Lesson 7's measurement: SGD (gd, lr 0.01) from the best line, 3000 steps, batches of
    ``size``; returns the noise's typical length and how far above the minimum SGD hovers."""
    best = LINE.minima[0]
    run = lossviz.descend(
        LINE,
        lossviz.optimizer("gd", lr=0.01),
        start=best,
        steps=3000,
        batch_size=size,
        seed=seed,
        trace=True,
    )
    noise = run.grad[0] - LINE.grad(run.path[0, :-1])
    return np.sqrt(np.mean(np.sum(noise**2, axis=1))), np.mean(run.loss[0, 500:]) - LINE(best)


def test_lesson_7_exercise_3_the_batch_size_is_a_noise_knob():
    n = len(LINE.y_train)
    shrink = {b: np.sqrt((n - b) / (b * (n - 1))) for b in (1, 2, 4, 8, 16, 30)}
    measured = {b: minibatch_noise(b) for b in shrink}
    # The noise follows σ₁ √((N − B)/(B (N − 1))) to within 3 % (one run of 3000 steps each).
    for b in (2, 4, 8, 16):
        assert measured[b][0] / measured[1][0] == pytest.approx(shrink[b], rel=0.03)
    # "from B = 2 to 8 it falls to 0.44 of its size (the formula says 0.44 too), not 0.5"
    assert round(measured[8][0] / measured[2][0], 2) == 0.44
    assert round(shrink[8] / shrink[2], 2) == 0.44
    # "0.0042 above the minimum at B = 2, 0.0009 at B = 8 (roughly the noise² ratio, 0.2)"
    assert round(measured[2][1], 4) == 0.0042 and round(measured[8][1], 4) == 0.0009
    assert round((shrink[8] / shrink[2]) ** 2, 1) == 0.2
    # "With batches of 30 ... no noise at all, and SGD is gradient descent, it stays on the star"
    assert measured[30] == (0.0, 0.0) or max(abs(v) for v in measured[30]) < 1e-12


def test_lesson_7_mini_batch_noise_shrinks_like_one_over_root_b_on_average():
    # Section 3's formula, checked on the gradient at the best line (where the full gradient is
    # 0), averaged over 4000 batches per size: within 4 %.
    best, n = LINE.minima[0], len(LINE.y_train)
    rng = np.random.default_rng(11)
    spread = {}
    for b in (1, 2, 8, 20):
        g = np.array([LINE.stochastic_grad(best, b, rng) for _ in range(4000)])
        spread[b] = np.sqrt(np.mean(np.sum(g**2, axis=1)))
    for b in (2, 8, 20):
        assert spread[b] / spread[1] == pytest.approx(np.sqrt((n - b) / (b * (n - 1))), rel=0.04)


def test_lesson_7_section_4_logistic_regression():
    ex = Explorer(
        "logistic_regression",
        optimizers=("gd", "adam"),
        steps=150,
        lr={"gd": 2.0},
        controls=("optimizers", "tune", "lr", "momentum", "steps", "batch_size"),
    )
    surface = ex.surface
    # "(Momentum at its default rate swings far off this map: near its minimum the bowl is very
    # flat, λ_max = 0.11 ...)"
    assert round(np.linalg.eigvalsh(surface.hessian(surface.minima[0]))[-1], 2) == 0.11
    wild = lossviz.descend(surface, lossviz.optimizer("momentum", lr=10.0, beta=0.9), steps=150)
    assert np.abs(wild.path[0]).max() > 2 * surface.bounds[0][1]
    assert np.abs(ex.run.path).max() <= surface.bounds[0][1]  # gd and Adam stay on the map
    # "its line is turned 135° from the best one"
    turn = np.degrees(np.arctan2(*surface.start[::-1]) - np.arctan2(*surface.minima[0][::-1]))
    assert round(turn) == 135
    # Exercise 4: "the weight vector points at 167° at the start, 113° after one step, 72° after
    # two, 43° after 5 and 34° after 10, and from about step 20 it stays at 32° (with steps at 40
    # the table says converged in 34 steps)"
    path = ex.run.path[0]
    angle = np.degrees(np.arctan2(path[:, 1], path[:, 0]))
    assert angle[[0, 1, 2, 5, 10, 20, 150]].round().tolist() == [167, 113, 72, 43, 34, 32, 32]
    ex.set(steps=40)
    assert status(ex)[0] == "converged in 34 steps"
    # "the weights first shrink, from length 2.21 to 1.3 in the first two steps ... Then they grow
    # back to 2.2."
    length = np.linalg.norm(path, axis=1)
    assert length[0].round(2) == 2.21 and length[[1, 2]].round(1).tolist() == [1.3, 1.3]
    assert length[-1].round(1) == 2.2
    ex.close()


def test_lesson_7_section_5_symmetry_saddle_and_backpropagation():
    # "One curvature is negative, −4.20, along (1, 1)/√2 ... The other is +4.20, along (1, −1)/√2"
    curvatures, directions = np.linalg.eigh(NET.hessian([0.0, 0.0]))
    assert curvatures.round(2).tolist() == [-4.20, 4.20]
    np.testing.assert_allclose(np.abs(directions), np.sqrt(0.5))
    assert directions[0, 0] * directions[1, 0] > 0 > directions[0, 1] * directions[1, 1]
    # two mirror-image minima with the same loss
    np.testing.assert_allclose(NET.minima[0], -NET.minima[1])
    assert NET(NET.minima[0]) == pytest.approx(NET(NET.minima[1]))
    # The chain rule by hand equals the package's gradient, at the lesson's weights and others.
    x, y = NET.x_train, NET.y_train
    for w1, w2 in [(0.5, -0.45), (1.5, 2.0), (-2.0, 0.3)]:
        hidden = np.tanh(w1 * x)
        error = w2 * hidden - y
        by_hand = [np.mean(2 * error * w2 * (1 - hidden**2) * x), np.mean(2 * error * hidden)]
        np.testing.assert_allclose(by_hand, NET.grad([w1, w2]), rtol=1e-12)


def test_lesson_7_exercise_5_the_side_of_the_balancing_line_decides():
    ex = net_explorer()
    # The Explorer's momentum (lr 0.03) stays on the map.
    assert np.abs(ex.run.path).max() <= NET.bounds[0][1]
    # "Here w1 + w2 = +0.01, so gd ends at (1.51, 2.03) ... from (0.02, −0.05), where w1 + w2 < 0,
    # it ends at (−1.51, −2.03)"
    ex.set(start=(0.05, -0.04))
    np.testing.assert_allclose(ex.run.final[0], [1.51, 2.03], atol=0.01)
    path, loss = ex.run.path[0], ex.run.loss[0]
    ex.set(start=(0.02, -0.05))
    np.testing.assert_allclose(ex.run.final[0], [-1.51, -2.03], atol=0.01)
    # "grows about 1 + 0.5 × 4.20 ≈ 3.1 times per step ... ln 70 / ln 3.1 ≈ 4 steps: the path is
    # 0.5 from the saddle at step 4, and its loss falls from 2.97 to 0.016 by step 7"
    assert round(1 + 0.5 * 4.204, 1) == 3.1 and round(0.01 / np.sqrt(2), 3) == 0.007
    assert round(np.log(70) / np.log(3.1)) == 4
    assert int(np.argmax(np.linalg.norm(path, axis=1) > 0.5)) == 4
    assert round(loss[0], 2) == 2.97 and round(loss[7], 3) == 0.016
    # The rule holds for every start near the saddle (500 random ones within 0.1).
    starts = np.random.default_rng(3).uniform(-0.1, 0.1, (500, 2))
    run = lossviz.descend(NET, lossviz.optimizer("gd", lr=0.5), start=starts, steps=200)
    ends, _ = NET.nearest_minimum(run.final)
    np.testing.assert_array_equal(ends[:, 0] > 0, starts.sum(axis=1) > 0)
    # The lesson's basin map: "near the saddle the border is the line w2 = −w1"
    basins = lossviz.basins(NET, lossviz.optimizer("gd", lr=0.5), resolution=50, steps=200)
    grid = basins.starts.reshape(-1, 2)
    labels = basins.labels.reshape(-1)
    near = (np.linalg.norm(grid, axis=1) < 0.5) & (np.abs(grid.sum(axis=1)) > 1e-9)
    np.testing.assert_array_equal(labels[near] == 0, grid[near].sum(axis=1) > 0)
    ex.close()


def test_lesson_7_exercise_6_a_heavy_ball_on_the_plateau():
    ex = net_explorer()
    ex.set(lr={"momentum": 0.5})
    path = ex.run.path[1]
    # "up to w1 = 12.8 by step 48, and after 200 steps it is still out there, at (11.1, 1.68),
    # 9.6 from the minimum: not converged"
    assert round(path[:, 0].max(), 1) == 12.8 and int(np.argmax(path[:, 0])) == 48
    assert ex.run.final[1].round(2).tolist() == [11.09, 1.68]
    assert "<td>9.59</td>" in ex.readout.value
    assert status(ex)[1] == "not converged"
    # "the slope along w1 there is about 0.003"
    assert round(float(NET.grad(ex.run.final[1])[0]), 3) == 0.003
    ex.close()


def test_lesson_7_exercise_8_underfitting():
    from lossviz.models import ModelSurface

    slope, intercept = np.polyfit(NET.x_train, NET.y_train, 1)
    straight = ModelSurface(
        "line on the network's data",
        lambda w, b, x: w * x + b,
        lambda w, b, x, y: (w * x + b - y) ** 2,
        train=(NET.x_train, NET.y_train),
        heldout=(NET.x_heldout, NET.y_heldout),
        bounds=((-1.0, 3.0), (-2.0, 2.0)),
        minima=[[slope, intercept]],
        parameter_names=("w", "b"),
    )
    # np.polyfit's line is the minimum of the surface: its gradient is zero there.
    np.testing.assert_allclose(straight.grad(straight.minima[0]), 0.0, atol=1e-10)
    best = NET.minima[0]
    # "The network sits at the noise: training loss 0.0122, held-out 0.0133"
    assert round(float(NET(best)), 4) == 0.0122
    assert round(float(NET.heldout_loss(best)), 4) == 0.0133
    # "training loss 0.206, held-out 0.270, 17 and 20 times the network's"
    train, heldout = (
        float(straight(straight.minima[0])),
        float(straight.heldout_loss(straight.minima[0])),
    )
    assert round(train, 3) == 0.206 and round(heldout, 3) == 0.270
    assert round(train / NET(best)) == 17 and round(heldout / NET.heldout_loss(best)) == 20


def test_lesson_7_exercise_9_the_gap_that_more_data_closes():
    points = [6, 12, 24, 48, 96]
    train, heldout = [], []
    for m in points:
        fits = [
            lossviz.surface("linear_regression", n=5 * m, holdout=0.8, seed=seed)
            for seed in range(500)
        ]
        assert len(fits[0].y_train) == m and len(fits[0].y_heldout) == 4 * m
        train.append(np.mean([s(s.minima[0]) for s in fits]))
        heldout.append(np.mean([s.heldout_loss(s.minima[0]) for s in fits]))
    train, heldout = np.array(train), np.array(heldout)
    gap = heldout - train
    # "0.19 at m = 6, 0.09, 0.05, 0.02 and 0.01 at m = 96"
    assert gap.round(2).tolist() == [0.19, 0.09, 0.05, 0.02, 0.01]
    # "(these 500 data sets give 0.158 and 0.243)"; the exact means "0.167 at m = 6 and 0.245 at 96"
    assert round(train[0], 3) == 0.158 and round(train[-1], 3) == 0.243
    theory = 0.25 * (1 - 2 / np.array(points))
    assert theory[[0, -1]].round(3).tolist() == [0.167, 0.245]
    # σ²(1 − 2/m) within three standard errors of 500 data sets (variance 2σ⁴(m − 2)/m²)
    standard_error = np.sqrt(2 * 0.25**2 * (np.array(points) - 2) / np.array(points) ** 2 / 500)
    assert np.all(np.abs(train - theory) < 3 * standard_error)
    # "Both approach σ² = 0.25"; training below it, held-out above
    assert np.all(train < 0.25) and np.all(heldout > 0.25)
    # "the gap roughly halves each time m doubles"; "about 2 × (weights) × σ² / m = 1/m here"
    assert np.all((gap[:-1] / gap[1:] > 1.5) & (gap[:-1] / gap[1:] < 2.8))
    np.testing.assert_allclose(gap[2:], 1 / np.array(points[2:]), rtol=0.25)
