"""The `Surface` type and the registry of named surfaces.

A surface is a loss over two parameters, ``L(x, y)``. Points carry a trailing
coordinate axis: one point has shape ``(2,)``, a batch ``(n, 2)``, a grid
``(h, w, 2)``. Every method is vectorised over that leading shape and works in
float64.

Gradients and Hessians are exact: a surface may carry a hand-derived gradient and
Hessian (tested against autograd), otherwise autograd differentiates the loss function.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import autograd.numpy as anp
import numpy as np
from autograd import elementwise_grad

from lossviz._checks import check_number
from lossviz._registry import Registry

Bounds = tuple[tuple[float, float], tuple[float, float]]
LossFunction = Callable[[Any, Any], Any]
"""``f(x, y) -> loss``, elementwise over arrays of equal shape, written with ``autograd.numpy``."""
Gradient = Callable[[np.ndarray], np.ndarray]
"""``g(p) -> (..., 2)``: a gradient on points (..., 2)."""
Hessian = Callable[[np.ndarray], np.ndarray]
"""``h(p) -> (..., 2, 2)``: a Hessian on points (..., 2), ``h[..., i, j] = d^2 L / dp_i dp_j``."""


def as_points(p: Any, what: str = "p") -> np.ndarray:
    """Return ``p`` as a float64 array with a trailing axis of length 2.

    Raises
    ------
    ValueError
        If ``p`` is not numbers (strings and bools are refused, as by
        `lossviz._checks.check_number`) or the trailing axis is not of length 2.

    Examples
    --------
    >>> as_points([[1, 2], [3, 4]]).dtype, as_points((1.0, 2.0)).shape
    (dtype('float64'), (2,))
    """
    try:
        arr = np.asarray(p)
    except (TypeError, ValueError) as exc:  # ragged nesting
        raise ValueError(f"{what} must be numeric points of shape (..., 2); got {p!r}") from exc
    if arr.dtype.kind not in "iuf":
        raise ValueError(f"{what} must be numeric points of shape (..., 2); got {p!r}")
    arr = arr.astype(np.float64, copy=False)
    if arr.ndim == 0 or arr.shape[-1] != 2:
        raise ValueError(
            f"{what} must have a trailing coordinate axis of length 2, shape (2,), (n, 2) "
            f"or (h, w, 2); got shape {arr.shape}"
        )
    return arr


def check_bounds(bounds: Any) -> Bounds:
    """``((xmin, xmax), (ymin, ymax))`` as floats with ``xmin < xmax`` and ``ymin < ymax``.

    Raises
    ------
    ValueError
        If ``bounds`` is not two pairs, or an entry is not a finite number
        (the message names it, e.g. ``bounds[1][1]``) or not above its minimum.

    Examples
    --------
    >>> check_bounds([(-2, 2), (-1, 3)])
    ((-2.0, 2.0), (-1.0, 3.0))
    >>> check_bounds([(-2, 2), (1, 1)])
    Traceback (most recent call last):
    ...
    ValueError: bounds[1][1] must be a number > 1; got 1
    """
    try:
        (xmin, xmax), (ymin, ymax) = bounds
    except (TypeError, ValueError) as exc:
        raise ValueError(f"bounds must be ((xmin, xmax), (ymin, ymax)); got {bounds!r}") from exc
    checked = []
    for i, (low, high) in enumerate(((xmin, xmax), (ymin, ymax))):
        first = check_number(low, f"bounds[{i}][0]")
        checked.append((first, check_number(high, f"bounds[{i}][1]", low=first, low_open=True)))
    return checked[0], checked[1]


def _on_points(function: LossFunction) -> Callable[[Any], Any]:
    """Turn ``f(x, y)`` into ``g(p)`` with ``p`` of shape (..., 2)."""

    def on_points(p):
        return function(p[..., 0], p[..., 1])

    return on_points


def hessian_by_autograd(gradient: Gradient) -> Hessian:
    """The Hessian ``h(p) -> (..., 2, 2)`` of an autograd-differentiable ``gradient(p)``.

    Row ``i`` is the gradient of ``dL/dp_i``; points are independent, so autograd's
    elementwise gradient gives every point's row in one pass.
    """
    rows = [elementwise_grad(lambda q, i=i: gradient(q)[..., i]) for i in range(2)]

    def hessian(p):
        return np.stack([np.asarray(row(p), dtype=np.float64) for row in rows], axis=-2)

    return hessian


def hessian_from_entries(p: np.ndarray, xx: Any, xy: Any, yy: Any) -> np.ndarray:
    """The symmetric matrices ``[[xx, xy], [xy, yy]]`` at points ``p`` (..., 2), shape (..., 2, 2).

    Each entry is an array of shape (...) or a number (the same at every point).
    Hand-derived Hessians use it to state their three second derivatives.

    Examples
    --------
    >>> hessian_from_entries(np.zeros((3, 2)), 2.0, np.arange(3.0), 5.0)[2].tolist()
    [[2.0, 2.0], [2.0, 5.0]]
    """
    out = np.empty((*p.shape, 2))
    out[..., 0, 0] = xx
    out[..., 0, 1] = xy
    out[..., 1, 0] = xy
    out[..., 1, 1] = yy
    return out


Terms = Callable[[Any, Any], tuple[Any, ...]]
"""``terms(x, y) -> (t_1, ..., t_k)``: a derivative's entries, written with ``+``, ``-``
and ``*`` only, so that it runs alike on Python floats and on numpy arrays of coordinates."""

FEW_POINTS = 16
"""`gradient_by_terms` and `hessian_by_terms` compute on Python floats up to this many
points: on so few, each numpy call's overhead (about a microsecond) costs more than the
arithmetic of a whole point in floats."""


def _terms_on_floats(terms: Terms, p: np.ndarray) -> np.ndarray:
    """``terms`` at each point of ``p`` (..., 2) on Python floats, shape (n, k) for n points."""
    return np.array([terms(x, y) for x, y in p.reshape(-1, 2).tolist()], dtype=np.float64)


def gradient_by_terms(terms: Terms, p: np.ndarray) -> np.ndarray:
    """The gradient ``(dL/dx, dL/dy) = terms(x, y)`` at points ``p`` (..., 2), shape (..., 2).

    Up to `FEW_POINTS` points ``terms`` runs on each point's coordinates as Python floats,
    beyond that on whole coordinate arrays. Both do the same IEEE operations in the same
    order, so a point gets the same bits alone or in any batch (``+``, ``-`` and ``*``
    round alike in Python and numpy; ``**`` and functions like ``exp`` may not, and
    division by zero raises on floats, so ``terms`` uses neither).

    Examples
    --------
    >>> def bowl(x, y):
    ...     return 2.0 * x, 4.0 * y
    >>> gradient_by_terms(bowl, np.array([[1.0, 1.0], [0.5, 0.0]])).tolist()
    [[2.0, 4.0], [1.0, 0.0]]
    """
    p = np.asarray(p, dtype=np.float64)
    if 0 < p.size <= 2 * FEW_POINTS:
        return _terms_on_floats(terms, p).reshape(p.shape)
    dx, dy = terms(p[..., 0], p[..., 1])
    out = np.empty(p.shape)
    out[..., 0] = dx
    out[..., 1] = dy
    return out


def hessian_by_terms(terms: Terms, p: np.ndarray) -> np.ndarray:
    """The Hessian ``[[xx, xy], [xy, yy]]`` with ``(xx, xy, yy) = terms(x, y)``, shape (..., 2, 2).

    As `gradient_by_terms`: Python floats up to `FEW_POINTS` points, else whole arrays,
    the same bits either way. An entry may be a number (the same at every point).
    """
    p = np.asarray(p, dtype=np.float64)
    if 0 < p.size <= 2 * FEW_POINTS:
        points = p.reshape(-1, 2).tolist()
        rows = [(xx, xy, xy, yy) for xx, xy, yy in (terms(x, y) for x, y in points)]
        return np.array(rows, dtype=np.float64).reshape(*p.shape, 2)
    return hessian_from_entries(p, *terms(p[..., 0], p[..., 1]))


class Surface:
    """A loss surface over two parameters.

    Parameters
    ----------
    name
        Short identifier, e.g. ``"rosenbrock"``.
    function
        ``f(x, y) -> loss``, elementwise, written with ``autograd.numpy`` so that
        autograd can differentiate it.
    bounds
        ``((xmin, xmax), (ymin, ymax))``: the region worth looking at.
    minima
        Every known minimum (global and local), shape ``(k, 2)``, in any order;
        may be empty. The global one is `global_minimum`: the listed minimum
        with the lowest loss (the first listed among equals). Every part of
        lossviz that needs "the" minimum (default rates, the stability note,
        the loss reference) uses it.
    start
        A default start point ``(2,)`` that makes a good lesson; the centre of
        the bounds' lower-left quarter if not given.
    gradient
        Optional hand-derived gradient ``g(p) -> (..., 2)`` for speed. It must
        equal autograd's gradient (the tests hold it to that).
    hessian
        Optional hand-derived Hessian ``h(p) -> (..., 2, 2)`` for speed (Newton's
        method asks for one at every step). It must equal autograd's Hessian.
    params
        The parameters the surface was built with (for display and rebuilding).
    description
        One sentence for students.
    symmetric_about_origin
        True for a surface that is the same seen from ``p`` and ``-p`` as computed,
        bit for bit: ``L(-p) == L(p)``, ``grad L(-p) == -grad L(p)`` and
        ``hess L(-p) == hess L(p)`` (an even function whose arithmetic only changes
        sign with ``p``, e.g. products and sums of ``x``, ``y``, ``cos`` and ``tanh``).
        Every run from ``-p`` is then the mirror image of the run from ``p``, and
        `lossviz.basins` computes half of a grid that is symmetric too. Leave it False
        when unsure: a wrong True gives wrong basins.
    finite_in_reach
        True for a surface whose loss is finite at every finite point within reach of
        its bounds (``lossviz.engine.FAR`` bounds-widths around them), where the engine
        follows runs: a run then diverges exactly when it leaves that reach, and a
        `lossviz.descend` that keeps only each run's tail (as `lossviz.basins` does)
        does not evaluate the loss before the tail. Leave it False when unsure (a loss
        with ``log`` or ``sqrt`` of something that can turn negative): a wrong True
        misses a run whose loss turned NaN.

    Examples
    --------
    >>> import autograd.numpy as anp
    >>> s = Surface("bowl", lambda x, y: x**2 + 3 * y**2, ((-2, 2), (-2, 2)), minima=[(0, 0)])
    >>> float(s([1.0, 1.0])), s.grad([1.0, 1.0]).tolist()
    (4.0, [2.0, 6.0])
    >>> s.hessian([[1.0, 1.0], [0.0, 2.0]]).shape
    (2, 2, 2)
    """

    # The loss and gradient in one pass, ``f(p) -> (loss (...), gradient (..., 2))``, where a
    # surface has a cheaper joint form (a model's, over its data); the engine then uses it.
    _loss_and_gradient: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None

    def __init__(
        self,
        name: str,
        function: LossFunction,
        bounds: Bounds,
        *,
        minima: Sequence[Sequence[float]] | np.ndarray = (),
        start: Sequence[float] | np.ndarray | None = None,
        gradient: Gradient | None = None,
        hessian: Hessian | None = None,
        params: dict[str, Any] | None = None,
        description: str = "",
        symmetric_about_origin: bool = False,
        finite_in_reach: bool = False,
    ) -> None:
        if not callable(function):
            raise TypeError(f"function must be callable f(x, y); got {function!r}")
        for what, given in (("gradient", gradient), ("hessian", hessian)):
            if given is not None and not callable(given):
                raise TypeError(
                    f"{what} must be None or a function of points (..., 2); got {given!r}"
                )
        self.name = str(name)
        self.bounds: Bounds = check_bounds(bounds)
        minima_arr = as_points(minima, "minima").reshape(-1, 2) if len(minima) else np.empty((0, 2))
        self.minima: np.ndarray = minima_arr
        (xmin, xmax), (ymin, ymax) = self.bounds
        if start is None:
            start = (xmin + 0.25 * (xmax - xmin), ymin + 0.25 * (ymax - ymin))
        self.start: np.ndarray = as_points(start, "start").reshape(2)
        self.params: dict[str, Any] = dict(params or {})
        self.description = description
        if not isinstance(symmetric_about_origin, bool):
            raise TypeError(
                f"symmetric_about_origin must be True or False; got {symmetric_about_origin!r}"
            )
        self.symmetric_about_origin = symmetric_about_origin
        """Whether runs from ``-p`` mirror runs from ``p`` bit for bit (see the class)."""
        if not isinstance(finite_in_reach, bool):
            raise TypeError(f"finite_in_reach must be True or False; got {finite_in_reach!r}")
        self.finite_in_reach = finite_in_reach
        """Whether the loss is finite wherever the engine follows runs (see the class)."""
        self.parameter_names: tuple[str, str] = ("x", "y")
        """Axis labels for the two parameters (models name their weights, e.g. ``("w", "b")``)."""
        self._function = function
        on_points = _on_points(function)
        # The engine calls _value, _gradient and _hessian directly on float64 (..., 2) arrays
        # it built itself: skipping the validation of __call__, grad and hessian matters in
        # its step loop.
        self._value = on_points
        self._autograd_gradient = elementwise_grad(on_points)
        self._gradient = gradient if gradient is not None else self._autograd_gradient
        self._autograd_hessian = hessian_by_autograd(self._autograd_gradient)
        self._hessian = hessian if hessian is not None else self._autograd_hessian

    @property
    def hand_derivatives(self) -> bool:
        """Whether the gradient and the Hessian are written out (given as ``gradient=`` and
        ``hessian=``: every registered surface and model), not found by autograd, which
        costs tens to hundreds of times more a call."""
        return (
            self._gradient is not self._autograd_gradient
            and self._hessian is not self._autograd_hessian
        )

    # -- evaluation -------------------------------------------------------------------------
    def __call__(self, p: Any) -> np.ndarray:
        """Loss at ``p`` (..., 2), shape (...)."""
        p = as_points(p)
        return np.asarray(self._value(p), dtype=np.float64)

    def grad(self, p: Any) -> np.ndarray:
        """Exact gradient ``(dL/dx, dL/dy)`` at ``p`` (..., 2), shape (..., 2)."""
        p = as_points(p)
        return np.asarray(self._gradient(p), dtype=np.float64)

    def hessian(self, p: Any) -> np.ndarray:
        """Exact Hessian at ``p`` (..., 2), shape (..., 2, 2): by hand if given, else by autograd.

        ``H[..., i, j] = d^2 L / dp_i dp_j``.

        Raises
        ------
        ValueError
            If a hand Hessian returns the wrong shape.
        """
        p = as_points(p)
        h = np.asarray(self._hessian(p), dtype=np.float64)
        if h.shape != (*p.shape, 2):
            raise ValueError(
                f"the hessian of surface {self.name!r} must return shape (..., 2, 2) for points "
                f"(..., 2): for points of shape {p.shape} it returned shape {h.shape}, "
                f"not {(*p.shape, 2)}"
            )
        return h

    def autograd_grad(self, p: Any) -> np.ndarray:
        """Gradient by autograd alone, shape (..., 2) (the reference for hand gradients)."""
        p = as_points(p)
        return np.asarray(self._autograd_gradient(p), dtype=np.float64)

    def autograd_hessian(self, p: Any) -> np.ndarray:
        """Hessian by autograd alone, shape (..., 2, 2) (the reference for hand Hessians)."""
        p = as_points(p)
        return self._autograd_hessian(p)

    def stochastic_grad(self, p: Any, batch_size: int, rng: np.random.Generator) -> np.ndarray:
        """Mini-batch gradient; only surfaces built from data (``lossviz.models``) have one."""
        raise ValueError(
            f"batch_size needs a model surface built from data (see lossviz.models); "
            f"{self.name!r} is an analytic surface: use noise=... for stochastic gradients"
        )

    # -- helpers ----------------------------------------------------------------------------
    def grid(self, resolution: int = 200) -> np.ndarray:
        """A regular grid over the bounds, shape (resolution, resolution, 2); rows run along y."""
        (xmin, xmax), (ymin, ymax) = self.bounds
        xs = np.linspace(xmin, xmax, resolution)
        ys = np.linspace(ymin, ymax, resolution)
        gx, gy = np.meshgrid(xs, ys)
        return np.stack([gx, gy], axis=-1)

    @property
    def global_minimum(self) -> np.ndarray | None:
        """The known minimum with the lowest loss, shape (2,), or None when none is listed.

        Among minima of equal loss (Himmelblau's four zeros), the first listed.
        Where no listed minimum has a finite loss, the first listed.

        Examples
        --------
        >>> s = Surface("wells", lambda x, y: (x**2 - 1) ** 2 + 0.3 * x + y**2,
        ...             ((-2, 2), (-1, 1)), minima=[(0.96, 0.0), (-1.04, 0.0)])
        >>> s.global_minimum.tolist()  # listed second: the deeper well
        [-1.04, 0.0]
        """
        if len(self.minima) == 0:
            return None
        with np.errstate(all="ignore"):
            values = np.asarray(self._value(self.minima), dtype=np.float64)
        if not np.isfinite(values).any():
            return self.minima[0]
        return self.minima[int(np.nanargmin(np.where(np.isfinite(values), values, np.nan)))]

    @property
    def global_minimum_loss(self) -> float:
        """The loss at `global_minimum`; NaN when no minimum is listed."""
        point = self.global_minimum
        if point is None:
            return float("nan")
        with np.errstate(all="ignore"):
            return float(np.asarray(self._value(point), dtype=np.float64))

    def nearest_minimum(self, p: Any) -> tuple[np.ndarray, np.ndarray]:
        """Nearest known minimum to each point: ``(minimum (..., 2), distance (...))``.

        Both are NaN where the surface lists no minima or ``p`` is not finite.
        """
        p = as_points(p)
        if len(self.minima) == 0:
            nan = np.full(p.shape[:-1], np.nan)
            return np.full(p.shape, np.nan), nan
        d = np.linalg.norm(p[..., None, :] - self.minima, axis=-1)  # (..., k)
        with np.errstate(invalid="ignore"):
            idx = np.argmin(np.where(np.isnan(d), np.inf, d), axis=-1)
        dist = np.take_along_axis(d, idx[..., None], axis=-1)[..., 0]
        return self.minima[idx], dist

    @classmethod
    def from_function(
        cls,
        f: LossFunction,
        bounds: Bounds,
        *,
        minima: Sequence[Sequence[float]] | np.ndarray = (),
        start: Sequence[float] | np.ndarray | None = None,
        name: str = "custom",
        description: str = "",
    ) -> Surface:
        """Wrap a user's own loss ``f(x, y)`` written with ``autograd.numpy``.

        Gradient and Hessian come from autograd. ``f`` must work elementwise
        on arrays (use ``anp.sin``, ``anp.exp``, ``**`` and so on, not ``math``),
        so that one call evaluates a whole grid.

        Examples
        --------
        >>> import autograd.numpy as anp
        >>> s = Surface.from_function(lambda x, y: anp.sin(x) + y**2, ((-3, 3), (-2, 2)))
        >>> s.grad([0.0, 1.0]).tolist()
        [1.0, 2.0]
        """
        if not callable(f):
            raise TypeError(f"f must be a callable f(x, y) -> loss; got {f!r}")
        surface = cls(name, f, bounds, minima=minima, start=start, description=description)
        probe = np.stack([surface.start, surface.start * 0.5 + 0.1, surface.start * 0.0], axis=0)
        try:
            with np.errstate(all="ignore"):  # a kink at a probe point is no error
                values = np.asarray(surface._value(probe), dtype=np.float64)
                grads = np.asarray(surface._gradient(probe), dtype=np.float64)
        except Exception as exc:
            raise ValueError(
                f"f(x, y) failed on a batch of 3 points ({type(exc).__name__}: {exc}); f must "
                "work elementwise on arrays and use autograd.numpy (import autograd.numpy as np)"
            ) from exc
        if values.shape != (3,) or grads.shape != (3, 2):
            raise ValueError(
                "f(x, y) must return one loss per point (elementwise over arrays): for x, y of "
                f"shape (3,) it returned shape {values.shape}"
            )
        return surface

    @classmethod
    def from_expression(
        cls,
        text: str,
        bounds: Bounds,
        *,
        name: str | None = None,
        start: Sequence[float] | np.ndarray | None = None,
        description: str = "",
    ) -> Surface:
        """A surface typed as text in ``x`` and ``y``, read safely (never run as Python).

        Numbers, ``x``, ``y``, ``pi``, ``e``, ``+ - * / **``, parentheses and a
        fixed list of functions (``sin``, ``exp``, ``log``, ``sqrt``, ...); anything
        else is refused with a ValueError saying what and where. Gradient and
        Hessian from autograd; minima found numerically, and the description
        says so. See `lossviz.surfaces.expression.from_expression`.

        Examples
        --------
        >>> s = Surface.from_expression("x**2 + 3*sin(y)", ((-3, 3), (-3, 3)))
        >>> s.grad([1.0, 0.0]).tolist(), s.minima.round(4).tolist()
        ([2.0, 3.0], [[0.0, -1.5708]])
        """
        from lossviz.surfaces.expression import from_expression  # it imports this module

        return from_expression(text, bounds, name=name, start=start, description=description)

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"<Surface {self.name}({params}) bounds={self.bounds}>"


# -- registry -----------------------------------------------------------------------------------
_SURFACES: Registry[Surface] = Registry("surface", built=Surface)
"""Every named surface and model (see `lossviz._registry.Registry`)."""

SurfaceFactory = Callable[..., Surface]


def register(name: str | None = None) -> Callable[[SurfaceFactory], SurfaceFactory]:
    """Decorator registering a surface factory ``factory(**params) -> Surface`` under ``name``.

    ``name`` defaults to the factory's own name. Every module in
    ``lossviz/surfaces`` registers its surface this way::

        @register("tilted_bowl")
        def tilted_bowl(tilt: float = 1.0) -> Surface:
            return Surface("tilted_bowl", lambda x, y: x**2 + y**2 + tilt * x, ((-2, 2), (-2, 2)))

    after which ``lossviz.surface("tilted_bowl", tilt=0.5)`` builds it.

    Raises
    ------
    ValueError
        If a surface of that name is already registered.
    """
    return _SURFACES.register(name)


def surface(name: str | Surface, **params: Any) -> Surface:
    """Build the registered surface ``name`` with its parameters; a `Surface` is returned as is.

    Raises
    ------
    ValueError
        For an unknown name, or a parameter the surface does not have (the
        message lists the valid ones), or a bad parameter value.

    Examples
    --------
    >>> import lossviz
    >>> s = lossviz.surface("rosenbrock", a=1.0, b=100.0)
    >>> float(s([1.0, 1.0]))
    0.0
    """
    return _SURFACES.build(name, **params)


def surface_names() -> list[str]:
    """Names of every registered surface and model, in registration order."""
    return _SURFACES.names()


__all__ = [
    "Surface",
    "surface",
    "surface_names",
    "register",
    "as_points",
    "check_bounds",
    "hessian_by_autograd",
    "hessian_from_entries",
    "gradient_by_terms",
    "hessian_by_terms",
    "anp",
]
