"""The network explorer's state and what it computes: pure values and functions.

No ipywidgets and no matplotlib here (`lossviz.widgets.network_explorer` draws).
One immutable `NetworkState` holds every setting; `apply_changes` checks and
applies new values; three pure stages turn a state into what is drawn, each
depending only on some of the fields, so a change recomputes only what it must:

1. `train_network` (fields in `TRAINING_FIELDS`): the network, its data and
   its training path;
2. `choose_plane` (also `PLANE_FIELDS`): the plane through the trained
   weights, and the path projected on it;
3. `slice_grids` (also `GRID_FIELDS`): training and held-out loss over a
   grid of that plane, on one set of contour levels; and `line_losses`, the
   1-D line from the first weights to the trained ones.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from lossviz._checks import check_integer, check_number
from lossviz.networks import (
    MLP,
    Dataset,
    Training,
    interpolate,
    loss_function,
    noisy_curve,
    pca_directions,
    project,
    random_directions,
    slice_surface,
    spirals,
    train,
    two_moons,
)
from lossviz.networks.mlp import ACTIVATIONS
from lossviz.optimizers import optimizer as build_optimizer
from lossviz.optimizers.base import Optimizer, optimizer_names
from lossviz.surfaces.base import Surface
from lossviz.views.contour import contour_levels

Progress = Callable[[int, int], None]
"""``progress(done, total)``, as `lossviz.networks.train` calls it."""

DATASETS: dict[str, Callable[..., Dataset]] = {
    "two_moons": two_moons,
    "spirals": spirals,
    "noisy_curve": noisy_curve,
}
"""The data sets on offer, by name; each is generated with the state's seed."""

PLANES: dict[str, str] = {
    "pca": "PCA of the training path",
    "filter": "random, filter-normalised",
    "raw": "random, not normalised",
}
"""The planes on offer, by name, with the words the widget shows."""

WIDTHS = (1, 2, 3, 4, 8, 16, 32, 64)
"""Hidden-layer widths on offer: 1-3 to see underfitting, 32-64 to overfit."""

BATCH_SIZES = (None, 64, 16, 4)
"""Mini-batch sizes on offer (None: the whole training split)."""

MAX_STEPS = 5000
MAX_RESOLUTION = 81
DIVERGED_FACTOR = 1e3
"""Training counts as diverged once its loss is this many times its first loss."""
LINE_ALPHAS = np.linspace(-0.25, 1.25, 61)
"""Where the 1-D line is evaluated: 0 is the first weights, 1 the trained ones."""


@dataclass(frozen=True)
class NetworkState:
    """Every setting of the network explorer, as values.

    Attributes
    ----------
    data
        A key of `DATASETS`.
    width, depth
        Units per hidden layer and number of hidden layers: the network is
        ``MLP((d_in, width, ..., width, 1))``.
    activation
        ``"tanh"`` or ``"relu"``.
    optimizer, lr
        A registered first-order optimizer and its learning rate.
    steps, batch_size
        Updates, and the mini-batch size (None: the whole training split).
    seed
        Seed of the data, the first weights and the mini-batches.
    plane
        A key of `PLANES`: the plane the landscape is seen in.
    span
        How far the plane's grid reaches: ``span`` steps of a random direction
        (a step of 1 moves every block by its own norm), or ``span`` times the
        extent of the training path on the PCA plane.
    resolution
        Grid points per side of the slice.
    direction_seed
        Seed of the random directions.
    """

    data: str = "two_moons"
    width: int = 16
    depth: int = 2
    activation: str = "tanh"
    optimizer: str = "adam"
    lr: float = 0.01
    steps: int = 1000
    batch_size: int | None = None
    seed: int = 0
    plane: str = "pca"
    span: float = 1.0
    resolution: int = 41
    direction_seed: int = 0


TRAINING_FIELDS = frozenset(
    {"data", "width", "depth", "activation", "optimizer", "lr", "steps", "batch_size", "seed"}
)
PLANE_FIELDS = frozenset({"plane", "direction_seed"})
GRID_FIELDS = frozenset({"span", "resolution"})


def first_order_optimizers() -> list[str]:
    """Registered optimizers that need only the gradient (training has no Hessian)."""
    return [n for n in optimizer_names() if not build_optimizer(n).needs_hessian]


def _choice(value: Any, name: str, allowed) -> Any:
    if value not in allowed:
        shown = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{name} must be one of {shown}; got {value!r}")
    return value


