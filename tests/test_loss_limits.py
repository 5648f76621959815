"""The loss panel's y-limits: kept while the curves fit, grown with room to spare, capped
above so a diverging run does not squash the others."""

import numpy as np
import pytest

from lossviz.views.loss_curves import fit_limits, loss_ceiling


def test_the_ceiling_is_a_hundred_times_the_highest_start_on_a_log_axis():
    values = np.array([[10.0, 1.0, 0.1], [40.0, 1e9, np.nan]])
    assert loss_ceiling(values, True) == 4000.0
    assert loss_ceiling(values, False) == 60.0
    assert loss_ceiling(np.full((2, 3), np.nan), True) == np.inf


def test_a_diverging_run_leaves_through_the_top():
    values = np.array([[10.0, 1.0, 0.01], [10.0, 1e6, 1e30]])
    lo, hi = fit_limits(values, None, True)
    assert hi == pytest.approx(10 ** (np.ceil(np.log10(1000.0)) + 0.1))
    assert lo == pytest.approx(10 ** (-2 - 0.3))


def test_limits_stay_while_the_curves_fit():
    values = np.array([[10.0, 1.0, 0.01]])
    current = fit_limits(values, None, True)
    assert fit_limits(values * 1.1, current, True) is None


def test_curves_reaching_lower_get_a_decade_to_spare():
    current = fit_limits(np.array([[10.0, 1.0, 0.01]]), None, True)
    lower = fit_limits(np.array([[10.0, 1.0, 1e-5]]), current, True)
    assert lower[0] == pytest.approx(10 ** (-5 - 0.3) / 10)


def test_limits_shrink_when_the_curves_use_little_of_them():
    current = (1e-18, 1e2)
    assert fit_limits(np.array([[10.0, 5.0, 2.0]]), current, True) is not None
    assert fit_limits(np.array([[10.0, 1.0, 1e-12]]), current, True) is None


def test_linear_limits():
    values = np.array([[4.0, 2.0, 0.0]])
    lo, hi = fit_limits(values, None, False)
    assert lo == pytest.approx(-0.2) and hi == pytest.approx(4.2)
    assert fit_limits(values, (lo, hi), False) is None
