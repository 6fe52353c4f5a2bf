"""Look at Fashion-MNIST before training on it: balance, pixels, correlations, PCA.

Each analysis is a function that returns numbers, next to a ``plot_...``
function that draws them and returns a ``matplotlib.figure.Figure`` (built
without pyplot, so nothing is shown and nothing is kept in a global list)::

    >>> from minicnn.datasets import load_fashion_mnist
    >>> from minicnn import explore
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
from sklearn.decomposition import PCA

from .datasets import CLASS_NAMES

SEED = 3


def as_unit_images(x):
    """``x`` as float64 images ``(N, H, W)`` in [0, 1], whichever of the two layouts it came in."""
    x = np.asarray(x)
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim != 3:
        raise ValueError("Expected images of shape (N, H, W) or (N, H, W, 1). "
                         f"Received shape {x.shape}.")
    if x.dtype == np.uint8:
        return x / 255.0
    if x.size and (x.min() < 0 or x.max() > 1):
        raise ValueError(f"Float images must be in [0, 1]; received values in [{x.min()}, "
                         f"{x.max()}]. Pass the uint8 images, or divide by 255 first.")
    return x.astype(np.float64)


# ---------------------------------------------------------------- class balance
def class_balance(y, num_classes=len(CLASS_NAMES)):
    """Number of examples per class: ``(num_classes,)`` ints. ``y`` may be one-hot ``(N, K)``."""
    y = np.asarray(y)
    labels = y.argmax(axis=1) if y.ndim == 2 else y
    return np.bincount(labels.astype(np.int64), minlength=num_classes)


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
    x = as_unit_images(x)
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


# ---------------------------------------------------------------- pixel correlations
def grid_locations(size=28, step=4):
    """Pixels on a regular grid: every ``step``-th row and column, starting at ``step // 2``.

    For 28 x 28 and step 4 that is rows and columns 2, 6, ..., 26: 7 x 7 = 49 pixels.
    """
    ticks = np.arange(step // 2, size, step)
    rows, cols = np.meshgrid(ticks, ticks, indexing="ij")
    return np.stack([rows.ravel(), cols.ravel()], axis=1)


def pixel_correlation(x, step=4, locations=None):
    """Pearson correlation between pixels on a grid (see :func:`grid_locations`), across images.

    Returns
    -------
    locations : ndarray, (K, 2), in row-major order over the grid
    corr : ndarray, (K, K)
        A pixel that never changes (always 0 at a corner, say) has no defined
        correlation; we report 0 for it, and 1 on the diagonal.
    """
    x = as_unit_images(x)
    locations = grid_locations(x.shape[1], step) if locations is None else np.asarray(locations)
    values = x[:, locations[:, 0], locations[:, 1]]
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.corrcoef(values, rowvar=False)
    corr = np.nan_to_num(np.atleast_2d(corr))
    np.fill_diagonal(corr, 1.0)
    return locations, corr


def plot_pixel_correlation(x, step=4):
    """The correlation matrix as an image; two Axes (the matrix and its colour bar)."""
    locations, corr = pixel_correlation(x, step)
    fig = Figure(figsize=(6, 5), layout="constrained")
    ax = fig.add_subplot()
    shown = ax.imshow(corr, cmap="RdBu_r", vmin=-1, vmax=1)
    fig.colorbar(shown, ax=ax, label="correlation")
    ax.set_title(f"Correlation of {len(locations)} pixels (grid step {step}, row-major)")
    ax.set_xlabel("pixel index")
    ax.set_ylabel("pixel index")
    return fig


# ---------------------------------------------------------------- PCA
def pca_summary(x, n_components=50, seed=SEED):
    """Principal components of the flattened images (scikit-learn ``PCA``).

    Returns
    -------
    dict
        ``ratio``: ``(K,)`` share of the total variance each component explains
        (sums to at most 1); ``cumulative``: its running sum; ``projection``:
        ``(N, 2)`` coordinates on the first two components; ``pca``: the fitted model.
        ``K = min(n_components, N, H * W)``.
    """
    x = as_unit_images(x).reshape(len(x), -1)
    pca = PCA(n_components=min(n_components, *x.shape), random_state=seed)
    projection = pca.fit_transform(x)[:, :2]
    ratio = pca.explained_variance_ratio_
    return {"ratio": ratio, "cumulative": np.cumsum(ratio), "projection": projection, "pca": pca}


def plot_pca_variance(x, n_components=50, seed=SEED):
    """Two Axes: variance explained by each component, and the cumulative curve."""
    summary = pca_summary(x, n_components, seed)
    k = np.arange(1, len(summary["ratio"]) + 1)
    fig = Figure(figsize=(10, 3.5), layout="constrained")
    ax_each, ax_cum = fig.subplots(1, 2)
    ax_each.bar(k, summary["ratio"])
    ax_each.set_title(f"PC1 explains {100 * summary['ratio'][0]:.1f} % of the variance")
    ax_cum.plot(k, summary["cumulative"], marker=".")
    ax_cum.set_ylim(0, 1)
    ax_cum.set_title("cumulative explained variance")
    for ax in (ax_each, ax_cum):
        ax.set_xlabel("component")
    return fig


def plot_pca_projection(x, y, max_points=5000, seed=SEED, class_names=CLASS_NAMES):
    """Scatter of the images on PC1 and PC2, coloured by class; one Axes with a legend.

    PCA is fitted on all images; only ``max_points`` of them (drawn with ``seed``) are drawn.
    """
    projection, y = pca_summary(x, 2, seed)["projection"], np.asarray(y)
    rng = np.random.default_rng(seed)
    shown = rng.permutation(len(y))[:max_points]
    fig = Figure(figsize=(7, 6), layout="constrained")
    ax = fig.add_subplot()
    for k, name in enumerate(class_names):
        rows = shown[y[shown] == k]
        ax.scatter(projection[rows, 0], projection[rows, 1], s=4, alpha=0.5, label=name,
                   color=f"C{k}")
    ax.legend(markerscale=4, fontsize="small")
    ax.set_xlabel("PC1")
    ax.set_ylabel("PC2")
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
