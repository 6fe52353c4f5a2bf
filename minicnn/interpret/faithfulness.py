"""Faithfulness: does deleting what a heatmap points at hurt the prediction?

``deletion_score(model, x, grad_cam(model, x))`` compares deleting the pixels a
map ranks highest with deleting as many random pixels; any method's maps will do.
"""
import numpy as np

from ..checks import model_input
from ..losses import class_probabilities


def probabilities(model, x, batch_size=256):
    """Class probabilities ``(N, classes)`` of ``model`` on ``x``; a logits head gets a softmax
    (the one rule: :func:`minicnn.losses.class_probabilities`)."""
    return class_probabilities(model, model.predict(x, batch_size=batch_size, verbose=0))


def delete_pixels(x, pixels):
    """A copy of ``x: (N, H, W, C)`` with ``pixels: (N, k)``, flat indices into H*W, set to 0."""
    n, height, width, channels = x.shape
    flat = x.reshape(n, height * width, channels).copy()
    flat[np.arange(n)[:, None], pixels] = 0
    return flat.reshape(x.shape)


def deletion_score(model, x, heatmaps, fraction=0.2, seed=None):
    """Mean drop of the predicted class's probability when the top ``fraction`` of pixels
    by heatmap are set to 0, against deleting as many pixels chosen at random.

    Parameters
    ----------
    x : (N, H, W, C) model input;  heatmaps : (N, H, W), any method's maps
    fraction : share of the H*W pixels deleted, ``k = round(fraction * H * W)``

    Returns
    -------
    dict with ``confidence`` (mean p before), ``heatmap_drop`` and ``random_drop``
    (mean of p before - p after), ``pixels_deleted`` (k).

    Notes
    -----
    One point of the deletion curve of Petsiuk et al. (2018, RISE). A faithful
    map has ``heatmap_drop`` well above ``random_drop``. Zero is the background of
    Fashion-MNIST, so a deleted pixel becomes background.
    """
    x = model_input(model, x)
    heatmaps = np.asarray(heatmaps)
    if heatmaps.shape != x.shape[:3]:
        raise ValueError(f"heatmaps must have shape {x.shape[:3]}, one (H, W) map per image. "
                         f"Received {heatmaps.shape}.")
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction is the share of pixels deleted, in (0, 1]. Received {fraction!r}.")
    n, height, width = heatmaps.shape
    k = int(round(fraction * height * width))
    top = np.argsort(-heatmaps.reshape(n, -1), axis=1, kind="stable")[:, :k]
    random = np.argsort(np.random.default_rng(seed).random((n, height * width)), axis=1)[:, :k]
    before = probabilities(model, x)
    classes, rows = before.argmax(axis=1), np.arange(n)
    p = before[rows, classes]
    result = {"confidence": float(p.mean())}
    for name, pixels in (("heatmap_drop", top), ("random_drop", random)):
        after = probabilities(model, delete_pixels(x, pixels))[rows, classes]
        result[name] = float(np.mean(p - after))
    return {**result, "pixels_deleted": k}
