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

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from lossviz._checks import check_number
from lossviz._registry import Registry

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
    second_order
        For damped Newton: its `~lossviz.optimizers.newton.NewtonRule`, which
        lets the engine step every Newton run of a batch at once. ``None`` otherwise.
    """

    init: Callable[[np.ndarray], Any]
    update: Callable[..., tuple[np.ndarray, Any]]
    name: str = "optimizer"
    hyper: dict[str, Any] = {}
    needs_hessian: bool = False
    moments: Any = None
    second_order: Any = None

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
        If ``lr`` is neither callable nor a finite number > 0.

    Examples
    --------
    >>> as_schedule(0.1)(3), as_schedule(0.1)(np.arange(2)).tolist()
    (0.1, [0.1, 0.1])
    """
    if callable(lr):
        return lr
    value = check_number(lr, what, low=0, low_open=True)

    def constant_rate(t):
        return np.full(np.shape(t), value) if np.ndim(t) else value

    constant_rate.__name__ = repr(value)
    return constant_rate


# -- registry -----------------------------------------------------------------------------------
_OPTIMIZERS: Registry[Optimizer] = Registry("optimizer", argument="hyperparameter", built=Optimizer)
"""Every named optimizer (see `lossviz._registry.Registry`)."""

OptimizerFactory = Callable[..., Optimizer]


def register(
    name: str | OptimizerFactory | None = None,
) -> OptimizerFactory | Callable[[OptimizerFactory], OptimizerFactory]:
    """Decorator registering an optimizer factory ``factory(**hyper) -> Optimizer``.

    Bare (``@register``) it registers the factory under its own name; with a
    name (``@register("sgd")``) under that. Every module in
    ``lossviz/optimizers`` registers its optimizer this way::

        @register
        def gd(lr: LearningRate = 0.001) -> Optimizer:
            ...

    after which ``lossviz.optimizer("gd", lr=0.1)`` builds it.

    Raises
    ------
    ValueError
        If an optimizer of that name is already registered.
    """
    return _OPTIMIZERS.register(name)


def optimizer(name: str | Optimizer, **hyper: Any) -> Optimizer:
    """Build the registered optimizer ``name`` with its hyperparameters; an `Optimizer` as is.

    Raises
    ------
    ValueError
        For an unknown name, or a hyperparameter the optimizer does not have
        (the message lists the valid ones), or a bad value.

    Examples
    --------
    >>> import lossviz
    >>> lossviz.optimizer("adam", lr=0.01)
    adam(lr=0.01, beta1=0.9, beta2=0.999, eps=1e-08)
    """
    return _OPTIMIZERS.build(name, **hyper)


def optimizer_names() -> list[str]:
    """Names of every registered optimizer, in registration order."""
    return _OPTIMIZERS.names()
