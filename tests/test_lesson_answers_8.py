"""Every number lesson 8 quotes, recomputed from the package; and lesson 7's chain-rule cell.

Each test names its lesson and section and quotes the sentence it pins, so that a change in
`lossviz.networks` (or anywhere else) that makes the narration false fails here, not in front of
a student. The set-ups are the lesson's own: the same data, network, optimizers, seeds and
directions. Curvatures are checked against the full Hessian's eigenvalues (`autograd.hessian`),
not only against the lesson's power iteration.
"""

import functools
import json
from pathlib import Path

import autograd
import numpy as np
import pytest

import lossviz
from lossviz import Explorer
from lossviz.networks import (
    MLP,
    interpolate,
    loss_function,
    pca_directions,
    project,
    random_directions,
    slice_surface,
    train,
    two_moons,
)

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
pytestmark = pytest.mark.slow  # it trains eleven networks and takes Hessians: about a minute


def rounds_to(value: float, quoted: float, digits: int) -> bool:
    """``value`` printed with ``digits`` decimals reads ``quoted``."""
    return round(float(value), digits) == quoted


# ---- lesson 7, section 5: backpropagation by hand on the tiny network -------------------------


def lesson_7_chain_rule_cell() -> str:
    """The source of lesson 7's chain-rule cell (the one that computes ``by_nudging``)."""
    nb = json.loads((NOTEBOOKS / "07_models_from_data.ipynb").read_text())
    cells = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    (cell,) = [c for c in cells if "by_nudging" in c]
    return cell


def test_lesson_7_backpropagation_chain_rule_equals_the_library_gradient():
    # "The chain rule and lossviz's gradient agree exactly, up to the last digit or two of the
    # computer's arithmetic (a difference below 10⁻¹⁵), and nudging the weights, which uses no
    # formula at all, agrees to at least nine digits."
    net = lossviz.surface("tiny_network")
    namespace = {"np": np, "net": net, "print": lambda *args, **kwargs: None}
    exec(lesson_7_chain_rule_cell(), namespace)  # the lesson's own cell, as a student runs it
    w1, w2 = namespace["w1"], namespace["w2"]
    assert np.abs(namespace["by_hand"] - net.grad([w1, w2])).max() < 1e-15
    np.testing.assert_allclose(namespace["by_nudging"], namespace["by_hand"], rtol=1e-9)
    # The same chain rule, written independently here, at the lesson's weights and others.
    x, y = net.x_train, net.y_train
    for w1, w2 in [(0.5, -0.45), (1.5, 2.0), (-2.0, 0.3), (0.0, 1.0)]:
        t = np.tanh(w1 * x)
        d_prediction = 2 * (w2 * t - y) / len(y)
        by_hand = [np.sum(d_prediction * w2 * (1 - t**2) * x), np.sum(d_prediction * t)]
        assert np.abs(np.array(by_hand) - net.grad([w1, w2])).max() < 1e-15


# ---- lesson 8: the set-up ----------------------------------------------------------------------

DATA = two_moons(n=400, noise=0.25, test_fraction=0.75, seed=0)
NET = MLP((2, 16, 16, 1))
THETA0 = NET.init()
LOSS = loss_function(NET, DATA.X_train, DATA.y_train, DATA.task)
HELDOUT = loss_function(NET, DATA.X_test, DATA.y_test, DATA.task)
HESSIAN_TIMES = autograd.hessian_vector_product(LOSS)


@functools.cache
def trained(width: int = 16, batch_size: int | None = 20):
    """Section 3's training: momentum lr 0.1, beta 0.9, 1000 steps, seed 0."""
    momentum = lossviz.optimizer("momentum", lr=0.1, beta=0.9)
    return train(MLP((2, width, width, 1)), DATA, momentum, steps=1000, batch_size=batch_size)


def theta_star() -> np.ndarray:
    return trained().trajectory[-1]


@functools.cache
def eigenvalues_at(step: int, batch_size: int | None = 20) -> np.ndarray:
    """All 337 curvatures of the training loss at a step of a run, from the full Hessian."""
    return np.linalg.eigvalsh(
        autograd.hessian(LOSS)(trained(batch_size=batch_size).trajectory[step])
    )


