"""Activation layers: ReLU, Softmax, Linear, and ``Activation(name)``.

Each is a layer with its own exact backward pass. ``Dense`` and ``Conv2D`` hold
one of them in ``self.activation`` when given ``activation="relu"`` and so on.

ReLU is elementwise and hot (it runs on every conv output), so it has a numba
kernel; the NumPy reference beside it is the definition.
"""
import numpy as np
from numba import njit, prange

from .base import Layer


def relu_reference(x):
    """ReLU(x) = max(x, 0), elementwise."""
    return np.maximum(x, 0)


@njit(parallel=True, cache=True)
def relu(x):
    """Fast path of ``relu_reference``: one parallel pass over the flat array."""
    flat = x.reshape(-1)
    out = np.empty_like(flat)
    for i in prange(flat.size):
        out[i] = 0 if flat[i] <= 0 else flat[i]      # written so that NaN stays NaN, as in np.maximum
    return out.reshape(x.shape)


def relu_backward_reference(grad_out, out):
    """dReLU: the gradient passes where the output was positive, else 0."""
    return grad_out * (out > 0)


@njit(parallel=True, cache=True)
def relu_backward(grad_out, out):
    """Fast path of ``relu_backward_reference``."""
    g = grad_out.reshape(-1)
    o = out.reshape(-1)
    dx = np.empty_like(g)
    for i in prange(g.size):
        dx[i] = g[i] if o[i] > 0 else 0
    return dx.reshape(grad_out.shape)


def bias_relu_reference(z, bias):
    """ReLU(z + bias), bias (F,) broadcast over the last axis of z (..., F)."""
    return np.maximum(z + bias, 0)


@njit(parallel=True, cache=True)
def bias_relu(z, bias):
    """Fast path of ``bias_relu_reference``, fused into one pass that overwrites ``z``.

    Conv2D and Dense call it on the fresh output of their matrix product, which
    nobody else holds, so writing in place saves a second large array.
    """
    f = bias.size
    flat = z.reshape(-1, f)
    for i in prange(flat.shape[0]):
        for k in range(f):
            v = flat[i, k] + bias[k]
            flat[i, k] = 0 if v <= 0 else v          # NaN stays NaN
    return z


class ActivationLayer(Layer):
    """An activation is its own activation: the backward below it is the identity."""

    @property
    def activation(self):
        return self

    def forward_with_bias(self, z, bias, training=False):
        """``forward(z + bias)``; ``z`` is a fresh array of the calling layer, so it may be overwritten."""
        if bias is not None:
            z += bias
        return self.forward(z, training)

    def backward_preactivation(self, grad_z):
        return grad_z


class Linear(ActivationLayer):
    """The identity: ``activation=None`` or ``"linear"``."""

    def forward(self, x, training=False):
        return x

    def backward(self, grad_out):
        return grad_out


class ReLU(ActivationLayer):
    """y = max(x, 0). Keeps its output: the gradient flows where y > 0."""

    def forward(self, x, training=False):
        x = np.ascontiguousarray(x)
        self.out = relu(x)
        return self.out

    def backward(self, grad_out):
        return relu_backward(np.ascontiguousarray(grad_out), self.out)

    def forward_with_bias(self, z, bias, training=False):
        """ReLU(z + bias) in one pass over ``z`` (see ``bias_relu``)."""
        if bias is None:
            bias = np.zeros(z.shape[-1], dtype=z.dtype)
        self.out = bias_relu(np.ascontiguousarray(z), bias)
        return self.out


class Softmax(ActivationLayer):
    """Softmax over the last axis: s_i = exp(z_i) / sum_j exp(z_j).

    Notes
    -----
    Subtracting ``max(z)`` first changes nothing mathematically (it cancels in
    the ratio) but keeps ``exp`` from overflowing.

    Backward is the Jacobian-vector product. With ``ds_i/dz_j = s_i (delta_ij - s_j)``::

        dz_j = sum_i g_i s_i (delta_ij - s_j) = s_j (g_j - sum_i g_i s_i)
    """

    def forward(self, x, training=False):
        self.logits = x
        shifted = x - x.max(axis=-1, keepdims=True)
        exp = np.exp(shifted)
        self.out = exp / exp.sum(axis=-1, keepdims=True)
        return self.out

    def backward(self, grad_out):
        s = self.out
        return s * (grad_out - (grad_out * s).sum(axis=-1, keepdims=True))


ACTIVATIONS = {None: Linear, "linear": Linear, "relu": ReLU, "softmax": Softmax}


def get(name):
    """A new activation layer for ``name`` (None, "linear", "relu", "softmax")."""
    if isinstance(name, ActivationLayer):
        return name
    if name not in ACTIVATIONS:
        known = ", ".join(repr(k) for k in ACTIVATIONS)
        raise ValueError(f"Unknown activation {name!r}. Use one of: {known}.")
    # Named after the function, so an activation held inside Dense does not
    # use up the counters that number standalone layers (re_lu, re_lu_1, ...).
    return ACTIVATIONS[name](name=name or "linear")


def activation_name(layer):
    """The string Keras would use for ``layer.activation`` ("relu", "softmax", "linear")."""
    return {Linear: "linear", ReLU: "relu", Softmax: "softmax"}[type(layer.activation)]


class Activation(ActivationLayer):
    """Keras's ``Activation(name)`` layer: applies the named activation."""

    def __init__(self, activation, name=None):
        super().__init__(name=name)
        self.function = get(activation)

    @property
    def activation(self):
        return self.function

    def forward(self, x, training=False):
        return self.function.forward(x, training)

    def backward(self, grad_out):
        return self.function.backward(grad_out)

    def get_config(self):
        return {**super().get_config(), "activation": activation_name(self)}
