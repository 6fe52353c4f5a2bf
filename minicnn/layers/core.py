"""Dense (fully connected) and Flatten.

Dense, with x (N, D), kernel (D, U), bias (U,)::

    z = x @ kernel + bias            (N, U), then the activation
    dkernel = x.T @ dz               (D, U): sum over the batch of outer products
    dbias   = dz.sum(axis=0)         (U,)
    dx      = dz @ kernel.T          (N, D)

Both Dense and Conv2D get their bias gradient from ``column_sums``: a bias is
added to every row of ``z``, so its gradient is the sum of ``dz`` over all rows.
"""
import numpy as np
from numba import njit, prange

from . import activations
from .base import Layer, check_positive_ints, glorot_uniform

ROWS_PER_BLOCK = 1024


def column_sums_reference(g):
    """``g.sum(axis=0)`` for ``g`` (rows, F): the bias gradient, one sum per output channel."""
    return g.sum(axis=0, dtype=np.float64).astype(g.dtype)


@njit(parallel=True, cache=True)
def column_sums(g):
    """Fast path of ``column_sums_reference``: blocks of rows summed in parallel, in float64.

    A conv layer's bias gradient sums 235,200 rows; adding them one by one in
    float32 loses about 3 digits, and NumPy's ``sum(axis=0)`` does just that
    (its pairwise summation runs along the contiguous axis only).
    """
    rows, f = g.shape
    blocks = -(-rows // ROWS_PER_BLOCK)
    partial = np.zeros((blocks, f), dtype=np.float64)
    for block in prange(blocks):
        for i in range(block * ROWS_PER_BLOCK, min(rows, (block + 1) * ROWS_PER_BLOCK)):
            for k in range(f):
                partial[block, k] += g[i, k]
    return partial.sum(axis=0).astype(g.dtype)


class Dense(Layer):
    """``units`` outputs, each a weighted sum of all inputs, as ``keras.layers.Dense``.

    >>> Dense(10, activation="softmax")(np.zeros((4, 64), "float32")).shape
    (4, 10)
    """

    def __init__(self, units, activation=None, use_bias=True, name=None):
        super().__init__(name=name)
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
        self.x = x
        z = x @ self.params["kernel"]
        return self.activation.forward_with_bias(z, self.params.get("bias"), training)

    def backward(self, grad_out):
        return self.backward_preactivation(self.activation.backward(grad_out))

    def backward_preactivation(self, grad_z):
        """Backward pass from ``dL/dz`` (N, U), z being the output before the activation."""
        self.grads["kernel"] = self.x.T @ grad_z
        if self.use_bias:
            self.grads["bias"] = column_sums(np.ascontiguousarray(grad_z))
        return grad_z @ self.params["kernel"].T

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "activation": activations.activation_name(self), "use_bias": self.use_bias}


class Flatten(Layer):
    """(N, H, W, C) -> (N, H*W*C) in row-major order, the same order as Keras's Flatten,
    so a Dense kernel after it moves between the two libraries unchanged."""

    def compute_output_shape(self, input_shape):
        return (int(np.prod(input_shape)),)

    def forward(self, x, training=False):
        self.x_shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, grad_out):
        return grad_out.reshape(self.x_shape)
