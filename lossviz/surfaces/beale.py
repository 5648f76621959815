"""Beale's function: a sharp minimum at the end of flat, curving valleys."""

from __future__ import annotations

from lossviz.surfaces.base import Surface, register


@register("beale")
def beale() -> Surface:
    """Beale's function, minimum 0 at ``(3, 1/2)``.

    ::

        L(x, y) = (1.5 - x + x y)^2 + (2.25 - x + x y^2)^2 + (2.625 - x + x y^3)^2

    The loss ranges over five orders of magnitude within the bounds: steep
    walls at large ``|y|``, and a flat region around the line ``x = 0``
    (where the loss is constant, 14.203125).

    Returns
    -------
    Surface
        Bounds ``(-4.5, 4.5) x (-4.5, 4.5)``, start ``(1, 1.5)``, one minimum.

    Examples
    --------
    >>> float(beale()([3.0, 0.5]))
    0.0
    """

    def loss(x, y):
        return (
            (1.5 - x + x * y) ** 2 + (2.25 - x + x * y * y) ** 2 + (2.625 - x + x * y * y * y) ** 2
        )

    return Surface(
        "beale",
        loss,
        ((-4.5, 4.5), (-4.5, 4.5)),
        minima=[(3.0, 0.5)],
        start=(1.0, 1.5),
        params={},
        description=(
            "Flat plains and steep walls around a narrow valley that leads to the "
            "minimum at (3, 0.5)."
        ),
    )
