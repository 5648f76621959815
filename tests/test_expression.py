"""Surfaces typed as text: what the grammar admits, what it refuses and where, and that
no text ever runs as code (a canary file, an audit hook, fuzzing)."""

from __future__ import annotations

import ast
import doctest
import sys
import time
from pathlib import Path

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import elementwise_grad
from hypothesis import given, settings
from hypothesis import strategies as st

from lossviz import Surface, descend
from lossviz.optimizers import gd
from lossviz.surfaces import expression
from lossviz.surfaces.base import hessian_by_autograd
from lossviz.surfaces.expression import (
    ALLOWED,
    MAX_DEPTH,
    MAX_LENGTH,
    from_expression,
    parse_expression,
)

# autograd remarks that the Hessian of a linear or constant surface does not depend on the point.
pytestmark = pytest.mark.filterwarnings("ignore:Output seems independent of input:UserWarning")

BOUNDS = ((-3.0, 3.0), (-3.0, 3.0))
POINTS = np.random.default_rng(0).uniform(-2.5, 2.5, size=(7, 2))


# -- watching for code that runs ---------------------------------------------------------------
# Python raises an audit event whenever code is executed (eval, exec, an import running a
# module) or a process or shell is started. The hook stays for the session (audit hooks
# cannot be removed) but records only while a test watches.
_RUNS_CODE = {"exec", "os.system", "subprocess.Popen", "os.exec", "os.spawn", "os.posix_spawn"}
_seen: list[str] | None = None


def _audit(event: str, args: tuple) -> None:
    if _seen is not None and event in _RUNS_CODE:
        _seen.append(event)


sys.addaudithook(_audit)


def watched(function, *args, **kwargs):
    """``function(*args, **kwargs)``, its ValueError (or None), and the code-running events."""
    global _seen
    _seen = []
    try:
        function(*args, **kwargs)
        refusal = None
    except ValueError as exc:
        refusal = exc
    finally:
        events, _seen = _seen, None
    return refusal, events


# Run once before any test watches, so that lazy imports inside numpy or autograd (which
# run code legitimately) have happened.
from_expression("sin(x) * exp(-y**2) + log(1 + x**2)", BOUNDS)