def check_value(name: str, value: Any) -> Any:
    """``value`` checked for the field ``name``, or a ValueError saying what is allowed."""
    if name == "data":
        return _choice(value, "data", tuple(DATASETS))
    if name == "width":
        return check_integer(value, "width", low=1, high=256)
    if name == "depth":
        return check_integer(value, "depth", low=1, high=4)
    if name == "activation":
        return _choice(value, "activation", tuple(sorted(ACTIVATIONS)))
    if name == "optimizer":
        return _choice(value, "optimizer", tuple(first_order_optimizers()))
    if name == "lr":
        return check_number(value, "lr", low=0, low_open=True, high=10)
    if name == "steps":
        return check_integer(value, "steps", low=1, high=MAX_STEPS)
    if name == "batch_size":
        return None if value is None else check_integer(value, "batch_size", low=1)
    if name in ("seed", "direction_seed"):
        return check_integer(value, name, low=0)
    if name == "plane":
        return _choice(value, "plane", tuple(PLANES))
    if name == "span":
        return check_number(value, "span", low=0, low_open=True, high=20)
    if name == "resolution":
        return check_integer(value, "resolution", low=5, high=MAX_RESOLUTION)
    known = ", ".join(f.name for f in fields(NetworkState))
    raise ValueError(f"unknown setting {name!r}; the network explorer has {known}")


def apply_changes(state: NetworkState, values: Mapping[str, Any]) -> NetworkState:
    """``state`` with ``values`` set; a ValueError (and nothing changed) for any bad one."""
    return replace(state, **{name: check_value(name, v) for name, v in values.items()})


def changed(old: NetworkState | None, new: NetworkState) -> frozenset[str]:
    """Names of the fields that differ (all of them when ``old`` is None)."""
    names = [f.name for f in fields(NetworkState)]
    if old is None:
        return frozenset(names)
    return frozenset(n for n in names if getattr(old, n) != getattr(new, n))


def training_key(state: NetworkState) -> tuple:
    return tuple(getattr(state, n) for n in sorted(TRAINING_FIELDS))


def plane_key(state: NetworkState) -> tuple:
    return (*training_key(state), state.plane, state.direction_seed)


def grid_key(state: NetworkState) -> tuple:
    return (*plane_key(state), state.span, state.resolution)


# -- 1. training -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Trained:
    """A trained network: the network, its data, its `Training` and its two loss functions.

    ``train_loss`` and ``test_loss`` map parameter vectors (..., n) to losses (...).
    """

    net: MLP
    data: Dataset
    optimizer: Optimizer
    training: Training
    train_loss: Callable[[Any], Any]
    test_loss: Callable[[Any], Any]

    @property
    def diverged_step(self) -> int | None:
        """The first step whose weights are not finite or whose training loss is more
        than `DIVERGED_FACTOR` times the first one, or None: training diverged there."""
        t = self.training
        with np.errstate(all="ignore"):
            bad = ~(
                np.isfinite(t.trajectory).all(axis=1)
                & np.isfinite(t.train_loss)
                & (t.train_loss <= DIVERGED_FACTOR * abs(t.train_loss[0]))
            )
        return int(np.argmax(bad)) if bad.any() else None

    @property
    def path(self) -> np.ndarray:
        """The training path up to its last finite weights, shape (k, n): the whole
        trajectory unless training diverged."""
        step = self.diverged_step
        trajectory = self.training.trajectory
        return trajectory if step is None else trajectory[: max(step, 1)]


def build_network(state: NetworkState) -> tuple[MLP, Dataset]:
    """The state's data set and untrained network."""
    data = DATASETS[state.data](seed=state.seed)
    sizes = (data.X_train.shape[1], *([state.width] * state.depth), 1)
    return MLP(sizes, activation=state.activation, seed=state.seed), data


def train_network(state: NetworkState, progress: Progress | None = None) -> Trained:
    """Train the state's network on its data (`lossviz.networks.train`)."""
    net, data = build_network(state)
    chosen = build_optimizer(state.optimizer, lr=state.lr)
    training = train(
        net, data, chosen, state.steps, batch_size=state.batch_size, seed=state.seed,
        progress=progress,
    )  # fmt: skip
    return Trained(
        net,
        data,
        chosen,
        training,
        loss_function(net, data.X_train, data.y_train, data.task),
        loss_function(net, data.X_test, data.y_test, data.task),
    )


# -- 2. the plane ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Plane:
    """A plane ``center + a d1 + b d2`` through the trained weights, and the path on it.

    Attributes
    ----------
    kind
        A key of `PLANES`.
    center
        The trained weights ``theta_T``, shape (n,).
    directions
        ``d1, d2``, shape (2, n).
    path
        The training path's coordinates ``(a, b)`` in the plane (least squares),
        shape (steps + 1, 2).
    in_plane
        The share of the path's movement the plane holds:
        ``1 - sum_t |r_t|^2 / sum_t |theta_t - theta_T|^2`` with ``r_t`` the part of
        ``theta_t - theta_T`` off the plane. Near 1 on the PCA plane, near 0 on a random one.
    explained
        On the PCA plane, the share of the path's variance each direction explains (2,);
        None on random planes.
    cosine
        ``d1 . d2 / (|d1| |d2|)``: random directions in many dimensions are nearly orthogonal.
    bounds
        The grid's ``((a_min, a_max), (b_min, b_max))``.
    """

    kind: str
    center: np.ndarray
    directions: np.ndarray
    path: np.ndarray
    in_plane: float
    explained: np.ndarray | None
    cosine: float
    bounds: tuple[tuple[float, float], tuple[float, float]]


