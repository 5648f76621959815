"""Optimizers: pairs of pure functions ``init(params) -> state`` and
``update(grad, state, params) -> (step, state)``, one module each."""

# Imported in teaching order, which is the order optimizer_names() lists them in.
from lossviz.optimizers.base import Optimizer, optimizer, optimizer_names, register  # noqa: I001
from lossviz.optimizers.moments import Moments
from lossviz.optimizers.gd import GDState, gd
from lossviz.optimizers.momentum import MomentumState, momentum
from lossviz.optimizers.nesterov import nesterov
from lossviz.optimizers.adagrad import AdaGradState, adagrad
from lossviz.optimizers.rmsprop import RMSPropState, rmsprop
from lossviz.optimizers.adam import AdamState, adam
from lossviz.optimizers.newton import NewtonState, newton

__all__ = [
    "AdaGradState",
    "AdamState",
    "GDState",
    "MomentumState",
    "Moments",
    "NewtonState",
    "Optimizer",
    "RMSPropState",
    "adagrad",
    "adam",
    "gd",
    "momentum",
    "nesterov",
    "newton",
    "optimizer",
    "optimizer_names",
    "register",
    "rmsprop",
]
