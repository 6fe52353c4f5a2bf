"""Class Activation Maps (CAM) and Grad-CAM: where in the image the network looked.

    >>> from minicnn import zoo
    >>> from minicnn.interpret.cam import class_activation_map, grad_cam
    >>> model = zoo.gap_cnn()                        # train it first for useful maps
    >>> x = np.zeros((2, 28, 28, 1), "float32")
    >>> class_activation_map(model, x).shape, grad_cam(model, x, class_index=3).shape
    ((2, 28, 28), (2, 28, 28))

Both methods build the map of class c from the feature maps ``A: (N, h, w, K)``
of one layer as a weighted sum over its K channels, and differ only in the
channel weights ``alpha: (N, K)`` (as in pytorch-grad-cam, whose ``BaseCAM``
this follows)::

    raw[n, i, j] = sum_k alpha[n, k] * A[n, i, j, k]

- CAM (Zhou et al., 2016) needs the head GlobalAveragePooling2D -> Dense. The
  class score (logit) is then ``z_c = sum_k w[k, c] * mean_ij A[i, j, k] + b_c``,
  so ``alpha = w[:, c]``, a column of the Dense kernel; A is what GAP averages.
- Grad-CAM (Selvaraju et al., 2017) works for any conv net:
  ``alpha_k = mean_ij dz_c / dA[i, j, k]``, the gradient of the class score
  (before the softmax) with respect to the layer's output, averaged over space.

On a GAP net and its last conv layer the two agree: ``dz_c/dA[i, j, k] =
w[k, c] / (h*w)`` at every (i, j), so Grad-CAM's alpha is CAM's divided by h*w
and the raw maps are proportional.

From raw map to heatmap ``(N, H, W)`` in [0, 1]:

1. Grad-CAM keeps only the evidence for the class: ``ReLU(raw)``. CAM, as in
   its paper, does not; its lowest values mark evidence against the class.
2. ``upsample``: bilinear, to the input's H x W.
3. ``normalize``: min-max, each map to [0, 1] (a constant map becomes zeros).
"""
import numpy as np

from ..checks import model_input
from ..layers.image_transform import upsample
from .targets import class_indices, gap_head_index, last_conv_index


# ----------------------------------------------------------------------------
# Scaling maps (upsample, step 2, is in layers/image_transform.py)
# ----------------------------------------------------------------------------
def normalize(maps):
    """Min-max scale each map of ``(N, H, W)`` to [0, 1]; a constant map becomes all zeros."""
    low = maps.min(axis=(1, 2), keepdims=True)
    span = maps.max(axis=(1, 2), keepdims=True) - low
    return np.where(span > 0, (maps - low) / np.where(span > 0, span, 1), 0.0)


# ----------------------------------------------------------------------------
# Channel weights: the only difference between the methods
# ----------------------------------------------------------------------------


def cam_weights(model, layer_index, activations, classes):
    """CAM: ``alpha[n, k] = w[k, classes[n]]``, the Dense kernel's column for each image's class."""
    dense = model.layers[gap_head_index(model) + 1]
    return dense.params["kernel"][:, classes].T                              # (N, K)


def grad_cam_weights(model, layer_index, activations, classes):
    """Grad-CAM: ``alpha[n, k] = mean_ij dz_c/dA[n, i, j, k]``, z_c the class's logit.

    The layers above run on ``A``, then backward starts from ``dz/dz_c``, one-hot
    on each image's class, below the last activation (``from_logits=True``) and
    ends at their input, ``A``; images do not interact, so one pass gives every
    image the gradient of its own class score. It overwrites the layers' ``grads``
    (which only training reads, after its own backward pass).
    """
    n_classes = model.layers[-1].output_shape[-1]
    grad_logits = np.eye(n_classes, dtype=activations.dtype)[classes]        # (N, classes)
    model.forward(activations, start=layer_index + 1)
    grad_out = model.backward(grad_logits, from_logits=True)                 # dz_c/dA: (N, h, w, K)
    return grad_out.mean(axis=(1, 2))                                        # (N, K)


# method -> (its channel weights, whether ReLU keeps only positive evidence)
METHODS = {"cam": (cam_weights, False), "grad_cam": (grad_cam_weights, True)}


# ----------------------------------------------------------------------------
# The shared base
# ----------------------------------------------------------------------------
def _target_layer(model, layer, method):
    if method == "cam":      # CAM reads exactly the maps that GAP averages
        index = gap_head_index(model) - 1
        if layer is not None and model.layer_index(layer) != index:
            raise ValueError(f"CAM reads the input of GlobalAveragePooling2D, layer {index} "
                             f"('{model.layers[index].name}'). Received layer={layer!r}; "
                             f"use method='grad_cam' for other layers.")
        return index
    index = last_conv_index(model) if layer is None else model.layer_index(layer)
    if len(model.layers[index].output_shape) != 3:
        raise ValueError(f"Grad-CAM needs a layer with feature maps (H, W, C); layer "
                         f"'{model.layers[index].name}' outputs {model.layers[index].output_shape}.")
    return index




def raw_heatmaps(model, x, class_index=None, layer=None, method="grad_cam"):
    """The base of both methods: ``sum_k alpha[n, k] * A[n, :, :, k]``, no ReLU, no resizing.

    Parameters
    ----------
    x : (N, H, W, C) model input
    class_index : None (the predicted class), an int, or N ints
    layer : index, name or layer object; Grad-CAM only (default the last Conv2D)
    method : "cam" or "grad_cam"

    Returns
    -------
    maps : (N, h, w) at the layer's resolution
    classes : (N,) the class each map explains
    """
    if method not in METHODS:
        raise ValueError(f"Unknown method {method!r}; use one of {sorted(METHODS)}.")
    channel_weights, _ = METHODS[method]
    x = model_input(model, x)
    index = _target_layer(model, layer, method)
    outputs = model.forward(x, return_outputs=True)        # one pass: every layer's output
    activations, scores = outputs[index], outputs[-1]      # A (N, h, w, K) and the class scores
    classes = class_indices(class_index, scores)
    alpha = channel_weights(model, index, activations, classes)
    return (activations * alpha[:, None, None, :]).sum(axis=-1), classes


def compute_heatmaps(model, x, class_index=None, layer=None, method="grad_cam"):
    """``(N, H, W)`` maps in [0, 1]: ``raw_heatmaps``, ReLU for Grad-CAM, upsampled, normalised.

    All of ``x`` runs as one batch (the backward pass keeps every layer's
    buffers): for thousands of images, call it on slices of a few hundred.
    """
    raw, _ = raw_heatmaps(model, x, class_index, layer, method)
    if METHODS[method][1]:
        raw = np.maximum(raw, 0)
    return normalize(upsample(raw, model.input_shape[:2]))


def class_activation_map(model, x, class_index=None):
    """CAM of a model ending in GlobalAveragePooling2D -> Dense: ``(N, H, W)`` in [0, 1]."""
    return compute_heatmaps(model, x, class_index, method="cam")


def grad_cam(model, x, class_index=None, layer=None):
    """Grad-CAM of any conv net at ``layer`` (default the last Conv2D): ``(N, H, W)`` in [0, 1]."""
    return compute_heatmaps(model, x, class_index, layer, method="grad_cam")