def power_iteration(theta, shift=0.0, iterations=50):
    """The lesson's `top_curvature`, as written there."""
    v = np.random.default_rng(0).normal(size=theta.shape)
    for _ in range(iterations):
        w = HESSIAN_TIMES(theta, v) - shift * v
        v = w / np.linalg.norm(w)
    return v @ HESSIAN_TIMES(theta, v), v


def random_unit() -> np.ndarray:
    d = np.random.default_rng(2).normal(size=NET.n_params)
    return d / np.linalg.norm(d)


def wrong_heldout_loss(theta) -> float:
    """Mean cross-entropy over the held-out points that the network gets wrong."""
    z = NET.predict(theta, DATA.X_test)
    wrong = (z > 0) != (DATA.y_test > 0.5)
    return float(np.mean(np.logaddexp(0, z[wrong]) - DATA.y_test[wrong] * z[wrong]))


# ---- lesson 8, section 1: the network ----------------------------------------------------------


def test_lesson_8_section_1_the_network_and_its_loss():
    assert (len(DATA.y_train), len(DATA.y_test)) == (100, 300)
    assert NET.n_params == 337
    shapes = [(W.shape, b.shape) for W, b in NET.layers(THETA0)]
    assert shapes == [((2, 16), (16,)), ((16, 16), (16,)), ((16, 1), (1,))]
    # Exercise 1: "2 × 16 + 16 = 48 ... 16 × 16 + 16 = 272 ... 16 × 1 + 1 = 17"
    assert [W.size + b.size for W, b in NET.layers(THETA0)] == [48, 272, 17]
    # "at the start: training loss 0.749, held-out loss 0.776 (... log 2 = 0.693)"
    assert rounds_to(LOSS(THETA0), 0.749, 3) and rounds_to(HELDOUT(THETA0), 0.776, 3)
    assert rounds_to(np.log(2), 0.693, 3)


# ---- lesson 8, section 2: backpropagation ------------------------------------------------------


def test_lesson_8_section_2_backpropagation_against_finite_differences_and_by_hand():
    g = autograd.grad(LOSS)(THETA0)
    assert g.shape == (337,)
    # "They agree to all eight digits printed."
    h = 1e-6
    for i in (0, 40, 100, 330, 336):
        nudge = np.zeros(NET.n_params)
        nudge[i] = h
        slope = (LOSS(THETA0 + nudge) - LOSS(THETA0 - nudge)) / (2 * h)
        assert f"{slope:+.8f}" == f"{g[i]:+.8f}"
    # The layer-by-layer backward pass equals autograd "up to the rounding of the computer's
    # arithmetic (a difference below 10⁻¹⁵)".
    layers = NET.layers(THETA0)
    out = [DATA.X_train]
    for k, (W, b) in enumerate(layers):
        z = out[-1] @ W + b
        out.append(np.tanh(z) if k < len(layers) - 1 else z)
    delta = (1 / (1 + np.exp(-out[-1])) - DATA.y_train[:, None]) / len(DATA.y_train)
    parts = []
    for k in reversed(range(len(layers))):
        parts = [(out[k].T @ delta).ravel(), delta.sum(axis=0), *parts]
        delta = (delta @ layers[k][0].T) * (1 - out[k] ** 2)
    assert np.abs(np.concatenate(parts) - g).max() < 1e-15
    # Exercise 2: "2 × 337 = 674 evaluations"
    assert 2 * NET.n_params == 674


# ---- lesson 8, section 3: overfitting and underfitting -----------------------------------------


