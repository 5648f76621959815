"""The analytic surfaces: values, exact derivatives, minima, shapes and parameters."""

from __future__ import annotations

import ast
import math
from pathlib import Path

import autograd
import autograd.differential_operators
import autograd.numpy as anp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lossviz
from lossviz.engine import FAR
from lossviz.surfaces import Surface, beale, goldstein_price, six_hump_camel, surface, surface_names
from lossviz.surfaces import base as surfaces_base
from lossviz.surfaces._minima import polish_minima

ANALYTIC = [
    "quadratic",
    "rosenbrock",
    "saddle",
    "monkey_saddle",
    "himmelblau",
    "multi_well",
    "booth",
    "beale",
    "six_hump_camel",
    "goldstein_price",
    "styblinski_tang",
    "rastrigin",
    "ackley",
    "plateau_ridge",
]
# Non-default parameters, so that the checks below also cover surfaces rebuilt by a lesson.
VARIANTS = [
    ("rosenbrock", {"a": -0.5, "b": 10.0}),
    ("rosenbrock", {"a": 2.0, "b": 300.0}),
    ("quadratic", {"condition": 100.0, "angle": 30.0}),
    ("quadratic", {"condition": 1.0, "angle": -135.0}),
    ("multi_well", {"depths": (0.5, 2.0, 1.0, 0.7, 1.5), "width": 0.4}),
    ("multi_well", {"depths": (1.0, 1.0), "width": 1.5}),
    ("rastrigin", {"amplitude": 1.0}),
    ("rastrigin", {"amplitude": 0.0}),
]
CASES = [(name, {}) for name in ANALYTIC] + VARIANTS
CASE_IDS = [name + "".join(f"-{k}={v}" for k, v in params.items()) for name, params in CASES]


@pytest.fixture(params=CASES, ids=CASE_IDS)
def built(request):
    name, params = request.param
    return surface(name, **params)


def span(s) -> float:
    (xmin, xmax), (ymin, ymax) = s.bounds
    return max(xmax - xmin, ymax - ymin)


def inside(s, p) -> np.ndarray:
    (xmin, xmax), (ymin, ymax) = s.bounds
    p = np.asarray(p)
    return (xmin <= p[..., 0]) & (p[..., 0] <= xmax) & (ymin <= p[..., 1]) & (p[..., 1] <= ymax)


def sample(s, n=40, seed=0) -> np.ndarray:
    """``n`` random points in the bounds, plus the start and every minimum, shape (m, 2)."""
    (xmin, xmax), (ymin, ymax) = s.bounds
    rng = np.random.default_rng(seed)
    points = rng.uniform((xmin, ymin), (xmax, ymax), size=(n, 2))
    return np.concatenate([points, s.start[None], s.minima])


def central_gradient(s, p, h):
    e = np.eye(2) * h
    return np.stack([(s(p + e[i]) - s(p - e[i])) / (2 * h) for i in range(2)], axis=-1)


def central_hessian(s, p, h):
    e = np.eye(2) * h
    columns = [(s.grad(p + e[j]) - s.grad(p - e[j])) / (2 * h) for j in range(2)]
    return np.stack(columns, axis=-1)  # H[..., i, j] = d grad_i / d p_j


# -- the registry ---------------------------------------------------------------------------------
def test_every_analytic_surface_is_registered():
    names = surface_names()
    assert [name for name in ANALYTIC if name not in names] == []


def test_unknown_surface_lists_the_names():
    with pytest.raises(ValueError, match="unknown surface 'nope'") as info:
        lossviz.surface("nope")
    for name in ANALYTIC:
        assert name in str(info.value)


@pytest.mark.parametrize("name", ANALYTIC)
def test_unknown_parameter_is_rejected(name):
    with pytest.raises(ValueError, match="has no parameter 'colour'"):
        surface(name, colour="red")


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("rosenbrock", {"b": 0.0}, "b must be a number > 0; got 0.0"),
        ("rosenbrock", {"b": float("nan")}, "b must be a finite number > 0"),
        ("rosenbrock", {"a": 5.0}, r"a must be a number in \[-2, 2\]; got 5.0"),
        ("rosenbrock", {"a": "one"}, r"a must be a number in \[-2, 2\]"),
        ("rosenbrock", {"b": True}, "b must be a number > 0"),
        ("quadratic", {"condition": 0.5}, "condition must be a number >= 1; got 0.5"),
        ("quadratic", {"angle": float("inf")}, "angle must be a finite number"),
        ("multi_well", {"depths": 1.0}, "depths must be a sequence of 1 to 5 numbers"),
        ("multi_well", {"depths": ()}, "depths must hold 1 to 5 numbers"),
        ("multi_well", {"depths": (1.0,) * 6}, "depths must hold 1 to 5 numbers"),
        (
            "multi_well",
            {"depths": (1.0, -1.0)},
            r"depths\[1\] must be a number in \(0, 5\]; got -1.0",
        ),
        ("multi_well", {"width": 0.01}, r"width must be a number in \[0.2, 1.5\]; got 0.01"),
        ("rastrigin", {"amplitude": -1.0}, r"amplitude must be a number in \[0, 100\]; got -1.0"),
    ],
)
def test_bad_parameters_name_the_parameter_and_its_range(name, params, message):
    with pytest.raises(ValueError, match=message):
        surface(name, **params)


