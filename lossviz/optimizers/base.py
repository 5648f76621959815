"""The `Optimizer` type, learning-rate handling and the registry of named optimizers.

An optimizer is a pair of pure functions over arrays of any shape::

    state = opt.init(params)
    step, state = opt.update(grad, state, params)
    params = params + step

``update`` never modifies its inputs. ``step`` is the displacement to *add* to
the parameters (it already carries the minus sign of descent). The step count
``t`` used by learning-rate schedules is ``0`` for the first update.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

Schedule = Callable[[Any], Any]
LearningRate = float | Schedule


class Optimizer(NamedTuple):
    """An optimizer: ``init(params) -> state`` and ``update(grad, state, params) -> (step, state)``.

    Attributes
    ----------
    init, update
        The two pure functions. Optimizers with ``needs_hessian`` take the
        Hessian as a keyword: ``update(grad, state, params, hessian=H)``, with
        ``H`` of shape (..., n, n) for params of shape (..., n).
    name
        The registry name (``"adam"``), shown in legends.
    hyper
        The hyperparameters it was built with, e.g. ``{"lr": 0.01, "beta1": 0.9}``.
    needs_hessian
        Whether ``update`` needs the Hessian (second-order methods).
    moments
        For the methods that are instances of one moment-based rule (gd,
        momentum, nesterov, adagrad, rmsprop, adam): its coefficients, which let
        the engine advance many such optimizers in one array operation. ``None``
        for any other optimizer.
    """

    init: Callable[[np.ndarray], Any]
    update: Callable[..., tuple[np.ndarray, Any]]
    name: str = "optimizer"
    hyper: dict[str, Any] = {}
    needs_hessian: bool = False
    moments: Any = None

    def __repr__(self) -> str:
        hyper = ", ".join(f"{k}={_short(v)}" for k, v in self.hyper.items())
        return f"{self.name}({hyper})"


def _short(value: Any) -> str:
    if callable(value):
        return getattr(value, "__name__", type(value).__name__)
    return repr(value)


def as_schedule(lr: LearningRate, what: str = "lr") -> Schedule:
    """Return a schedule ``t -> lr`` for a float or a schedule.

    Raises
    ------
    ValueError
        If ``lr`` is a number that is negative, zero or not finite.
    """
    if callable(lr):
        return lr
    check_positive(lr, what)
    value = float(lr)

    def constant_rate(t):
        return np.full(np.shape(t), value) if np.ndim(t) else value

    constant_rate.__name__ = repr(value)
    return constant_rate


def check_positive(value: Any, what: str, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a float, or raise ValueError naming ``what`` if it is not > 0."""
    try:
        x = float(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what} must be a number; got {value!r}") from exc
    if not np.isfinite(x) or x < 0 or (x == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{what} must be a finite number {bound}; got {value!r}")
    return x


def check_unit_interval(value: Any, what: str) -> float:
    """Return ``value`` as a float, or raise ValueError naming ``what`` unless 0 <= value < 1."""
    try:
        x = float(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what} must be a number in [0, 1); got {value!r}") from exc
    if not (0.0 <= x < 1.0):
        raise ValueError(f"{what} must be in [0, 1); got {value!r}")
    return x


# -- registry -----------------------------------------------------------------------------------
_REGISTRY: dict[str, Callable[..., Optimizer]] = {}


def register(factory: Callable[..., Optimizer]) -> Callable[..., Optimizer]:
    """Decorator registering an optimizer factory under its function name."""
    _REGISTRY[factory.__name__] = factory
    return factory


def optimizer(name: str | Optimizer, **hyper: Any) -> Optimizer:
    """Build the registered optimizer ``name`` with its hyperparameters.

    Examples
    --------
    >>> import lossviz
    >>> lossviz.optimizer("adam", lr=0.01)
    adam(lr=0.01, beta1=0.9, beta2=0.999, eps=1e-08)
    """
    if isinstance(name, Optimizer):
        if hyper:
            raise ValueError("hyperparameters cannot be applied to an already built optimizer")
        return name
    if name not in _REGISTRY:
        raise ValueError(
            f"unknown optimizer {name!r}; choose one of {', '.join(optimizer_names())}"
        )
    factory = _REGISTRY[name]
    allowed = list(inspect.signature(factory).parameters)
    unknown = [k for k in hyper if k not in allowed]
    if unknown:
        raise ValueError(
            f"optimizer {name!r} has no hyperparameter {', '.join(map(repr, unknown))}; "
            f"its hyperparameters are: {', '.join(allowed)}"
        )
    return factory(**hyper)


def optimizer_names() -> list[str]:
    """Names of every registered optimizer, in registration order."""
    return list(_REGISTRY)
