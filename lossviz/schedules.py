"""Learning-rate schedules: functions of the step count ``t`` giving the learning rate.

Every factory validates its arguments and returns a `LearningRateSchedule`, a
callable ``t -> lr`` with ``t = 0`` for the first update. ``t`` may be a Python
int (the result is a float) or an integer array (the result is a float array of
the same shape), so a whole schedule can be drawn in one call. Any optimizer
that takes ``lr`` accepts a schedule in place of a number. `schedule` builds
one by name; `register` adds a teacher's own factory to the names.

Examples
--------
>>> import numpy as np
>>> from lossviz.schedules import cosine
>>> lr = cosine(lr=0.1, steps=4)
>>> lr
cosine(lr=0.1, steps=4, lr_min=0.0)
>>> lr(np.arange(6)).round(4).tolist()
[0.1, 0.0854, 0.05, 0.0146, 0.0, 0.0]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from lossviz._checks import check_integer, check_number
from lossviz._registry import Registry


class LearningRateSchedule:
    """A learning rate as a function of the step count, with its name and parameters.

    Parameters
    ----------
    name
        The factory's name, e.g. ``"cosine"``.
    params
        The arguments it was built with; shown by ``repr`` and kept in ``params``.
    rate
        ``rate(t) -> lr`` for an integer array ``t``, elementwise.

    Attributes
    ----------
    params
        The arguments, e.g. ``{"lr": 0.1, "steps": 100, "lr_min": 0.0}``.
    __name__
        Readable call that rebuilds it, e.g. ``"cosine(lr=0.1, steps=100, lr_min=0.0)"``.
    """

    def __init__(self, name: str, params: dict[str, Any], rate: Callable[[Any], Any]) -> None:
        self.name = name
        self.params = dict(params)
        self.__name__ = f"{name}({', '.join(f'{k}={v!r}' for k, v in self.params.items())})"
        self._rate = rate

    def __call__(self, t: Any) -> float | np.ndarray:
        """The learning rate at step ``t`` (int or integer array); float or array of t's shape."""
        value = np.asarray(self._rate(np.asarray(t)), dtype=np.float64)
        return float(value) if value.ndim == 0 else value

    def __repr__(self) -> str:
        return self.__name__


# -- the registry ------------------------------------------------------------------------------
_SCHEDULES: Registry[LearningRateSchedule] = Registry("schedule", built=LearningRateSchedule)
"""Every named schedule (see `lossviz._registry.Registry`)."""

ScheduleFactory = Callable[..., LearningRateSchedule]


def register(
    name: str | ScheduleFactory | None = None,
) -> ScheduleFactory | Callable[[ScheduleFactory], ScheduleFactory]:
    """Decorator registering a schedule factory ``factory(**params) -> LearningRateSchedule``.

    Bare (``@register``) it registers the factory under its own name; with a
    name (``@register("halving")``) under that. A teacher adds a schedule so::

        from lossviz.schedules import LearningRateSchedule, register

        @register
        def halving(lr: float, every: int) -> LearningRateSchedule:
            return LearningRateSchedule(
                "halving", {"lr": lr, "every": every}, lambda t: lr * 0.5 ** (t // every)
            )

    after which ``lossviz.schedule("halving", lr=0.1, every=10)`` builds it.

    Raises
    ------
    ValueError
        If a schedule of that name is already registered.
    """
    return _SCHEDULES.register(name)


def _cosine_decay(fraction: Any, lr: float, lr_min: float) -> Any:
    return lr_min + (lr - lr_min) * (1.0 + np.cos(np.pi * fraction)) / 2.0


# -- schedules ----------------------------------------------------------------------------------
@register
def constant(lr: float) -> LearningRateSchedule:
    """The same learning rate at every step: ``lr(t) = lr``.

    Parameters
    ----------
    lr
        The learning rate, > 0.

    Examples
    --------
    >>> constant(0.1)(5)
    0.1
    """
    lr = check_number(lr, "lr", low=0, low_open=True)
    return LearningRateSchedule("constant", {"lr": lr}, lambda t: np.full(np.shape(t), lr))