def test_params_record_the_arguments():
    assert surface("rosenbrock", a=0.5).params == {"a": 0.5, "b": 100.0}
    assert surface("quadratic", condition=4).params == {"condition": 4.0, "angle": 0.0}
    assert surface("multi_well", depths=[1, 2]).params == {"depths": (1.0, 2.0), "width": 0.6}
    assert surface("rastrigin").params == {"amplitude": 10.0}
    assert surface("himmelblau").params == {}


def test_compute_modules_import_neither_matplotlib_nor_ipywidgets():
    folder = Path(lossviz.surfaces.__file__).parent
    for path in folder.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            else:
                continue
            for module in modules:
                assert module.split(".")[0] not in {"matplotlib", "ipywidgets"}, path.name


# -- every surface --------------------------------------------------------------------------------
def test_surface_is_described(built):
    assert built.name in ANALYTIC
    sentence = built.description
    assert sentence and sentence[0].isupper() and sentence.endswith(".")
    assert sentence.count(". ") == 0


def test_start_and_minima_lie_inside_the_bounds(built):
    assert built.minima.ndim == 2 and built.minima.shape[1] == 2 and len(built.minima) >= 1
    assert inside(built, built.minima).all()
    assert built.start.shape == (2,) and inside(built, built.start)


def test_start_is_not_at_a_minimum(built):
    distance = np.linalg.norm(built.minima - built.start, axis=-1)
    assert distance.min() > 1e-2 * span(built)


