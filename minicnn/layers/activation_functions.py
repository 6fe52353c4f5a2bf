"""Elementwise activation functions and their derivatives, as two lookup tables.

Every function maps x (any shape) to y of the same shape, one entry at a time,
so its Jacobian is diagonal and backward is one product::

    dx = grad_out * f'(x)

``DERIVATIVES[name](x, y)`` gives f'(x); it may use y = f(x) when that is
cheaper (sigmoid: y (1 - y); tanh: 1 - y**2), as scikit-learn's tables do.
Defaults follow Keras 3's *functions* (``keras.activations``): note that the
``leaky_relu`` function's slope is 0.2 while the ``LeakyReLU`` layer's is 0.3,
and ``gelu`` is exact unless ``approximate=True``.
"""
import math

import numpy as np


def sigmoid(x):
    """1 / (1 + exp(-x)), written as exp(-log(1 + exp(-x))) so no exp overflows."""
    return np.exp(-np.logaddexp(0, -x))


def sigmoid_derivative(x, y):
    """s' = s (1 - s): the slope is largest (1/4) at x = 0 and vanishes in the tails."""
    return y * (1 - y)


def tanh(x):
    return np.tanh(x)


def tanh_derivative(x, y):
    """tanh' = 1 - tanh**2."""
    return 1 - y * y


def leaky_relu(x, negative_slope=0.2):
    """x where x > 0, else negative_slope * x: a small gradient survives below 0."""
    return np.where(x > 0, x, negative_slope * x)


def leaky_relu_derivative(x, y, negative_slope=0.2):
    return np.where(x > 0, 1.0, negative_slope).astype(x.dtype)


def elu(x, alpha=1.0):
    """x where x > 0, else alpha (exp(x) - 1): smooth, and tends to -alpha below 0."""
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def elu_derivative(x, y, alpha=1.0):
    """1 above 0; below, d/dx alpha (exp(x) - 1) = alpha exp(x) = y + alpha."""
    return np.where(x > 0, 1.0, y + alpha).astype(x.dtype)


_erf = np.frompyfunc(math.erf, 1, 1)     # exact erf, one entry at a time (NumPy has none)


def normal_cdf(x):
    """Phi(x) = (1 + erf(x / sqrt 2)) / 2, the standard normal distribution function."""
    return (0.5 * (1 + _erf(x / np.sqrt(2)))).astype(x.dtype)


def gelu(x, approximate=False):
    """x Phi(x): x, weighted by how likely a standard normal value lies below it.

    ``approximate=True`` is the tanh form of Hendrycks & Gimpel (2016):
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x**3))).
    """
    if approximate:
        return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))
    return x * normal_cdf(x)


def gelu_derivative(x, y, approximate=False):
    """Exact: Phi(x) + x phi(x), phi the normal density. Approximate: the tanh form's
    derivative, with u = sqrt(2/pi) (x + 0.044715 x**3), t = tanh(u):
    0.5 (1 + t) + 0.5 x (1 - t**2) sqrt(2/pi) (1 + 3 * 0.044715 x**2)."""
    if approximate:
        c = np.sqrt(2 / np.pi)
        t = np.tanh(c * (x + 0.044715 * x ** 3))
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x)
    return normal_cdf(x) + x * np.exp(-0.5 * x * x) / np.sqrt(2 * np.pi)


def softplus(x):
    """log(1 + exp(x)), a smooth ReLU; ``logaddexp(0, x)`` never overflows."""
    return np.logaddexp(0, x)


def softplus_derivative(x, y):
    """d/dx log(1 + exp(x)) = exp(x) / (1 + exp(x)) = sigmoid(x)."""
    return sigmoid(x)


def silu(x):
    """x sigmoid(x) (also called swish): the input, gated by how positive it is."""
    return x * sigmoid(x)


def silu_derivative(x, y):
    """Product rule: s + x s (1 - s) = s (1 + x (1 - s)), s = sigmoid(x)."""
    s = sigmoid(x)
    return s * (1 + x * (1 - s))


ACTIVATIONS = {"sigmoid": sigmoid, "tanh": tanh, "leaky_relu": leaky_relu, "elu": elu, "gelu": gelu,
               "softplus": softplus, "silu": silu, "swish": silu}
DERIVATIVES = {"sigmoid": sigmoid_derivative, "tanh": tanh_derivative, "leaky_relu": leaky_relu_derivative,
               "elu": elu_derivative, "gelu": gelu_derivative, "softplus": softplus_derivative,
               "silu": silu_derivative, "swish": silu_derivative}
