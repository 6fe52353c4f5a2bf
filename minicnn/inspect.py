"""Look inside a network: its feature maps, its filters, and how much each conv layer matters.

    >>> from minicnn import models
    >>> from minicnn.inspect import feature_maps
    >>> model = models.dropout_cnn()
    >>> maps = feature_maps(model, np.zeros((2, 28, 28, 1), "float32"))
    >>> {name: a.shape for name, a in maps.items()}  # doctest: +ELLIPSIS
    {'conv2d...': (2, 28, 28, 32), 'conv2d...': (2, 14, 14, 64)}

- ``feature_maps``: the activations of chosen layers, all from one forward pass;
- ``plot_feature_maps``: the first channels of the first, a middle and the last
  conv layer for one image, as seed 001 shows them;
- ``plot_filters``: a conv layer's kernels as small images;
- ``layer_importance`` / ``plot_layer_importance``: permutation importance of
  each conv layer, as seed 003 computes it, or of a random share of its channels
  (``channel_fraction``), which ranks the layers.
"""
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np

from . import checks
from .layers import Conv2D


def conv_layer_indices(model):
    """Positions of the model's Conv2D layers."""
    return [i for i, layer in enumerate(model.layers) if isinstance(layer, Conv2D)]


def _layer_indices(model, layers):
    """None -> every Conv2D; one index, name or layer; or a list of them."""
    if layers is None:
        indices = conv_layer_indices(model)
        if not indices:
            raise ValueError(f"Model '{model.name}' has no Conv2D layer; pass layers=[...] explicitly.")
        return indices
    if isinstance(layers, (list, tuple)):
        return [model.layer_index(layer) for layer in layers]
    return [model.layer_index(layers)]


def _model_input(model, x):
    return checks.check_inputs(x, model.input_shape).astype(model.dtype, copy=False)


def feature_maps(model, x, layers=None):
    """Activations of the chosen layers: ``{layer name: (N, H, W, C)}``, in layer order.

    ``layers``: indices, names or layer objects (default: every Conv2D). One
    forward pass, stopped after the deepest chosen layer, yields them all.
    """
    indices = sorted(set(_layer_indices(model, layers)))
    outputs = model.forward(_model_input(model, x), stop=indices[-1] + 1, return_outputs=True)
    return {model.layers[i].name: outputs[i] for i in indices}


