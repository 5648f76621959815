"""Optimizers: pairs of pure functions ``init(params) -> state`` and
``update(grad, state, params) -> (step, state)``, one module each."""

# Imported in teaching order, which is the order optimizer_names() lists them in.
from lossviz.optimizers.base import Optimizer, optimizer, optimizer_names  # noqa: I001
from lossviz.optimizers.moments import MomentState, Moments
from lossviz.optimizers.gd import gd
from lossviz.optimizers.momentum import momentum
from lossviz.optimizers.nesterov import nesterov
from lossviz.optimizers.adagrad import adagrad
from lossviz.optimizers.rmsprop import rmsprop
from lossviz.optimizers.adam import adam
from lossviz.optimizers.newton import NewtonState, newton

__all__ = [
    "MomentState",
    "Moments",
    "NewtonState",
    "Optimizer",
    "adagrad",
    "adam",
    "gd",
    "momentum",
    "nesterov",
    "newton",
    "optimizer",
    "optimizer_names",
    "rmsprop",
]