# -- refusals -------------------------------------------------------------------------------------
REFUSALS = [
    # (text, fragment of the message)
    ("x.real", "attribute access is not allowed: 'x.real' at column 1"),
    ("2*x.real", "attribute access is not allowed: 'x.real' at column 3"),
    ("x + z", "the name 'z' is not allowed: 'z' at column 5"),
    ("os", "the name 'os' is not allowed"),
    ("__builtins__", "the name '__builtins__' is not allowed"),
    ("sin", "the name 'sin' (functions must be called, e.g. sin(x)) is not allowed"),
    ("x[0]", "a subscript is not allowed: 'x[0]' at column 1"),
    ("[t for t in x]", "a comprehension is not allowed"),
    ("{t for t in x}", "a comprehension is not allowed"),
    ("{t: t for t in x}", "a comprehension is not allowed"),
    ("sum(t for t in x)", "the function 'sum' is not allowed"),
    ("sin(t for t in x)", "a comprehension is not allowed: '(t for t in x)' at column 4"),
    ("lambda: 1", "a lambda is not allowed: 'lambda: 1' at column 1"),
    ("x + 'a'", "a string is not allowed: \"'a'\" at column 5"),
    ("b'a'", "bytes is not allowed"),
    ("f'{x}'", "an f-string is not allowed"),
    ("sin(x=1)", "a keyword argument is not allowed: 'x=1' at column 5"),
    ("sin(*x)", "a starred argument is not allowed: '*x' at column 5"),
    ("sin(**x)", "a keyword argument is not allowed: '**x' at column 5"),
    ("x < y", "a comparison is not allowed: 'x < y' at column 1"),
    ("x and y", "a boolean operator (and, or) is not allowed"),
    ("x if y else 1", "a conditional expression (... if ... else ...) is not allowed"),
    ("(t := x)", "an assignment expression (:=) is not allowed: 't := x' at column 2"),
    ("x, y", "a tuple is not allowed"),
    ("[x]", "a list is not allowed"),
    ("{}", "a dictionary is not allowed"),
    ("x; y", "only one expression is allowed; found 2 statements, the second 'y' at column 4"),
    ("t = x", "a statement (assign) is not allowed: 't = x' at column 1"),
    ("import os", "a statement (import) is not allowed"),
    ("", "the expression is empty"),
    ("  \n ", "the expression is empty"),
    ("x" * (MAX_LENGTH + 1), f"the expression is {MAX_LENGTH + 1} characters long; the limit"),
    ("(" * 300 + "x" + ")" * 300, "the expression is 601 characters long"),
    ("(" * 150, "nests brackets deeper than 100 levels at column 101"),
    ("-" * MAX_DEPTH + "x", "nests deeper than 100 levels (operators, signs and calls)"),
    ("x" + "+x" * MAX_DEPTH, "nests deeper than 100 levels"),
    ("1j", "a complex number is not allowed"),
    ("True", "True is not allowed"),
    ("None", "None is not allowed"),
    ("...", "Ellipsis is not allowed"),
    ("x // 2", "the operator '//' is not allowed"),
    ("x % 2", "the operator '%' is not allowed"),
    ("x ^ 2", "the operator '^' (for a power write **) is not allowed"),
    ("x @ y", "the operator '@' is not allowed"),
    ("x << 2", "the operator '<<' is not allowed"),
    ("x | y", "the operator '|' is not allowed"),
    ("~x", "the operator '~' is not allowed"),
    ("not x", "the operator 'not' is not allowed"),
    ("foo(x)", "the function 'foo' is not allowed: 'foo(x)' at column 1"),
    ("__import__('os')", "the function '__import__' is not allowed"),
    ("sin(x, y)", "sin takes 1 argument, got 2: 'sin(x, y)' at column 1"),
    ("sin()", "sin takes 1 argument, got 0"),
    ("arctan2(x)", "arctan2 takes 2 arguments, got 1"),
    ("(x)(y)", "the function 'x' is not allowed"),
    ("sin(x)(y)", "calling anything but a function by its name is not allowed"),
    ("2(x)", "calling anything but a function by its name is not allowed"),
    ("x +", "the expression is not valid syntax at the end: invalid syntax"),
    ("2x", "not valid syntax at column 1: invalid decimal literal (write products with *"),
    ("x y", "not valid syntax at column 3"),
    ("x ))", "not valid syntax at column 3"),
    ("x\0", "not valid syntax"),
    ("   x.real", "'x.real' at column 4"),  # columns count in the text as typed
    ("é; x", "the second 'x' at column 4"),  # characters, not UTF-8 bytes
    ("(x +\n y.imag)", "'y.imag' at line 2, column 2"),
]


@pytest.mark.parametrize(("text", "fragment"), REFUSALS)
def test_refused_with_what_and_where(text, fragment):
    with pytest.raises(ValueError) as refused:
        parse_expression(text)
    assert fragment in str(refused.value)


@pytest.mark.parametrize("text", ["x.real", "z", "x ^ 2", "foo(x)", "x < y", "x +", "sin(x, y)"])
def test_grammar_refusals_end_with_what_is_allowed(text):
    with pytest.raises(ValueError, match="allowed: numbers, x, y, pi, e") as refused:
        parse_expression(text)
    assert str(refused.value).endswith(ALLOWED)
    assert "arctan2(a, b)" in ALLOWED and "sqrt(a)" in ALLOWED


@pytest.mark.parametrize("text", [None, 3, b"x**2", ["x"]])
def test_not_a_string_is_refused(text):
    with pytest.raises(ValueError, match="the expression must be a string"):
        parse_expression(text)


def test_nesting_at_the_limits_is_allowed_and_differentiable():
    for text in ["-" * (MAX_DEPTH - 1) + "x", "y" + "+x" * (MAX_DEPTH - 1)]:
        s = from_expression(text, BOUNDS)
        assert np.isfinite(s.hessian(POINTS)).all()
    assert parse_expression("(" * MAX_DEPTH + "x" + ")" * MAX_DEPTH)(2.0, 0.0) == 2.0


