"""Argument checks: the one place every module validates a number or a count.

Every message names the argument, says what is allowed and what it got, in one
style::

    steps must be an integer between 1 and 2000; got 2.5
    lr must be a number > 0; got '0.1'
    beta must be a number in [0, 1); got 1.5
    noise must be a finite number >= 0; got inf

A wrong type (a string, a bool, None, an array) is a ValueError with the same
message, never a bare comparison error from deeper down.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

__all__ = ["check_integer", "check_number", "describe_range"]


def describe_range(
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> str:
    """The allowed range as the messages say it: `` in [0, 1)``, `` > 0``, or ``""``.

    Examples
    --------
    >>> describe_range(0, 1, high_open=True), describe_range(0, low_open=True), describe_range()
    (' in [0, 1)', ' > 0', '')
    """
    if low is not None and high is not None:
        left, right = "(" if low_open else "[", ")" if high_open else "]"
        return f" in {left}{low:g}, {high:g}{right}"
    if low is not None:
        return f" {'>' if low_open else '>='} {low:g}"
    if high is not None:
        return f" {'<' if high_open else '<='} {high:g}"
    return ""


def check_number(
    value: Any,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """``value`` as a finite float inside the given range, or a ValueError naming ``name``.

    Parameters
    ----------
    value
        What the user passed. Python and numpy numbers (and 0-d arrays) are
        accepted; strings, bools and anything else are refused.
    name
        The argument's name, as the user wrote it.
    low, high
        The allowed range; ``None`` leaves that side unbounded.
    low_open, high_open
        Whether the range excludes ``low`` (``x > low``) or ``high`` (``x < high``).

    Examples
    --------
    >>> check_number(10, "condition", low=1)
    10.0
    >>> check_number("0.1", "lr", low=0, low_open=True)
    Traceback (most recent call last):
    ...
    ValueError: lr must be a number > 0; got '0.1'
    >>> check_number(1.5, "beta", low=0, high=1, high_open=True)
    Traceback (most recent call last):
    ...
    ValueError: beta must be a number in [0, 1); got 1.5
    """
    rule = describe_range(low, high, low_open=low_open, high_open=high_open)
    if isinstance(value, bool) or not _is_real(value):
        raise ValueError(f"{name} must be a number{rule}; got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number{rule}; got {value!r}")
    too_low = low is not None and (number <= low if low_open else number < low)
    too_high = high is not None and (number >= high if high_open else number > high)
    if too_low or too_high:
        raise ValueError(f"{name} must be a number{rule}; got {value!r}")
    return number


def check_integer(value: Any, name: str, *, low: int | None = None, high: int | None = None) -> int:
    """``value`` as an int in ``[low, high]``, or a ValueError naming ``name``.

    Integral floats are refused as well (``steps=300.0`` is most likely a slip
    in a computation a student should see).

    Examples
    --------
    >>> check_integer(300, "steps", low=1, high=2000)
    300
    >>> check_integer(2.5, "steps", low=1, high=2000)
    Traceback (most recent call last):
    ...
    ValueError: steps must be an integer between 1 and 2000; got 2.5
    """
    if low is not None and high is not None:
        rule = f" between {low} and {high}"
    elif low is not None:
        rule = f" >= {low}"
    elif high is not None:
        rule = f" <= {high}"
    else:
        rule = ""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer{rule}; got {value!r}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name} must be an integer{rule}; got {value!r}")
    return int(value)


def _is_real(value: Any) -> bool:
    """A real number: Python's, numpy's, or a 0-d real array."""
    if isinstance(value, numbers.Real):
        return True
    shape, kind = getattr(value, "shape", None), getattr(getattr(value, "dtype", None), "kind", "")
    return shape == () and kind != "" and kind in "iuf"