def test_lesson_8_section_3_overfitting_a_gap_and_early_stopping():
    run = trained()
    best = int(run.test_loss.argmin())
    # "to 0.003 after 1000 steps: every training point is right"
    assert rounds_to(run.train_loss[-1], 0.003, 3) and run.train_accuracy[-1] == 1.0
    # "It is lowest at step 190 (0.161, with 94 % of the held-out points right) and then rises,
    # to 0.576 at the end, while the held-out accuracy drops to 90 %."
    assert best == 190 and rounds_to(run.test_loss[best], 0.161, 3)
    assert rounds_to(run.test_accuracy[best], 0.94, 2)
    assert rounds_to(run.test_loss[-1], 0.576, 3) and rounds_to(run.test_accuracy[-1], 0.90, 2)
    # "the network is now very sure about the ones it gets wrong"
    assert wrong_heldout_loss(run.trajectory[-1]) > 2 * wrong_heldout_loss(run.trajectory[best])


def test_lesson_8_section_3_underfitting_both_losses_high():
    narrow = trained(width=1)
    # "Both losses stay high, 0.360 for training and 0.406 held out, with 85 % and 86 %"
    assert rounds_to(narrow.train_loss[-1], 0.360, 3) and rounds_to(narrow.test_loss[-1], 0.406, 3)
    assert rounds_to(narrow.train_accuracy[-1], 0.85, 2)
    assert rounds_to(narrow.test_accuracy[-1], 0.86, 2)
    # "more steps would not help": the training loss has been flat for the last half
    assert np.ptp(narrow.train_loss[500:]) < 0.1 and narrow.train_loss[500:].min() > 0.3


def test_lesson_8_exercise_3_the_gap_grows_with_the_width():
    # "0.046 with 1 unit, 0.388 with 4 and 0.573 with 16"
    gaps = [trained(width=w).test_loss[-1] - trained(width=w).train_loss[-1] for w in (1, 4, 16)]
    assert [round(float(gap), 3) for gap in gaps] == [0.046, 0.388, 0.573]
    middle = trained(width=4)
    # "it too gets every training point right (training loss 0.022), and its held-out loss,
    # 0.409, is as high as the narrow network's"
    assert middle.train_accuracy[-1] == 1.0 and rounds_to(middle.train_loss[-1], 0.022, 3)
    assert rounds_to(middle.test_loss[-1], 0.409, 3)
    assert abs(middle.test_loss[-1] - trained(width=1).test_loss[-1]) < 0.01
    assert MLP((2, 4, 4, 1)).n_params == 37


# ---- lesson 8, section 4: random directions ----------------------------------------------------


def test_lesson_8_exercise_4_random_directions_are_nearly_perpendicular():
    rng = np.random.default_rng(0)
    quoted = {2: (0.705, 0.665), 10: (0.315, 0.118), 337: (0.055, 0.0)}
    for dimensions, (spread, often) in quoted.items():
        u, v = rng.normal(size=(2, 10_000, dimensions))
        cosines = np.sum(u * v, axis=1) / (np.linalg.norm(u, axis=1) * np.linalg.norm(v, axis=1))
        assert rounds_to(cosines.std(), spread, 3)
        assert rounds_to(np.mean(np.abs(cosines) > 0.5), often, 3)
    # "the typical cosine is about 1/√337 = 0.054, an angle within a few degrees of 90°"
    assert rounds_to(1 / np.sqrt(337), 0.054, 3) and 85 < np.degrees(np.arccos(0.055)) < 90


def test_lesson_8_exercise_4_the_training_path_lies_outside_random_planes():
    travel = theta_star() - THETA0
    rng = np.random.default_rng(1)
    d1 = rng.normal(size=NET.n_params)
    # "its cosine with a random direction is −0.051"
    assert rounds_to(travel @ d1 / np.linalg.norm(travel) / np.linalg.norm(d1), -0.051, 3)
    shares = []
    for _ in range(1000):
        plane, _ = np.linalg.qr(rng.normal(size=(NET.n_params, 2)))
        shares.append(np.sum((travel @ plane) ** 2) / np.sum(travel**2))
    # "on average 2/337 = 0.59 % of it (0.63 % in these 1000 planes; the best of them 4.9 %)"
    assert rounds_to(2 / 337, 0.0059, 4)
    assert rounds_to(np.mean(shares), 0.0063, 4) and rounds_to(np.max(shares), 0.049, 3)


# ---- lesson 8, section 5: the line -------------------------------------------------------------


