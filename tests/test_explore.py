"""Tests for minicnn.datasets.explore: the numbers on tiny hand-made inputs, then every plot's layout."""
import io

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

from minicnn.datasets import explore
from minicnn.datasets import CLASS_NAMES, load_sample


@pytest.fixture(scope="module")
def sample():
    (x, y), _ = load_sample()
    return x, y


# ----------------------------------------------------------------------------- numbers
def test_class_balance_counts_every_class_even_empty_ones():
    y = np.array([0, 0, 3, 9, 3, 3])
    assert explore.class_balance(y).tolist() == [2, 0, 0, 3, 0, 0, 0, 0, 0, 1]
    assert explore.class_balance(np.eye(10)[y]).tolist() == [2, 0, 0, 3, 0, 0, 0, 0, 0, 1]


def test_pixel_statistics_by_hand():
    # One 2 x 2 image: pixels 0, 255, 0, 51 -> 0, 1, 0, 0.2 on the [0, 1] scale.
    x = np.array([[[0, 255], [0, 51]]], dtype=np.uint8)
    stats = explore.pixel_statistics(x)
    assert stats["zero_share"] == 0.5  # two of four pixels are 0
    assert stats["mean"] == pytest.approx(1.2 / 4)  # (0 + 1 + 0 + 0.2) / 4 = 0.3
    assert stats["std"] == pytest.approx(np.std([0, 1, 0, 0.2]))
    assert (stats["min"], stats["max"]) == (0.0, 1.0)
    # The same images as a model sees them, (N, H, W, 1) floats, give the same numbers.
    assert explore.pixel_statistics(x[..., None] / 255.0) == pytest.approx(stats)


def test_float_images_outside_unit_range_are_refused():
    with pytest.raises(ValueError, match=r"values in \[0.0, 255.0\]"):
        explore.pixel_statistics(np.array([[[0.0, 255.0]]]))
    with pytest.raises(ValueError, match=r"Received shape \(3, 4\)"):
        explore.pixel_statistics(np.zeros((3, 4), np.uint8))


def test_intensity_histogram_counts_every_pixel_once():
    x = np.array([[[0, 0, 255], [128, 0, 255]]], dtype=np.uint8)
    counts, edges = explore.intensity_histogram(x, bins=4)
    assert counts.tolist() == [3, 0, 1, 2]  # three zeros, 128/255 = 0.502 in [0.5, 0.75), two ones
    assert edges[0] == 0 and edges[-1] == 1


def test_random_pixels_are_seeded_and_read_the_right_values():
    x = np.random.default_rng(0).integers(0, 256, (5, 28, 28), dtype=np.uint8)
    locations, values = explore.random_pixels(x, n_pixels=6, seed=3)
    again, _ = explore.random_pixels(x, n_pixels=6, seed=3)
    np.testing.assert_array_equal(locations, again)
    assert len({tuple(p) for p in locations}) == 6  # six different pixels
    for k, (row, col) in enumerate(locations):
        np.testing.assert_allclose(values[:, k], x[:, row, col] / 255)
    chosen, values = explore.random_pixels(x, locations=[(0, 0), (27, 5)])
    np.testing.assert_allclose(values[:, 1], x[:, 27, 5] / 255)


def test_mean_images_equal_numpy_by_hand():
    rng = np.random.default_rng(1)
    x = rng.integers(0, 256, (12, 28, 28), dtype=np.uint8)
    y = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 5, 5, 9])
    means = explore.mean_images(x, y)
    assert means.shape == (10, 28, 28)
    np.testing.assert_allclose(means[0], np.mean(x[[0, 3, 6]] / 255, axis=0))
    np.testing.assert_allclose(means[9], x[11] / 255)
    assert np.isnan(means[3]).all()  # no example of class 3


def test_grid_locations_for_fashion_mnist():
    grid = explore.grid_locations(28, step=4)
    assert grid.shape == (49, 2)
    assert grid[0].tolist() == [2, 2] and grid[1].tolist() == [2, 6] and grid[-1].tolist() == [26, 26]


