"""The moment rule shared by gd, momentum, nesterov, adagrad, rmsprop and adam.

Each of these optimizers is one setting of the coefficients of a single rule
(see `Moments`). With ``g`` the gradient, ``n = t + 1`` the update count,
``lr(t)`` the learning rate and ``bc(a) = 1 - a**n`` if bias-corrected, else 1::

    exp_avg    <- a_m * exp_avg    + b_m * g        (velocity / first moment)
    exp_avg_sq <- a_s * exp_avg_sq + b_s * g**2     (second moment)
    direction   = c_g * g + c_m * exp_avg / bc(a_m)
    denominator = sqrt(exp_avg_sq / bc(a_s)) + eps  if adaptive, else 1
    step        = -lr(t) * direction / denominator

The implementation keeps the unnormalised sums ``m = exp_avg / b_m`` and
``s = exp_avg_sq / b_s`` (``m <- a_m m + g``, ``s <- a_s s + g**2``) and folds
every constant and every step-dependent factor into three per-step numbers::

    step = (k_g(t) * g + k_m(t) * m) / (r(t) * sqrt(s) + e)

    k_g(t) = -lr(t) * c_g,    k_m(t) = -lr(t) * c_m * b_m / bc(a_m),
    r(t) = sqrt(b_s / bc(a_s)) and e = eps if adaptive, else r = 0 and e = 1,

which is algebraically the rule above with fewer array operations. Writing all
six optimizers as one rule lets the engine advance many different optimizers
in one array operation per step (the factors become per-run arrays), which
keeps the live widget's recompute within a few milliseconds; each optimizer's
own ``update`` calls the very same `moment_step`, so every formula has one
implementation.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from lossviz.optimizers.base import Optimizer, Schedule, as_schedule


class Moments(NamedTuple):
    """Coefficients of the moment rule (see the module docstring)."""

    lr: Schedule
    a_m: float = 0.0
    b_m: float = 0.0
    a_s: float = 0.0
    b_s: float = 0.0
    c_g: float = 1.0
    c_m: float = 0.0
    eps: float = 0.0
    adaptive: bool = False
    bias_correction: bool = False


class MomentState(NamedTuple):
    """State of a moment-rule optimizer.

    Attributes
    ----------
    count
        Number of updates made so far (the next update uses ``t = count``).
    m
        Unnormalised first moment ``sum_i a_m**i g_(t-i)``: the velocity buffer
        of momentum and nesterov; Adam's ``exp_avg`` is ``(1 - beta1) * m``.
        Stays zero for gd, adagrad and rmsprop. Same shape as params.
    s
        Unnormalised second moment ``sum_i a_s**i g_(t-i)**2``: AdaGrad's sum of
        squares; RMSProp's ``square_avg`` is ``(1 - alpha) * s`` and Adam's
        ``exp_avg_sq`` is ``(1 - beta2) * s``. Stays zero otherwise.
    """

    count: int
    m: np.ndarray
    s: np.ndarray


def moment_step(
    g: np.ndarray,
    m: np.ndarray,
    s: np.ndarray,
    k_g: Any,
    k_m: Any,
    r: Any,
    e: Any,
    a_m: Any,
    a_s: Any,
    uses_m: bool,
    uses_s: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One application of the folded moment rule (module docstring); inputs are not modified.

    ``g``, ``m``, ``s`` have the params' shape; the factors are scalars or arrays
    that broadcast against it. ``uses_m``/``uses_s`` skip the moments no run
    needs. Returns ``(step, m, s)``.
    """
    if uses_m:
        m = a_m * m + g
        numerator = k_g * g + k_m * m
    else:
        numerator = k_g * g
    if not uses_s:
        return numerator, m, s
    s = a_s * s + g * g
    return numerator / (r * np.sqrt(s) + e), m, s


def step_factors(moments: Moments, lr: Any, t: Any) -> tuple[Any, Any, Any]:
    """``(k_g, k_m, r)`` at step ``t`` (an int or an int array) with learning rate ``lr``."""
    n = np.asarray(t) + 1
    lr = np.asarray(lr, dtype=np.float64)
    if moments.bias_correction:
        bc_m = 1.0 - moments.a_m**n
        bc_s = 1.0 - moments.a_s**n
    else:
        bc_m = bc_s = np.ones(np.shape(n))
    k_g = -lr * moments.c_g
    k_m = -lr * moments.c_m * moments.b_m / bc_m
    r = np.sqrt(moments.b_s / bc_s) if moments.adaptive else np.zeros(np.shape(n))
    return k_g, k_m, r


def moment_optimizer(name: str, hyper: dict[str, Any], moments: Moments) -> Optimizer:
    """Build the `Optimizer` whose update is the moment rule with these coefficients."""
    moments = moments._replace(lr=as_schedule(moments.lr))
    uses_m = moments.c_m != 0.0
    uses_s = moments.adaptive
    e = moments.eps if moments.adaptive else 1.0

    def init(params: np.ndarray) -> MomentState:
        params = np.asarray(params, dtype=np.float64)
        return MomentState(0, np.zeros_like(params), np.zeros_like(params))

    def update(grad: np.ndarray, state: MomentState, params: np.ndarray | None = None):
        g = np.asarray(grad, dtype=np.float64)
        k_g, k_m, r = step_factors(moments, moments.lr(state.count), state.count)
        step, m, s = moment_step(
            g, state.m, state.s, k_g, k_m, r, e, moments.a_m, moments.a_s, uses_m, uses_s
        )
        return step, MomentState(state.count + 1, m, s)

    return Optimizer(init, update, name=name, hyper=hyper, moments=moments)