def test_lesson_8_exercise_5_the_line_from_the_start_to_the_trained_weights():
    alphas = np.linspace(-0.25, 1.25, 61)
    training = interpolate(LOSS, THETA0, theta_star(), alphas)
    held_out = interpolate(HELDOUT, THETA0, theta_star(), alphas)
    at = {a: int(np.argmin(np.abs(alphas - a))) for a in (0, 0.5, 1, 1.25)}
    # "from 0.749 at the start to 0.158 halfway and 0.0033 at θ*"
    assert rounds_to(training[at[0]], 0.749, 3) and rounds_to(training[at[0.5]], 0.158, 3)
    assert rounds_to(training[at[1]], 0.0033, 4)
    # "The training loss falls all the way"
    between = (alphas >= 0) & (alphas <= 1)
    assert np.all(np.diff(training[between]) < 0)
    # "It even goes on falling a little past θ*, to 0.0016 at α = 1.18"
    assert rounds_to(training.min(), 0.0016, 4) and rounds_to(alphas[training.argmin()], 1.18, 2)
    # "The held-out loss is lowest at α = 0.55 (0.313) ... to 0.576 at θ* and 0.864 at 1.25"
    assert rounds_to(alphas[held_out.argmin()], 0.55, 2) and rounds_to(held_out.min(), 0.313, 3)
    assert rounds_to(held_out[at[1]], 0.576, 3) and rounds_to(held_out[at[1.25]], 0.864, 3)


# ---- lesson 8, section 6: planes ---------------------------------------------------------------


@functools.cache
def planes():
    raw = random_directions(NET, theta_star(), seed=0, normalize=None)
    filtered = random_directions(NET, theta_star(), seed=0)
    surfaces = {
        "raw": slice_surface(LOSS, theta_star(), *raw),
        "training": slice_surface(LOSS, theta_star(), *filtered),
        "held-out": slice_surface(HELDOUT, theta_star(), *filtered),
    }
    grid = surfaces["training"].grid(41)
    return raw, filtered, grid, {name: s(grid) for name, s in surfaces.items()}


def test_lesson_8_section_6_raw_and_filter_normalised_directions():
    raw, filtered, _, values = planes()
    units = NET.blocks()
    own = np.sqrt(np.bincount(units, weights=theta_star() ** 2))
    moved = np.sqrt(np.bincount(units, weights=raw[0] ** 2))
    # "33 units; the sizes of their weights range from 0.52 to 7.29"
    assert len(own) == 33 and rounds_to(own.min(), 0.52, 2) and rounds_to(own.max(), 7.29, 2)
    # "the raw directions move the 33 units by between 0.25 and 3.85 times their own size"
    ratio = moved / own
    assert rounds_to(ratio.min(), 0.25, 2) and rounds_to(ratio.max(), 3.85, 2)
    # "along the filter-normalised one by exactly 1"
    for d in filtered:
        np.testing.assert_allclose(np.sqrt(np.bincount(units, weights=d**2)), own)
    # "the loss runs from 0.003 to about 10 here" (the maps of this section)
    assert rounds_to(min(v.min() for v in values.values()), 0.003, 3)
    assert 8 < max(v.max() for v in values.values()) < 12
    # "Both maps have θ* at their centre, in a pit of training loss 0.003"
    for name in ("raw", "training"):
        assert values[name].argmin() == 20 * 41 + 20 and rounds_to(values[name][20, 20], 0.003, 3)


def test_lesson_8_exercise_6_the_held_out_valley_is_raised_and_shifted():
    _, _, grid, values = planes()
    held_out = values["held-out"]
    lowest = grid.reshape(-1, 2)[held_out.argmin()]
    # "at θ* the held-out loss is 0.576, while its lowest point on this plane is at
    # (a, b) = (0.35, −0.15), with 0.278"
    assert rounds_to(held_out[20, 20], 0.576, 3) and rounds_to(held_out.min(), 0.278, 3)
    np.testing.assert_allclose(lowest, [0.35, -0.15], atol=1e-9)


