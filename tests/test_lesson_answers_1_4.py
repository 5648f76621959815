"""Every number that lessons 1-4 quote, recomputed from the package.

Each test names the lesson and the sentence it pins: where the text quotes the
readout, the number is read from the Explorer's readout after `Explorer.set`,
as a student moving the sliders would read it; elsewhere it comes from the core
(`lossviz.descend`, `stability_map`, `local_quadratic`). When a change to the
package moves one of these numbers, the test fails and the lesson's sentence
must be updated with it.
"""

from __future__ import annotations

import html
import re

import numpy as np
import pytest

import lossviz
from lossviz import Explorer
from lossviz.curvature import local_quadratic
from lossviz.views.critical_points import critical_point_kind


def plain(markup: str) -> str:
    """The text of some readout HTML, tags removed and whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def readout_row(ex: Explorer, label: str) -> str:
    """The readout table's row of optimizer ``label``: rate, final loss, distance, status."""
    rows = [plain(r.split("</tr>")[0]) for r in ex.readout.value.split("<tr>")]
    matches = [r for r in rows if r.startswith(f"■ {label} ")]
    assert len(matches) == 1, (label, rows)
    return matches[0]


def curvature_line(ex: Explorer) -> str:
    """The line under the step table: the curvature at the inspected optimizer's point."""
    text = plain(ex.readout.value)
    assert "Curvature at" in text, text
    return text[text.index("Curvature at") :]


def step_lengths(run, i: int = 0) -> np.ndarray:
    """The length of each step of run ``i``, shape (steps,)."""
    return np.linalg.norm(np.diff(run.path[i], axis=0), axis=-1)


@pytest.fixture
def explorers():
    """Explorers made by a test, closed after it."""
    made: list[Explorer] = []

    def make(*args, **kwargs) -> Explorer:
        made.append(Explorer(*args, **kwargs))
        return made[-1]

    yield make
    for ex in made:
        ex.close()


# Lesson 1: A tour of loss surfaces ---------------------------------------------------------


def test_lesson_1_exercise_1_y_is_higher():
    """'(0, 1.5) is higher: its loss is 3.375, against 1.125 at (1.5, 0).'"""
    bowl = lossviz.surface("quadratic", condition=3)
    assert bowl([0, 1.5]) == pytest.approx(3.375)
    assert bowl([1.5, 0]) == pytest.approx(1.125)


def test_lesson_1_gradient_is_steeper_in_y():
    """'The y number is twice as large' (the gradient at (1.5, 1.0))."""
    bowl = lossviz.surface("quadratic", condition=3)
    np.testing.assert_allclose(bowl.grad([1.5, 1.0]), [1.5, 3.0])


def test_lesson_1_the_hilltop_and_the_pass_are_what_the_map_calls_them():
    """Section 3: 'its loss of 182 ... from 0 in the valleys to about 890 in the corners';
    the marked points are a hilltop and a pass (a saddle), where the ground is flat."""
    hills = lossviz.surface("himmelblau")
    hilltop, saddle = (-0.271, -0.923), (0.087, 2.884)
    assert critical_point_kind(hills, hilltop) == "hilltop"
    assert critical_point_kind(hills, saddle) == "saddle"
    assert np.linalg.norm(hills.grad(hilltop)) < 0.1 and np.linalg.norm(hills.grad(saddle)) < 0.1
    assert hills(hilltop) == pytest.approx(181.6, abs=0.05)
    assert hills(saddle) == pytest.approx(67.7, abs=0.05)
    assert hills(hills.grid(160)).max() == pytest.approx(890, rel=0.01)


def test_lesson_1_the_walk_starts_with_its_shortest_steps():
    """Section 4: 'the first one is only 0.087 long ... up to 0.48 at step 9 ... (0.145 at step
    13) ... (0.34 at step 19), and shrink to almost nothing at the bottom, at the star (3, 2)';
    and lossviz's gd takes the same steps as the five lines of numpy."""
    hills = lossviz.surface("himmelblau")
    point, path = np.array([-0.3, -0.5]), [np.array([-0.3, -0.5])]
    for _ in range(40):
        point = point - 0.01 * hills.grad(point)
        path.append(point)
    run = lossviz.descend(hills, lossviz.optimizer("gd", lr=0.01), start=(-0.3, -0.5), steps=40)
    np.testing.assert_allclose(run.path[0], np.array(path))
    lengths = step_lengths(run)
    assert lengths[0] == pytest.approx(0.087, abs=0.0005)
    assert lengths[0] == lengths[:23].min()  # the shortest, until the valley floor
    assert np.argmax(lengths) + 1 == 9 and lengths[8] == pytest.approx(0.48, abs=0.005)
    dip = 10 + np.argmin(lengths[10:17])
    assert dip + 1 == 13 and lengths[dip] == pytest.approx(0.145, abs=0.0005)
    second = 14 + np.argmax(lengths[14:25])
    assert second + 1 == 19 and lengths[second] == pytest.approx(0.34, abs=0.005)
    assert lengths[-1] < 0.001
    np.testing.assert_allclose(run.final[0], [3, 2], atol=0.01)
    assert hills(path[0]) == pytest.approx(179.9, abs=0.05)


