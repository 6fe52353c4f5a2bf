"""Dense (fully connected) and Flatten.

Dense, with x (N, D), kernel (D, U), bias (U,)::

    z = x @ kernel + bias            (N, U), then the activation
    dkernel = x.T @ dz               (D, U): sum over the batch of outer products
    dbias   = dz.sum(axis=0)         (U,): the bias was added to every row
    dx      = dz @ kernel.T          (N, D)

Flatten: (N, H, W, C) -> (N, H*W*C) in row-major order; backward reshapes back.
"""
import numpy as np

from . import activations
from .base import Layer, glorot_uniform, regularizer_config, weight_regularizers
from .shapes import check_positive_ints


class Dense(Layer):
    """``units`` outputs, each a weighted sum of all inputs, as ``keras.layers.Dense``.

    >>> Dense(10, activation="softmax")(np.zeros((4, 64), "float32")).shape
    (4, 10)
    """

    def __init__(self, units, activation=None, use_bias=True, kernel_regularizer=None, bias_regularizer=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.regularizers = weight_regularizers(kernel_regularizer, bias_regularizer)
        self.units = check_positive_ints("Dense", "units", units, length=1)[0]
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 1:
            raise ValueError(f"Dense '{self.name}' expects flat inputs (features,) per sample. "
                             f"Received input shape {input_shape}: put a Flatten() or "
                             f"GlobalAveragePooling2D() layer before it.")
        return (self.units,)

    def build(self, input_shape):
        super().build(input_shape)
        fan_in = self.input_shape[0]
        self.add_param("kernel", glorot_uniform((fan_in, self.units), fan_in, self.units))
        if self.use_bias:
            self.add_param("bias", np.zeros(self.units, dtype=self.params["kernel"].dtype))

    def forward(self, x, training=False):
        z = x @ self.params["kernel"]
        if self.use_bias:
            z = z + self.params["bias"]
        self.cache = x
        return self.activation.forward(z, training)

    def backward(self, grad_out):
        return self.backward_preactivation(self.activation.backward(grad_out))

    def backward_preactivation(self, grad_z):
        """Backward pass from ``dL/dz`` (N, U), z being the output before the activation."""
        x = self.cache
        self.grads["kernel"] = x.T @ grad_z
        if self.use_bias:
            self.grads["bias"] = grad_z.sum(axis=0)
        return grad_z @ self.params["kernel"].T

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "activation": activations.activation_name(self), "use_bias": self.use_bias,
                **regularizer_config(self)}


class Flatten(Layer):
    """(N, H, W, C) -> (N, H*W*C) in row-major order, the same order as Keras's Flatten,
    so a Dense kernel after it moves between the two libraries unchanged."""

    def compute_output_shape(self, input_shape):
        return (int(np.prod(input_shape)),)

    def forward(self, x, training=False):
        self.cache = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, grad_out):
        return grad_out.reshape(self.cache)