@pytest.fixture(scope="module")
def plane_explorer():
    _, filtered, _, _ = planes()
    plane = slice_surface(
        LOSS, theta_star(), *filtered, name="training loss, filter-normalised plane"
    )
    ex = Explorer(
        plane,
        optimizers=("gd", "momentum", "adam"),
        start=(-0.8, 0.7),
        lr={"gd": 0.02, "momentum": 0.005, "adam": 0.02},
        steps=100,
    )
    yield ex, plane, filtered
    ex.close()


def test_lesson_8_exercise_7_on_the_plane_only_momentum_reaches_theta_star(plane_explorer):
    ex, plane, filtered = plane_explorer
    final, loss = ex.run.final, ex.run.loss[:, -1]
    # "gd and Adam stop in a small valley of the plane at about (−0.54, 0.41), with a training
    # loss of 0.563"
    for i in (0, 2):
        np.testing.assert_allclose(final[i], [-0.54, 0.41], atol=0.01)
        assert rounds_to(loss[i], 0.563, 3)
    # "Momentum arrives with speed, rolls over the low ridge beside it and on down to θ* (loss
    # 0.003)": its loss climbs on the way, then ends at θ*
    assert np.linalg.norm(final[1]) < 0.05 and rounds_to(loss[1], 0.003, 3)
    assert np.any(np.diff(ex.run.loss[1]) > 0)
    # The next cell: in-plane gradient almost nothing, the full gradient 0.792.
    stuck = final[0]
    theta = theta_star() + stuck[0] * filtered[0] + stuck[1] * filtered[1]
    assert np.linalg.norm(plane.grad(stuck)) < 1e-6
    assert rounds_to(np.linalg.norm(autograd.grad(LOSS)(theta)), 0.792, 3)
    assert rounds_to(LOSS(theta), 0.563, 3)


# ---- lesson 8, section 7: curvature ------------------------------------------------------------


def test_lesson_8_section_7_the_sharpest_direction_against_a_random_one():
    exact = eigenvalues_at(1000)
    lam_max, _ = power_iteration(theta_star())
    # "with curvature 0.415", found by power iteration and true of the full Hessian
    assert rounds_to(lam_max, 0.415, 3) and rounds_to(exact[-1], 0.415, 3)
    d = random_unit()
    lam_random = d @ HESSIAN_TIMES(theta_star(), d)
    # "its curvature is 0.0011, about 380 times smaller ... about 1800; ... allows only 4.8"
    assert rounds_to(lam_random, 0.0011, 4)
    assert 370 <= lam_max / lam_random <= 390
    assert 1750 <= 2 / lam_random <= 1850 and rounds_to(2 / lam_max, 4.8, 1)


def test_lesson_8_section_7_negative_curvature_at_the_start():
    exact = eigenvalues_at(0)
    lam_top, _ = power_iteration(THETA0)
    lam_min, downhill = power_iteration(THETA0, shift=lam_top)
    # "with curvature −0.999, almost as strongly as the sharpest one curves up (1.275)"
    assert rounds_to(lam_top, 1.275, 3) and rounds_to(exact[-1], 1.275, 3)
    assert rounds_to(lam_min, -0.999, 3) and rounds_to(exact[0], -0.999, 3)
    # "θ₀ sits near the top of a ridge, and the loss falls on both sides"
    t = np.linspace(-2, 2, 81)
    along = interpolate(LOSS, THETA0, THETA0 + downhill, t)
    assert along[0] < along[40] and along[-1] < along[40] and abs(t[along.argmax()]) < 0.5
    # "Along the random direction the loss hardly changes (by less than 0.03 over the whole line)
    # and curves slightly up (0.0088)."
    d = random_unit()
    assert rounds_to(d @ HESSIAN_TIMES(THETA0, d), 0.0088, 4)
    assert np.ptp(interpolate(LOSS, THETA0, THETA0 + d, t)) < 0.03