def test_lesson_1_exercise_2_which_valley():
    """'From (4, 4) ... the star at (3, 2) ... From (-4, 4) ... at about (-2.81, 3.13).'"""
    run = lossviz.descend(
        "himmelblau", lossviz.optimizer("gd", lr=0.01), start=[(4, 4), (-4, 4)], steps=40
    )
    np.testing.assert_allclose(run.final, [[3, 2], [-2.81, 3.13]], atol=0.005)


def rosenbrock_race(explorers) -> Explorer:
    return explorers(
        "rosenbrock",
        optimizers=("gd", "momentum", "adam"),
        steps=300,
        lr={"gd": 0.001, "momentum": 0.001, "adam": 0.05},
        controls=("surface", "optimizers", "tune", "lr", "steps", "reset"),
    )


def test_lesson_1_exercise_3_fast_then_slow(explorers):
    """'Within the first 10 steps the loss falls from 12.5 to below 6 for all three (momentum
    bounces up and down on the way) ... from step 20 to step 300 its loss only goes from 5.8 to
    5.0 ... none of them has reached the star (the status column says not converged).'"""
    ex = rosenbrock_race(explorers)
    loss = ex.run.loss
    assert np.all(loss[:, 0] == 12.5)
    assert np.all((loss[:, :11] < 6).any(axis=1))
    assert (np.diff(loss[1, :21]) > 0).any()  # momentum goes up on the way
    assert loss[0, 20] == pytest.approx(5.8, abs=0.05)
    assert loss[0, -1] == pytest.approx(5.0, abs=0.05)
    for label in ("gd", "momentum", "adam"):
        assert readout_row(ex, label).endswith("not converged")
    gd, momentum, adam = ex.surface.nearest_minimum(ex.run.final)[1]
    assert momentum < adam < gd  # momentum closest, adam in between


def test_lesson_1_exercise_4_more_steps(explorers):
    """'momentum converges in about 1250 steps and adam in about 1270 ... gd is still on its way,
    about 0.8 from the star (final loss about 0.2).'"""
    ex = rosenbrock_race(explorers)
    ex.set(steps=2000)
    assert "converged in 1250 steps" in readout_row(ex, "momentum")
    assert re.search(r"converged in 12[67]\d steps", readout_row(ex, "adam"))
    assert readout_row(ex, "gd").endswith("not converged")
    _, distance = ex.surface.nearest_minimum(ex.run.final)
    assert distance[0] == pytest.approx(0.8, abs=0.05)
    assert ex.run.final_loss[0] == pytest.approx(0.2, abs=0.01)


def test_lesson_1_exercise_5_a_bigger_learning_rate(explorers):
    """'at 0.002 it nearly reaches the star in 300 steps (final loss below 0.001) ... from about
    0.0021, most rates make gd diverge ... diverged at step 4 to 7 ... A few rates in between, such
    as 0.00229 on the slider, happen to survive.'"""
    ex = rosenbrock_race(explorers)
    ex.set(tune="gd", lr=0.002)
    assert not ex.run.diverged[0] and ex.run.final_loss[0] < 0.001
    for lr in (0.0021, 0.0022, 0.0024, 0.0026, 0.003):
        ex.set(lr=lr)
        match = re.search(r"diverged at step (\d+)", readout_row(ex, "gd"))
        assert match and 4 <= int(match.group(1)) <= 7, (lr, readout_row(ex, "gd"))
    ex.set(lr=0.00229)  # a value of the slider
    assert not ex.run.diverged[0]


def test_lesson_1_exercise_6_momentum_changes_valley(explorers):
    """'Near the corner (-4.5, 4.5), gd and adam settle in ... the upper-left one. Momentum ...
    ends in a different valley, and which one changes when you move the click a little.'"""
    ex = rosenbrock_race(explorers)
    ex.set(surface="himmelblau")
    momentum_ends = set()
    for start in [(-4.5, 4.5), (-4.5, 4.4), (-4.6, 4.6)]:
        ex.set(start=start)
        final = ex.run.final
        for i in (0, 2):  # gd and adam
            np.testing.assert_allclose(final[i], [-2.81, 3.13], atol=0.01)
        assert np.linalg.norm(final[1] - [-2.81, 3.13]) > 1
        momentum_ends.add(tuple(final[1].round(1)))
    assert len(momentum_ends) > 1