def _stages(indices):
    """First, middle and last of a list, without repeats: the stages seed 001 shows."""
    return list(dict.fromkeys([indices[0], indices[len(indices) // 2], indices[-1]]))


def _one_image(model, image):
    """(H, W), (H, W, C) or (1, H, W, C); uint8 is scaled to [0, 1] as ``to_model_input`` does."""
    image = np.asarray(image)
    image = image / 255.0 if image.dtype == np.uint8 else image
    if image.ndim == 2:
        image = image[..., None]
    return image[None] if image.ndim == 3 else image


def plot_feature_maps(model, image, layers=None, n_channels=8):
    """One row per layer, the first ``n_channels`` channels of its output for one ``image``.

    ``layers`` defaults to the first, a middle and the last Conv2D. Early maps
    still look like the garment (edges, textures); late ones are small and
    sparse, keeping only what decides the class. Returns a Figure with
    ``len(layers) x n_channels`` axes (empty ones when a layer has fewer channels).
    """
    if layers is None:
        layers = _stages(_layer_indices(model, None))
    maps = feature_maps(model, _one_image(model, image), layers)
    fig, axes = plt.subplots(len(maps), n_channels, figsize=(1.3 * n_channels, 1.5 * len(maps)),
                             squeeze=False)
    for row, (name, activations) in zip(axes, maps.items()):
        activations = activations[0]                          # (H, W, C) of the one image
        for channel, ax in enumerate(row):
            if channel >= activations.shape[-1]:
                ax.axis("off")
                continue
            ax.imshow(activations[..., channel], cmap="viridis")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"ch {channel}", fontsize=8)
        row[0].set_ylabel(f"{name}\n{'x'.join(map(str, activations.shape))}", fontsize=8)
    fig.tight_layout()
    return fig


def plot_filters(model, layer, ncols=8):
    """The kernels of a Conv2D layer as images, one per filter.

    A kernel ``(KH, KW, C, F)`` has C slices per filter; each image is the MEAN
    over the C input channels (for the first layer, C = 1: the kernel itself).
    One diverging colour scale, symmetric about 0, serves all filters: red
    weights excite the filter, blue ones inhibit it. Returns a Figure with
    ``ceil(F / ncols) * ncols`` image axes plus one colour bar.
    """
    conv = model.layers[model.layer_index(layer)]
    if not isinstance(conv, Conv2D):
        raise ValueError(f"plot_filters needs a Conv2D layer. Received '{conv.name}', a {type(conv).__name__}.")
    images = conv.params["kernel"].mean(axis=2)               # (KH, KW, F)
    filters = images.shape[-1]
    ncols = min(ncols, filters)
    nrows = -(-filters // ncols)
    limit = float(np.abs(images).max()) or 1.0
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.1 * ncols + 1, 1.2 * nrows), squeeze=False)
    for f, ax in enumerate(axes.flat):
        if f >= filters:
            ax.axis("off")
            continue
        shown = ax.imshow(images[..., f], cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(str(f), fontsize=7)
    fig.colorbar(shown, ax=axes.ravel().tolist(), shrink=0.8)
    fig.suptitle(f"{conv.name}: mean over {conv.input_shape[-1]} input channel(s)")
    return fig


# ----------------------------------------------------------------------------
# Permutation importance of layers
# ----------------------------------------------------------------------------
@dataclass
class LayerImportance:
    """One row of ``layer_importance``'s table."""
    layer: str          # the layer's name
    index: int          # its position in model.layers
    mean_drop: float    # baseline accuracy - accuracy with the layer's output shuffled, mean of repeats
    std_drop: float     # standard deviation over the repeats
    baseline: float     # accuracy with nothing shuffled


def _labels(y, n):
    """Integer labels from (N,) labels or (N, K) one-hot rows."""
    y = np.asarray(y)
    if len(y) != n:
        raise ValueError(f"x and y have different lengths: {n} images but {len(y)} labels.")
    return y.argmax(axis=1) if y.ndim == 2 else y


def layer_importance(model, x, y, n_repeats=5, seed=None, layers=None, channel_fraction=None):
    """Permutation importance of each conv layer (default every Conv2D), as seed 003.

    For a layer L: shuffle its output across the images of ``x``, run the rest of
    the network from layer L + 1 on it, and measure how much the accuracy falls
    below the unshuffled baseline; mean and std over ``n_repeats``. Returns a
    list of ``LayerImportance``. ``y``: labels (N,) or one-hot (N, K).

    ``channel_fraction=None`` (seed 003): permute the whole output (axis 0).
    In a Sequential net layer L's output is all that later layers see, so that
    hands image i the prediction of image perm(i): every layer scores the same
    drop, baseline minus the chance agreement of pred[perm] with y. The same
    permutations serve every layer, so the bars come out equal: the measure
    cannot rank the layers of a chain, only show that each one is needed (a
    drop of 0 means nothing downstream reads the layer).

    ``channel_fraction=f`` in (0, 1]: shuffle ``round(f * C)`` (at least one)
    of the layer's C channels, chosen at random, each with its own permutation;
    the other channels stay with their image. This does tell layers apart: a
    layer that spreads its information redundantly over its channels loses
    little when a quarter of them are scrambled; one that depends on each loses much.
    """
    if channel_fraction is not None and not 0 < channel_fraction <= 1:
        raise ValueError(f"channel_fraction is the share of a layer's channels to shuffle and must be in "
                         f"(0, 1], or None to shuffle the whole output. Received {channel_fraction!r}.")
    x = _model_input(model, x)
    labels = _labels(y, len(x))
    indices = _layer_indices(model, layers)
    outputs = model.forward(x, return_outputs=True)           # one pass: every layer's output
    baseline = float(np.mean(outputs[-1].argmax(axis=1) == labels))
    rng = np.random.default_rng(seed)
    orders = [rng.permutation(len(x)) for _ in range(n_repeats)]
    table = []
    for index in indices:
        drops = []
        for order in orders:
            shuffled = outputs[index][order] if channel_fraction is None else \
                _shuffle_channels(outputs[index], channel_fraction, rng)
            scores = model.forward(shuffled, start=index + 1)   # the rest of the net runs on them
            drops.append(baseline - float(np.mean(scores.argmax(axis=1) == labels)))
        table.append(LayerImportance(model.layers[index].name, index, float(np.mean(drops)),
                                     float(np.std(drops)), baseline))
    return table


def _shuffle_channels(maps, fraction, rng):
    """A copy of ``maps`` (N, ..., C) with ``round(fraction * C)`` random channels, at
    least one, each permuted across the N images with its own permutation."""
    maps = maps.copy()
    channels = maps.shape[-1]
    for k in rng.choice(channels, size=max(1, round(fraction * channels)), replace=False):
        maps[..., k] = maps[rng.permutation(len(maps)), ..., k]
    return maps


def plot_layer_importance(table):
    """Bars of each layer's mean accuracy drop, with its standard deviation. Returns a Figure."""
    names = [row.layer for row in table]
    fig, ax = plt.subplots(figsize=(1.2 * len(table) + 2.5, 3.5))
    ax.bar(names, [row.mean_drop for row in table], yerr=[row.std_drop for row in table],
           capsize=4, color="tab:blue")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_ylabel("accuracy drop when shuffled")
    ax.set_title(f"Permutation importance (baseline accuracy {table[0].baseline:.1%})" if table else
                 "Permutation importance")
    fig.tight_layout()
    return fig