def test_lesson_8_section_7_momentums_limit_along_the_run():
    # "1.275 at the start, 2.196 at step 100, 0.415 at the end, ... from 2.98 down to 1.73 and up
    # to 9.15. Our rate of 0.1 stays far below all of them."
    quoted = {0: (1.275, 2.98), 100: (2.196, 1.73), 1000: (0.415, 9.15)}
    for step, (lam, limit) in quoted.items():
        computed, _ = power_iteration(trained().trajectory[step])
        assert rounds_to(computed, lam, 3) and rounds_to(eigenvalues_at(step)[-1], lam, 3)
        assert rounds_to(2 * 1.9 / computed, limit, 2) and limit / 0.1 > 15


def test_lesson_8_exercise_8_the_edge_of_stability():
    gd_run = train(NET, DATA, lossviz.optimizer("gd", lr=1.0), steps=400)
    checkpoints = np.arange(0, 401, 25)
    sharpness = np.array(
        [power_iteration(gd_run.trajectory[s], iterations=20)[0] for s in checkpoints]
    )
    # "Within 50 steps it has risen past 2, to 2.89"
    assert checkpoints[sharpness.argmax()] == 50 and rounds_to(sharpness.max(), 2.89, 2)
    # "From step 250 on it stays at the limit, between 1.89 and 2.04."
    settled = sharpness[checkpoints >= 250]
    assert rounds_to(settled.min(), 1.89, 2) and rounds_to(settled.max(), 2.04, 2)
    # "each time it overshoots, gd is unstable ... and the curvature falls back": the loss rises
    # at some steps (gd on a fixed bowl below its limit never does), and λ_max falls after peaks
    assert np.any(np.diff(gd_run.train_loss) > 0)
    assert sharpness[3] < sharpness[2] and sharpness[4] < sharpness[3]
    # the power iteration's 20 steps give the true λ_max, checked at the peak
    exact = np.linalg.eigvalsh(autograd.hessian(LOSS)(gd_run.trajectory[50]))[-1]
    assert rounds_to(exact, 2.89, 2)


# ---- lesson 8, section 8: the path's principal plane -------------------------------------------


def test_lesson_8_exercise_9_the_principal_plane_of_the_path():
    run = trained()
    directions, share = pca_directions(run.trajectory)
    # "93.6 % lies along the first direction and 4.2 % along the second, leaving only 2.2 %"
    assert rounds_to(share[0], 0.936, 3) and rounds_to(share[1], 0.042, 3)
    assert rounds_to(1 - share.sum(), 0.022, 3) and rounds_to(share.sum(), 0.98, 2)
    path = project(run.trajectory, theta_star(), *directions)
    low, high = path.min(axis=0) - 2, path.max(axis=0) + 2
    plane = slice_surface(
        LOSS, theta_star(), *directions, bounds=((low[0], high[0]), (low[1], high[1]))
    )
    on_plane = plane(path)
    # "The start itself has a training loss of 0.749, yet the map shows 0.355 ... the loss and the
    # map differ by up to 0.394"
    assert rounds_to(run.train_loss[0], 0.749, 3) and rounds_to(on_plane[0], 0.355, 3)
    assert rounds_to(np.abs(on_plane - run.train_loss).max(), 0.394, 3)
    # "In its first 20 steps the training loss falls from 0.749 to 0.361, yet on the map the shadow
    # hardly goes down (0.355 to 0.345)"
    assert rounds_to(run.train_loss[20], 0.361, 3) and rounds_to(on_plane[20], 0.345, 3)
    # the shadow ends at θ*, the centre of the plane
    np.testing.assert_allclose(path[-1], [0.0, 0.0], atol=1e-9)


def test_lesson_8_exercise_10_a_random_walk_looks_flat_too():
    walk = np.cumsum(np.random.default_rng(3).normal(size=(1001, 337)), axis=0)
    _, share = pca_directions(walk)
    # "62 % + 14 % = 76 %", against "2/337 = 0.6 %"
    assert [round(float(s), 2) for s in share] == [0.62, 0.14] and rounds_to(share.sum(), 0.76, 2)
    assert rounds_to(2 / 337, 0.006, 3)


# ---- lesson 8, section 9: batch sizes ----------------------------------------------------------


