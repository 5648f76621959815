"""The table under the figure: each optimizer's rate in use, final loss, distance to the
nearest minimum and status, and the stability note. A pure function of a frame."""

from __future__ import annotations

import html

import numpy as np

from lossviz.curvature import StabilityLimit
from lossviz.views import DIVERGED_COLOR
from lossviz.widgets.panels.base import Frame
from lossviz.widgets.state import is_model

_HEAD = "<th style='text-align:left;padding-right:14px'>{}</th>"


def status_text(frame: Frame, i: int, distance: float, converged: int) -> str:
    """One run's status: diverged, converged in n steps, near a minimum, or not converged."""
    run = frame.run
    if run.diverged[i]:
        return (
            f'<b style="color:{DIVERGED_COLOR}">⚠ diverged at step {run.diverged_step[i]}</b>'
        )
    if converged >= 0:
        return f"converged in {converged} steps"
    (xmin, xmax), (ymin, ymax) = frame.surface.bounds
    if distance < 0.05 * float(np.hypot(xmax - xmin, ymax - ymin)):
        # Noise or a large rate keeps it moving, but it stays close to a minimum.
        return "near a minimum, still moving"
    return "not converged"


def stability_note(limit: StabilityLimit | None) -> str:
    """One line: the largest stable gradient-descent rate near the best known minimum."""
    if limit is None:
        return ""
    where = ", ".join(f"{v:.3g}" for v in limit.point)
    return (
        '<div style="font-size:12px;color:#444;margin-top:4px">Near the minimum at '
        f"({where}) the steepest curvature is λ<sub>max</sub> = {limit.curvature:.4g}: "
        "gradient descent with a constant rate is stable there for lr &lt; "
        f"2/λ<sub>max</sub> = {limit.rate:.4g}.</div>"
    )


def readout_html(frame: Frame, rates: dict[str, float | None], limit: StabilityLimit | None):
    """The readout for ``frame``: ``rates`` are the peak learning rates in use by label."""
    run = frame.run
    _, distance = run.surface.nearest_minimum(run.final)
    converged = run.convergence_step()
    model = is_model(run.surface)
    if model:
        with np.errstate(all="ignore"):
            heldout = run.surface.heldout_loss(np.nan_to_num(run.final))
    schedule = "" if frame.state.schedule == "constant" else " (peak)"
    rows = []
    for i, label in enumerate(run.names):
        lr = rates.get(label)
        cells = [
            f'<span style="color:{frame.colors[i]};font-size:1.3em">■</span> '
            f"{html.escape(label)}",
            "" if lr is None else f"{lr:.3g}",
        ]
        if run.diverged[i]:
            cells += ["—"] * (3 if model else 2)
        else:
            cells.append(f"{run.final_loss[i]:.4g}")
            if model:
                cells.append(f"{heldout[i]:.4g}")
            cells.append(f"{distance[i]:.3g}" if np.isfinite(distance[i]) else "—")
        cells.append(status_text(frame, i, distance[i], converged[i]))
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    heads = ["optimizer", f"learning rate{schedule}", "final loss"]
    heads += ["held-out loss"] if model else []
    heads += ["distance to nearest minimum"]
    return (
        "<style>.lossviz-readout td {padding-right: 14px}</style>"
        '<table class="lossviz-readout" style="border-collapse:collapse;font-size:13px">'
        "<thead><tr>"
        + "".join(_HEAD.format(h) for h in heads)
        + "<th style='text-align:left'>status</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
        + stability_note(limit)
    )
