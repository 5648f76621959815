"""Loss surfaces: analytic test functions, one module each, registered by name."""

from lossviz.surfaces.base import Surface, register, surface, surface_names

__all__ = ["Surface", "register", "surface", "surface_names"]