def plane_directions(state: NetworkState, trained: Trained) -> tuple[np.ndarray, Any]:
    """The two directions of the state's plane (2, n), and the PCA shares (or None).

    ``"filter"``: `random_directions` filter-normalised (Li et al. 2018). ``"raw"``:
    the same Gaussian draws scaled as a whole to the norm of ``theta_T``, so both
    random planes move the weights equally far overall and differ only in how the
    move is shared between layers and units. ``"pca"``: `pca_directions` of the path.
    """
    trajectory = trained.path
    end = trajectory[-1]
    if state.plane == "pca":
        return pca_directions(trajectory)
    if state.plane == "filter":
        return random_directions(trained.net, end, seed=state.direction_seed), None
    raw = random_directions(trained.net, end, seed=state.direction_seed, normalize=None)
    norm = float(np.linalg.norm(end)) or 1.0
    return raw * (norm / np.linalg.norm(raw, axis=1, keepdims=True)), None


def choose_plane(state: NetworkState, trained: Trained) -> Plane:
    """The state's plane through the trained weights, with the path projected on it.

    The trained weights are the last finite ones (`Trained.path`); a path of one
    point (training diverged at its first step) has no PCA plane, and random
    directions are drawn instead.
    """
    trajectory = trained.path
    if len(trajectory) < 2 and state.plane == "pca":
        state = replace(state, plane="filter")
    center = trajectory[-1]
    directions, explained = plane_directions(state, trained)
    path = project(trajectory, center, directions[0], directions[1])
    moved = trajectory - center
    residual = moved - path @ directions
    total = float(np.sum(moved**2))
    in_plane = 1.0 - float(np.sum(residual**2)) / total if total > 0 else 1.0
    d1, d2 = directions
    cosine = float(d1 @ d2 / (np.linalg.norm(d1) * np.linalg.norm(d2)))
    if state.plane == "pca":
        # The path's extent on each axis (it ends at 0), with a margin, times the span.
        reach = np.maximum(np.abs(path).max(axis=0), 1e-3) * 1.15 * state.span
    else:
        reach = np.array([state.span, state.span])
    bounds = ((-float(reach[0]), float(reach[0])), (-float(reach[1]), float(reach[1])))
    return Plane(state.plane, center, directions, path, in_plane, explained, cosine, bounds)


# -- 3. the slices and the line ----------------------------------------------------------------
@dataclass(frozen=True)
class Slices:
    """Training and held-out loss over the plane's grid, on shared contour levels.

    Attributes
    ----------
    surface, heldout
        The two slices as `lossviz.Surface` objects (`lossviz.networks.slice_surface`).
    grid
        Points ``(a, b)``, shape (resolution, resolution, 2).
    train, test
        Loss at each point, shape (resolution, resolution).
    levels, logarithmic
        One set of contour levels for both (`lossviz.views.contour.contour_levels`
        over both grids): the same loss has the same shade on both maps.
    """

    surface: Surface
    heldout: Surface
    grid: np.ndarray
    train: np.ndarray
    test: np.ndarray
    levels: np.ndarray
    logarithmic: bool


def slice_grids(
    state: NetworkState, trained: Trained, plane: Plane, progress: Progress | None = None
) -> Slices:
    """Both slices over a ``resolution`` x ``resolution`` grid of ``plane``."""
    d1, d2 = plane.directions
    surface = slice_surface(trained.train_loss, plane.center, d1, d2, plane.bounds, "training loss")
    heldout = slice_surface(trained.test_loss, plane.center, d1, d2, plane.bounds, "held-out loss")
    grid = surface.grid(state.resolution)
    rows = grid.shape[0]
    train_values = np.empty(grid.shape[:2])
    test_values = np.empty(grid.shape[:2])
    per_call = max(1, 512 // rows)  # rows per call: batches of ~512 models, progress between
    with np.errstate(all="ignore"):
        for i in range(0, rows, per_call):
            train_values[i : i + per_call] = surface(grid[i : i + per_call])
            test_values[i : i + per_call] = heldout(grid[i : i + per_call])
            if progress is not None:
                progress(min(i + per_call, rows), rows)
    both = np.concatenate([train_values.ravel(), test_values.ravel()])
    levels, logarithmic = contour_levels(both)
    return Slices(surface, heldout, grid, train_values, test_values, levels, logarithmic)


def line_losses(trained: Trained, alphas: np.ndarray = LINE_ALPHAS) -> dict[str, np.ndarray]:
    """Training and held-out loss on the line from the first weights (0) to the trained (1)."""
    trajectory = trained.path
    with np.errstate(all="ignore"):
        return {
            "training": interpolate(trained.train_loss, trajectory[0], trajectory[-1], alphas),
            "held-out": interpolate(trained.test_loss, trajectory[0], trajectory[-1], alphas),
        }
