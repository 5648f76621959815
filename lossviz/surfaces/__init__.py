"""Loss surfaces: analytic test functions, one module each, registered by name."""

# Importing each module registers its surfaces (in this, alphabetical, order).
from lossviz.surfaces import (  # noqa: F401
    ackley,
    beale,
    booth,
    goldstein_price,
    himmelblau,
    multi_well,
    plateau_ridge,
    quadratic,
    rastrigin,
    rosenbrock,
    saddles,
    six_hump_camel,
    styblinski_tang,
)
from lossviz.surfaces.base import Surface, register, surface, surface_names

__all__ = ["Surface", "register", "surface", "surface_names"]
