"""Pixels that vary together: correlations between pixels, and the principal components of the images.

Both read the images as vectors of H * W pixel values on the [0, 1] scale; each
function returns numbers, and its ``plot_...`` twin draws them in a ``Figure``
made without pyplot. :mod:`minicnn.datasets.explore` offers them with the other looks.
"""
import numpy as np
from matplotlib.figure import Figure
from sklearn.decomposition import PCA

from .fashion import CLASS_NAMES, as_unit_images

SEED = 3        # seed project 003, which made these analyses


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
