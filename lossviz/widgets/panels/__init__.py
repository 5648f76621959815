"""The Explorer's panels: each owns an axes and its artists (see `lossviz.widgets.panels.base`).

A new instrument is a new panel (or a layer on the map) and one line in
`default_panels`; the Explorer class does not change.
"""

from lossviz.widgets.panels.base import Frame, Layer, Panel
from lossviz.widgets.panels.cloud import CloudLayer, LossCloudLayer
from lossviz.widgets.panels.landscape import LandscapePanel
from lossviz.widgets.panels.loss import LossPanel
from lossviz.widgets.panels.map import MapPanel, PathsLayer
from lossviz.widgets.panels.model_fit import ModelFitPanel
from lossviz.widgets.panels.outcomes import BasinLayer, StabilityPanel
from lossviz.widgets.panels.schedule import SchedulePanel
from lossviz.widgets.panels.step import StepLayer, StepLineLayer


def default_panels() -> list[Panel]:
    """The Explorer's panels, in drawing order: the map with its paths and the step looked
    inside, the loss (with that step marked), the schedule preview and, on model surfaces,
    the data and fitted models."""
    return [
        MapPanel(layers=[BasinLayer(), CloudLayer(), PathsLayer(), StepLayer()]),
        LossPanel(layers=[LossCloudLayer(), StepLineLayer()]),
        SchedulePanel(),
        ModelFitPanel(),
        StabilityPanel(),
        LandscapePanel(),
    ]


__all__ = [
    "BasinLayer",
    "CloudLayer",
    "Frame",
    "LandscapePanel",
    "Layer",
    "LossCloudLayer",
    "LossPanel",
    "MapPanel",
    "ModelFitPanel",
    "Panel",
    "PathsLayer",
    "SchedulePanel",
    "StabilityPanel",
    "StepLayer",
    "StepLineLayer",
    "default_panels",
]
