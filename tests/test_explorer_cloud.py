"""Noise as a cloud in the Explorer: with noisy gradients, several seeds at once as thin
paths, and the mean loss over them."""

import numpy as np
import pytest

from lossviz import Explorer, descend, optimizer
from lossviz.widgets.panels import CloudLayer, LossCloudLayer


def layer(ex, kind):
    return next(la for p in ex.panels.values() for la in p.layers if isinstance(la, kind))


@pytest.fixture
def ex():
    explorer = Explorer("quadratic", optimizers=("gd", "adam"), steps=80, noise=0.5, seed=3)
    explorer.canvas.syncing_data_url = False
    yield explorer
    explorer.close()


def test_the_cloud_draws_the_other_seeds_and_their_mean(ex):
    ex.set(cloud=4)
    assert ex.error is None
    opts = {name: optimizer(name, **hyper) for name, hyper in ex.hyperparameters.items()}
    seeds = [descend(ex.surface, opts, start=ex.start, steps=80, noise=0.5, seed=s)
             for s in (3, 4, 5, 6)]  # fmt: skip
    np.testing.assert_array_equal(ex.run.path, seeds[0].path)  # the table's run: seed 3
    lines = layer(ex, CloudLayer).lines
    assert len(lines) == 3 * 2
    for k, line in enumerate(lines):
        run, i = seeds[1 + k // 2], k % 2
        np.testing.assert_array_equal(np.column_stack(line.get_data()), run.path[i])
    reference = ex.surface.global_minimum_loss
    gaps = np.stack([np.maximum(r.loss - reference, 1e-16) for r in seeds])
    for i, mean in enumerate(layer(ex, LossCloudLayer).means):
        np.testing.assert_allclose(mean.get_ydata(), gaps[:, i].mean(axis=0), rtol=1e-12)
    assert "4 runs of each optimizer with seeds 3 to 6" in ex.readout.value


def test_no_cloud_without_noise(ex):
    ex.set(cloud=5)
    ex.set(noise=0.0)
    assert ex.controls["cloud"].layout.display == "none"
    assert layer(ex, CloudLayer).lines == [] and layer(ex, LossCloudLayer).means == []
    assert "runs of each optimizer" not in ex.readout.value


def test_a_mini_batch_cloud_on_a_model():
    ex = Explorer("linear_regression", optimizers=("gd",), steps=50, batch_size=5, cloud=3)
    try:
        assert ex.error is None and len(layer(ex, CloudLayer).lines) == 2
        paths = [np.column_stack(line.get_data()) for line in layer(ex, CloudLayer).lines]
        assert not np.array_equal(paths[0], paths[1])  # another seed, other batches
    finally:
        ex.close()


def test_bad_cloud_sizes_are_refused(ex):
    for value in (0, 13, 2.5, "3"):
        with pytest.raises(ValueError, match="cloud must be an integer between 1 and 12"):
            ex.set(cloud=value)


def test_a_blitted_cloud_equals_a_full_redraw(ex):
    ex.set(cloud=3)
    ex.set(lr_scale=1.5)
    blitted = np.asarray(ex.canvas.get_renderer().buffer_rgba()).copy()
    ex.loop.draw_full()
    np.testing.assert_array_equal(blitted, np.asarray(ex.canvas.get_renderer().buffer_rgba()))
