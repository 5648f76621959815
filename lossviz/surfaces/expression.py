"""A surface typed as text, such as ``"x**2 + 3*sin(y)"``, read safely.

The text is never evaluated as Python. :func:`parse_expression` parses it with
``ast.parse(text, mode="eval")`` (which only builds a syntax tree and runs
nothing), walks the tree, refuses every node outside a small grammar, and turns
the rest into a function ``f(x, y)`` made of ``autograd.numpy`` calls, so that
autograd can differentiate it. :func:`from_expression` makes a `Surface` of it.

The grammar::

    expression := number | x | y | pi | e
                | expression (+ | - | * | / | **) expression
                | (- | +) expression
                | ( expression )
                | function(expression)                  sin cos tan arcsin arccos arctan
                                                        sinh cosh tanh exp log log10 sqrt abs
                | function(expression, expression)      arctan2 minimum maximum

Numbers are floats (``2**10`` is ``1024.0``), so no integer power can run for
minutes: ``9**9**9`` is infinity at once. Every evaluation runs under
``np.errstate(all="ignore")``: an overflow or a log of a negative number gives
infinity or NaN, drawn as a gap on the map, never an exception.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import autograd.numpy as anp
import numpy as np
from autograd import elementwise_grad

from lossviz.surfaces._minima import find_minima
from lossviz.surfaces.base import (
    Bounds,
    LossFunction,
    Surface,
    check_bounds,
    hessian_by_autograd,
)

MAX_LENGTH = 500
"""Longest expression accepted, in characters."""
MAX_DIPS = 100
"""Most grid dips whose minima are searched (each costs a Newton descent)."""
MAX_DEPTH = 100
"""Deepest nesting accepted: brackets in the text, and levels of the tree (each
operator, sign or function call is one level)."""

_CONSTANTS = {"pi": np.float64(np.pi), "e": np.float64(np.e)}
_FUNCTIONS: dict[str, tuple[Callable[..., Any], int]] = {
    # name: (elementwise function, number of positional arguments)
    "sin": (anp.sin, 1),
    "cos": (anp.cos, 1),
    "tan": (anp.tan, 1),
    "arcsin": (anp.arcsin, 1),
    "arccos": (anp.arccos, 1),
    "arctan": (anp.arctan, 1),
    "sinh": (anp.sinh, 1),
    "cosh": (anp.cosh, 1),
    "tanh": (anp.tanh, 1),
    "exp": (anp.exp, 1),
    "log": (anp.log, 1),
    "log10": (anp.log10, 1),
    "sqrt": (anp.sqrt, 1),
    "abs": (anp.abs, 1),
    "arctan2": (anp.arctan2, 2),
    "minimum": (anp.minimum, 2),
    "maximum": (anp.maximum, 2),
}
_BINARY = {
    ast.Add: anp.add,
    ast.Sub: anp.subtract,
    ast.Mult: anp.multiply,
    ast.Div: anp.true_divide,
    ast.Pow: anp.power,
}
_REFUSED_OPERATORS = {
    ast.FloorDiv: "the operator '//'",
    ast.Mod: "the operator '%'",
    ast.MatMult: "the operator '@'",
    ast.LShift: "the operator '<<'",
    ast.RShift: "the operator '>>'",
    ast.BitOr: "the operator '|'",
    ast.BitXor: "the operator '^' (for a power write **)",
    ast.BitAnd: "the operator '&'",
    ast.Not: "the operator 'not'",
    ast.Invert: "the operator '~'",
}
_REFUSED_NODES = {
    ast.Attribute: "attribute access",
    ast.Subscript: "a subscript",
    ast.Slice: "a slice",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a comprehension",
    ast.Lambda: "a lambda",
    ast.JoinedStr: "an f-string",
    ast.FormattedValue: "an f-string",
    ast.Compare: "a comparison",
    ast.BoolOp: "a boolean operator (and, or)",
    ast.IfExp: "a conditional expression (... if ... else ...)",
    ast.NamedExpr: "an assignment expression (:=)",
    ast.Starred: "a starred argument",
    ast.Tuple: "a tuple",
    ast.List: "a list",
    ast.Set: "a set",
    ast.Dict: "a dictionary",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
}
ALLOWED = "allowed: numbers, x, y, pi, e, + - * / **, parentheses, and the functions " + ", ".join(
    f"{name}({', '.join('ab'[:arity])})" for name, (_, arity) in _FUNCTIONS.items()
)
"""The grammar in one line, as every refusal ends."""


def parse_expression(text: str) -> LossFunction:
    """The function ``f(x, y)`` that ``text`` writes, read without running any code.

    Parameters
    ----------
    text
        A formula in ``x`` and ``y`` in Python syntax, such as
        ``"x**2 + 3*sin(y)"``; see the module docstring for the grammar.

    Returns
    -------
    LossFunction
        ``f(x, y) -> loss``, elementwise over arrays of equal shape (...), made
        of ``autograd.numpy`` calls (autograd differentiates it); overflow gives
        infinity or NaN, never an exception.

    Raises
    ------
    ValueError
        If ``text`` is not a string, is empty, longer than `MAX_LENGTH`, nests
        deeper than `MAX_DEPTH`, is not one Python expression, or uses anything
        outside the grammar. The message names the offending part, says where it
        is (columns count characters from 1) and lists what is allowed.

    Examples
    --------
    >>> f = parse_expression("x**2 + 3*sin(y)")
    >>> float(f(2.0, 0.0))
    4.0
    >>> parse_expression("x.real")
    Traceback (most recent call last):
    ...
    ValueError: attribute access is not allowed: 'x.real' at column 1; allowed: numbers, ...
    """
    tree, where = _parse(text)
    used: set[str] = set()
    body = _Builder(where, used).build(tree.body, 1)
    constant = not used

    def function(x, y):
        with np.errstate(all="ignore"):
            value = body(x, y)
            # A constant still returns one loss per point, and depends on x for autograd.
            return value + 0.0 * x if constant else value

    return function


def from_expression(
    text: str,
    bounds: Bounds,
    *,
    name: str | None = None,
    start: Sequence[float] | np.ndarray | None = None,
    description: str = "",
) -> Surface:
    """A `Surface` from a formula typed as text, such as ``"x**2 + 3*sin(y)"``.

    The text is read by :func:`parse_expression` (never evaluated as Python).
    Gradient and Hessian come from autograd. The minima are found numerically
    (``lossviz.surfaces._minima.find_minima``: the grid points lower than their
    neighbours, polished by Newton's method, kept where they are strict minima
    inside the bounds), and the description says so: a minimum between grid
    points, on the edge, or not strict (``abs(x) + abs(y)``) may be missing.

    Parameters
    ----------
    text
        The formula in ``x`` and ``y``; see :func:`parse_expression`.
    bounds
        ``((xmin, xmax), (ymin, ymax))``: the region to look at.
    name
        Short name, shown as the map's title; the text itself (spaces
        collapsed) if not given.
    start
        Default start point (2,). If not given, the centre of the bounds'
        lower-left quarter, or, where the loss or gradient is not finite there
        (``sqrt(x)`` left of 0), the nearest point of a 41 x 41 grid where both are.
    description
        One sentence for students; the note on the minima is appended.

    Returns
    -------
    Surface
        With ``params == {"expression": text}`` (spaces collapsed) and the minima
        found, sorted by loss (global first).

    Raises
    ------
    ValueError
        If the text is refused (see :func:`parse_expression`), the bounds are
        not valid, or the loss is not finite anywhere on a 41 x 41 grid over the
        bounds. A loss that is not finite in part of the bounds (``log(x)``
        left of 0) is allowed: the map shows a gap there.

    Examples
    --------
    >>> s = from_expression("(x - 1)**2 + (y + 2)**2", ((-3, 3), (-4, 2)))
    >>> s.grad([0.0, 0.0]).tolist(), s.minima.round(6).tolist()
    ([-2.0, 4.0], [[1.0, -2.0]])
    >>> s.description
    'L(x, y) = (x - 1)**2 + (y + 2)**2. Minima found numerically: 1 in the bounds.'
    """
    function = parse_expression(text)
    bounds = check_bounds(bounds)
    source = " ".join(text.split())

    def value(p):
        return function(p[..., 0], p[..., 1])

    # autograd's backward pass runs after f returns, outside f's errstate: quiet it too.
    by_autograd = elementwise_grad(value)
    gradient, hessian = _quiet(by_autograd), _quiet(hessian_by_autograd(by_autograd))

    probe = Surface(name or source, function, bounds)  # for its default start and its grid
    grid = probe.grid(41)
    with np.errstate(all="ignore"):
        finite = np.isfinite(np.asarray(value(grid), dtype=np.float64))
    if not finite.any():
        raise ValueError(
            f"the expression {source!r} has no finite value anywhere in the bounds {bounds} "
            "(checked on a 41 x 41 grid): choose other bounds or another expression"
        )
    if start is None:
        start = _finite_start(probe.start, grid, value, gradient)
    minima, note = _numerical_minima(function, bounds, gradient, hessian)
    return Surface(
        probe.name,
        function,
        bounds,
        minima=minima,
        start=start,
        gradient=gradient,
        hessian=hessian,
        params={"expression": source},
        description=f"{description or f'L(x, y) = {source}.'} {note}",
    )


# -- reading the text -----------------------------------------------------------------------
class _Where:
    """Positions in the user's text: ``ast`` counts from the stripped text, in UTF-8 bytes."""

    def __init__(self, text: str, stripped: str) -> None:
        self.text = stripped
        self.lines = stripped.split("\n")
        lead = text[: len(text) - len(text.lstrip())]
        self.line_shift = lead.count("\n")
        self.column_shift = len(lead) - (lead.rfind("\n") + 1)

    def at(self, line: int, column: int) -> str:
        """``line`` from 1, ``column`` a character offset from 1, in the stripped text."""
        if line == 1:
            column += self.column_shift
        line += self.line_shift
        multiline = len(self.lines) > 1 or self.line_shift
        return f"at line {line}, column {column}" if multiline else f"at column {column}"

    def node(self, node: ast.AST) -> str:
        """``'segment' at column c`` for a node of the tree."""
        line = node.lineno  # expressions, statements and keywords all carry positions
        encoded = self.lines[line - 1].encode("utf-8")[: node.col_offset]
        column = len(encoded.decode("utf-8", errors="ignore")) + 1
        segment = ast.get_source_segment(self.text, node) or ast.unparse(node)
        if len(segment) > 40:
            segment = segment[:37] + "..."
        return f"{segment!r} {self.at(line, column)}"


