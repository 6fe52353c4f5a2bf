"""ZeroPadding2D: a frame of zeros around each feature map, as ``keras.layers.ZeroPadding2D``.

Shapes: (N, H, W, C) -> (N, top + H + bottom, left + W + right, C).
Backward: the padded cells are constants, so their gradient is dropped; the
rest is cropped back to (N, H, W, C).

``pad_images`` and ``crop_images`` are also how Conv2D and the pooling layers
handle ``padding="same"``.
"""
import numpy as np

from .base import Layer
from .shapes import check_image_shape


def pad_images(x, padding, value=0):
    """x (N, H, W, C), padding ((top, bottom), (left, right)) -> (N, top+H+bottom, left+W+right, C)."""
    return np.pad(x, ((0, 0), *padding, (0, 0)), constant_values=value)


def crop_images(x, padding):
    """The inverse of ``pad_images``: cut the frame off again."""
    (top, bottom), (left, right) = padding
    return x[:, top:x.shape[1] - bottom, left:x.shape[2] - right, :]


def normalize_padding(padding):
    """``1``, ``(1, 2)`` or ``((1, 1), (2, 2))`` -> ``((top, bottom), (left, right))``."""
    def is_count(v):
        return isinstance(v, (int, np.integer)) and v >= 0

    if is_count(padding):
        return ((int(padding),) * 2,) * 2
    try:
        if len(padding) == 2 and all(is_count(p) for p in padding):
            return tuple((int(p), int(p)) for p in padding)
        if len(padding) == 2 and all(len(p) == 2 and all(is_count(v) for v in p) for p in padding):
            return tuple((int(a), int(b)) for a, b in padding)
    except TypeError:
        pass
    raise ValueError("ZeroPadding2D: padding must be an int, (h, w) or ((top, bottom), (left, right)) "
                     f"of non-negative ints. Received padding={padding!r}.")


class ZeroPadding2D(Layer):
    """Add zero rows and columns around each image.

    >>> ZeroPadding2D(1)(np.ones((1, 28, 28, 1), "float32")).shape
    (1, 30, 30, 1)
    """

    def __init__(self, padding=1, **kwargs):
        super().__init__(**kwargs)
        self.padding = normalize_padding(padding)

    def compute_output_shape(self, input_shape):
        check_image_shape(self, input_shape)
        (top, bottom), (left, right) = self.padding
        h, w, c = input_shape
        return (top + h + bottom, left + w + right, c)

    def forward(self, x, training=False):
        return pad_images(x, self.padding)

    def backward(self, grad_out):
        return crop_images(grad_out, self.padding)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}
