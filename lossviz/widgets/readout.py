"""The table under the figure: each optimizer's rate in use, final loss, distance to the
nearest minimum and status, and the stability note; while a step is looked inside, a
second table of what each optimizer saw and did at that step. Pure functions of a frame."""

from __future__ import annotations

import html

import numpy as np

from lossviz.curvature import StabilityLimit, local_quadratic
from lossviz.views import DIVERGED_COLOR
from lossviz.widgets.panels.base import Frame
from lossviz.widgets.panels.outcomes import outcome_label, stability_shown
from lossviz.widgets.panels.step import curvature_run, inspecting
from lossviz.widgets.state import is_model

_HEAD = "<th style='text-align:left;padding-right:14px'>{}</th>"


def status_text(frame: Frame, i: int, distance: float, converged: int) -> str:
    """One run's status: diverged, converged in n steps, near a minimum, or not converged."""
    run = frame.run
    if run.diverged[i]:
        return f'<b style="color:{DIVERGED_COLOR}">⚠ diverged at step {run.diverged_step[i]}</b>'
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
            f'<span style="color:{frame.colors[i]};font-size:1.3em">■</span> {html.escape(label)}',
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
        + (step_table_html(frame) if inspecting(frame) else "")
        + outcomes_note(frame)
    )


def outcomes_note(frame: Frame) -> str:
    """How to read the maps of outcomes on show (their colours are keyed here, not on the
    small panels)."""
    notes = []
    steps = frame.state.steps
    label = html.escape(outcome_label(frame.state))
    if frame.state.basins and "basins" in frame.shown:
        if frame.outcomes.get("basins") is None:
            notes.append(f"<b>Basins</b> of {label}: computing…")
        else:
            notes.append(
                f"<b>Basins</b> of {label}: each start of the map is coloured by the minimum "
                f"(★) its run reaches in {steps} steps; vermillion: diverged; grey: no "
                "known minimum reached."
            )
    if stability_shown(frame):
        notes.append(
            f"<b>Stability map</b> of {label} from the start: colour = steps to converge "
            f"(yellow fast, purple slow); grey: not within {steps} steps; hatched "
            "vermillion: diverged; dashed line (on a quadratic): the border the formula "
            "predicts; ring: the pair in use. Click a cell to use its pair."
        )
    if frame.cloud:
        n = len(frame.cloud) + 1
        notes.append(
            f"<b>Noise</b>: {n} runs of each optimizer with seeds {frame.state.seed} to "
            f"{frame.state.seed + n - 1}; the table is the first's, the thin paths are the "
            f"others, and the dashed loss curves are the mean over all {n}."
        )
    if not notes:
        return ""
    return '<div style="font-size:12px;color:#444;margin-top:4px">' + "<br>".join(notes) + "</div>"


def _norm(v: np.ndarray) -> str:
    value = float(np.linalg.norm(v))
    return "—" if not np.isfinite(value) else f"{value:.3g}"


def _pair(v: np.ndarray) -> str:
    return "—" if not np.isfinite(v).all() else f"{v[0]:.3g}, {v[1]:.3g}"


def step_table_html(frame: Frame) -> str:
    """What each optimizer saw and did at the frame's step: loss, gradient norm, scheduled
    rate, velocity norm and the per-coordinate step size (see `lossviz.Run`), and the
    local curvature when it is drawn."""
    run, state = frame.run, frame.state
    step = min(state.step, run.steps)
    at = min(step, run.steps - 1)  # the step taken from the point shown
    after_last = step >= run.steps
    heads = ["optimizer", "loss", "|gradient|", "learning rate", "|velocity|",
             "step size (x, y)"]  # fmt: skip
    rows = []
    for i, label in enumerate(run.names):
        cells = [
            f'<span style="color:{frame.colors[i]};font-size:1.3em">●</span> {html.escape(label)}',
            "—" if not np.isfinite(run.loss[i, step]) else f"{run.loss[i, step]:.4g}",
        ]
        if run.grad is None or after_last:
            cells += ["—"] * 4
        else:
            lr = run.lr[i, at]
            cells += [
                _norm(run.grad[i, at]),
                "—" if not np.isfinite(lr) else f"{lr:.3g}",
                _norm(run.velocity[i, at]),
                _pair(run.effective_lr[i, at]),
            ]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    where = f"at step {step} of {run.steps}" + (" (the end: no step taken from here)"
                                                  if after_last else "")  # fmt: skip
    curvature = ""
    if state.curvature:
        i = curvature_run(frame)
        point = run.path[i, step]
        if np.isfinite(point).all():
            model = local_quadratic(frame.surface, point)
            low, high = model.eigenvalues
            shape = (
                "curves up in every direction"
                if low > 0
                else "curves down along one direction: a saddle"
                if high > 0
                else "curves down in every direction: a hilltop"
            )
            rate = (
                f"; gradient descent is stable in this bowl for lr &lt; 2/λ<sub>max</sub> = "
                f"{model.stable_rate:.3g}"
                if np.isfinite(model.stable_rate) and low > 0
                else ""
            )
            curvature = (
                '<div style="font-size:12px;color:#444;margin-top:4px">'
                f"Curvature at {html.escape(run.names[i])}'s point: λ = {low:.3g}, "
                f"{high:.3g}, so the surface {shape}{rate}.</div>"
            )
    return (
        f'<div style="font-size:13px;margin-top:8px"><b>{where}</b></div>'
        '<table class="lossviz-readout" style="border-collapse:collapse;font-size:13px">'
        "<thead><tr>"
        + "".join(_HEAD.format(h) for h in heads)
        + "</tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
        + curvature
    )