def test_absurd_nesting_is_refused_even_past_the_limits(monkeypatch):
    # The parser itself gives up on deep brackets; that too is a ValueError.
    monkeypatch.setattr(expression, "MAX_LENGTH", 100_000)
    monkeypatch.setattr(expression, "MAX_DEPTH", 100_000)
    with pytest.raises(ValueError, match="not valid syntax"):
        parse_expression("(" * 5000 + "x" + ")" * 5000)


# -- values, gradients and Hessians ---------------------------------------------------------
GOOD = [
    # (text, the same function written with autograd.numpy)
    ("x**2 + 3*sin(y)", lambda x, y: x**2 + 3 * anp.sin(y)),
    ("exp(-(x**2+y**2)/2)", lambda x, y: anp.exp(-(x**2 + y**2) / 2)),
    ("log(1 + x**2) * cos(y)", lambda x, y: anp.log(1 + x**2) * anp.cos(y)),
    ("(1 - x)**2 + 100*(y - x**2)**2", lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2),
    ("-x*+y - -2.5e-1/x", lambda x, y: -x * y + 0.25 / x),
    ("2**-x * pi - e", lambda x, y: 2.0**-x * np.pi - np.e),
    ("tan(x/3) + arcsin(y/3) + arccos(x/3) + arctan(y)",
     lambda x, y: anp.tan(x / 3) + anp.arcsin(y / 3) + anp.arccos(x / 3) + anp.arctan(y)),
    ("sinh(x) + cosh(y) + tanh(x*y)",
     lambda x, y: anp.sinh(x) + anp.cosh(y) + anp.tanh(x * y)),
    ("log10(3 + x) + sqrt(4 + y) + abs(x - 0.1)",
     lambda x, y: anp.log10(3 + x) + anp.sqrt(4 + y) + anp.abs(x - 0.1)),
    ("arctan2(y, x + 5) + minimum(x, y**2) + maximum(x**2, y)",
     lambda x, y: anp.arctan2(y, x + 5) + anp.minimum(x, y**2) + anp.maximum(x**2, y)),
]  # fmt: skip


@pytest.mark.parametrize(("text", "reference"), GOOD, ids=[text for text, _ in GOOD])
def test_value_gradient_and_hessian_match_python(text, reference):
    s = from_expression(text, BOUNDS)
    on_points = lambda p: reference(p[..., 0], p[..., 1])  # noqa: E731
    gradient = elementwise_grad(on_points)
    np.testing.assert_allclose(s(POINTS), on_points(POINTS), rtol=1e-12)
    np.testing.assert_allclose(s.grad(POINTS), gradient(POINTS), rtol=1e-12)
    np.testing.assert_allclose(s.hessian(POINTS), hessian_by_autograd(gradient)(POINTS), rtol=1e-12)
    # Every shape of the convention: (2,), (n, 2), (h, w, 2).
    assert s(POINTS[0]).shape == () and s.grad(POINTS[0]).shape == (2,)
    assert s(s.grid(5)).shape == (5, 5) and s.hessian(s.grid(5)).shape == (5, 5, 2, 2)


def test_one_case_by_hand():
    """``L = x^2 + 3 sin y``: grad ``(2x, 3 cos y)``, Hessian ``diag(2, -3 sin y)``."""
    s = Surface.from_expression("x**2 + 3*sin(y)", BOUNDS)
    x, y = 1.5, 0.7
    assert s([x, y]) == pytest.approx(x**2 + 3 * np.sin(y))
    np.testing.assert_allclose(s.grad([x, y]), [2 * x, 3 * np.cos(y)])
    np.testing.assert_allclose(s.hessian([x, y]), [[2, 0], [0, -3 * np.sin(y)]], atol=1e-15)


def test_numbers_are_floats_and_overflow_is_infinity_not_an_exception():
    started = time.perf_counter()
    assert parse_expression("2**10")(0.0, 0.0) == 1024.0
    assert parse_expression("7/2")(0.0, 0.0) == 3.5
    assert parse_expression("9**9**9")(0.0, 0.0) == np.inf
    assert parse_expression("1" + "0" * 400)(0.0, 0.0) == np.inf
    assert np.isnan(parse_expression("1e999 - 1e999")(0.0, 0.0))
    assert time.perf_counter() - started < 1.0
    x = np.array([-1.0, 0.0, 1.0])
    with np.errstate(all="raise"):  # even where numpy is told to raise
        assert np.isnan(parse_expression("log(x)")(x, x)[0])
        assert parse_expression("1/x")(x, x)[1] == np.inf
        assert parse_expression("exp(1000*x)")(x, x)[2] == np.inf
        s = from_expression("sqrt(x) + exp(exp(exp(y)))", BOUNDS)
        assert not np.isfinite(s.grad([[-1.0, 0.0], [1.0, 3.0]])).all()
        s.hessian([[0.0, 0.0], [1.0, 3.0]])


