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

which is algebraically the rule above with fewer array operations. Where the
denominator is zero (``eps = 0`` and a zero second moment, e.g. a coordinate
whose gradients so far are all 0) the step is 0, not 0 / 0: the guard optax
puts on AdaGrad's denominator (``where(s > 0, ..., 0)``). Writing all
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
    s_weight: Any,
    guard_zero: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One application of the folded moment rule (module docstring); inputs are not modified.

    ``g``, ``m``, ``s`` have the params' shape; the factors are scalars or arrays
    that broadcast against it. ``uses_m``/``uses_s`` skip the moments no run
    needs. Returns ``(step, m, s)``.

    Runs batched together must not touch each other's numbers, including at
    overflow. ``s_weight``, for a batch that mixes adaptive runs with others, is
    1 on the adaptive runs' entries and 0 on the others': their ``s`` then stays
    exactly 0 and their denominator exactly 1 even where ``g**2`` overflows
    (``r = 0`` times ``sqrt(inf)`` would be NaN). ``None`` if every run is
    adaptive. The first moment needs no such weight: a run without one has
    ``a_m = k_m = 0``, so its ``m`` is its current ``g`` and ``k_m * m`` is 0
    while ``g`` is finite (a non-finite ``g`` ends the run alone as well).
    ``guard_zero``, set when some adaptive run has ``eps = 0``, turns a zero
    denominator into a zero step; the guard is skipped otherwise, as no
    denominator can then be zero and it would cost a few microseconds per step.
    """
    if uses_m:
        m = a_m * m + g
        numerator = k_g * g + k_m * m
    else:
        numerator = k_g * g
    if not uses_s:
        return numerator, m, s
    if s_weight is not None:
        g = s_weight * g
    s = a_s * s + g * g
    denominator = r * np.sqrt(s) + e
    if guard_zero:
        # Where eps = 0 and the second moment is 0, step by 0 rather than by 0 / 0 or x / 0.
        # In place, about twice as fast as np.where; asarray makes a 0-d result writable.
        denominator = np.asarray(denominator)
        np.copyto(denominator, np.inf, where=denominator == 0)
    return numerator / denominator, m, s


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
    e = moments.eps if moments.adaptive else 1.0
    uses_m = moments.c_m != 0.0
    guard_zero = moments.adaptive and moments.eps == 0
    # `moment_step`'s arguments after the per-step factors; one optimizer alone needs no
    # s_weight (it is all adaptive or does not use the second moment at all).
    constants = (e, moments.a_m, moments.a_s, uses_m, moments.adaptive, None, guard_zero)

    def init(params: np.ndarray) -> MomentState:
        params = np.asarray(params, dtype=np.float64)
        return MomentState(0, np.zeros_like(params), np.zeros_like(params))

    def update(grad: np.ndarray, state: MomentState, params: np.ndarray | None = None):
        g = np.asarray(grad, dtype=np.float64)
        k_g, k_m, r = step_factors(moments, moments.lr(state.count), state.count)
        step, m, s = moment_step(g, state.m, state.s, k_g, k_m, r, *constants)
        return step, MomentState(state.count + 1, m, s)

    return Optimizer(init, update, name=name, hyper=hyper, moments=moments)
