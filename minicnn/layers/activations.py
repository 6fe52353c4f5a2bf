"""Activation layers: ReLU, Softmax, Linear, LeakyReLU, ELU, and ``Activation(name)``.

Shapes: x (N, ...) -> out of the same shape; softmax works along the last axis.

Each is a layer with its own exact backward pass. ``Dense`` and ``Conv2D`` hold
one of them in ``self.activation`` when given ``activation="relu"`` and so on.
The elementwise functions (sigmoid, tanh, leaky_relu, elu, gelu, softplus,
silu/swish) and their derivatives live in ``activation_functions.py``; one
class, ``Elementwise``, turns any of them into a layer.
"""
import inspect

import numpy as np

from . import activation_functions as functions
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


class Elementwise(ActivationLayer):
    """``y = f(x)`` for a function of ``activation_functions.ACTIVATIONS``; ``dx = grad_out * f'(x)``.

    ``options`` are the function's keyword arguments (``negative_slope``, ``alpha``,
    ``approximate``); left out, the function's own (Keras's) defaults apply.
    """

    def __init__(self, function, options=None, **kwargs):
        super().__init__(**kwargs)
        if function not in functions.ACTIVATIONS:
            raise ValueError(f"Unknown elementwise activation {function!r}. "
                             f"Use one of: {', '.join(functions.ACTIVATIONS)}.")
        self.function, self.options = function, dict(options or {})

    def forward(self, x, training=False):
        out = functions.ACTIVATIONS[self.function](x, **self.options)
        self.cache = (x, out)
        return out

    def backward(self, grad_out):
        x, out = self.cache
        return grad_out * functions.DERIVATIVES[self.function](x, out, **self.options)

    def get_config(self):
        return {**super().get_config(), "function": self.function, "options": self.options}


class LeakyReLU(Elementwise):
    """Keras's ``LeakyReLU`` layer: x above 0, ``negative_slope * x`` below (default 0.3, while
    the ``"leaky_relu"`` function's default is 0.2, as in Keras 3)."""

    def __init__(self, negative_slope=0.3, **kwargs):
        super().__init__("leaky_relu", {"negative_slope": float(negative_slope)}, **kwargs)
        self.negative_slope = float(negative_slope)

    def get_config(self):
        return {**Layer.get_config(self), "negative_slope": self.negative_slope}


class ELU(Elementwise):
    """Keras's ``ELU`` layer: x above 0, ``alpha (exp(x) - 1)`` below."""

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__("elu", {"alpha": float(alpha)}, **kwargs)
        self.alpha = float(alpha)

    def get_config(self):
        return {**Layer.get_config(self), "alpha": self.alpha}


ACTIVATIONS = {None: Linear, "linear": Linear, "relu": ReLU, "softmax": Softmax,
               **{name: Elementwise for name in functions.ACTIVATIONS}}


def get(activation):
    """A new activation layer for a name ("relu", "gelu", ... or None) or a copy of a given one.

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
    if ACTIVATIONS[activation] is Elementwise:
        return Elementwise(activation, name=activation)
    return ACTIVATIONS[activation](name=activation or "linear")


def activation_name(layer):
    """The string Keras would use for ``layer.activation`` ("relu", "softmax", "gelu", ...)."""
    activation = layer.activation
    if isinstance(activation, Elementwise):
        defaults = inspect.signature(functions.ACTIVATIONS[activation.function]).parameters
        if any(defaults[option].default != value for option, value in activation.options.items()):
            raise ValueError(f"{activation.name}: {activation.function} with {activation.options} has no "
                             f"Keras activation name; use it as a layer of its own.")
        return activation.function
    return {Linear: "linear", ReLU: "relu", Softmax: "softmax"}[type(activation)]


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
