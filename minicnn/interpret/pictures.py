"""Pictures of heatmaps: :func:`overlay` colours a map over its image, :func:`plot_cam` draws a row
of images above their CAM or Grad-CAM. Plot functions return a ``Figure`` made without pyplot:
nothing is shown or kept until the caller shows or saves it.
"""
import matplotlib
import numpy as np
from matplotlib.figure import Figure

from ..checks import model_input
from ..datasets.fashion import CLASS_NAMES, to_unit_range
from .cam import compute_heatmaps
from .faithfulness import probabilities


def _grey_or_rgb(image):
    """(H, W), (H, W, 1) or (H, W, 3), uint8 or floats in [0, 1] -> floats (H, W) or (H, W, 3)."""
    image = to_unit_range(image)
    return image[..., 0] if image.ndim == 3 and image.shape[-1] == 1 else image


def overlay(image, heatmap, alpha=0.4, cmap="jet"):
    """``(1 - alpha) * image + alpha * colour(heatmap)``: an RGB float image (H, W, 3) in [0, 1].

    image : (H, W), (H, W, 1) or (H, W, 3); uint8 or floats in [0, 1]
    heatmap : (H, W) in [0, 1], coloured with the matplotlib colormap ``cmap``
    """
    image = _grey_or_rgb(image)
    rgb = np.repeat(image[..., None], 3, axis=-1) if image.ndim == 2 else image
    heatmap = np.asarray(heatmap)
    if heatmap.shape != rgb.shape[:2]:
        raise ValueError(f"heatmap must have the image's shape {rgb.shape[:2]}. Received {heatmap.shape}.")
    colours = matplotlib.colormaps[cmap](np.clip(heatmap, 0, 1))[..., :3]
    return np.clip((1 - alpha) * rgb + alpha * colours, 0, 1)


def plot_cam(model, x, class_names=None, method="cam", n=8, alpha=0.4):
    """Top row: the first ``n`` images; bottom row: their heatmap over them, titled with the
    predicted class and its probability (as seed 000 shows). ``method``: "cam" or "grad_cam".

    ``class_names`` defaults to Fashion-MNIST's for a 10-class model, else the class numbers.
    Returns a Figure with 2 x n axes.
    """
    x = model_input(model, x)[:n]
    maps = compute_heatmaps(model, x, method=method)
    probs = probabilities(model, x)
    predicted = probs.argmax(axis=1)
    if class_names is None:
        class_names = CLASS_NAMES if probs.shape[1] == len(CLASS_NAMES) else range(probs.shape[1])
    fig = Figure(figsize=(1.8 * len(x), 4.2))
    axes = fig.subplots(2, len(x), squeeze=False)
    for i, image in enumerate(x):
        axes[0, i].imshow(_grey_or_rgb(image), cmap="gray")
        axes[1, i].imshow(overlay(image, maps[i], alpha))
        axes[1, i].set_title(f"{class_names[predicted[i]]}\n{probs[i, predicted[i]]:.0%}", fontsize=9)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0, 0].set_ylabel("image")
    axes[1, 0].set_ylabel({"cam": "CAM", "grad_cam": "Grad-CAM"}[method])
    fig.tight_layout()
    return fig
