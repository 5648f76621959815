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
