"""Gaussian wells of different depths on a gentle bowl: local versus global minima."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import autograd.numpy as anp
import numpy as np

from lossviz._checks import check_number
from lossviz.surfaces._minima import find_minima
from lossviz.surfaces.base import FEW_POINTS, Surface, hessian_from_entries, register

_BOUNDS = ((-3.0, 3.0), (-3.0, 3.0))
# Well i sits at _CENTRES[i]; the order is chosen so any first few wells make a good picture.
_CENTRES = ((1.5, -1.2), (-1.3, 1.2), (-1.6, -1.5), (1.4, 1.6), (0.0, -0.1))
_BOWL = 0.05


@register("multi_well")
def multi_well(depths: Sequence[float] = (1.0, 0.6, 0.8), width: float = 0.6) -> Surface:
    """Gaussian wells of the given depths on a gentle bowl.

    ::

        L(p)   = 0.05 |p|^2 - sum_i depth_i exp(-|p - c_i|^2 / (2 width^2))
        grad L = 0.1 p + sum_i (depth_i / width^2) exp(-|p - c_i|^2 / (2 width^2)) (p - c_i)
        hess L = 0.1 I + sum_i (depth_i / width^2) exp(-|p - c_i|^2 / (2 width^2))
                         (I - (p - c_i) (p - c_i)^T / width^2)

    Well ``i`` is centred at the ``i``-th of ``(1.5, -1.2)``, ``(-1.3, 1.2)``,
    ``(-1.6, -1.5)``, ``(1.4, 1.6)``, ``(0, -0.1)``. Each well makes a minimum
    (wide wells can merge, and narrow ones can leave a shallow dip of the bowl
    between them); all minima are found and polished at build time, the
    deepest first.

    Parameters
    ----------
    depths
        Depth of each well, 1 to 5 numbers, each in (0, 5]. The default makes the
        well nearest the start shallow and the global minimum lie elsewhere.
    width
        Standard deviation of every well; in [0.2, 1.5].

    Returns
    -------
    Surface
        Bounds ``(-3, 3) x (-3, 3)``, start ``(-0.6, 2.6)``, every minimum.

    Examples
    --------
    >>> s = multi_well()
    >>> len(s.minima), s.minima[0].round(2).tolist()
    (3, [1.45, -1.16])
    """
    try:
        one_dimensional = not isinstance(depths, (str, bytes)) and np.ndim(depths) == 1
    except ValueError:  # ragged nested sequences
        one_dimensional = False
    if not one_dimensional:
        raise ValueError(
            f"depths must be a sequence of 1 to {len(_CENTRES)} numbers; got {depths!r}"
        )
    if not 1 <= len(depths) <= len(_CENTRES):
        raise ValueError(
            f"depths must hold 1 to {len(_CENTRES)} numbers (one per well); got {len(depths)}"
        )
    depths = tuple(
        check_number(d, f"depths[{i}]", low=0.0, high=5.0, low_open=True)
        for i, d in enumerate(depths)
    )
    width = check_number(width, "width", low=0.2, high=1.5)
    return Surface(
        "multi_well",
        _loss_for(depths, width),
        _BOUNDS,
        minima=_minima(depths, width).copy(),
        start=(-0.6, 2.6),
        gradient=_gradient_for(depths, width),
        hessian=_hessian_for(depths, width),
        params={"depths": depths, "width": width},
        finite_in_reach=True,
        description=(
            "Wells of different depths: gradient descent settles in the nearest one, "
            "which need not be the deepest."
        ),
    )


def _loss_for(depths: tuple[float, ...], width: float):
    scale = -0.5 / width**2

    def loss(x, y):
        total = _BOWL * (x * x + y * y)
        for depth, (cx, cy) in zip(depths, _CENTRES, strict=False):
            total = total - depth * anp.exp(scale * ((x - cx) ** 2 + (y - cy) ** 2))
        return total

    return loss


def _exponent(x, y, cx, cy, scale):
    """``scale |p - c|^2`` for a well at ``c = (cx, cy)``, on floats or arrays alike (the
    gradient's and Hessian's forms all take it in this order: the same bits)."""
    dx, dy = x - cx, y - cy
    return (dx * dx + dy * dy) * scale


_ON_FLOATS = 6
"""`_gradient_for` computes on Python floats up to this many points: each well adds about
a microsecond a point on floats, so past a few points the arrays cost less."""
_MANY = 256
"""`_gradient_for` takes the wells one at a time from this many points on (on fewer, each
numpy call costs more than its arithmetic, and the all-at-once form makes fewer calls)."""


def _gradient_for(depths: tuple[float, ...], width: float):
    centres = np.array(_CENTRES[: len(depths)])  # (k, 2)
    weights = np.array(depths) / width**2  # (k,)
    wells = [(cx, cy, w) for (cx, cy), w in zip(centres.tolist(), weights.tolist(), strict=True)]
    scale = -0.5 / width**2

    def on_floats(p: np.ndarray) -> np.ndarray:
        # The same operations as on arrays below, on each point's Python floats, with
        # every exponential of the batch taken in one numpy call (numpy's exp, not math's:
        # the two may differ in the last bit).
        points = p.reshape(-1, 2).tolist()
        exponents = []
        for x, y in points:
            for cx, cy, _ in wells:
                exponents.append(_exponent(x, y, cx, cy, scale))
        pulls = iter(np.exp(exponents).tolist())
        rows = []
        for x, y in points:
            gx, gy = 2.0 * _BOWL * x, 2.0 * _BOWL * y
            for cx, cy, weight in wells:
                pull = next(pulls) * weight
                gx += (x - cx) * pull
                gy += (y - cy) * pull
            rows.append((gx, gy))
        return np.array(rows, dtype=np.float64).reshape(p.shape)

    def gradient(p: np.ndarray) -> np.ndarray:
        """``0.1 p + sum_i pull_i (p - c_i)``, shape (..., 2).

        ``pull_i = (depth_i / width^2) exp(-|p - c_i|^2 / (2 width^2))``. On up to
        `_ON_FLOATS` points, on Python floats; on fewer than `_MANY`, all wells at once;
        on more, one well at a time on whole coordinate arrays, where (..., k, 2) arrays
        would run numpy's loops along axes of length 2 and k (7.4 against 1.7 ms at
        40,000 points). All three take the same operations in the same order (the wells'
        terms added one by one to ``0.1 p``), so a point gets the same bits in any batch.
        """
        if 0 < p.size <= 2 * _ON_FLOATS:
            return on_floats(p)
        if p.size < 2 * _MANY:
            offsets = p[..., None, :] - centres  # (..., k, 2): p - c_i
            squares = offsets * offsets
            pulls = np.exp((squares[..., 0] + squares[..., 1]) * scale) * weights  # (..., k)
            terms = offsets * pulls[..., None]  # (..., k, 2)
            out = 2.0 * _BOWL * p
            for i in range(len(wells)):
                out += terms[..., i, :]
            return out
        x, y = p[..., 0], p[..., 1]
        out = np.empty(p.shape)
        gx, gy = out[..., 0], out[..., 1]
        np.multiply(x, 2.0 * _BOWL, out=gx)
        np.multiply(y, 2.0 * _BOWL, out=gy)
        for cx, cy, weight in wells:
            dx, dy = x - cx, y - cy
            pull = dx * dx
            pull += dy * dy
            pull *= scale
            np.exp(pull, out=pull)
            pull *= weight
            dx *= pull
            dy *= pull
            gx += dx
            gy += dy
        return out

    return gradient


def _hessian_for(depths: tuple[float, ...], width: float):
    weights = np.array(depths) / width**2  # (k,)
    wells = [(cx, cy, w) for (cx, cy), w in zip(_CENTRES, weights.tolist(), strict=False)]
    scale, width2 = -0.5 / width**2, width * width

    def entries(x, y, exps):
        # The wells' terms added one by one, on floats or arrays alike; ``exps`` yields
        # exp(-|p - c_i|^2 / (2 width^2)) for each well in turn.
        xx = yy = 2.0 * _BOWL
        xy = 0.0
        for cx, cy, weight in wells:
            dx, dy = x - cx, y - cy
            pull = next(exps) * weight
            bend = pull / width2
            xx = xx + (pull - bend * dx * dx)
            xy = xy - bend * dx * dy
            yy = yy + (pull - bend * dy * dy)
        return xx, xy, yy

    def hessian(p: np.ndarray) -> np.ndarray:
        """``0.1 I + sum_i pull_i (I - (p - c_i) (p - c_i)^T / width^2)``, shape (..., 2, 2).

        ``pull_i = (depth_i / width^2) exp(-|p - c_i|^2 / (2 width^2))``, the weight of
        well ``i`` in the gradient; its own gradient is ``-pull_i (p - c_i) / width^2``.
        On up to `FEW_POINTS` points on Python floats (every exponential of the batch taken
        in one numpy call), else on whole arrays: the same operations, the same bits.
        """
        if 0 < p.size <= 2 * FEW_POINTS:
            points = p.reshape(-1, 2).tolist()
            exponents = [_exponent(x, y, cx, cy, scale) for x, y in points for cx, cy, _ in wells]
            exps = iter(np.exp(exponents).tolist())
            rows = [entries(x, y, exps) for x, y in points]
            xx, xy, yy = np.array(rows, dtype=np.float64).T.reshape(3, *p.shape[:-1])
            return hessian_from_entries(p, xx, xy, yy)
        x, y = p[..., 0], p[..., 1]
        exps = (np.exp(_exponent(x, y, cx, cy, scale)) for cx, cy, _ in wells)
        return hessian_from_entries(p, *entries(x, y, exps))

    return hessian


@cache
def _minima(depths: tuple[float, ...], width: float) -> np.ndarray:
    centres = np.array(_CENTRES[: len(depths)])
    return find_minima(
        _loss_for(depths, width),
        _BOUNDS,
        centres,
        gradient=_gradient_for(depths, width),
        hessian=_hessian_for(depths, width),
    )
