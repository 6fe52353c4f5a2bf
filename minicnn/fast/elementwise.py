"""Elementwise kernels: ReLU and its gradient, bias + ReLU fused, and bias gradients.

Each replaces a NumPy expression of the layer code (named in its docstring) and
is tested against it in ``tests/test_fast.py``.
"""
import numpy as np
from numba import njit, prange

from ..layers import ReLU

ROWS_PER_BLOCK = 1024


@njit(parallel=True, cache=True)
def relu(x):
    """Replaces ``np.maximum(x, 0)`` (``layers/activations.py``): one parallel pass."""
    flat = x.reshape(-1)
    out = np.empty_like(flat)
    for i in prange(flat.size):
        out[i] = 0 if flat[i] <= 0 else flat[i]      # written so that NaN stays NaN, as in np.maximum
    return out.reshape(x.shape)


@njit(parallel=True, cache=True)
def relu_backward(grad_out, out):
    """Replaces ``grad_out * (out > 0)`` (``ReLU.backward``)."""
    g = grad_out.reshape(-1)
    o = out.reshape(-1)
    dx = np.empty_like(g)
    for i in prange(g.size):
        dx[i] = g[i] if o[i] > 0 else 0
    return dx.reshape(grad_out.shape)


@njit(parallel=True, cache=True)
def bias_relu(z, bias):
    """Replaces ``np.maximum(z + bias, 0)`` (Conv2D's ``+ bias`` then ReLU) in one pass that
    overwrites ``z``: the caller's fresh matrix-product output, which nobody else holds."""
    f = bias.size
    flat = z.reshape(-1, f)
    for i in prange(flat.shape[0]):
        for k in range(f):
            v = flat[i, k] + bias[k]
            flat[i, k] = 0 if v <= 0 else v          # NaN stays NaN
    return z


@njit(parallel=True, cache=True)
def column_sums(g):
    """Replaces ``g.sum(axis=0)`` (the bias gradient): blocks of rows summed in parallel, in float64.

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


class FastReLU:
    """A standalone ``ReLU`` layer on the kernels above."""

    def __init__(self, layer):
        self.layer = layer

    def forward(self, x, training=False):
        self.cache = relu(np.ascontiguousarray(x))
        return self.cache

    def backward(self, grad_out):
        return relu_backward(np.ascontiguousarray(grad_out), self.cache)


class FastActivation:
    """The activation at the end of a fast Conv2D: ReLU fused with ``+ bias``, any other
    activation run by the layer's own NumPy code after a plain ``+ bias``."""

    def __init__(self, layer):
        self.layer = layer
        self.fused_relu = type(layer.activation) is ReLU

    def forward(self, z, training):
        """``activation(z + bias)``; ``z`` is fresh and may be overwritten."""
        bias = self.layer.params.get("bias")
        if self.fused_relu:
            if bias is None:
                bias = np.zeros(z.shape[-1], dtype=z.dtype)
            self.out = bias_relu(np.ascontiguousarray(z), bias)
            return self.out
        if bias is not None:
            z += bias
        return self.layer.activation.forward(z, training)

    def backward(self, grad_out):
        """``dL/dz`` from ``dL/dout``."""
        if self.fused_relu:
            return relu_backward(np.ascontiguousarray(grad_out), self.out)
        return self.layer.activation.backward(grad_out)