def _parse(text: Any) -> tuple[ast.Expression, _Where]:
    """Check the raw text, then parse it into a tree (parsing runs nothing)."""
    if not isinstance(text, str):
        raise ValueError(
            f"the expression must be a string such as 'x**2 + 3*sin(y)'; got {text!r:.60}"
        )
    stripped = text.strip()
    if not stripped:
        raise ValueError(
            "the expression is empty: type a function of x and y such as 'x**2 + 3*sin(y)'"
        )
    if len(text) > MAX_LENGTH:
        raise ValueError(
            f"the expression is {len(text)} characters long; the limit is {MAX_LENGTH}"
        )
    where = _Where(text, stripped)
    # The parser recurses on brackets (and gives up near 200): count them first.
    depth = 0
    for line_number, line in enumerate(where.lines, start=1):
        for column, character in enumerate(line, start=1):
            depth += (character in "([{") - (character in ")]}")
            if depth > MAX_DEPTH:
                raise ValueError(
                    f"the expression nests brackets deeper than {MAX_DEPTH} levels "
                    f"{where.at(line_number, column)}"
                )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. invalid escapes in strings, refused anyway
            return ast.parse(stripped, mode="eval"), where
    except SyntaxError as exc:
        raise ValueError(_syntax_message(stripped, exc, where)) from None
    except (RecursionError, MemoryError, ValueError) as exc:
        raise ValueError(
            f"the expression could not be read ({type(exc).__name__}); {ALLOWED}"
        ) from None


