"""Real networks seen in slices: an MLP in autograd, seeded data, training, planes and lines.

Compute only (numpy and autograd). The drawings are in `lossviz.views.slices`.

Examples
--------
>>> import lossviz
>>> from lossviz.networks import MLP, loss_function, random_directions, slice_surface, train
>>> from lossviz.networks import two_moons
>>> data, net = two_moons(n=60), MLP((2, 8, 1))
>>> run = train(net, data, lossviz.optimizer("adam", lr=0.05), steps=100)
>>> loss = loss_function(net, data.X_train, data.y_train, data.task)
>>> d1, d2 = random_directions(net, run.trajectory[-1])
>>> slice_surface(loss, run.trajectory[-1], d1, d2).grid(5).shape
(5, 5, 2)
"""

from lossviz.networks.data import Dataset, noisy_curve, spirals, two_moons
from lossviz.networks.losses import (
    NetworkLoss,
    accuracy,
    binary_cross_entropy,
    loss_function,
    mean_squared_error,
)
from lossviz.networks.mlp import MLP
from lossviz.networks.slices import (
    interpolate,
    pca_directions,
    plane_values,
    project,
    random_directions,
    slice_surface,
)
from lossviz.networks.train import Training, train

__all__ = [
    "MLP",
    "Dataset",
    "NetworkLoss",
    "Training",
    "accuracy",
    "binary_cross_entropy",
    "interpolate",
    "loss_function",
    "mean_squared_error",
    "noisy_curve",
    "pca_directions",
    "plane_values",
    "project",
    "random_directions",
    "slice_surface",
    "spirals",
    "train",
    "two_moons",
]
