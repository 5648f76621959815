"""Tick labels for log axes as plain text: ``10⁻⁵`` and ``2×10⁻³``.

matplotlib labels a log axis with mathtext (``$\\mathdefault{10^{-5}}$``), and parses
each new label the first time it is drawn: a few milliseconds a label. A live
widget whose loss axis rescales meets new labels in the middle of a drag, so its
frames paid for the parsing. Unicode superscripts look the same in the default
font (DejaVu Sans has them) and cost only their text layout.
"""

from __future__ import annotations

import re

from matplotlib.axes import Axes
from matplotlib.ticker import LogFormatterSciNotation

_SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
_MATHTEXT = re.compile(r"\$\\mathdefault\{(.*)\}\$")
_POWER = re.compile(r"\^\{(-?\d+)\}")


class PowersOfTen(LogFormatterSciNotation):
    """`matplotlib.ticker.LogFormatterSciNotation` in plain text: the same labels (which
    ticks get one, ``10^k`` or ``m×10^k``) with the exponent as unicode superscripts.

    Examples
    --------
    >>> f = PowersOfTen()
    >>> f(1e-5), f(1.0), f(1e3), f(2e-3)
    ('10⁻⁵', '10⁰', '10³', '2×10⁻³')
    """

    def __call__(self, x: float, pos: int | None = None) -> str:
        label = super().__call__(x, pos)
        whole = _MATHTEXT.fullmatch(label)
        if whole is None:  # empty (an unlabelled minor tick), or a form kept as it is
            return label
        body = whole.group(1).replace("\\times", "×").replace("\\cdot", "·")
        plain = _POWER.sub(lambda m: m.group(1).translate(_SUPERSCRIPTS), body)
        return label if "\\" in plain or "{" in plain else plain


def log_scale(ax: Axes, which: str = "y") -> None:
    """Put ``ax``'s ``which`` axis (``"x"`` or ``"y"``) on a log scale labelled by
    `PowersOfTen`: the formatters matplotlib's log scale sets, in plain text."""
    if which not in ("x", "y"):
        raise ValueError(f"which must be 'x' or 'y'; got {which!r}")
    axis = ax.xaxis if which == "x" else ax.yaxis
    (ax.set_xscale if which == "x" else ax.set_yscale)("log")
    axis.set_major_formatter(PowersOfTen())
    axis.set_minor_formatter(PowersOfTen(labelOnlyBase=False))


__all__ = ["PowersOfTen", "log_scale"]
