"""Look inside a network: its feature maps and its filters.

    >>> import numpy as np
    >>> from minicnn import zoo
    >>> from minicnn.interpret.features import feature_maps
    >>> model = zoo.dropout_cnn()
    >>> maps = feature_maps(model, np.zeros((2, 28, 28, 1), "float32"))
    >>> {name: a.shape for name, a in maps.items()}  # doctest: +ELLIPSIS
    {'conv2d...': (2, 28, 28, 32), 'conv2d...': (2, 14, 14, 64)}

- ``feature_maps``: the activations of chosen layers, all from one forward pass;
- ``plot_feature_maps``: the first channels of the first, a middle and the last
  conv layer for one image, as seed 001 shows them;
- ``plot_filters``: a conv layer's kernels as small images.

Plot functions return a ``Figure`` made without pyplot: nothing is shown or kept
until the caller shows or saves it.
"""
import numpy as np
from matplotlib.figure import Figure

from ..checks import model_input
from ..datasets.fashion import to_unit_range
from ..layers import Conv2D
from .targets import chosen_layers


def feature_maps(model, x, layers=None):
    """Activations of the chosen layers: ``{layer name: (N, H, W, C)}``, in layer order.

    ``layers``: indices, names or layer objects (default: every Conv2D). One
    forward pass, stopped after the deepest chosen layer, yields them all.
    """
    indices = sorted(set(chosen_layers(model, layers)))
    outputs = model.forward(model_input(model, x), stop=indices[-1] + 1, return_outputs=True)
    return {model.layers[i].name: outputs[i] for i in indices}


def _stages(indices):
    """First, middle and last of a list, without repeats: the stages seed 001 shows."""
    return list(dict.fromkeys([indices[0], indices[len(indices) // 2], indices[-1]]))


def _one_image(model, image):
    """(H, W), (H, W, C) or (1, H, W, C); uint8 is scaled to [0, 1] as ``to_model_input`` does."""
    image = to_unit_range(image)
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
        layers = _stages(chosen_layers(model, None))
    maps = feature_maps(model, _one_image(model, image), layers)
    fig = Figure(figsize=(1.3 * n_channels, 1.5 * len(maps)))
    axes = fig.subplots(len(maps), n_channels, squeeze=False)
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
    fig = Figure(figsize=(1.1 * ncols + 1, 1.2 * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False)
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