def test_a_constant_is_a_flat_surface():
    s = from_expression("pi * e", BOUNDS)
    np.testing.assert_allclose(s(s.grid(4)), np.full((4, 4), np.pi * np.e))
    np.testing.assert_array_equal(s.grad(POINTS), 0.0)
    assert len(s.minima) == 0
    assert from_expression("y**2", BOUNDS)(s.grid(3)).shape == (3, 3)  # x unused


# -- the surface ------------------------------------------------------------------------------
def test_minima_are_found_numerically_and_said_so():
    s = Surface.from_expression("(x-1)**2 + (y+2)**2", ((-3, 3), (-4, 2)))
    np.testing.assert_allclose(s.minima, [[1.0, -2.0]], atol=1e-12)
    assert s.description == (
        "L(x, y) = (x-1)**2 + (y+2)**2. Minima found numerically: 1 in the bounds."
    )
    assert s.params == {"expression": "(x-1)**2 + (y+2)**2"}
    assert s.name == "(x-1)**2 + (y+2)**2"
    wells = from_expression("(x**2 - 1)**2 + 0.3*x + y**2", ((-2, 2), (-1, 1)))
    np.testing.assert_allclose(wells.grad(wells.minima), 0.0, atol=1e-9)
    assert wells.minima[0][0] < 0 < wells.minima[1][0]  # the deeper well first


def test_name_start_and_description_can_be_given():
    s = from_expression(
        "(x**2 +\n  y**2)", BOUNDS, name="bowl", start=(1, 2), description="A round bowl."
    )
    assert (s.name, s.start.tolist(), s.params) == (
        "bowl",
        [1.0, 2.0],
        {"expression": "(x**2 + y**2)"},  # spaces collapsed
    )
    assert s.description == "A round bowl. Minima found numerically: 1 in the bounds."


def test_many_dips_are_not_searched_and_said_so():
    s = from_expression("sin(20*x) * sin(20*y)", BOUNDS)
    assert len(s.minima) == 0
    assert "Minima not searched: the surface has 722 dips" in s.description


def test_descend_runs_on_an_expression():
    s = from_expression("(x-1)**2 + (y+2)**2", ((-3, 3), (-4, 2)))
    run = descend(s, gd(0.1), start=[s.start, (2.5, 1.5)], steps=100)
    assert not run.diverged.any()
    np.testing.assert_allclose(run.path[:, -1], [[1.0, -2.0], [1.0, -2.0]], atol=1e-6)


def test_partly_undefined_is_allowed_with_a_usable_default_start():
    s = from_expression("log(x) + y**2", ((-2, 2), (-2, 2)))
    assert np.isnan(s([-1.0, 0.0])) and np.isfinite(s([1.0, 0.0]))
    assert np.isfinite(s(s.start)) and np.isfinite(s.grad(s.start)).all()
    assert s.start[0] > 0


@pytest.mark.parametrize("text", ["log(-1 - x**2)", "sqrt(-1 - y**2) * x", "1e999 * (1 + x)"])
def test_nowhere_finite_is_refused(text):
    with pytest.raises(ValueError, match="has no finite value anywhere in the bounds"):
        from_expression(text, BOUNDS)


@pytest.mark.parametrize("bounds", [(-1, 1), ((-1, 1), (2, 1)), ((-1, 1), (0, np.inf))])
def test_bounds_are_checked(bounds):
    with pytest.raises(ValueError, match="bounds"):  # check_bounds' message (test_surfaces.py)
        from_expression("x + y", bounds)


def test_docstring_examples_run():
    assert doctest.testmod(expression, optionflags=doctest.ELLIPSIS).failed == 0
    finder, runner = doctest.DocTestFinder(), doctest.DocTestRunner()
    for test in finder.find(Surface.from_expression, "Surface.from_expression"):
        runner.run(test)
    assert runner.failures == 0