def test_pixel_correlation_on_constructed_pixels():
    rng = np.random.default_rng(2)
    a = rng.integers(0, 256, 50).astype(np.uint8)
    x = np.zeros((50, 3, 3), np.uint8)
    x[:, 0, 0] = a          # pixel A
    x[:, 1, 1] = a          # a copy of A: correlation +1
    x[:, 2, 2] = 255 - a    # the negative of A: correlation -1
    # x[:, 0, 2] stays 0: a constant pixel, correlation undefined -> reported as 0
    locations, corr = explore.pixel_correlation(x, locations=np.array([[0, 0], [1, 1], [2, 2], [0, 2]]))
    np.testing.assert_allclose(corr[:3, :3], [[1, 1, -1], [1, 1, -1], [-1, -1, 1]], atol=1e-12)
    np.testing.assert_array_equal(corr[3], [0, 0, 0, 1])
    assert corr.shape == (4, 4) and np.allclose(corr, corr.T)


def test_pca_of_a_rank_one_dataset_is_one_component():
    rng = np.random.default_rng(3)
    pattern = rng.random(784)
    strength = rng.random(40)
    x = (strength[:, None] * pattern[None, :]).reshape(40, 28, 28)  # every image a multiple of one
    summary = explore.pca_summary(x, n_components=5)
    assert summary["ratio"][0] > 0.999
    assert summary["projection"].shape == (40, 2)


def test_pca_variance_ratio_is_a_share(sample):
    x, _ = sample
    summary = explore.pca_summary(x[:300], n_components=20)
    assert summary["ratio"].shape == (20,)
    assert summary["cumulative"][-1] <= 1 + 1e-9
    assert np.all(np.diff(summary["cumulative"]) >= 0)
    assert np.all(np.diff(summary["ratio"]) <= 1e-12)  # sorted, largest first
    assert explore.pca_summary(x[:10], n_components=50)["ratio"].shape == (10,)  # capped at N


def test_sample_indices_pick_each_class():
    y = np.array([0, 1, 0, 1, 0, 2, 1, 0])
    picks = explore.sample_indices(y, per_class=3, seed=0, num_classes=3)
    assert picks.shape == (3, 3)
    for k in range(2):
        assert np.all(y[picks[k]] == k) and len(set(picks[k])) == 3
    assert picks[2].tolist()[1:] == [-1, -1] and y[picks[2, 0]] == 2  # class 2 has one example


# ----------------------------------------------------------------------------- plots
@pytest.mark.parametrize("plot, args, n_axes", [
    (explore.plot_class_balance, "y", 1),
    (explore.plot_intensity_histogram, "x", 2),
    (explore.plot_random_pixels, "x", 1 + 4),
    (explore.plot_mean_images, "xy", 10),
    (explore.plot_pixel_correlation, "x", 2),  # the matrix and its colour bar
    (explore.plot_pca_variance, "x", 2),
    (explore.plot_pca_projection, "xy", 1),
    (explore.plot_samples, "xy", 10 * 8),
])
def test_every_plot_returns_a_figure_without_pyplot(sample, plot, args, n_axes):
    x, y = sample
    before = plt.get_fignums()
    fig = plot(*[{"x": x, "y": y}[a] for a in args])
    assert isinstance(fig, Figure)
    assert len(fig.axes) == n_axes
    assert plt.get_fignums() == before  # nothing registered with pyplot, so nothing to show
    fig.savefig(io.BytesIO(), format="png", dpi=30)  # it really draws


def test_plots_accept_model_input_layout(sample):
    x, y = sample
    fig = explore.plot_mean_images(x[..., None] / 255.0, y)
    assert len(fig.axes) == 10


def test_pca_projection_legend_names_every_class(sample):
    x, y = sample
    legend = explore.plot_pca_projection(x, y, max_points=500).axes[0].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == list(CLASS_NAMES)
