"""Layers that only rescale or rearrange values: Rescaling and Reshape.

Rescaling, x (N, ...) -> out of the same shape::

    out = x * scale + offset          dx = grad_out * scale

``Rescaling(1 / 255)`` turns uint8 pixels into [0, 1] inside the model, as in Keras.

Reshape, x (N, ...) -> (N, *target_shape), the values in the same row-major
order (one entry of ``target_shape`` may be -1: "whatever fits"); backward puts
the gradient back into the input's shape.
"""
import numpy as np

from .base import Layer
from .shapes import check_number


def check_target_shape(target_shape):
    """A tuple of positive ints, at most one of them -1, or say what is wrong."""
    try:
        shape = tuple(target_shape)
    except TypeError:
        shape = None
    if (shape is None or not all(isinstance(d, (int, np.integer)) and (d > 0 or d == -1) for d in shape)
            or shape.count(-1) > 1):
        raise ValueError(f"Reshape: target_shape must be a tuple of positive ints, one of them may be -1 "
                         f"(whatever fits). Received target_shape={target_shape!r}.")
    return tuple(int(d) for d in shape)


class Rescaling(Layer):
    """``keras.layers.Rescaling(scale, offset=0.0)``: multiply, then add."""

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = check_number("Rescaling", "scale", scale)
        self.offset = check_number("Rescaling", "offset", offset)

    def forward(self, x, training=False):
        return x * x.dtype.type(self.scale) + x.dtype.type(self.offset)

    def backward(self, grad_out):
        return grad_out * grad_out.dtype.type(self.scale)

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}


class Reshape(Layer):
    """``keras.layers.Reshape(target_shape)``, the shape without the batch axis."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = check_target_shape(target_shape)

    def compute_output_shape(self, input_shape):
        size = int(np.prod(input_shape))
        known = int(np.prod([d for d in self.target_shape if d != -1]))
        shape = tuple(size // known if d == -1 else d for d in self.target_shape)
        if int(np.prod(shape)) != size:
            raise ValueError(f"Reshape '{self.name}': cannot reshape inputs {(None, *input_shape)} "
                             f"({size} values each) to {(None, *self.target_shape)}.")
        return shape

    def forward(self, x, training=False):
        self.cache = x.shape
        return x.reshape(len(x), *self.output_shape)

    def backward(self, grad_out):
        return grad_out.reshape(self.cache)

    def get_config(self):
        return {**super().get_config(), "target_shape": self.target_shape}
