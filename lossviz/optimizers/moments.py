"""The engine's fast path: gd, momentum, nesterov, adagrad, rmsprop and adam as one rule.

Each optimizer's own module (``gd.py`` ... ``adam.py``) holds its update as
plain code, the formula a student would write. This module holds the same six
updates written as one rule, for the engine (`lossviz.engine.descend`), which
advances many different optimizers in one array operation per step (the factors
below become per-run arrays); that keeps the live widget's recompute within a
few milliseconds. ``tests/test_optimizers.py`` holds the two forms equal to
rounding, over 200 steps of gradients spanning six decades.

Each of the six optimizers is one setting of the coefficients of the rule
(`Moments`, built by each optimizer's factory). With ``g`` the gradient,
``n = t + 1`` the update count, ``lr(t)`` the learning rate and
``bc(a) = 1 - a**n`` if bias-corrected, else 1::

    exp_avg    <- a_m * exp_avg    + b_m * g        (velocity / first moment)
    exp_avg_sq <- a_s * exp_avg_sq + b_s * g**2     (second moment)
    direction   = c_g * g + c_m * exp_avg / bc(a_m)
    denominator = sqrt(exp_avg_sq / bc(a_s)) + eps  if adaptive, else 1
    step        = -lr(t) * direction / denominator

For instance Adam is ``a_m = beta1, b_m = 1 - beta1, a_s = beta2, b_s = 1 - beta2,
c_g = 0, c_m = 1``, adaptive and bias-corrected; momentum is ``a_m = beta,
b_m = 1, c_g = 0, c_m = 1``; nesterov the same with ``c_g = 1, c_m = beta``.

The implementation (`moment_step`) keeps the unnormalised sums
``m = exp_avg / b_m`` and ``s = exp_avg_sq / b_s`` (``m <- a_m m + g``,
``s <- a_s s + g**2``) and folds every constant and every step-dependent factor
into three per-step numbers (`step_factors`)::

    step = (k_g(t) * g + k_m(t) * m) / (r(t) * sqrt(s) + e)

    k_g(t) = -lr(t) * c_g,    k_m(t) = -lr(t) * c_m * b_m / bc(a_m),
    r(t) = sqrt(b_s / bc(a_s)) and e = eps if adaptive, else r = 0 and e = 1,

which is algebraically the rule above with fewer array operations. Where the
denominator is zero (``eps = 0`` and a zero second moment, e.g. a coordinate
whose gradients so far are all 0) the step is 0, not 0 / 0: the guard optax
puts on AdaGrad's denominator (``where(s > 0, ..., 0)``), which the plain
updates apply too.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from lossviz.optimizers.base import Schedule


class Moments(NamedTuple):
    """Coefficients of the moment rule (see the module docstring); ``lr`` is a schedule."""

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