# Lesson 2: The learning rate ---------------------------------------------------------------


def bowl_explorer(explorers) -> Explorer:
    """Section 3's Explorer: gd alone on the condition-10 bowl, lr and steps."""
    return explorers("quadratic", optimizers=("gd",), steps=100, lr=0.05, controls=("lr", "steps"))


def test_lesson_2_four_rates_from_the_same_start():
    """Section 1: 'Starting from a loss of 8.82'; 0.19 zig-zags and arrives, 0.21 diverges."""
    bowl = lossviz.surface("quadratic", condition=10)
    assert bowl(bowl.start) == pytest.approx(8.82)
    run = lossviz.descend(bowl, [lossviz.optimizer("gd", lr=lr) for lr in (0.19, 0.21)], steps=30)
    assert run.loss[0, -1] < run.loss[0, 0] < run.loss[1, -1]


def test_lesson_2_exercise_1_faster_or_slower(explorers):
    """'At 0.05 ... the readout says near a minimum, still moving, 0.0107 from the minimum ...
    at 0.1 it converges in 55 steps, and at 0.15 in 36.'"""
    ex = bowl_explorer(explorers)
    assert readout_row(ex, "gd").endswith("0.0107 near a minimum, still moving")
    ex.set(lr=0.1)
    assert readout_row(ex, "gd").endswith("converged in 55 steps")
    ex.set(lr=0.15)
    assert readout_row(ex, "gd").endswith("converged in 36 steps")


def test_lesson_2_exercise_2_right_at_the_edge(explorers):
    """'y = 1.2, -1.2, 1.2, ... forever ... x does go to 0 ... the readout says not converged,
    1.2 from the minimum'; and the cells around it: 0.95 of the limit converges, 1.05 diverges."""
    ex = bowl_explorer(explorers)
    ex.set(lr=0.2)
    np.testing.assert_allclose(ex.run.final[0], [0, 1.2], atol=1e-6)
    assert readout_row(ex, "gd").endswith(" 1.2 not converged")
    ex.set(lr=0.95 * 0.2)
    assert not ex.run.diverged[0] and ex.run.convergence_step()[0] > 0
    ex.set(lr=1.05 * 0.2)
    assert ex.run.diverged[0]


def test_lesson_2_exercise_3_the_same_factor_for_opposite_reasons(explorers):
    """'0.19 is closer, by a factor 1.5 ... 1.8 x 0.9^100 = 4.8e-5 ... 1.2 x 0.9^100 = 3.2e-5
    (the readout says 4.78e-05 and 3.19e-05).'"""
    assert 1.8 * 0.9**100 == pytest.approx(4.8e-5, rel=0.01)
    assert 1.2 * 0.9**100 == pytest.approx(3.2e-5, rel=0.01)
    ex = bowl_explorer(explorers)
    ex.set(lr=0.1)
    crawl = ex.surface.nearest_minimum(ex.run.final)[1][0]
    assert " 4.78e-05 " in readout_row(ex, "gd")
    ex.set(lr=0.19)
    zigzag = ex.surface.nearest_minimum(ex.run.final)[1][0]
    assert " 3.19e-05 " in readout_row(ex, "gd")
    assert crawl / zigzag == pytest.approx(1.5, rel=0.01)


@pytest.mark.parametrize("steps, best_distance", [(100, 5e-9), (1000, 5.7e-86)])
def test_lesson_2_the_sweep_and_exercise_4(steps, best_distance):
    """Section 4: 'the best rate ... 2/(1 + 10) ~ 0.18'; exercise 4: 'The cliff stays at 2/λ =
    0.2 ... with 1000 steps they diverge too, so the red crosses now start right at the line ...
    The best distance drops from about 10^-8 to about 10^-85, and the best rate is still about
    0.18.'"""
    bowl = lossviz.surface("quadratic", condition=10)
    rates = np.geomspace(0.003, 0.3, 81)
    sweep = lossviz.descend(bowl, [lossviz.optimizer("gd", lr=lr) for lr in rates], steps=steps)
    _, distance = bowl.nearest_minimum(sweep.path[:, -1])
    assert rates[np.nanargmin(distance)] == pytest.approx(0.18, abs=0.005)
    assert np.nanmin(distance) == pytest.approx(best_distance, rel=0.2)
    assert not sweep.diverged[rates < 0.2].any()
    if steps == 1000:
        assert sweep.diverged[rates > 0.2].all()
    else:
        assert not sweep.diverged[(rates > 0.2) & (rates < 0.21)].any()