def test_lesson_8_exercise_11_small_batches_flat_and_lower_held_out_loss():
    quoted = {  # batch: (λ_max, training loss, held-out loss, length of θ)
        5: (0.32, 0.037, 0.372, 19.1),
        20: (0.42, 0.003, 0.576, 14.8),
        None: (1.44, 0.001, 0.782, 13.4),
    }
    depth, doubled, overconfident = {}, {}, {}
    for batch, (lam, train_loss, held_out, length) in quoted.items():
        run = trained(batch_size=batch)
        end = run.trajectory[-1]
        assert rounds_to(power_iteration(end)[0], lam, 2)
        assert rounds_to(eigenvalues_at(1000, batch)[-1], lam, 2)
        assert rounds_to(run.train_loss[-1], train_loss, 3)
        assert rounds_to(run.test_loss[-1], held_out, 3)
        # "The three networks classify the held-out points equally well (90 % each)"
        assert rounds_to(run.test_accuracy[-1], 0.90, 2)
        assert rounds_to(np.linalg.norm(end), length, 1)
        direction = random_directions(NET, end, seed=1)[0]
        t = np.linspace(-1, 1, 81)
        along = interpolate(LOSS, end, end + direction, t)
        depth[batch] = along[40]
        doubled[batch] = np.abs(t[along >= 2 * along[40]]).min()
        overconfident[batch] = wrong_heldout_loss(end)
    # "the nearest point where its loss has doubled is 0.175 from the centre, against 0.1 for
    # batches of 20 and 0.075 for the full batch, whose pit is also the deepest"
    assert [round(float(doubled[b]), 3) for b in (5, 20, None)] == [0.175, 0.1, 0.075]
    assert depth[None] < depth[20] < depth[5]
    # "the full-batch network ... is the most overconfident on the held-out points it gets wrong"
    assert overconfident[None] > overconfident[20] > overconfident[5]


# ---- lesson 8, section 10: the NetworkExplorer -------------------------------------------------


@pytest.fixture(scope="module")
def network_explorer():
    """Section 10's explorer, made as the lesson's cell makes it."""
    from lossviz import NetworkExplorer

    nx = NetworkExplorer(
        "two_moons",
        width=16,
        depth=2,
        activation="tanh",
        optimizer="momentum",
        lr=0.1,
        steps=1000,
        batch_size=16,
        plane="pca",
    )
    yield nx
    nx.close()


def test_lesson_8_section_10_the_explorer_is_set_up_as_the_lesson_says(network_explorer):
    nx = network_explorer
    nx.set(width=16, batch_size=16)  # as made, whichever test ran before
    # "two hidden layers of 16 tanh units, momentum (lr 0.1, β = 0.9) for 1000 steps on
    # mini-batches of 16 points (the batch control offers full, 64, 16 and 4)"
    assert nx.network.sizes == (2, 16, 16, 1) and nx.network.activation == "tanh"
    assert nx.trained.optimizer.hyper == {"lr": 0.1, "beta": 0.9}
    assert nx.training.trajectory.shape == (1001, 337)
    assert [label for label, _ in nx.controls["batch_size"].options] == ["full", "64", "16", "4"]
    # "The explorer makes its own two moons: 200 points, 150 for training and 50 held out, with
    # less noise than section 1's (0.15 rather than 0.25)"
    assert (len(nx.data.y_train), len(nx.data.y_test)) == (150, 50)
    np.testing.assert_array_equal(nx.data.X_train, two_moons(n=200, noise=0.15, seed=0).X_train)
    # "here a reaches ±13.6 but b only ±2.4"
    (a0, a1), (b0, b1) = nx.plane.bounds
    assert rounds_to(a1, 13.6, 1) and a0 == -a1 and rounds_to(b1, 2.4, 1) and b0 == -b1
    # "here its shades are evenly spaced in loss (the bar on the right), not by factors"
    levels = nx.slices.levels
    assert not nx.slices.logarithmic and np.allclose(np.diff(levels), levels[1] - levels[0])


def final_losses(nx) -> tuple[float, float]:
    t = nx.training
    return float(t.train_loss[-1]), float(t.test_loss[-1])