@register
def step_decay(lr: float, every: int, factor: float) -> LearningRateSchedule:
    """Multiply the rate by ``factor`` every ``every`` steps.

    ``lr(t) = lr * factor ** (t // every)``

    Parameters
    ----------
    lr
        The initial learning rate, > 0.
    every
        Steps between drops, an integer >= 1.
    factor
        Multiplier at each drop, in (0, 1].

    Examples
    --------
    >>> step_decay(0.1, every=2, factor=0.5)([0, 1, 2, 3, 4]).tolist()
    [0.1, 0.1, 0.05, 0.05, 0.025]
    """
    lr = check_number(lr, "lr", low=0, low_open=True)
    every = check_integer(every, "every", low=1)
    factor = check_number(factor, "factor", low=0, high=1, low_open=True)
    return LearningRateSchedule(
        "step_decay",
        {"lr": lr, "every": every, "factor": factor},
        lambda t: lr * factor ** (t // every),
    )


@register
def exponential(lr: float, gamma: float) -> LearningRateSchedule:
    """Shrink the rate by ``gamma`` at every step: ``lr(t) = lr * gamma ** t``.

    Parameters
    ----------
    lr
        The initial learning rate, > 0.
    gamma
        Multiplier per step, in (0, 1].

    Examples
    --------
    >>> exponential(0.1, gamma=0.5)([0, 1, 2]).tolist()
    [0.1, 0.05, 0.025]
    """
    lr = check_number(lr, "lr", low=0, low_open=True)
    gamma = check_number(gamma, "gamma", low=0, high=1, low_open=True)
    return LearningRateSchedule(
        "exponential", {"lr": lr, "gamma": gamma}, lambda t: lr * gamma ** np.asarray(t, float)
    )


@register
def inverse_time(lr: float, k: float) -> LearningRateSchedule:
    """Decay like ``1/t``: ``lr(t) = lr / (1 + k t)``.

    The classic schedule for which stochastic gradient descent provably converges.

    Parameters
    ----------
    lr
        The initial learning rate, > 0.
    k
        Decay rate, >= 0 (0 keeps the rate constant).

    Examples
    --------
    >>> inverse_time(0.1, k=1.0)([0, 1, 4]).tolist()
    [0.1, 0.05, 0.02]
    """
    lr = check_number(lr, "lr", low=0, low_open=True)
    k = check_number(k, "k", low=0)
    return LearningRateSchedule("inverse_time", {"lr": lr, "k": k}, lambda t: lr / (1.0 + k * t))


@register
def cosine(lr: float, steps: int, lr_min: float = 0.0) -> LearningRateSchedule:
    """Half a cosine wave from ``lr`` down to ``lr_min`` over ``steps`` steps, then flat.

    ``lr(t) = lr_min + (lr - lr_min) * (1 + cos(pi * min(t, steps) / steps)) / 2``

    Parameters
    ----------
    lr
        The initial learning rate, > 0.
    steps
        Steps until the rate reaches ``lr_min``, an integer >= 1.
    lr_min
        The final learning rate, in [0, lr].

    Examples
    --------
    >>> cosine(0.1, steps=2)([0, 1, 2, 3]).round(6).tolist()
    [0.1, 0.05, 0.0, 0.0]
    """
    lr = check_number(lr, "lr", low=0, low_open=True)
    steps = check_integer(steps, "steps", low=1)
    lr_min = check_number(lr_min, "lr_min", low=0, high=lr)
    return LearningRateSchedule(
        "cosine",
        {"lr": lr, "steps": steps, "lr_min": lr_min},
        lambda t: _cosine_decay(np.minimum(t, steps) / steps, lr, lr_min),
    )


@register
def warmup_cosine(lr: float, warmup: int, steps: int, lr_min: float = 0.0) -> LearningRateSchedule:
    """Linear warm-up to ``lr`` over ``warmup`` steps, then cosine decay to ``lr_min`` at ``steps``.

    ``lr(t) = lr * (t + 1) / warmup`` for ``t < warmup``; afterwards

    ``lr(t) = lr_min + (lr - lr_min) * (1 + cos(pi * u)) / 2`` with
    ``u = min(t - warmup, steps - warmup) / (steps - warmup)``,

    so the rate climbs ``lr/warmup, 2 lr/warmup, ..., lr``, stays at ``lr`` for
    ``t = warmup``, reaches ``lr_min`` at ``t = steps`` and is held there.

    Parameters
    ----------
    lr
        The peak learning rate, > 0.
    warmup
        Warm-up steps, an integer with 0 <= warmup < steps (0: plain `cosine`).
    steps
        Steps until the rate reaches ``lr_min``, an integer >= 1.
    lr_min
        The final learning rate, in [0, lr].

    Examples
    --------
    >>> warmup_cosine(0.1, warmup=2, steps=4)([0, 1, 2, 3, 4, 5]).round(6).tolist()
    [0.05, 0.1, 0.1, 0.05, 0.0, 0.0]
    """
    lr = check_number(lr, "lr", low=0, low_open=True)
    steps = check_integer(steps, "steps", low=1)
    warmup = check_integer(warmup, "warmup", low=0, high=steps - 1)
    lr_min = check_number(lr_min, "lr_min", low=0, high=lr)
    decay = steps - warmup

    def rate(t):
        after = _cosine_decay(np.clip(t - warmup, 0, decay) / decay, lr, lr_min)
        # max(warmup, 1) only keeps the unused branch finite when warmup is 0.
        return np.where(t < warmup, lr * (t + 1) / max(warmup, 1), after)

    return LearningRateSchedule(
        "warmup_cosine", {"lr": lr, "warmup": warmup, "steps": steps, "lr_min": lr_min}, rate
    )


@register
def cyclic(lr_min: float, lr_max: float, period: int) -> LearningRateSchedule:
    """Triangular cycles between ``lr_min`` and ``lr_max``, repeating every ``period`` steps.

    ``lr(t) = lr_min + (lr_max - lr_min) * (1 - |2 phase - 1|)`` with
    ``phase = (t mod period) / period``: the rate starts at ``lr_min``, climbs
    linearly to ``lr_max`` at ``t = period / 2`` and is back at ``lr_min`` at
    ``t = period``.

    Parameters
    ----------
    lr_min
        The lowest learning rate, in [0, lr_max].
    lr_max
        The highest learning rate, > 0.
    period
        Steps per cycle, an integer >= 2.

    Examples
    --------
    >>> cyclic(0.0, 0.1, period=4)([0, 1, 2, 3, 4]).tolist()
    [0.0, 0.05, 0.1, 0.05, 0.0]
    """
    lr_max = check_number(lr_max, "lr_max", low=0, low_open=True)
    lr_min = check_number(lr_min, "lr_min", low=0, high=lr_max)
    period = check_integer(period, "period", low=2)

    def rate(t):
        phase = np.mod(t, period) / period
        return lr_min + (lr_max - lr_min) * (1.0 - np.abs(2.0 * phase - 1.0))

    return LearningRateSchedule(
        "cyclic", {"lr_min": lr_min, "lr_max": lr_max, "period": period}, rate
    )


# -- lookup by name -----------------------------------------------------------------------------
def schedule(name: str | LearningRateSchedule, **params: Any) -> LearningRateSchedule:
    """Build the schedule ``name`` with its parameters; a built schedule is returned as is.

    Raises
    ------
    ValueError
        For an unknown name or parameter (the message lists the valid ones), a
        missing required parameter, or a bad parameter value.

    Examples
    --------
    >>> schedule("step_decay", lr=0.1, every=10, factor=0.5)
    step_decay(lr=0.1, every=10, factor=0.5)
    """
    return _SCHEDULES.build(name, **params)


def schedule_names() -> list[str]:
    """Names of every registered schedule, in registration order, for `schedule`."""
    return _SCHEDULES.names()


__all__ = [
    "LearningRateSchedule",
    "constant",
    "cosine",
    "cyclic",
    "exponential",
    "inverse_time",
    "register",
    "schedule",
    "schedule_names",
    "step_decay",
    "warmup_cosine",
]
