"""Which layers and classes the interpretation tools look at: one place that finds them.

- :func:`conv_layer_indices`, :func:`last_conv_index`: where the Conv2D layers (or blocks of them) are;
- :func:`chosen_layers`: a user's ``layers=`` argument (index, name, layer, list or None) as indices;
- :func:`gap_head_index`: the GlobalAveragePooling2D -> Dense head that CAM needs;
- :func:`class_indices`: a user's ``class_index=`` as one class per image.
"""
import numpy as np

from ..layers import Conv2D, Dense, GlobalAveragePooling2D


def conv_layer_indices(model):
    """Positions of the model's Conv2D layers, first to last (may be empty).

    A nested model (a block ``Sequential([Conv2D, ..., MaxPooling2D])`` used as a
    layer) that holds a Conv2D and outputs feature maps (N, H, W, C) counts as one:
    the tools then read the block's output, the feature maps that leave it.
    """
    return [i for i, layer in enumerate(model.layers) if isinstance(layer, Conv2D) or _conv_block(layer)]


def _conv_block(layer):
    """True for a nested model that holds a Conv2D (at any depth) and outputs feature maps."""
    inner = getattr(layer, "layers", None)
    return (inner is not None and len(layer.output_shape) == 3
            and any(isinstance(sub, Conv2D) or _conv_block(sub) for sub in inner))


def last_conv_index(model):
    """Index of the model's last Conv2D layer."""
    indices = conv_layer_indices(model)
    if not indices:
        raise ValueError(f"Model '{model.name}' has no Conv2D layer; pass the layer to look at "
                         f"explicitly (layer=... or layers=[...]).")
    return indices[-1]


def chosen_layers(model, layers):
    """None -> every Conv2D; one index, name or layer; or a list of them -> a list of indices."""
    if layers is None:
        last_conv_index(model)                 # raises when the model has no Conv2D layer
        return conv_layer_indices(model)
    if isinstance(layers, (list, tuple)):
        return [model.layer_index(layer) for layer in layers]
    return [model.layer_index(layers)]


def gap_head_index(model):
    """Index of the GlobalAveragePooling2D layer directly followed by the final Dense layer."""
    layers = model.layers
    if len(layers) >= 3 and isinstance(layers[-2], GlobalAveragePooling2D) and isinstance(layers[-1], Dense):
        return len(layers) - 2
    raise ValueError(f"class_activation_map needs a model ending in GlobalAveragePooling2D -> Dense; "
                     f"model '{model.name}' ends in {[type(l).__name__ for l in layers[-3:]]}. "
                     f"Use grad_cam(model, x), which works for any conv net.")


def class_indices(class_index, scores):
    """None -> the predicted classes; an int -> that class for all; else one class per image."""
    n, n_classes = scores.shape
    if class_index is None:
        return scores.argmax(axis=1)
    classes = np.asarray(class_index)
    if classes.ndim == 0:
        classes = np.full(n, classes)
    if classes.shape != (n,) or classes.dtype.kind not in "iu" or classes.min() < 0 or classes.max() >= n_classes:
        raise ValueError(f"class_index must be None, an int in [0, {n_classes}) or {n} such ints, one "
                         f"per image. Received {class_index!r}.")
    return classes