# -- no text runs as code -------------------------------------------------------------------
CANARIES = [
    "__import__('pathlib').Path('{file}').touch()",
    "__import__('os').system('touch {file}')",
    "open('{file}', 'w')",
    "exec(\"open('{file}', 'w')\")",
    "eval(\"__import__('pathlib').Path('{file}').touch()\")",
    "[c for c in ().__class__.__bases__[0].__subclasses__()"
    " if c.__name__ == 'Path'][0]('{file}').touch()",
    "().__class__.__bases__[0].__subclasses__()",
    "x.__class__.__init__.__globals__['__builtins__']['open']('{file}', 'w')",
    "sin.__globals__['__builtins__'].open('{file}', 'w')",
    "getattr(__builtins__, 'open')('{file}', 'w')",
    "(lambda: __import__('os').system('touch {file}'))()",
    "f\"{{__import__('os').system('touch {file}')}}\"",
    "x if __import__('os').system('touch {file}') else y",
    "sin(x, *[__import__('os').system('touch {file}')])",
    "sin(x=__import__('os').system('touch {file}'))",
    "x; __import__('os').system('touch {file}')",
    "(x := __import__('os').system('touch {file}'))",
    "breakpoint()",
]


@pytest.mark.parametrize("template", CANARIES)
def test_a_canary_file_is_never_created(template, tmp_path):
    canary = tmp_path / "canary"
    text = template.format(file=canary)
    builds = [
        parse_expression,
        lambda text: from_expression(text, BOUNDS),
        lambda text: Surface.from_expression(text, BOUNDS),
    ]
    for build in builds:
        refusal, events = watched(build, text)
        assert refusal is not None, f"{text!r} was accepted"
        assert events == [], f"{text!r} ran code: {events}"
    assert not canary.exists()


def test_the_watch_and_the_canary_would_see_code_run(tmp_path):
    """The two tests above could fail: eval of a canary creates it, and the hook sees it."""
    canary = tmp_path / "canary"
    _, events = watched(eval, CANARIES[0].format(file=canary))  # the test's own text only
    assert "exec" in events and canary.exists()


def test_the_module_never_calls_eval_exec_or_compile():
    tree = ast.parse(Path(expression.__file__).read_text())
    dangerous = {"eval", "exec", "compile", "__import__", "getattr", "open", "breakpoint"}
    called = {
        node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
    }
    assert not called & dangerous


# -- fuzzing ------------------------------------------------------------------------------------
TOKENS = [
    "x", "y", "pi", "e", "1", "2.5", "1e308", "0", "9", " ", "+", "-", "*", "/", "**", "(", ")",
    ",", "sin", "exp", "log", "sqrt", "arctan2", "minimum", "__import__", "os", "system",
    "open", "eval", "exec", ".", "[", "]", "{", "}", "lambda", ":", "'", '"', "f'", "b'",
    "__class__", "__subclasses__", "__globals__", "=", ":=", ";", "\n", "\\", "#", "if",
    "else", "and", "not", "<", "@", "%", "//", "^", "~", "*", "j", "_", "é", "\0",
]  # fmt: skip
ALLOWED_ATOMS = ["x", "y", "pi", "e", "0", "1", "2.5", "1e308", "10" * 20]
REFUSED_ATOMS = ["1j", "'s'", "b's'", "os", "None", "__import__", "__builtins__", "z"]
ALLOWED_OPERATORS = ["+", "-", "*", "/", "**"]
REFUSED_OPERATORS = ["//", "%", "@", "<", "==", " and ", " or ", "^", "|", " if x else "]
UNARY = [name for name, (_, arity) in expression._FUNCTIONS.items() if arity == 1]
BINARY = [name for name, (_, arity) in expression._FUNCTIONS.items() if arity == 2]
REFUSED_FUNCTIONS = ["__import__", "open", "getattr", "eval", "sum", "x"]
REFUSED_SUFFIXES = [".real", "[0]", ".__class__", "()", ".__globals__['os']", "[::-1]"]