def _syntax_message(text: str, error: SyntaxError, where: _Where) -> str:
    """A readable message for text that is not one Python expression."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            statements = ast.parse(text, mode="exec").body
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        statements = []
    if len(statements) > 1:
        return (
            f"only one expression is allowed; found {len(statements)} statements, the "
            f"second {where.node(statements[1])}"
        )
    if statements and not isinstance(statements[0], ast.Expr):
        kind = type(statements[0]).__name__.lower()
        return f"a statement ({kind}) is not allowed: {where.node(statements[0])}; {ALLOWED}"
    line = error.lineno or 1
    line_text = where.lines[line - 1] if line <= len(where.lines) else ""
    offset = error.offset or 0
    place = where.at(line, offset) if 1 <= offset <= len(line_text) else "at the end"
    hint = " (write products with *, e.g. 2*x)" if "decimal literal" in (error.msg or "") else ""
    return f"the expression is not valid syntax {place}: {error.msg}{hint}; {ALLOWED}"


class _Builder:
    """Walks the tree once, refusing what is not allowed and building nested closures."""

    def __init__(self, where: _Where, used: set[str]) -> None:
        self.where = where
        self.used = used  # the variables the expression uses

    def refuse(self, what: str, node: ast.AST) -> ValueError:
        return ValueError(f"{what} is not allowed: {self.where.node(node)}; {ALLOWED}")

    def build(self, node: ast.AST, depth: int) -> Callable[[Any, Any], Any]:
        if depth > MAX_DEPTH:
            raise ValueError(
                f"the expression nests deeper than {MAX_DEPTH} levels (operators, signs and "
                f"calls): {self.where.node(node)}"
            )
        if isinstance(node, ast.Constant):
            return self.number(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.BinOp):
            operator = _BINARY.get(type(node.op))
            if operator is None:
                raise self.refuse(_REFUSED_OPERATORS.get(type(node.op), "this operator"), node)
            left, right = self.build(node.left, depth + 1), self.build(node.right, depth + 1)
            return lambda x, y: operator(left(x, y), right(x, y))
        if isinstance(node, ast.UnaryOp):
            operand = self.build(node.operand, depth + 1)
            if isinstance(node.op, ast.USub):
                return lambda x, y: anp.negative(operand(x, y))
            if isinstance(node.op, ast.UAdd):
                return operand
            raise self.refuse(_REFUSED_OPERATORS.get(type(node.op), "this operator"), node)
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        raise self.refuse(_REFUSED_NODES.get(type(node), f"{type(node).__name__}"), node)

    def number(self, node: ast.Constant) -> Callable[[Any, Any], Any]:
        value = node.value
        if isinstance(value, (str, bytes)):
            raise self.refuse("a string" if isinstance(value, str) else "bytes", node)
        if isinstance(value, bool) or value is None or value is Ellipsis:
            raise self.refuse(repr(value), node)
        if isinstance(value, complex):
            raise self.refuse("a complex number", node)
        if not isinstance(value, (int, float)):
            raise self.refuse(f"the constant {value!r}", node)
        try:
            number = np.float64(value)
        except OverflowError:  # an integer literal beyond float range
            number = np.float64(np.inf)
        return lambda x, y: number

    def name(self, node: ast.Name) -> Callable[[Any, Any], Any]:
        if node.id == "x":
            self.used.add("x")
            return lambda x, y: x
        if node.id == "y":
            self.used.add("y")
            return lambda x, y: y
        if node.id in _CONSTANTS:
            constant = _CONSTANTS[node.id]
            return lambda x, y: constant
        hint = " (functions must be called, e.g. sin(x))" if node.id in _FUNCTIONS else ""
        raise self.refuse(f"the name {node.id!r}{hint}", node)

    def call(self, node: ast.Call, depth: int) -> Callable[[Any, Any], Any]:
        if not isinstance(node.func, ast.Name):
            raise self.refuse("calling anything but a function by its name", node)
        if node.func.id not in _FUNCTIONS:
            raise self.refuse(f"the function {node.func.id!r}", node)
        for argument in node.args:
            if isinstance(argument, ast.Starred):
                raise self.refuse("a starred argument", argument)
        if node.keywords:
            raise self.refuse("a keyword argument", node.keywords[0])
        function, arity = _FUNCTIONS[node.func.id]
        if len(node.args) != arity:
            plural = "s" if arity > 1 else ""
            raise ValueError(
                f"{node.func.id} takes {arity} argument{plural}, got {len(node.args)}: "
                f"{self.where.node(node)}; {ALLOWED}"
            )
        arguments = [self.build(argument, depth + 1) for argument in node.args]
        if arity == 1:
            (only,) = arguments
            return lambda x, y: function(only(x, y))
        first, second = arguments
        return lambda x, y: function(first(x, y), second(x, y))


# -- building the surface -------------------------------------------------------------------
def _quiet(function: Callable[[np.ndarray], Any]) -> Callable[[np.ndarray], np.ndarray]:
    """``function`` run under ``np.errstate(all="ignore")``, as float64."""

    def quiet(p):
        with np.errstate(all="ignore"):
            return np.asarray(function(p), dtype=np.float64)

    return quiet


def _finite_start(
    default: np.ndarray, grid: np.ndarray, value: Callable, gradient: Callable
) -> np.ndarray:
    """``default`` if loss and gradient are finite there, else the nearest grid point that is.

    Where no grid point has a finite gradient, the nearest with a finite loss.
    """

    def usable(points):
        with np.errstate(all="ignore"):
            loss = np.isfinite(np.asarray(value(points), dtype=np.float64))
        return loss, loss & np.isfinite(gradient(points)).all(axis=-1)

    if usable(default[None])[1][0]:
        return default
    loss, both = usable(grid)
    candidates = grid[both] if both.any() else grid[loss]
    return candidates[np.argmin(np.linalg.norm(candidates - default, axis=-1))]


def _numerical_minima(
    function: LossFunction, bounds: Bounds, gradient: Callable, hessian: Callable
) -> tuple[np.ndarray, str]:
    """Every strict minimum found inside ``bounds`` (k, 2), global first, and a note saying so.

    ``find_minima`` polishes every dip of its 121 x 121 grid by Newton's method:
    past `MAX_DIPS` dips that takes seconds (``sin(20*x)*sin(20*y)`` has 722),
    so the search is skipped. It may also fail where a Hessian is not finite.
    """
    (xmin, xmax), (ymin, ymax) = bounds
    grid = np.stack(np.meshgrid(np.linspace(xmin, xmax, 121), np.linspace(ymin, ymax, 121)), -1)
    z = np.asarray(function(grid[..., 0], grid[..., 1]), dtype=np.float64)
    # The dips find_minima starts from: grid points lower than their eight neighbours.
    centre, dips = z[1:-1, 1:-1], np.ones((119, 119), dtype=bool)
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            if di or dj:
                dips &= centre < z[1 + di : 120 + di, 1 + dj : 120 + dj]
    if dips.sum() > MAX_DIPS:
        return np.empty((0, 2)), (
            f"Minima not searched: the surface has {dips.sum()} dips on a 121 x 121 grid "
            f"(more than {MAX_DIPS})."
        )
    try:
        with np.errstate(all="ignore"):
            minima = find_minima(function, bounds, gradient=gradient, hessian=hessian)
    except (ArithmeticError, ValueError) as exc:  # e.g. eigh of a Hessian that is not finite
        return np.empty((0, 2)), f"Minima not found: the numerical search failed ({exc})."
    return minima, f"Minima found numerically: {len(minima) or 'none'} in the bounds."
