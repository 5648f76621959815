"""Per-surface default hyperparameters: every optimizer starts out well-behaved."""

import numpy as np
import pytest

import lossviz
from lossviz.defaults import default_hyperparameters, round_rate


@pytest.mark.parametrize("name", lossviz.surface_names())
def test_defaults_do_not_diverge_and_make_progress(name):
    s = lossviz.surface(name)
    opts = {n: lossviz.optimizer(n, **default_hyperparameters(s, n))
            for n in lossviz.optimizer_names()}
    run = lossviz.descend(s, opts, steps=300)
    assert not run.diverged.any(), [n for n, d in zip(run.names, run.diverged, strict=True) if d]
    # Every first-order method ends no higher than it started (on a plateau it may barely
    # move). Newton's method is left out: it heads for any stationary point, maxima and
    # saddles included, which is the contrast lessons show.
    first_order = [i for i, n in enumerate(run.names) if n != "newton"]
    final, start = run.final_loss[first_order], run.loss[first_order, 0]
    finals = dict(zip(run.names, run.final_loss, strict=True))
    assert np.all(final <= start + 1e-3 * np.abs(start)), finals


def test_quadratic_defaults_follow_the_curvature():
    # Eigenvalues 1 and condition: gd's default is 1 / condition, half the stability limit.
    for condition, lr in ((10.0, 0.1), (100.0, 0.01), (4.0, 0.2)):
        s = lossviz.surface("quadratic", condition=condition)
        assert default_hyperparameters(s, "gd") == {"lr": lr}


def test_round_rate():
    assert [round_rate(x) for x in (4.9e-6, 0.00026, 0.7, 1.6, 3.6, 8.0)] == [
        5e-6, 2e-4, 0.5, 2.0, 5.0, 10.0]


def reference_newton_rate(s):
    """Newton's default rate as one whole 300-step run per rate tried would find it."""
    lr = 1.0
    for _ in range(20):
        run = lossviz.descend(s, lossviz.optimizer("newton", lr=lr, damping=1e-3), steps=300)
        if not run.diverged[0]:
            return lr
        lr = round_rate(lr / 2.5)
    return lr


@pytest.mark.parametrize("name", lossviz.surface_names())
def test_newtons_check_in_pieces_answers_as_the_whole_run(name):
    from lossviz.defaults import _diverges

    s = lossviz.surface(name)
    assert default_hyperparameters(s, "newton") == {"lr": reference_newton_rate(s), "damping": 1e-3}
    # Rates that converge, oscillate and diverge (late, too: lr 2.5 on a bowl grows by
    # 1.5 a step, leaving reach only after some dozens of steps).
    for lr in (0.1, 1.0, 1.9, 2.1, 2.5, 4.0):
        opt = lossviz.optimizer("newton", lr=lr, damping=1e-3)
        whole = lossviz.descend(s, opt, steps=300)
        assert _diverges(s, opt, stateless=True) == bool(whole.diverged[0]), lr


@pytest.mark.parametrize("name", ["quadratic", "rastrigin"])
def test_newtons_check_stops_where_the_run_comes_back_to_a_point(name, monkeypatch):
    # On the quadratic the run stops at a point; on rastrigin it ends in a cycle of two
    # points at the last digit, which it never leaves either.
    import lossviz.defaults as defaults

    steps = []
    descend = defaults.descend
    monkeypatch.setattr(
        defaults, "descend", lambda *a, **k: (steps.append(k["steps"]), descend(*a, **k))[1]
    )
    s = lossviz.surface(name)
    assert default_hyperparameters(s, "newton")["lr"] == 1.0
    assert sum(steps) < 300
    path = lossviz.descend(s, lossviz.optimizer("newton", lr=1.0), steps=300).path[0]
    first = next(t for t in range(1, 301) if (path[:t] == path[t]).all(axis=1).any())
    assert first <= sum(steps)  # where the pieces stopped, the run had come back
    # ... and from there it only goes round the points it had already been at.
    assert all((path[:first] == point).all(axis=1).any() for point in path[first:])