def expressions(refused: bool = True) -> st.SearchStrategy[str]:
    """Random expression trees as text: inside the grammar, or with refused parts here and there.

    With ``refused``, about one node in nine is outside the grammar (an operator, a
    function, an attribute, a lambda...) and one leaf in eight.
    """
    numbers = st.one_of(
        st.floats(0, 1e300, allow_nan=False).map(repr), st.integers(0, 10**30).map(str)
    )
    atoms = st.sampled_from(ALLOWED_ATOMS * 5 + (REFUSED_ATOMS if refused else []))
    leaves = st.one_of(atoms, numbers)

    def binary(inner, operators):
        return st.tuples(inner, st.sampled_from(operators), inner).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        )

    def grow(inner):
        allowed = [
            binary(inner, ALLOWED_OPERATORS),
            st.tuples(st.sampled_from(["-", "+"]), inner).map("".join),
            st.tuples(st.sampled_from(UNARY), inner).map(lambda t: f"{t[0]}({t[1]})"),
            st.tuples(st.sampled_from(BINARY), inner, inner).map(
                lambda t: f"{t[0]}({t[1]}, {t[2]})"
            ),
        ]
        if not refused:
            return st.one_of(*allowed)
        refusals = st.one_of(
            binary(inner, REFUSED_OPERATORS),
            st.tuples(st.sampled_from(["~", "not "]), inner).map("".join),
            st.tuples(st.sampled_from(REFUSED_FUNCTIONS), st.lists(inner, max_size=2)).map(
                lambda t: f"{t[0]}({', '.join(t[1])})"
            ),
            st.tuples(st.sampled_from(UNARY), inner, inner).map(
                lambda t: f"{t[0]}({t[1]}, {t[2]})"
            ),
            st.tuples(inner, st.sampled_from(REFUSED_SUFFIXES)).map("".join),
            inner.map(lambda t: f"(lambda: {t})()"),
            inner.map(lambda t: f"[{t} for x in y]"),
            inner.map(lambda t: f"sin(x={t})"),
            inner.map(lambda t: f"sin(*{t})"),
            inner.map(lambda t: f"(t := {t})"),
        )
        return st.one_of(*allowed, *allowed, refusals)

    return st.recursive(leaves, grow, max_leaves=12)


def parse_and_evaluate(text: str) -> None:
    """Parse ``text``; if allowed, evaluate it, its gradient and Hessian on a few points."""
    function = parse_expression(text)
    p = np.array([[0.5, -1.5], [2.0, 3.0], [0.0, 0.0]])
    values = np.asarray(function(p[:, 0], p[:, 1]), dtype=np.float64)
    assert values.shape == (3,)
    gradient = elementwise_grad(lambda q: function(q[..., 0], q[..., 1]))
    with np.errstate(all="ignore"):
        assert hessian_by_autograd(gradient)(p).shape == (3, 2, 2)


def check_refused_or_fine_quickly(build, text: str, seconds: float = 1.0) -> None:
    started = time.perf_counter()
    refusal, events = watched(build, text)
    elapsed = time.perf_counter() - started
    assert events == [], f"{text!r} ran code: {events}"
    assert elapsed < seconds, f"{text!r} took {elapsed:.2f} s"
    if refusal is not None:
        assert str(refusal)  # a message, and a ValueError (anything else would propagate)


@settings(max_examples=300)
@given(
    st.lists(st.sampled_from(TOKENS), max_size=40).map("".join)
    | st.lists(st.sampled_from(TOKENS), max_size=30).map(" ".join)
)
def test_token_soups_parse_or_are_refused_quickly_without_running_code(text):
    check_refused_or_fine_quickly(parse_and_evaluate, text)


@settings(max_examples=100)
@given(st.text(max_size=60))
def test_any_text_parses_or_is_refused_quickly_without_running_code(text):
    check_refused_or_fine_quickly(parse_and_evaluate, text)


@settings(max_examples=200)
@given(expressions() | expressions(refused=False))
def test_random_trees_parse_or_are_refused_quickly_without_running_code(text):
    check_refused_or_fine_quickly(parse_and_evaluate, text)


@settings(max_examples=30)
@given(expressions(refused=False))
def test_allowed_trees_make_a_surface_or_are_nowhere_finite(text):
    refusal, events = watched(from_expression, text, BOUNDS)
    assert events == []
    if refusal is not None:
        assert "has no finite value anywhere" in str(refusal)