@pytest.mark.parametrize(
    ("shape", "value_shape"), [((2,), ()), ((7, 2), (7,)), ((3, 5, 2), (3, 5))]
)
def test_every_point_shape_is_accepted(built, shape, value_shape):
    (xmin, xmax), (ymin, ymax) = built.bounds
    rng = np.random.default_rng(1)
    p = rng.uniform((xmin, ymin), (xmax, ymax), size=shape)
    value, grad, hessian = built(p), built.grad(p), built.hessian(p)
    assert value.shape == value_shape and value.dtype == np.float64
    assert grad.shape == shape and grad.dtype == np.float64
    assert hessian.shape == (*shape, 2) and hessian.dtype == np.float64
    assert built.autograd_grad(p).shape == shape
    assert_hand_gradient_is_autograd(built, p)
    # A batch gives the same numbers as one point at a time.
    flat = p.reshape(-1, 2)
    one_by_one = np.array([built(q) for q in flat]).reshape(value_shape)
    np.testing.assert_allclose(value, one_by_one, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(grad, np.array([built.grad(q) for q in flat]).reshape(shape))


@pytest.fixture
def autograd_calls(monkeypatch):
    """A list that records every differentiation autograd does while the test runs."""
    calls = []
    make_vjp = autograd.differential_operators._make_vjp

    def counted(*args, **kwargs):
        calls.append(args[0])
        return make_vjp(*args, **kwargs)

    monkeypatch.setattr(autograd.differential_operators, "_make_vjp", counted)
    return calls


def test_the_engine_never_differentiates_a_surface_by_autograd(built, autograd_calls):
    # The engine asks for a gradient at every step; through autograd each costs ~100x more.
    # A few points (one per optimizer) and a grid of starts: both sides of any size switch.
    lossviz.descend(built, ["gd", "adam"], steps=5)
    lossviz.descend(built, "gd", start=built.grid(12).reshape(-1, 2), steps=5)
    assert autograd_calls == []
    # The same surface without its hand gradient does go through autograd: the count works.
    lossviz.descend(Surface("plain", built._function, built.bounds), "gd", steps=5)
    assert len(autograd_calls) > 0


def test_gradient_equals_autograd(built):
    assert_hand_gradient_is_autograd(built, sample(built))


def test_gradient_equals_autograd_on_many_points(built):
    # Past the sizes where some gradients change form (multi-well's wells one at a time,
    # a model's blocks): a grid of 1,600 points, and the same points a few at a time.
    p = built.grid(40).reshape(-1, 2)
    assert_hand_gradient_is_autograd(built, p)
    many = built.grad(p)
    few = np.concatenate([built.grad(q) for q in np.split(p, 400)])
    # To rounding of the largest terms (Goldstein-Price's reach 1e5 and cancel).
    np.testing.assert_allclose(many, few, rtol=1e-12, atol=1e-15 * np.abs(many).max())


def test_gradient_matches_central_differences(built):
    p = sample(built)
    h = 1e-6 * span(built)
    g = built.grad(p)
    numeric = central_gradient(built, p, h)
    # Rounding error of the difference quotient grows with |L| / h.
    atol = 1e-8 * (1.0 + np.abs(built(p)).max()) / h
    np.testing.assert_allclose(numeric, g, rtol=1e-5, atol=atol)


def test_hessian_matches_central_differences_of_the_gradient(built):
    p = sample(built)
    h = 1e-6 * span(built)
    hessian = built.hessian(p)
    numeric = central_hessian(built, p, h)
    atol = 1e-8 * (1.0 + np.abs(built.grad(p)).max()) / h
    np.testing.assert_allclose(numeric, hessian, rtol=1e-5, atol=atol)
    np.testing.assert_allclose(hessian, np.swapaxes(hessian, -1, -2), rtol=1e-12, atol=1e-9)


def test_gradient_vanishes_at_every_minimum(built):
    assert np.linalg.norm(built.grad(built.minima), axis=-1).max() < 1e-8
    assert np.linalg.norm(built.autograd_grad(built.minima), axis=-1).max() < 1e-8


def test_every_listed_minimum_is_a_local_minimum(built):
    curvature = np.linalg.eigvalsh(built.hessian(built.minima))
    assert (curvature >= 0).all()
    angles = np.linspace(0, 2 * np.pi, 16, endpoint=False)
    ring = np.stack([np.cos(angles), np.sin(angles)], axis=-1)
    for radius in (1e-4, 1e-3):
        around = built.minima[:, None, :] + radius * span(built) * ring  # (k, 16, 2)
        assert (built(built.minima)[:, None] < built(around)).all()


def test_minima_are_distinct(built):
    gaps = np.linalg.norm(built.minima[:, None] - built.minima[None], axis=-1)
    assert (gaps + np.eye(len(built.minima)) * 1e9).min() > 1e-6 * span(built)


def test_row_zero_is_a_global_minimum(built):
    values = built(built.minima)
    assert values[0] <= values.min() + 1e-12 * (1 + abs(values[0]))
    assert values[0] <= built(built.grid(301)).min() + 1e-12


def descend(s, starts, iterations=400):
    """Levenberg-Marquardt from each start (an independent check of the factories' Newton)."""
    p = np.array(starts, dtype=np.float64)
    f = s(p)
    damping = np.full(len(p), 1e-3)
    stalled = 0
    for _ in range(iterations):
        g, hessian = s.grad(p), s.hessian(p)
        lowest = np.linalg.eigvalsh(hessian)[:, 0]
        shift = damping + 2.0 * np.maximum(0.0, -lowest)
        step = -np.linalg.solve(hessian + shift[:, None, None] * np.eye(2), g[..., None])[..., 0]
        trial = p + step
        trial_f = s(trial)
        better = trial_f < f
        p = np.where(better[:, None], trial, p)
        f = np.where(better, trial_f, f)
        damping = np.where(better, np.maximum(damping / 4.0, 1e-12), damping * 4.0)
        stalled = 0 if better.any() else stalled + 1
        if stalled == 10:  # no start can go lower: all have converged (or are stuck)
            break
    return p


def test_every_minimum_inside_the_bounds_is_listed(built):
    # Start from a coarse lattice and from the local minima of a fine grid of losses.
    (xmin, xmax), (ymin, ymax) = built.bounds
    grid = built.grid(201)
    z = built(grid)
    centre = z[1:-1, 1:-1]
    lower = np.ones_like(centre, dtype=bool)
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            if di or dj:
                lower &= centre <= z[1 + di : 200 + di, 1 + dj : 200 + dj]
    starts = np.concatenate([built.grid(13).reshape(-1, 2), grid[1:-1, 1:-1][lower]])
    ends = descend(built, starts)
    converged = np.linalg.norm(built.grad(ends), axis=-1) < 1e-7 * (1 + np.abs(built(ends)))
    is_minimum = converged & (np.linalg.eigvalsh(built.hessian(ends))[:, 0] > 0)
    found = ends[is_minimum & inside(built, ends)]
    assert len(found) > 0
    distance = np.linalg.norm(found[:, None, :] - built.minima[None], axis=-1).min(axis=1)
    missing = found[distance > 1e-6 * span(built)]
    assert len(missing) == 0, f"unlisted minima: {np.unique(missing.round(6), axis=0)}"


# -- published values and hand-computed cases -----------------------------------------------------
@pytest.mark.parametrize(
    ("name", "params", "point", "expected"),
    [
        ("rosenbrock", {}, (1.0, 1.0), 0.0),
        ("rosenbrock", {}, (0.0, 0.0), 1.0),
        ("rosenbrock", {"a": 2.0, "b": 50.0}, (2.0, 4.0), 0.0),
        ("rosenbrock", {}, (-1.0, 2.0), 4.0 + 100.0),
        ("quadratic", {}, (1.0, 1.0), 0.5 * (1.0 + 10.0)),
        ("quadratic", {"condition": 4.0, "angle": 90.0}, (1.0, 1.0), 0.5 * (4.0 + 1.0)),
        ("saddle", {}, (0.0, 0.0), 0.0),
        ("saddle", {}, (0.0, math.sqrt(2.0)), -1.0),
        ("monkey_saddle", {}, (-1.5, 0.0), -27.0 / 32.0),
        ("himmelblau", {}, (3.0, 2.0), 0.0),
        ("booth", {}, (1.0, 3.0), 0.0),
        ("booth", {}, (0.0, 0.0), 74.0),
        ("beale", {}, (3.0, 0.5), 0.0),
        ("beale", {}, (0.0, 1.7), 14.203125),
        ("goldstein_price", {}, (0.0, -1.0), 3.0),
        ("goldstein_price", {}, (-0.6, -0.4), 30.0),
        ("goldstein_price", {}, (1.8, 0.2), 84.0),
        ("goldstein_price", {}, (1.2, 0.8), 840.0),
        ("goldstein_price", {}, (0.0, 0.0), 600.0),
        ("rastrigin", {}, (0.0, 0.0), 0.0),
        ("rastrigin", {}, (1.0, 0.0), 1.0),
        ("rastrigin", {}, (0.5, 0.5), 40.5),
        ("ackley", {}, (0.0, 0.0), 0.0),
        ("styblinski_tang", {}, (0.0, 0.0), 0.0),
    ],
)
def test_published_values(name, params, point, expected):
    assert float(surface(name, **params)(point)) == pytest.approx(expected, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize(
    ("name", "values"),
    [
        ("quadratic", [0.0]),
        ("rosenbrock", [0.0]),
        ("saddle", [-1.0, -1.0]),
        ("monkey_saddle", [-27.0 / 32.0] * 3),
        ("himmelblau", [0.0] * 4),
        ("booth", [0.0]),
        ("beale", [0.0]),
        ("goldstein_price", [3.0, 30.0, 84.0, 840.0]),
    ],
)
def test_published_minimum_values(name, values):
    s = surface(name)
    np.testing.assert_allclose(s(s.minima), values, rtol=1e-10, atol=1e-20)


def test_styblinski_tang_minima_are_the_outer_roots_in_each_coordinate():
    # L(x, y) = f(x) + f(y) with f(t) = (t^4 - 16 t^2 + 5 t) / 2, so f'(t) = (4 t^3 - 32 t + 5) / 2:
    # each coordinate sits at the lowest or the highest of the three roots (the middle is a
    # maximum), and the four minima are their combinations, deepest (low, low) first.
    def f(t):
        return (t**4 - 16.0 * t**2 + 5.0 * t) / 2.0

    low, middle, high = np.sort(np.roots([4.0, 0.0, -32.0, 5.0]).real)
    assert 12.0 * low**2 - 32.0 > 0 > 12.0 * middle**2 - 32.0 and 12.0 * high**2 - 32.0 > 0
    s = surface("styblinski_tang")
    expected = [(low, low), (low, high), (high, low), (high, high)]
    np.testing.assert_allclose(s.minima, expected, rtol=0, atol=1e-12)
    values = [2 * f(low), f(low) + f(high), f(high) + f(low), 2 * f(high)]
    np.testing.assert_allclose(s(s.minima), values, rtol=1e-12)
    assert 2 * f(low) == pytest.approx(-78.332331, abs=1e-6)  # as the docstring states


def test_six_hump_camel_minima_are_the_published_ones_polished():
    # Dixon and Szego (1978) publish the six minima to 4 digits; polish each by Newton's
    # method on the function as published, differentiated by autograd (not by the package).
    def camel(p):
        x, y = p[0], p[1]
        return (4.0 - 2.1 * x**2 + x**4 / 3.0) * x**2 + x * y + (-4.0 + 4.0 * y**2) * y**2

    published = [
        ((0.0898, -0.7126), -1.0316),
        ((-0.0898, 0.7126), -1.0316),
        ((1.7036, -0.7961), -0.2155),
        ((-1.7036, 0.7961), -0.2155),
        ((1.6071, 0.5687), 2.1043),
        ((-1.6071, -0.5687), 2.1043),
    ]
    gradient, hessian = autograd.grad(camel), autograd.hessian(camel)
    s = surface("six_hump_camel")
    for (point, value), listed in zip(published, s.minima, strict=True):
        p = np.array(point)
        for _ in range(20):
            p = p - np.linalg.solve(hessian(p), gradient(p))
        assert np.linalg.norm(gradient(p)) < 1e-12
        assert np.linalg.norm(p - point) < 1e-4  # the 4-digit point rounds the polished one
        assert float(camel(p)) == pytest.approx(value, abs=5e-5)
        np.testing.assert_allclose(listed, p, rtol=0, atol=1e-12)
        assert float(s(listed)) == pytest.approx(float(camel(p)), rel=1e-12)


def test_published_minimum_locations():
    np.testing.assert_allclose(
        surface("himmelblau").minima,
        [(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)],
        atol=1e-6,
    )
    np.testing.assert_allclose(surface("six_hump_camel").minima[0], (0.0898, -0.7126), atol=1e-4)
    np.testing.assert_allclose(surface("styblinski_tang").minima[0], (-2.903534,) * 2, atol=1e-6)
    np.testing.assert_array_equal(surface("rosenbrock", a=-1.5).minima, [(-1.5, 2.25)])
    np.testing.assert_allclose(surface("saddle").minima, [(0, 2**0.5), (0, -(2**0.5))])


def test_rosenbrock_gradient_by_hand():
    s = surface("rosenbrock", a=1.0, b=100.0)
    # At (0, 0): 2 (0 - 1) - 0 = -2 and 2 b (0 - 0) = 0; at (-1, 2): -4 - 400 (-1)(1) = 396, 200.
    np.testing.assert_array_equal(s.grad([[0.0, 0.0], [-1.0, 2.0]]), [[-2.0, 0.0], [396.0, 200.0]])


@pytest.mark.parametrize("angle", [0.0, 30.0, 90.0, 135.0, -60.0, 400.0])
@pytest.mark.parametrize("condition", [1.0, 10.0, 1000.0])
def test_quadratic_curvatures_are_one_and_the_condition(condition, angle):
    s = surface("quadratic", condition=condition, angle=angle)
    hessian = s.hessian([0.3, -0.2])
    np.testing.assert_allclose(np.linalg.eigvalsh(hessian), [1.0, condition], rtol=1e-13)
    np.testing.assert_allclose(s.grad([[1.0, 0.0], [0.0, 1.0]]), hessian, rtol=1e-13, atol=1e-13)
    # The eigenvector of curvature 1 points along the angle.
    axis = np.array([math.cos(math.radians(angle)), math.sin(math.radians(angle))])
    np.testing.assert_allclose(hessian @ axis, axis, atol=1e-12)


def test_quadratic_axes_are_exact_at_right_angles():
    np.testing.assert_array_equal(surface("quadratic", angle=90.0).grad([1.0, 1.0]), [10.0, 1.0])
    np.testing.assert_array_equal(surface("quadratic", angle=-180.0).grad([1.0, 1.0]), [1.0, 10.0])


@pytest.mark.parametrize("condition", [4.0, 10.0, 50.0])
def test_quadratic_gradient_descent_is_stable_below_two_over_condition(condition):
    s = surface("quadratic", condition=condition, angle=20.0)

    def final_distance(learning_rate):
        p = s.start.copy()
        for _ in range(2000):
            p = p - learning_rate * s.grad(p)
        return np.linalg.norm(p)

    assert final_distance(0.98 * 2.0 / condition) < 1e-3
    assert final_distance(1.02 * 2.0 / condition) > 1e3


def test_saddle_is_a_saddle_and_the_start_lingers_near_it():
    s = surface("saddle")
    np.testing.assert_array_equal(s.grad([0.0, 0.0]), [0.0, 0.0])
    np.testing.assert_allclose(np.linalg.eigvalsh(s.hessian([0.0, 0.0])), [-2.0, 2.0])
    p, closest = s.start.copy(), np.inf
    for _ in range(200):
        p = p - 0.1 * s.grad(p)
        closest = min(closest, float(np.linalg.norm(p)))
    assert closest < 0.05  # it passes close to the saddle ...
    assert s.nearest_minimum(p)[1] < 1e-3  # ... and still ends in a minimum


def test_monkey_saddle_is_flat_to_second_order_at_the_origin():
    s = surface("monkey_saddle")
    np.testing.assert_array_equal(s.grad([0.0, 0.0]), [0.0, 0.0])
    np.testing.assert_array_equal(s.hessian([0.0, 0.0]), np.zeros((2, 2)))
    angles = np.angle(s.minima[:, 0] + 1j * s.minima[:, 1], deg=True)
    np.testing.assert_allclose(np.sort(angles), [-60.0, 60.0, 180.0])
    np.testing.assert_allclose(np.linalg.norm(s.minima, axis=-1), 1.5)


def test_multi_well_has_one_minimum_per_well_and_the_start_is_in_a_shallow_one():
    s = surface("multi_well")
    assert len(s.minima) == len(s.params["depths"]) == 3
    p = s.start.copy()
    for _ in range(400):
        p = p - 0.5 * s.grad(p)
    nearest, distance = s.nearest_minimum(p)
    assert distance < 1e-4
    assert s(nearest) > s(s.minima[0]) + 0.1  # a local, not the global, minimum


def test_multi_well_depths_choose_the_global_minimum():
    deepest_second = surface("multi_well", depths=(0.5, 2.0))
    assert deepest_second.minima[0] == pytest.approx((-1.3, 1.2), abs=0.1)


def test_rastrigin_minima_sit_near_every_integer_point():
    s = surface("rastrigin")
    assert len(s.minima) == 25
    integers = np.round(s.minima)
    np.testing.assert_allclose(s.minima, integers, atol=0.02)
    assert (np.abs(s.minima) <= np.abs(integers)).all()  # the bowl pulls them inwards
    np.testing.assert_array_equal(s.minima[0], (0.0, 0.0))
    assert len(surface("rastrigin", amplitude=0.0).minima) == 1


def test_ackley_softening_changes_the_published_function_only_slightly():
    s = surface("ackley")

    def published(x, y):
        radius = np.sqrt(0.5 * (x * x + y * y))
        ripples = 0.5 * (np.cos(2 * np.pi * x) + np.cos(2 * np.pi * y))
        return -20.0 * np.exp(-0.2 * radius) - np.exp(ripples) + np.e + 20.0

    p = sample(s, n=500)
    difference = s(p) - published(p[:, 0], p[:, 1])
    assert (difference <= 0).all() and difference.min() > -0.04
    assert len(s.minima) == 25 and np.all(np.isfinite(s.hessian(s.minima)))


def test_plateau_ridge_has_a_flat_plateau_a_narrow_ridge_and_a_minimum_behind_it():
    s = surface("plateau_ridge")
    plateau = np.stack(np.meshgrid(np.linspace(-4, -2, 9), np.linspace(-2, 2, 9)), axis=-1)
    assert np.linalg.norm(s.grad(plateau), axis=-1).max() < 1e-3
    assert np.linalg.norm(s.grad(s.start)) < 1e-3
    ridge, before, after = s([[1.0, -0.5], [0.7, -0.5], [1.3, -0.5]])
    assert ridge > before + 0.3 and ridge > after + 0.3
    global_minimum, local_minimum = s.minima
    assert global_minimum[0] > 1.0 > local_minimum[0]  # the global one is behind the ridge


def test_minima_arrays_are_not_shared_between_builds():
    first = surface("six_hump_camel")
    first.minima[0] = (9.0, 9.0)
    assert surface("six_hump_camel").minima[0, 0] != 9.0


# -- hand gradients on random points and parameters -----------------------------------------------
def unit_points(draw_count=8):
    unit = st.floats(0.0, 1.0, allow_nan=False)
    return st.lists(st.tuples(unit, unit), min_size=1, max_size=draw_count)


def scaled(s, unit, reach=0.0):
    """Points of the unit square mapped onto the bounds widened by ``reach`` widths each side."""
    (xmin, xmax), (ymin, ymax) = s.bounds
    low, width = np.array([xmin, ymin]), np.array([xmax - xmin, ymax - ymin])
    return low - reach * width + np.asarray(unit, dtype=np.float64) * (1 + 2 * reach) * width


def assert_hand_gradient_is_autograd(s, p):
    reference = s.autograd_grad(p)
    atol = 1e-12 * (1.0 + np.abs(reference).max())
    np.testing.assert_allclose(s.grad(p), reference, rtol=1e-11, atol=atol)


@settings(max_examples=60, deadline=None)
@given(
    a=st.floats(-2.0, 2.0),
    b=st.floats(1e-3, 1e3),
    unit=unit_points(),
)
def test_rosenbrock_hand_gradient_is_autograd_everywhere(a, b, unit):
    s = surface("rosenbrock", a=a, b=b)
    assert_hand_gradient_is_autograd(s, scaled(s, unit))


@settings(max_examples=60, deadline=None)
@given(
    condition=st.floats(1.0, 1e4),
    angle=st.floats(-720.0, 720.0),
    unit=unit_points(),
)
def test_quadratic_hand_gradient_is_autograd_everywhere(condition, angle, unit):
    s = surface("quadratic", condition=condition, angle=angle)
    assert_hand_gradient_is_autograd(s, scaled(s, unit))


@settings(max_examples=30, deadline=None)
@given(name=st.sampled_from(ANALYTIC), unit=unit_points())
def test_gradient_is_autograd_on_random_points_in_the_bounds(name, unit):
    s = surface(name)
    assert_hand_gradient_is_autograd(s, scaled(s, unit))


@settings(max_examples=40, deadline=None)
@given(
    depths=st.lists(st.floats(0.05, 5.0), min_size=1, max_size=5),
    width=st.floats(0.2, 1.5),
    unit=unit_points(),
)
def test_multi_well_hand_gradient_is_autograd_everywhere(depths, width, unit):
    s = surface("multi_well", depths=depths, width=width)
    assert_hand_gradient_is_autograd(s, scaled(s, unit))


@settings(max_examples=40, deadline=None)
@given(amplitude=st.floats(0.0, 100.0), unit=unit_points())
def test_rastrigin_hand_gradient_is_autograd_everywhere(amplitude, unit):
    s = surface("rastrigin", amplitude=amplitude)
    assert_hand_gradient_is_autograd(s, scaled(s, unit))


@settings(max_examples=100, deadline=None)
@given(name=st.sampled_from(ANALYTIC), unit=unit_points())
def test_gradient_is_autograd_far_outside_the_bounds(name, unit):
    # Optimizers overshoot: the engine follows a run until it is FAR widths outside the bounds.
    s = surface(name)
    with np.errstate(over="ignore"):  # autograd's tanh' = 1 / cosh^2 overflows to 1 / inf = 0
        assert_hand_gradient_is_autograd(s, scaled(s, unit, reach=FAR))


# -- hand Hessians --------------------------------------------------------------------------------
# Every registered surface and model with its default parameters, and the variants above.
HESSIAN_CASES = [(name, {}) for name in surface_names()] + VARIANTS
HESSIAN_IDS = [name + "".join(f"-{k}={v}" for k, v in kw.items()) for name, kw in HESSIAN_CASES]
SHAPES = [(2,), (9, 2), (3, 4, 2)]


@pytest.fixture(params=HESSIAN_CASES, ids=HESSIAN_IDS)
def any_surface(request):
    name, params = request.param
    return surface(name, **params)


def points_of_shape(s, shape, seed=0) -> np.ndarray:
    """Seeded random points of ``shape`` (..., 2) inside the bounds."""
    (xmin, xmax), (ymin, ymax) = s.bounds
    return np.random.default_rng(seed).uniform((xmin, ymin), (xmax, ymax), size=shape)


def assert_hand_hessian_is_autograd(s, p):
    hand, reference = s.hessian(p), s.autograd_hessian(p)
    assert hand.shape == reference.shape == (*np.shape(p), 2)
    assert hand.dtype == np.float64
    atol = 1e-12 * (1.0 + np.abs(reference).max())
    np.testing.assert_allclose(hand, reference, rtol=1e-9, atol=atol)


def test_newton_never_differentiates_a_surface_or_model_by_autograd(any_surface, autograd_calls):
    # Newton's method asks for a Hessian at every step; through autograd each costs ~1000x more.
    lossviz.descend(any_surface, "newton", steps=5)
    lossviz.descend(any_surface, "newton", start=any_surface.grid(12).reshape(-1, 2), steps=5)
    assert autograd_calls == []


@pytest.mark.parametrize("shape", SHAPES)
def test_hand_hessian_equals_autograd(any_surface, shape):
    assert_hand_hessian_is_autograd(any_surface, points_of_shape(any_surface, shape))


def test_hand_hessian_equals_autograd_at_the_start_and_the_minima(any_surface):
    special = np.concatenate([any_surface.start[None], any_surface.minima])
    assert_hand_hessian_is_autograd(any_surface, special)


@pytest.mark.parametrize("shape", SHAPES)
def test_hand_hessian_matches_central_differences_of_the_hand_gradient(any_surface, shape):
    p = points_of_shape(any_surface, shape, seed=1)
    h = 1e-6 * span(any_surface)
    hessian = any_surface.hessian(p)
    numeric = central_hessian(any_surface, p, h)
    # Rounding error of the difference quotient grows with |grad L| / h.
    atol = 1e-8 * (1.0 + np.abs(any_surface.grad(p)).max()) / h
    np.testing.assert_allclose(numeric, hessian, rtol=1e-5, atol=atol)


def test_hand_hessian_is_symmetric_and_one_point_at_a_time_is_the_batch(any_surface):
    p = points_of_shape(any_surface, (3, 4, 2), seed=2)
    hessian = any_surface.hessian(p)
    np.testing.assert_array_equal(hessian, np.swapaxes(hessian, -1, -2))
    one_by_one = np.array([any_surface.hessian(q) for q in p.reshape(-1, 2)])
    np.testing.assert_allclose(hessian.reshape(-1, 2, 2), one_by_one, rtol=1e-13, atol=1e-13)


@settings(max_examples=30, deadline=None)
@given(name=st.sampled_from(ANALYTIC), unit=unit_points())
def test_hand_hessian_is_autograd_far_outside_the_bounds(name, unit):
    # Newton's method overshoots too: the engine asks for Hessians wherever a run goes.
    s = surface(name)
    with np.errstate(over="ignore"):  # autograd's tanh' = 1 / cosh^2 overflows to 1 / inf = 0
        assert_hand_hessian_is_autograd(s, scaled(s, unit, reach=FAR))


@settings(max_examples=30, deadline=None)
@given(
    a=st.floats(-2.0, 2.0),
    b=st.floats(1e-3, 1e3),
    condition=st.floats(1.0, 1e4),
    angle=st.floats(-720.0, 720.0),
    depths=st.lists(st.floats(0.05, 5.0), min_size=1, max_size=5),
    width=st.floats(0.2, 1.5),
    amplitude=st.floats(0.0, 100.0),
    unit=unit_points(),
)
def test_hand_hessian_is_autograd_for_random_parameters(
    a, b, condition, angle, depths, width, amplitude, unit
):
    for s in (
        surface("rosenbrock", a=a, b=b),
        surface("quadratic", condition=condition, angle=angle),
        surface("multi_well", depths=depths, width=width),
        surface("rastrigin", amplitude=amplitude),
    ):
        assert_hand_hessian_is_autograd(s, scaled(s, unit))


def test_rosenbrock_hessian_by_hand():
    s = surface("rosenbrock", a=1.0, b=100.0)
    # At (1, 1): 2 - 400 (1 - 1) + 800 = 802, -4 b x = -400, 2 b = 200;
    # at (0, 0): 2 - 0 + 0 = 2, 0, 200.
    np.testing.assert_array_equal(
        s.hessian([[1.0, 1.0], [0.0, 0.0]]),
        [[[802.0, -400.0], [-400.0, 200.0]], [[2.0, 0.0], [0.0, 200.0]]],
    )


def test_goldstein_price_hessian_at_the_global_minimum_by_hand():
    # At (0, -1): s = 0, d = 3, so A = 1, A' = 0, A'' = 72, B = 30 + 9 (27 - 48 + 18) = 3 and
    # B' = 0, B'' = 12 (27 - 24 + 3) = 72: hess L = 72 * 3 [[1, 1], [1, 1]] + 72 [[4, -6], [-6, 9]].
    expected = 216.0 * np.ones((2, 2)) + 72.0 * np.array([[4.0, -6.0], [-6.0, 9.0]])
    np.testing.assert_allclose(
        surface("goldstein_price").hessian([0.0, -1.0]), expected, rtol=1e-13
    )


def test_minima_polished_with_the_hand_derivatives_are_autograds(built):
    # The factories polish their minima with the hand gradient and Hessian; polishing them
    # again with autograd's must not move them.
    polished = polish_minima(built._function, built.minima)
    np.testing.assert_allclose(polished, built.minima, rtol=0, atol=1e-12 * span(built))


@pytest.mark.parametrize("shape", SHAPES)
def test_a_users_function_gets_autograds_hessian(shape):
    s = Surface.from_function(lambda x, y: anp.sin(x) * y**3, ((-3.0, 3.0), (-2.0, 2.0)))
    p = points_of_shape(s, shape)
    x, y = p[..., 0], p[..., 1]
    by_hand = np.stack(
        [
            np.stack([-np.sin(x) * y**3, 3 * np.cos(x) * y**2], axis=-1),
            np.stack([3 * np.cos(x) * y**2, 6 * np.sin(x) * y], axis=-1),
        ],
        axis=-2,
    )
    np.testing.assert_allclose(s.hessian(p), by_hand, rtol=1e-12, atol=1e-12)


def test_a_hand_hessian_of_the_wrong_shape_is_an_error():
    s = Surface(
        "bowl",
        lambda x, y: x**2 + y**2,
        ((-1.0, 1.0), (-1.0, 1.0)),
        hessian=lambda p: 2.0 * np.ones(p.shape),  # (..., 2): one row too few
    )
    with pytest.raises(ValueError, match=r"must return shape \(\.\.\., 2, 2\).*\(3, 2\)"):
        s.hessian(np.zeros((3, 2)))


@pytest.mark.parametrize("what", ["gradient", "hessian"])
def test_a_hand_derivative_must_be_a_function(what):
    with pytest.raises(TypeError, match=f"{what} must be None or a function of points"):
        Surface("bowl", lambda x, y: x**2 + y**2, ((-1.0, 1.0), (-1.0, 1.0)), **{what: np.eye(2)})


# -- derivatives written once, computed on floats or arrays ------------------------------------
# Where a surface's derivative is written as terms of the coordinates (`gradient_by_terms`,
# `hessian_by_terms`), a few points are computed on Python floats and many on arrays: both
# must give autograd's numbers, on points inside the bounds and far outside them (where
# optimizers overshoot), in every shape, and the same bits as each other.
TERMS = {  # "surface derivative": terms(x, y)
    "beale gradient": beale._gradient_terms,
    "beale hessian": beale._hessian_terms,
    "six_hump_camel gradient": six_hump_camel._gradient_terms,
    "six_hump_camel hessian": six_hump_camel._hessian_terms,
    "goldstein_price gradient": goldstein_price._gradient_terms,
    "goldstein_price hessian": goldstein_price._hessian_terms,
}


@pytest.mark.parametrize("case", TERMS, ids=str)
@pytest.mark.parametrize("shape", [(2,), (5, 2), (3, 4, 2), (30, 40, 2)])
@pytest.mark.parametrize("reach", [0.0, FAR])
def test_derivatives_by_terms_are_autograd_on_floats_and_arrays_alike(case, shape, reach):
    name, derivative = case.split()
    terms = TERMS[case]
    s = surface(name)
    p = scaled(s, np.random.default_rng(7).uniform(size=shape), reach=reach)
    if derivative == "gradient":
        reference, by_surface = s.autograd_grad(p), s.grad(p)
    else:
        reference, by_surface = s.autograd_hessian(p), s.hessian(p)
    atol = 1e-12 * (1.0 + np.abs(reference).max())
    assert by_surface.shape == reference.shape
    np.testing.assert_allclose(by_surface, reference, rtol=1e-10, atol=atol)
    on_floats = surfaces_base._terms_on_floats(terms, p)
    on_arrays = np.broadcast_arrays(*terms(p[..., 0], p[..., 1]))
    on_arrays = np.stack([a.reshape(-1) for a in on_arrays], axis=-1)
    np.testing.assert_array_equal(on_floats.view(np.int64), on_arrays.view(np.int64))


def test_derivatives_by_terms_switch_to_arrays_past_a_few_points(monkeypatch):
    calls = []

    def terms(x, y):
        calls.append(type(x))
        return 2.0 * x, 4.0 * y

    few = surfaces_base.FEW_POINTS
    surfaces_base.gradient_by_terms(terms, np.ones((few, 2)))
    assert set(calls) == {float}
    calls.clear()
    surfaces_base.gradient_by_terms(terms, np.ones((few + 1, 2)))
    assert calls == [np.ndarray]
    assert surfaces_base.gradient_by_terms(terms, np.ones((0, 2))).shape == (0, 2)
    assert surfaces_base.hessian_by_terms(lambda x, y: (x, 1.0, y), np.ones((0, 2))).shape == (
        0,
        2,
        2,
    )


def test_hand_derivatives_tells_written_out_derivatives_from_autograd():
    assert all(lossviz.surface(name).hand_derivatives for name in lossviz.surface_names())

    def f(x, y):
        return x**2 + 3 * y**2

    def gradient(p):
        return np.stack([2 * p[..., 0], 6 * p[..., 1]], axis=-1)

    def hessian(p):
        return np.broadcast_to(np.diag([2.0, 6.0]), (*p.shape[:-1], 2, 2))

    bounds = ((-1, 1), (-1, 1))
    assert not lossviz.Surface.from_function(f, bounds).hand_derivatives
    assert not lossviz.Surface("g", f, bounds, gradient=gradient).hand_derivatives
    assert lossviz.Surface("gh", f, bounds, gradient=gradient, hessian=hessian).hand_derivatives
