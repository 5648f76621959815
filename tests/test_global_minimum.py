"""One definition of "the" minimum: `Surface.global_minimum`, the listed minimum with the
lowest loss, whatever order the minima are listed in; the default rates, the stability
note and the loss reference all use it."""

import autograd.numpy as anp
import numpy as np
import pytest

import lossviz
from lossviz import Surface
from lossviz.curvature import stability_limit
from lossviz.defaults import curvature, default_hyperparameters
from lossviz.views import loss_reference


def two_wells(order):
    """Two wells along x: a shallow round one at x = 1 (loss 1, curvature 2 in x and y)
    and a deep narrow one at x = -1 (loss 0, curvature 50 in x, 2 in y)."""

    def f(x, y):
        return anp.minimum((x - 1) ** 2 + 1, 25 * (x + 1) ** 2) + y**2

    minima = [(1.0, 0.0), (-1.0, 0.0)]
    return Surface.from_function(f, ((-2, 2), (-2, 2)), minima=minima[::order], start=(0.2, 1))


@pytest.mark.parametrize("order", [1, -1], ids=["local-first", "global-first"])
def test_every_use_takes_the_deepest_listed_minimum(order):
    s = two_wells(order)
    np.testing.assert_array_equal(s.global_minimum, (-1.0, 0.0))
    assert s.global_minimum_loss == 0.0 == loss_reference(s)
    limit = stability_limit(s)
    np.testing.assert_array_equal(limit.point, (-1.0, 0.0))
    assert limit.curvature == pytest.approx(50.0) and limit.rate == pytest.approx(0.04)
    assert curvature(s) == pytest.approx(50.0)
    # 1 / 50 = 0.02, already a round rate, and gd from the start does not diverge with it.
    assert default_hyperparameters(s, "gd") == {"lr": 0.02}


def test_without_minima():
    s = Surface.from_function(lambda x, y: x**2 + 3 * y**2, ((-1, 1), (-1, 1)), start=(0.5, 0.5))
    assert s.global_minimum is None
    assert np.isnan(s.global_minimum_loss) and np.isnan(loss_reference(s))
    assert stability_limit(s) is None
    assert curvature(s) == pytest.approx(6.0)  # the fallback: the start's curvature


def test_equal_minima_give_the_first_listed():
    s = lossviz.surface("himmelblau")  # four minima, all at loss 0
    np.testing.assert_array_equal(s.global_minimum, s.minima[0])


@pytest.mark.parametrize("name", lossviz.surface_names())
def test_built_in_surfaces_list_their_global_minimum_first(name):
    """The built-ins keep the convention as well, so ``minima[0]`` means the same."""
    s = lossviz.surface(name)
    assert s(s.minima[0]) <= s(s.minima).min() + 1e-12 * max(1.0, abs(s.global_minimum_loss))
