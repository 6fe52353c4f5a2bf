"""Activation layers: ReLU, Softmax, Linear, and ``Activation(name)``.

Shapes: x (N, ...) -> out of the same shape; softmax works along the last axis.

Each is a layer with its own exact backward pass. ``Dense`` and ``Conv2D`` hold
one of them in ``self.activation`` when given ``activation="relu"`` and so on.
"""
import numpy as np

from .base import Layer


class ActivationLayer(Layer):
    """An activation is its own activation: the backward below it is the identity."""

    @property
    def activation(self):
        return self

    def backward_preactivation(self, grad_z):
        return grad_z


class Linear(ActivationLayer):
    """The identity: ``activation=None`` or ``"linear"``."""

    def forward(self, x, training=False):
        return x

    def backward(self, grad_out):
        return grad_out


class ReLU(ActivationLayer):
    """y = max(x, 0). dy/dx is 1 where y > 0, else 0: the gradient flows where the unit fired."""

    def forward(self, x, training=False):
        out = np.maximum(x, 0)            # NaN stays NaN
        self.cache = out
        return out

    def backward(self, grad_out):
        return grad_out * (self.cache > 0)


class Softmax(ActivationLayer):
    """Softmax over the last axis: s_i = exp(z_i) / sum_j exp(z_j).

    Notes
    -----
    Subtracting ``max(z)`` first changes nothing mathematically (it cancels in
    the ratio) but keeps ``exp`` from overflowing.

    Backward is the Jacobian-vector product. With ``ds_i/dz_j = s_i (delta_ij - s_j)``::

        dz_j = sum_i g_i s_i (delta_ij - s_j) = s_j (g_j - sum_i g_i s_i)

    The cache keeps the logits too: the model's fused softmax + cross-entropy
    gradient starts from them.
    """

    def forward(self, x, training=False):
        shifted = x - x.max(axis=-1, keepdims=True)
        exp = np.exp(shifted)
        out = exp / exp.sum(axis=-1, keepdims=True)
        self.cache = (x, out)
        return out

    @property
    def logits(self):
        """The input of the last forward pass."""
        return self.cache[0]

    def backward(self, grad_out):
        s = self.cache[1]
        return s * (grad_out - (grad_out * s).sum(axis=-1, keepdims=True))


ACTIVATIONS = {None: Linear, "linear": Linear, "relu": ReLU, "softmax": Softmax}


def get(activation):
    """A new activation layer for a name (None, "linear", "relu", "softmax") or a copy of a given one.

    Each layer gets its own object, because an activation keeps its forward
    pass's output for backward: two layers sharing one would overwrite it.
    """
    if isinstance(activation, ActivationLayer):
        return type(activation)(**activation.get_config())
    if activation not in ACTIVATIONS:
        known = ", ".join(repr(k) for k in ACTIVATIONS)
        raise ValueError(f"Unknown activation {activation!r}. Use one of: {known}.")
    # Named after the function, so an activation held inside Dense does not
    # use up the counters that number standalone layers (re_lu, re_lu_1, ...).
    return ACTIVATIONS[activation](name=activation or "linear")


def activation_name(layer):
    """The string Keras would use for ``layer.activation`` ("relu", "softmax", "linear")."""
    return {Linear: "linear", ReLU: "relu", Softmax: "softmax"}[type(layer.activation)]


class Activation(ActivationLayer):
    """Keras's ``Activation(name)`` layer: applies the named activation."""

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
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
