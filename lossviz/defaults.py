"""Sensible per-surface hyperparameters, so every optimizer starts out well-behaved.

Gradient descent and Adam need learning rates orders of magnitude apart, and
which rate is right depends on the surface's curvature and size. These
defaults are derived from the surface itself:

* first-order methods (gd, momentum, nesterov): ``lr = 0.5 / lambda`` with
  ``lambda`` the largest absolute Hessian eigenvalue at the start and at the
  global minimum (gradient descent is stable below ``2 / lambda``);
* adaptive methods, whose step length is about ``lr`` per coordinate: a small
  fraction of the bounds' diagonal ``D`` (adam ``D / 100``, rmsprop ``D / 1000``
  since its first steps are ``1 / sqrt(1 - alpha)`` = 10 times larger, adagrad
  ``D / 20`` since its steps shrink like ``1 / sqrt(t)``);
* newton: ``lr = 1`` with a little damping.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lossviz.surfaces.base import Surface

_FIRST_ORDER = {"gd", "momentum", "nesterov"}
_ADAPTIVE_SCALE = {"adam": 1e-2, "rmsprop": 1e-3, "adagrad": 5e-2}


def curvature(surface: Surface) -> float:
    """Largest absolute Hessian eigenvalue at the start and the global minimum."""
    points = [surface.start]
    if len(surface.minima):
        points.append(surface.minima[0])
    with np.errstate(all="ignore"):
        h = surface.hessian(np.array(points))
        eig = np.abs(np.linalg.eigvalsh(h)).max()
    if not np.isfinite(eig) or eig <= 0:
        (xmin, xmax), (ymin, ymax) = surface.bounds
        return 1.0 / max(xmax - xmin, ymax - ymin)
    return float(eig)


def round_rate(lr: float) -> float:
    """Round to one significant digit (1, 2 or 5 times a power of ten), as a person would."""
    exponent = np.floor(np.log10(lr))
    mantissa = lr / 10**exponent
    nice = 1.0 if mantissa < 1.5 else 2.0 if mantissa < 3.5 else 5.0 if mantissa < 7.5 else 10.0
    return float(nice * 10**exponent)


def default_hyperparameters(surface: Surface, name: str) -> dict[str, Any]:
    """Hyperparameters for optimizer ``name`` on ``surface`` (a dict for `lossviz.optimizer`).

    Examples
    --------
    >>> import lossviz
    >>> default_hyperparameters(lossviz.surface("quadratic", condition=10.0), "gd")
    {'lr': 0.05}
    """
    (xmin, xmax), (ymin, ymax) = surface.bounds
    diagonal = float(np.hypot(xmax - xmin, ymax - ymin))
    if name in _FIRST_ORDER:
        hyper: dict[str, Any] = {"lr": round_rate(0.5 / curvature(surface))}
        if name != "gd":
            hyper["beta"] = 0.9
        return hyper
    if name in _ADAPTIVE_SCALE:
        hyper = {"lr": round_rate(_ADAPTIVE_SCALE[name] * diagonal)}
        if name == "adam":
            hyper |= {"beta1": 0.9, "beta2": 0.999}
        if name == "rmsprop":
            hyper["alpha"] = 0.99
        return hyper
    if name == "newton":
        return {"lr": 1.0, "damping": 1e-3}
    return {}
