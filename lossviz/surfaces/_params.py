"""Validation of surface parameters: one helper, one message format.

Messages name the parameter and its allowed range, e.g. ``condition must be >= 1; got 0.5``.
"""

from __future__ import annotations

import math
from typing import Any


def check_number(
    value: Any,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return ``value`` as a finite float inside the given range, or raise ValueError.

    Parameters
    ----------
    value
        The value the user passed.
    name
        The parameter's name, used in the message.
    low, high
        Allowed range; ``None`` means unbounded on that side.
    low_open, high_open
        Whether the range excludes ``low`` (``> low``) or ``high`` (``< high``).

    Examples
    --------
    >>> check_number(10, "condition", low=1)
    10.0
    >>> check_number(0.5, "condition", low=1)
    Traceback (most recent call last):
    ...
    ValueError: condition must be >= 1; got 0.5
    """
    rule = _describe(low, high, low_open, high_open)
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a number{rule}; got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a number{rule}; got {value!r}") from exc
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number{rule}; got {value!r}")
    too_low = low is not None and (number <= low if low_open else number < low)
    too_high = high is not None and (number >= high if high_open else number > high)
    if too_low or too_high:
        raise ValueError(f"{name} must be{rule}; got {value!r}")
    return number


def _describe(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    if low is not None and high is not None:
        left, right = "(" if low_open else "[", ")" if high_open else "]"
        return f" in {left}{low:g}, {high:g}{right}"
    if low is not None:
        return f" {'>' if low_open else '>='} {low:g}"
    if high is not None:
        return f" {'<' if high_open else '<='} {high:g}"
    return ""
