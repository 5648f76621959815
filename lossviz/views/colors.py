"""Colour-blind-safe colours (Okabe & Ito, 2008) for optimizers and markers."""

from __future__ import annotations

OKABE_ITO = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "purple": "#CC79A7",
    "sky": "#56B4E9",
    "vermillion": "#D55E00",
    "black": "#000000",
    "yellow": "#F0E442",
}

_BY_OPTIMIZER = {
    "gd": OKABE_ITO["blue"],
    "momentum": OKABE_ITO["orange"],
    "nesterov": OKABE_ITO["green"],
    "adagrad": OKABE_ITO["purple"],
    "rmsprop": OKABE_ITO["sky"],
    "adam": OKABE_ITO["vermillion"],
    "newton": OKABE_ITO["black"],
}
_CYCLE = [OKABE_ITO[c] for c in ("blue", "orange", "green", "vermillion", "purple", "sky", "black")]

DIVERGED_COLOR = OKABE_ITO["vermillion"]
"""The colour of divergence warnings."""


def optimizer_color(name: str, index: int = 0) -> str:
    """A fixed colour per built-in optimizer name, so every view agrees; others cycle by index."""
    base = name.split(" ")[0]
    return _BY_OPTIMIZER.get(base, _CYCLE[index % len(_CYCLE)])


def optimizer_colors(labels: list[str]) -> list[str]:
    """Colours for a list of optimizer labels, distinct where the names repeat."""
    colors, used = [], set()
    for i, label in enumerate(labels):
        c = optimizer_color(label, i)
        if c in used:
            c = next((x for x in _CYCLE if x not in used), c)
        used.add(c)
        colors.append(c)
    return colors
