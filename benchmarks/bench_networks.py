"""Networks seen in slices: 51 x 51 slices (the issue's ~1,000-parameter network, lesson 8's
network, the network explorer's default), each beside the old evaluation, and training.

Run: ``.venv/bin/python benchmarks/bench_networks.py``. Goals (issue 9, 2 cores): a 51 x 51
slice of a ~1,000-parameter network over 500 points under 2 s; training the default network
to a sensible held-out accuracy under 5 s. A slice is timed as the contour view computes it:
``surface(surface.grid(51))``. The baseline is what ``surface(grid)`` did before
`lossviz.networks.mlp.NetworkOnPlane`: ``loss(theta)`` (autograd.numpy) on batches of 256
parameter vectors. Every row notes the median CPU time of the process as well, and the load
average is printed, as the wall times depend on what else runs on the machine.
"""

from __future__ import annotations

import os
import time

import numpy as np
from _timing import measure, report

import lossviz
from lossviz.networks import (
    MLP,
    loss_function,
    pca_directions,
    project,
    random_directions,
    slice_surface,
    train,
    two_moons,
)
from lossviz.networks.train import evaluate_in_chunks

DEFAULT_NET = (2, 16, 16, 1)
"""The lesson's default network: 2-16-16-1 tanh (337 parameters) on two moons, with Adam."""
RESOLUTION = 51
REPEATS = 7


def with_cpu_time(fn):
    """``fn`` that also appends its process CPU time (all threads) to the returned list."""
    cpu: list[float] = []

    def run():
        start = time.process_time()
        fn()
        cpu.append(time.process_time() - start)

    return run, cpu


def bench(label: str, fn, goal_ms: float | None, repeats: int = REPEATS) -> None:
    run, cpu = with_cpu_time(fn)
    times = measure(run, repeats=repeats, warmup=1)
    report(label, times, goal_ms, note=f"cpu median {np.median(cpu[-repeats:]) * 1e3:.0f} ms")


def bench_slice(label: str, loss, center, d1, d2, bounds) -> float:
    """Time the slice and the old evaluation of the same grid; their largest relative gap."""
    surface = slice_surface(loss, center, d1, d2, bounds)
    grid = surface.grid(RESOLUTION)
    thetas = (center + grid @ np.stack([d1, d2])).reshape(-1, len(center))

    def baseline():
        return evaluate_in_chunks(loss, thetas).reshape(grid.shape[:-1])

    bench(f"slice {RESOLUTION} x {RESOLUTION}, {label}", lambda: surface(grid), goal_ms=2000)
    bench("  baseline: the old batched autograd.numpy evaluation", baseline, goal_ms=None)
    new, old = surface(grid), baseline()
    return float(np.max(np.abs(new - old) / np.abs(old)))


def bench_issue_slice() -> None:
    """The issue's case: 2-30-30-1 (1,051 parameters), 500 points, filter-normalised plane."""
    data = two_moons(n=667, seed=0)  # 500 training points
    net = MLP((2, 30, 30, 1))
    theta = net.init()
    loss = loss_function(net, data.X_train, data.y_train, data.task)
    d1, d2 = random_directions(net, theta)
    label = f"{net.n_params} parameters, {len(data.y_train)} points, random plane"
    gap = bench_slice(label, loss, theta, d1, d2, ((-1.0, 1.0), (-1.0, 1.0)))
    print(f"  largest relative difference, new vs old: {gap:.1e}")


def bench_lesson_slice() -> None:
    """Lesson 8's slice: its 2-16-16-1 on 100 noisy two-moons points, trained 1,000 steps of
    momentum on batches of 20, sliced on a filter-normalised plane through the trained weights."""
    data = two_moons(n=400, noise=0.25, test_fraction=0.75, seed=0)
    net = MLP(DEFAULT_NET)
    momentum = lossviz.optimizer("momentum", lr=0.1, beta=0.9)
    center = train(net, data, momentum, steps=1000, batch_size=20).trajectory[-1]
    d1, d2 = random_directions(net, center, seed=0)
    loss = loss_function(net, data.X_train, data.y_train, data.task)
    label = f"lesson 8 {net.n_params} parameters, {len(data.y_train)} points, random"
    gap = bench_slice(label, loss, center, d1, d2, ((-1.0, 1.0), (-1.0, 1.0)))
    print(f"  largest relative difference, new vs old: {gap:.1e}")


def bench_explorer_slice() -> None:
    """The network explorer's default: 2-16-16-1 trained 1,000 Adam steps on two moons,
    sliced on the PCA plane of its path (bounds: the path's extent times 1.15)."""
    data = two_moons(n=200, seed=0)
    net = MLP(DEFAULT_NET)
    run = train(net, data, lossviz.optimizer("adam", lr=0.01), steps=1000)
    center = run.trajectory[-1]
    (d1, d2), _ = pca_directions(run.trajectory)
    reach = np.maximum(np.abs(project(run.trajectory, center, d1, d2)).max(axis=0), 1e-3) * 1.15
    bounds = ((-reach[0], reach[0]), (-reach[1], reach[1]))
    loss = loss_function(net, data.X_train, data.y_train, data.task)
    label = f"explorer {net.n_params} parameters, {len(data.y_train)} points, PCA"
    gap = bench_slice(label, loss, center, d1, d2, bounds)
    print(f"  largest relative difference, new vs old: {gap:.1e}")


def bench_training() -> None:
    data = two_moons(n=200, seed=0)
    net = MLP(DEFAULT_NET)
    steps = 1000
    result = {}

    def run():
        result["run"] = train(net, data, lossviz.optimizer("adam", lr=0.01), steps=steps)

    times = measure(run, repeats=5, warmup=1)
    accuracy = result["run"].test_accuracy[-1]
    report(
        f"train {net!r}, adam lr 0.01, {steps} steps",
        times,
        goal_ms=5000,
        note=f"held-out accuracy {accuracy:.1%}, loss {result['run'].test_loss[-1]:.3f}",
    )


def load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    print(f"{os.cpu_count()} cores, {load()}", flush=True)
    bench_issue_slice()
    bench_lesson_slice()
    bench_explorer_slice()
    bench_training()
    print(load(), flush=True)