def test_lesson_8_exercise_12_a_narrower_network_underfits_with_a_smaller_gap(network_explorer):
    nx = network_explorer
    quoted = {  # width: (weights, training loss, held-out loss, gap, accuracies)
        16: (337, 0.068, 0.174, 0.106, (0.97, 0.96)),
        2: (15, 0.324, 0.391, 0.067, (0.89, 0.90)),
    }
    measured = {}
    for width, (weights, train_loss, held_out, gap, (train_acc, test_acc)) in quoted.items():
        nx.set(width=width)
        t = nx.training
        training, test = final_losses(nx)
        assert nx.network.n_params == weights
        # "The gap shrinks, from 0.106 to 0.067 ... (0.324 against 0.068) ... (0.391 against
        # 0.174); it gets 89 % of the training points and 90 % of the held-out points right,
        # against 97 % and 96 %"
        assert rounds_to(training, train_loss, 3) and rounds_to(test, held_out, 3)
        assert rounds_to(test - training, gap, 3)
        assert rounds_to(t.train_accuracy[-1], train_acc, 2)
        assert rounds_to(t.test_accuracy[-1], test_acc, 2)
        measured[width] = training, test
    # "almost five times as high ... more than twice as high"
    assert 4.5 < measured[2][0] / measured[16][0] < 5
    assert 2 < measured[2][1] / measured[16][1] < 3
    # "far smaller than section 3's 0.573"
    section_3 = trained().test_loss[-1] - trained().train_loss[-1]
    assert rounds_to(section_3, 0.573, 3) and section_3 > 5 * (measured[16][1] - measured[16][0])


def test_lesson_8_exercise_13_small_batches_take_the_path_out_of_its_plane(network_explorer):
    nx = network_explorer
    quoted = {  # batch: (first share, second share, sum, last 100 steps' training loss range)
        None: (0.943, 0.040, 0.982, (0.052, 0.053)),
        16: (0.917, 0.044, 0.960, (0.055, 0.13)),
        4: (0.776, 0.081, 0.857, (0.08, 0.3)),  # "under 0.08", "over 0.3"
    }
    outside = {}
    for batch, (first, second, both, (low, high)) in quoted.items():
        nx.set(width=16, batch_size=batch)
        share, last = nx.plane.explained, nx.training.train_loss[-100:]
        # "98.2 % with the full batch, 96.0 % with batches of 16 and 85.7 % with batches of 4";
        # the printed shares 94.3 + 4.0, 91.7 + 4.4, 77.6 + 8.1
        assert rounds_to(share[0], first, 3) and rounds_to(share[1], second, 3)
        assert rounds_to(share.sum(), both, 3)
        # "the full-batch training loss stays between 0.052 and 0.053; with batches of 16 it
        # jumps between 0.055 and about 0.13, with batches of 4 from under 0.08 to over 0.3".
        # The largest of 100 mini-batch losses hangs on rounding: with batches of 4 it is 0.318
        # or 0.333 as numpy's and OpenBLAS's kernels for the CPU round (AVX-512 or AVX2).
        if batch == 4:
            assert last.min() < low and last.max() > high
        else:
            high_digits = 3 if batch is None else 2
            assert rounds_to(last.min(), low, 3) and rounds_to(last.max(), high, high_digits)
        outside[batch] = 1 - share.sum()
        if batch is None:
            full_second = share[1]
        if batch == 4:
            # "the second direction holds twice its full-batch share (8.1 % against 4.0 %)"
            assert 1.9 < share[1] / full_second < 2.1
    # "14.3 % of the variance lies outside the plane instead of 1.8 %"
    assert rounds_to(outside[4], 0.143, 3) and rounds_to(outside[None], 0.018, 3)
    # "between the full-batch path's 98.2 % and exercise 10's random walk's 76 %"
    walk = np.cumsum(np.random.default_rng(3).normal(size=(1001, 337)), axis=0)
    assert rounds_to(pca_directions(walk)[1].sum(), 0.76, 2)
    assert nx.training.trajectory.shape == walk.shape