def test_lesson_2_exercise_5_three_bowls_at_once():
    """'each row turns red right at its dashed line (from the first rate on the grid past it:
    2.25, 0.225 and 0.0225) ... one single step at lr 1 on the round bowl, 16 steps around 0.16
    on condition 10, 86 steps at 0.018 on condition 100, right against its cliff'; the intro's
    and summary's 'half the limit on a round bowl, just below it on a narrow one'."""
    expected = {1: (2.25, 1.0, 1), 10: (0.225, 0.16, 16), 100: (0.0225, 0.018, 86)}
    for condition, (first_diverged, fastest_lr, fastest_steps) in expected.items():
        bowl = lossviz.surface("quadratic", condition=condition)
        smap = lossviz.stability_map(bowl, "gd", np.geomspace(0.002, 4, 67), steps=300)
        limit = 2 / condition
        assert not smap.diverged[smap.lrs < limit].any()
        assert smap.diverged[smap.lrs > limit * 1.01].all()
        assert smap.lrs[smap.diverged[:, 0]].min() == pytest.approx(first_diverged, rel=0.01)
        steps = np.where(smap.converged[:, 0], smap.steps_to_converge[:, 0], 10**6)
        fastest = np.argmin(steps)
        assert smap.lrs[fastest] == pytest.approx(fastest_lr, rel=0.02)
        assert steps[fastest] == fastest_steps
        best = 2 / (1 + condition)
        assert best / limit == pytest.approx(condition / (condition + 1))
    assert 2 / (1 + 1) == 0.5 * 2 / 1  # half the limit on the round bowl


def local_limit_explorer(explorers) -> Explorer:
    """Section 5's Explorer: gd on Rosenbrock at 0.0015, looking inside the steps."""
    return explorers(
        "rosenbrock",
        optimizers=("gd",),
        lr=0.0015,
        steps=300,
        step=0,
        arrows=("gradient", "update"),
        curvature=True,
        controls=("lr", "step", "arrows", "curvature"),
    )


def test_lesson_2_exercise_6_the_limit_is_local(explorers):
    """'the local limit there is 2/λmax = 0.000956 ... 0.0015 x 2092 ~ 3.1 ... The first five
    steps are 0.24, 0.38, 0.70, 0.79 and 0.99 long, and the loss climbs from 12.5 to 246 by step
    5 ... the curvature line now says the surface curves down in one direction there ... at step 6
    ... at a loss of 11.6.'; the readout note 'about 0.002'."""
    ex = local_limit_explorer(explorers)
    assert "lr < 2/λ max = 0.000956" in curvature_line(ex)
    assert "2/λ max = 0.001997" in plain(ex.readout.value)  # near the minimum
    start = local_quadratic(ex.surface, ex.surface.start)
    assert start.eigenvalues.max() == pytest.approx(2092, abs=1)
    assert 0.0015 * start.eigenvalues.max() == pytest.approx(3.1, abs=0.05)
    np.testing.assert_allclose(step_lengths(ex.run)[:5], [0.24, 0.38, 0.70, 0.79, 0.99], atol=0.005)
    assert ex.run.loss[0, 0] == 12.5 and ex.run.loss[0, 5] == pytest.approx(246, abs=0.5)
    for step in (3, 5):
        ex.set(step=step)
        assert "curves down along one direction" in curvature_line(ex)
    ex.set(step=6)
    assert ex.run.loss[0, 6] == pytest.approx(11.6, abs=0.05)


def test_lesson_2_exercise_6_the_zig_zag_stops_where_the_limit_passes_the_rate():
    """'as long as every other step lands on ground whose local limit is below 0.0015 ... Around
    step 33, near (-1.18, 1.32), the local limit there reaches 0.0015 too, and the zig-zag dies
    out: step 50 is only 0.005 long ... rates just above 0.002 ... start in the steepest part of
    the valley, where the local limit is under 0.001.'"""
    rosenbrock = lossviz.surface("rosenbrock")
    run = lossviz.descend(rosenbrock, lossviz.optimizer("gd", lr=0.0015), steps=300)
    limits = np.array([local_quadratic(rosenbrock, p).stable_rate for p in run.path[0, :61]])
    assert np.all(limits[:33:2] < 0.0015) and np.all(limits[34:61:2] > 0.0015)
    assert np.all(limits[1:61:2] > 0.0015)  # the other landing points, high on the far wall
    np.testing.assert_allclose(run.path[0, [32, 34]].mean(axis=0), [-1.18, 1.32], atol=0.01)
    assert step_lengths(run)[49] == pytest.approx(0.005, abs=0.0005)
    assert local_quadratic(rosenbrock, rosenbrock.start).stable_rate < 0.001
