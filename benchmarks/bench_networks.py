"""Networks seen in slices: a 51 x 51 slice of a ~1,000-parameter network, and training.

Run: ``.venv/bin/python benchmarks/bench_networks.py``. Goals (issue 9, 2 cores): the slice
under 2 s; training the default network to a sensible held-out accuracy under 5 s.
"""

from __future__ import annotations

from _timing import measure, report

import lossviz
from lossviz.networks import MLP, loss_function, random_directions, slice_surface, train, two_moons

DEFAULT_NET = (2, 16, 16, 1)
"""The lesson's default network: 2-16-16-1 tanh (337 parameters) on two moons, with Adam."""


def bench_slice() -> None:
    data = two_moons(n=667, seed=0)  # 500 training points
    net = MLP((2, 30, 30, 1))
    theta = net.init()
    loss = loss_function(net, data.X_train, data.y_train, data.task)
    d1, d2 = random_directions(net, theta)
    surface = slice_surface(loss, theta, d1, d2)
    grid = surface.grid(51)
    report(
        f"slice 51 x 51, {net.n_params} parameters, {len(data.y_train)} points",
        measure(lambda: surface(grid), repeats=7, warmup=1),
        goal_ms=2000,
    )


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


if __name__ == "__main__":
    bench_slice()
    bench_training()
