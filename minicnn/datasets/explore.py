"""Look at Fashion-MNIST before training on it: balance, pixels, correlations, PCA.

The correlations and the PCA are computed in :mod:`minicnn.datasets.correlation`;
this module offers them too, so every look at the data is one ``explore.`` away.

Each analysis is a function that returns numbers, next to a ``plot_...``
function that draws them and returns a ``matplotlib.figure.Figure`` (built
without pyplot, so nothing is shown and nothing is kept in a global list)::

    >>> from minicnn.datasets import load_fashion_mnist
    >>> from minicnn.datasets import explore
    >>> (x, y), _ = load_fashion_mnist(sample=True)
    >>> explore.class_balance(y)
    array([160, 160, 160, 160, 160, 160, 160, 160, 160, 160])
    >>> fig = explore.plot_mean_images(x, y)
    >>> fig.savefig("mean_images.png")                       # doctest: +SKIP

Images may come as loaded, ``(N, 28, 28)`` uint8 in 0..255, or as fed to a
model, ``(N, 28, 28, 1)`` floats in [0, 1]; every function accepts both and
works on the [0, 1] scale.
"""
import numpy as np
from matplotlib.figure import Figure

from ..checks import as_labels
# Offered here too (see above); SEED is seed project 003's, shared by every random choice.
from .correlation import (SEED, grid_locations, pca_summary, pixel_correlation,  # noqa: F401
                          plot_pca_projection, plot_pca_variance, plot_pixel_correlation)
from .fashion import CLASS_NAMES, as_unit_images, to_unit_range


# ---------------------------------------------------------------- class balance
def class_balance(y, num_classes=len(CLASS_NAMES)):
    """Number of examples per class: ``(num_classes,)`` ints. ``y`` may be one-hot ``(N, K)``."""
    return np.bincount(as_labels(y, num_classes), minlength=num_classes)


def plot_class_balance(y, class_names=CLASS_NAMES):
    """Bar chart of :func:`class_balance`; one Axes."""
    counts = class_balance(y, len(class_names))
    fig = Figure(figsize=(8, 3.5), layout="constrained")
    ax = fig.add_subplot()
    ax.bar(range(len(counts)), counts)
    ax.set_xticks(range(len(counts)), class_names, rotation=45, ha="right")
    ax.set_ylabel("examples")
    ax.set_title(f"Class balance ({counts.sum()} examples)")
    return fig


# ---------------------------------------------------------------- pixel intensities
def pixel_statistics(x):
    """Summary of all pixel values on the [0, 1] scale.

    Returns
    -------
    dict
        ``zero_share`` (fraction of pixels exactly 0: the black background),
        ``mean``, ``std``, ``min``, ``max``.
    """
    colour = np.ndim(x) == 4 and np.shape(x)[-1] in (3, 4)          # (N, H, W, 3): CIFAR-10, a folder
    x = to_unit_range(x) if colour else as_unit_images(x)
    return {"zero_share": float(np.mean(x == 0)), "mean": float(x.mean()),
            "std": float(x.std()), "min": float(x.min()), "max": float(x.max())}


def intensity_histogram(x, bins=32):
    """Histogram of all pixel values: ``(counts (bins,), edges (bins + 1,))`` over [0, 1]."""
    return np.histogram(as_unit_images(x), bins=bins, range=(0.0, 1.0))


def plot_intensity_histogram(x, bins=32):
    """Two Axes: all pixels (log scale, the zero spike dominates) and non-zero pixels only."""
    x = as_unit_images(x)
    stats = pixel_statistics(x)
    fig = Figure(figsize=(10, 3.5), layout="constrained")
    ax_all, ax_nonzero = fig.subplots(1, 2)
    ax_all.hist(x.ravel(), bins=bins, range=(0, 1), log=True)
    ax_all.set_title(f"All pixels: {100 * stats['zero_share']:.1f} % are 0, "
                     f"mean {stats['mean']:.3f}, std {stats['std']:.3f}")
    ax_nonzero.hist(x[x > 0], bins=bins, range=(0, 1))
    ax_nonzero.set_title("Non-zero pixels")
    for ax in (ax_all, ax_nonzero):
        ax.set_xlabel("intensity")
    return fig


