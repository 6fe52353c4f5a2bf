import numpy as np


def relu_forward(x):
    """out = max(x, 0), elementwise; x: any shape. Returns (out, cache)."""
    out = np.maximum(x, 0)
    return out, x


def relu_backward(grad_out, cache):
    """dx = grad_out where the input was positive, 0 elsewhere; same shape as x."""
    x = cache
    return grad_out * (x > 0)
