"""Batch normalization: give every channel zero mean and unit variance over the batch.

Shape legend (channels-last; the statistics are per channel, over all other axes)::

    x, out                (N, H, W, C)  or (N, C)
    gamma, beta           (C,)           trainable scale and shift
    moving_mean/variance  (C,)           non-trainable running statistics
    m = N*H*W                            how many values each channel's statistics average

Forward, training (the batch's statistics)::

    mean = x.mean(axes)            var = ((x - mean)**2).mean(axes)     (biased, as Keras)
    std  = sqrt(var + epsilon)     x_hat = (x - mean) / std
    out  = gamma * x_hat + beta
    moving_mean     = momentum * moving_mean     + (1 - momentum) * mean
    moving_variance = momentum * moving_variance + (1 - momentum) * var

At inference (and when the layer is frozen) ``mean`` and ``var`` are the moving
ones: constants, so the layer is an affine map per channel.

Backward (training). ``dgamma = sum(grad_out * x_hat)``, ``dbeta = sum(grad_out)``
(sums over ``axes``). For dx, let ``g = grad_out * gamma = dL/dx_hat``. Every x_i
moves x_hat_i directly, and also moves the mean and the variance, which move
*every* x_hat_j. Collecting the three paths::

    dL/dx_i = g_i / std                                   (1) through x_hat_i itself
            - sum_j g_j / (m std)                         (2) through the mean
            - x_hat_i * sum_j (g_j x_hat_j) / (m std)     (3) through the variance

using ``d mean / dx_i = 1/m`` and ``d var / dx_i = 2 (x_i - mean) / m``, so
``d x_hat_j / d var = -x_hat_j / (2 var')`` with ``var' = std**2``. Together::

    dx = (g - g.mean(axes) - x_hat * (g * x_hat).mean(axes)) / std

At inference it is only term (1): ``dx = grad_out * gamma / std``.
"""
import numpy as np

from .. import backend
from .base import Layer
from .shapes import check_number


def batch_moments(x):
    """Per-channel mean and (biased) variance over every axis but the last: two (C,) arrays.

    The sums run in float64: a float32 sum of 100,000 values would lose about 4 digits.
    """
    axes = tuple(range(x.ndim - 1))
    mean = x.mean(axis=axes, dtype=np.float64)
    variance = ((x - mean) ** 2).mean(axis=axes)
    return mean.astype(x.dtype), variance.astype(x.dtype)


def normalize(x, mean, variance, epsilon):
    """``(x_hat, std)``: x shifted to mean 0 and scaled to variance 1, channel by channel."""
    std = np.sqrt(variance + epsilon)
    return (x - mean) / std, std


def batchnorm_backward(g, x_hat, std):
    """dL/dx from ``g = dL/dx_hat`` in training mode: the three terms of the docstring."""
    axes = tuple(range(g.ndim - 1))
    return (g - g.mean(axis=axes) - x_hat * (g * x_hat).mean(axis=axes)) / std


class BatchNormalization(Layer):
    """``keras.layers.BatchNormalization`` over the channels (the last axis).

    >>> bn = BatchNormalization()
    >>> bn(np.ones((4, 5, 5, 3), "float32"), training=True).shape
    (4, 5, 5, 3)
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True, **kwargs):
        super().__init__(**kwargs)
        if axis not in (-1, 3, 1):
            raise ValueError(f"BatchNormalization: minicnn normalises the channels, the last axis. "
                             f"Received axis={axis!r}; use axis=-1.")
        self.axis = axis
        self.momentum = check_number("BatchNormalization", "momentum", momentum, 0, 1)
        self.epsilon = check_number("BatchNormalization", "epsilon", epsilon, 0, low_included=False)
        self.center, self.scale = bool(center), bool(scale)

    def build(self, input_shape):
        super().build(input_shape)
        if self.axis != -1 and self.axis != len(self.input_shape):
            raise ValueError(f"BatchNormalization '{self.name}': axis={self.axis} is not the last axis of "
                             f"inputs {(None, *self.input_shape)}; minicnn normalises the last one.")
        channels = self.input_shape[-1]
        dtype = backend.floatx()
        if self.scale:
            self.add_param("gamma", np.ones(channels, dtype))
        if self.center:
            self.add_param("beta", np.zeros(channels, dtype))
        self.add_state("moving_mean", np.zeros(channels, dtype))
        self.add_state("moving_variance", np.ones(channels, dtype))

    def forward(self, x, training=False):
        training = training and self.trainable          # a frozen layer uses its moving statistics
        if training:
            mean, variance = batch_moments(x)
            for name, batch_value in (("moving_mean", mean), ("moving_variance", variance)):
                moving = self.state[name]
                moving[...] = moving * self.momentum + batch_value * (1 - self.momentum)
        else:
            mean, variance = self.state["moving_mean"], self.state["moving_variance"]
        x_hat, std = normalize(x, mean, variance, self.epsilon)
        self.cache = (training, x_hat, std)
        out = x_hat * self.params["gamma"] if self.scale else x_hat
        return out + self.params["beta"] if self.center else out

    def backward(self, grad_out):
        training, x_hat, std = self.cache
        axes = tuple(range(grad_out.ndim - 1))
        if self.scale:                                   # sums in float64, as in batch_moments
            self.grads["gamma"] = (grad_out * x_hat).sum(axis=axes, dtype=np.float64).astype(grad_out.dtype)
        if self.center:
            self.grads["beta"] = grad_out.sum(axis=axes, dtype=np.float64).astype(grad_out.dtype)
        g = grad_out * self.params["gamma"] if self.scale else grad_out
        return batchnorm_backward(g, x_hat, std) if training else g / std

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "momentum": self.momentum,
                "epsilon": self.epsilon, "center": self.center, "scale": self.scale}

