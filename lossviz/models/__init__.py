"""Toy models whose loss over their two weights is a surface, computed from their own data.

Importing this package registers ``"linear_regression"``, ``"logistic_regression"``
and ``"tiny_network"`` with `lossviz.surfaces.surface`.
"""

from lossviz.models.base import ModelSurface
from lossviz.models.linear_regression import linear_regression
from lossviz.models.logistic_regression import logistic_regression
from lossviz.models.tiny_network import tiny_network

__all__ = ["ModelSurface", "linear_regression", "logistic_regression", "tiny_network"]