def random_pixels(x, n_pixels=4, seed=SEED, locations=None):
    """The values of a few pixels across all images.

    Parameters
    ----------
    x : images, (N, H, W) or (N, H, W, 1)
    n_pixels : int
        How many locations to draw when ``locations`` is not given.
    seed : int
        Seeds the draw of locations, so the same call picks the same pixels.
    locations : array_like of (row, col), optional

    Returns
    -------
    locations : ndarray, (K, 2) int
    values : ndarray, (N, K) in [0, 1]; column k holds pixel ``locations[k]`` of every image.
    """
    x = as_unit_images(x)
    if locations is None:
        rng = np.random.default_rng(seed)
        flat = rng.choice(x.shape[1] * x.shape[2], size=n_pixels, replace=False)
        locations = np.stack(np.unravel_index(flat, x.shape[1:]), axis=1)
    locations = np.asarray(locations, dtype=int).reshape(-1, 2)
    return locations, x[:, locations[:, 0], locations[:, 1]]


def plot_random_pixels(x, n_pixels=4, seed=SEED, locations=None, bins=32):
    """``1 + K`` Axes: the mean image with the chosen pixels marked, then one histogram per pixel."""
    locations, values = random_pixels(x, n_pixels, seed, locations)
    fig = Figure(figsize=(3 * (1 + len(locations)), 3), layout="constrained")
    axes = fig.subplots(1, 1 + len(locations), squeeze=False)[0]
    axes[0].imshow(as_unit_images(x).mean(axis=0), cmap="gray")
    axes[0].scatter(locations[:, 1], locations[:, 0], c="red", marker="x")
    axes[0].set_title("mean image")
    for ax, (row, col), column in zip(axes[1:], locations, values.T):
        ax.hist(column, bins=bins, range=(0, 1))
        ax.set_title(f"pixel ({row}, {col}): {100 * np.mean(column == 0):.0f} % zero")
        ax.set_xlabel("intensity")
    return fig


# ---------------------------------------------------------------- per-class means
def mean_images(x, y, num_classes=len(CLASS_NAMES)):
    """Average image of each class: ``(num_classes, H, W)`` in [0, 1] (NaN for an empty class)."""
    x, y = as_unit_images(x), np.asarray(y)
    return np.stack([x[y == k].mean(axis=0) if np.any(y == k) else np.full(x.shape[1:], np.nan)
                     for k in range(num_classes)])


def plot_mean_images(x, y, class_names=CLASS_NAMES):
    """One Axes per class (2 rows of 5 for ten classes), each showing its mean image."""
    means = mean_images(x, y, len(class_names))
    rows = int(np.ceil(len(class_names) / 5))
    fig = Figure(figsize=(10, 2.2 * rows), layout="constrained")
    for k, (ax, name) in enumerate(zip(fig.subplots(rows, 5).ravel(), class_names)):
        ax.imshow(means[k], cmap="gray", vmin=0, vmax=1)
        ax.set_title(name)
        ax.axis("off")
    return fig


# ---------------------------------------------------------------- example images
def sample_indices(y, per_class=8, seed=SEED, num_classes=len(CLASS_NAMES)):
    """``(num_classes, per_class)`` row numbers: a seeded random pick of each class.

    A class with fewer than ``per_class`` examples gets all of its rows, padded with -1.
    """
    rng, y = np.random.default_rng(seed), np.asarray(y)
    picks = np.full((num_classes, per_class), -1)
    for k in range(num_classes):
        rows = np.flatnonzero(y == k)
        chosen = rng.choice(rows, size=min(per_class, len(rows)), replace=False)
        picks[k, :len(chosen)] = chosen
    return picks


def plot_samples(x, y, per_class=8, seed=SEED, class_names=CLASS_NAMES):
    """A grid with one row per class and ``per_class`` example images: ``classes * per_class`` Axes."""
    x = as_unit_images(x)
    picks = sample_indices(y, per_class, seed, len(class_names))
    fig = Figure(figsize=(per_class * 1.1, len(class_names) * 1.1), layout="constrained")
    axes = fig.subplots(len(class_names), per_class, squeeze=False)
    for k, name in enumerate(class_names):
        for j, ax in enumerate(axes[k]):
            if picks[k, j] >= 0:
                ax.imshow(x[picks[k, j]], cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[k, 0].set_ylabel(name, rotation=0, ha="right", va="center")
    return fig
