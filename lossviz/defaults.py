"""Sensible per-surface hyperparameters, so every optimizer starts out well-behaved.

Gradient descent and Adam need learning rates orders of magnitude apart, and
which rate is right depends on the surface's curvature and size. These
defaults are derived from the surface itself:

* first-order methods (gd, momentum, nesterov): ``lr = 1 / lambda`` with
  ``lambda`` the largest Hessian eigenvalue at the surface's global minimum
  (`lossviz.curvature.stability_limit`: gradient descent is stable there below
  ``2 / lambda``), rounded to 1, 2 or 5 times a power of ten and divided by 2.5
  (and rounded again: 1, 0.5, 0.2, 0.1, ...) until a 300-step run from the
  surface's start does not diverge (far up a steep hillside the curvature can
  be much larger than at the bottom);
* adaptive methods, whose step length is about ``lr`` per coordinate: a small
  fraction of the bounds' diagonal ``D`` (adam ``D / 100``, rmsprop ``D / 1000``
  since its first steps are ``1 / sqrt(1 - alpha)`` = 10 times larger, adagrad
  ``D / 20`` since its steps shrink like ``1 / sqrt(t)``);
* newton: ``lr = 1`` with a little damping, lowered like the first-order rates
  until it does not diverge from the start.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lossviz.curvature import stability_limit
from lossviz.engine import descend
from lossviz.optimizers.base import Optimizer, optimizer
from lossviz.surfaces.base import Surface

_FIRST_ORDER = {"gd", "momentum", "nesterov"}
_ADAPTIVE_SCALE = {"adam": 1e-2, "rmsprop": 1e-3, "adagrad": 5e-2}


def curvature(surface: Surface) -> float:
    """The curvature that sets the first-order default rates.

    ``lambda_max`` at the global minimum, as in `lossviz.curvature.stability_limit`.
    Where that means nothing (no minimum listed, or a bottom that is not
    curved upwards) the largest absolute eigenvalue at the start, and where that
    is zero or not finite too, one over the bounds' larger side.
    """
    limit = stability_limit(surface)
    if limit is not None:
        return limit.curvature
    with np.errstate(all="ignore"):
        eig = np.abs(np.linalg.eigvalsh(surface.hessian(surface.start))).max()
    if not np.isfinite(eig) or eig <= 0:
        (xmin, xmax), (ymin, ymax) = surface.bounds
        return 1.0 / max(xmax - xmin, ymax - ymin)
    return float(eig)


def round_rate(lr: float) -> float:
    """Round to one significant digit (1, 2 or 5 times a power of ten), as a person would."""
    exponent = np.floor(np.log10(lr))
    mantissa = lr / 10**exponent
    nice = 1.0 if mantissa < 1.5 else 2.0 if mantissa < 3.5 else 5.0 if mantissa < 7.5 else 10.0
    return float(f"{nice * 10**exponent:.1g}")  # through text, so 5e-06 stays 5e-06


CHECK_STEPS = 300
"""Steps of the run from the surface's start that a default rate must survive."""

_PIECES = (10, 20, 40, 80, 150)  # CHECK_STEPS in all


def _diverges(surface: Surface, opt: Optimizer, stateless: bool) -> bool:
    """Whether ``opt``'s run of `CHECK_STEPS` steps from the surface's start diverges.

    A ``stateless`` optimizer with a constant rate (newton here) is run in pieces of
    growing length, each from where the last one stopped: it keeps nothing between
    steps, so the pieces are the one run, point for point. Once it comes back to a
    point it has been at, bit for bit (a fixed point, or a cycle of a few points at the
    last digit), it goes round the same points for ever, none of which diverged: the
    check stops there. Newton's method gets there within 5 to 110 steps on the built-in
    surfaces where it converges (not where it crawls across a plateau or towards a flat
    stationary point: plateau_ridge, monkey_saddle), so its check costs a fraction of
    the whole run.
    """
    if not stateless:
        return bool(descend(surface, opt, steps=CHECK_STEPS).diverged[0])
    start = surface.start
    for steps in _PIECES:
        run = descend(surface, opt, start=start, steps=steps)
        if run.diverged[0]:
            return True
        path = run.path[0]  # (steps + 1, 2), finite
        start = path[-1]
        if (path[:-1].view(np.int64) == start.view(np.int64)).all(axis=1).any():
            return False  # back at an earlier point: it goes round for ever
    return False


def default_hyperparameters(surface: Surface, name: str) -> dict[str, Any]:
    """Hyperparameters for optimizer ``name`` on ``surface`` (a dict for `lossviz.optimizer`).

    Examples
    --------
    >>> import lossviz
    >>> default_hyperparameters(lossviz.surface("quadratic", condition=10.0), "gd")
    {'lr': 0.1}
    """
    (xmin, xmax), (ymin, ymax) = surface.bounds
    diagonal = float(np.hypot(xmax - xmin, ymax - ymin))
    if name in _FIRST_ORDER or name == "newton":
        if name == "newton":
            hyper: dict[str, Any] = {"damping": 1e-3}
            lr = 1.0
        else:
            hyper = {} if name == "gd" else {"beta": 0.9}
            lr = round_rate(1.0 / curvature(surface))
        for _ in range(20):
            if not _diverges(surface, optimizer(name, lr=lr, **hyper), name == "newton"):
                break
            lr = round_rate(lr / 2.5)
        return {"lr": lr, **hyper}
    if name in _ADAPTIVE_SCALE:
        hyper = {"lr": round_rate(_ADAPTIVE_SCALE[name] * diagonal)}
        if name == "adam":
            hyper |= {"beta1": 0.9, "beta2": 0.999}
        if name == "rmsprop":
            hyper["alpha"] = 0.99
        return hyper
    return {}
