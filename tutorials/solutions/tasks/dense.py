import numpy as np


def dense_forward(x, kernel, bias):
    """Dense layer: out = x @ kernel + bias.

    x: (N, D), kernel: (D, U), bias: (U,) -> out: (N, U).
    Returns (out, cache): cache is whatever dense_backward needs.
    """
    out = x @ kernel + bias
    cache = (x, kernel)
    return out, cache


def dense_backward(grad_out, cache):
    """grad_out: (N, U) = dL/dout -> (dx (N, D), dkernel (D, U), dbias (U,))."""
    x, kernel = cache
    dx = grad_out @ kernel.T           # each input reached every unit through its row of the kernel
    dkernel = x.T @ grad_out           # a sum over the batch of outer products
    dbias = grad_out.sum(axis=0)       # the bias was added to every row
    return dx, dkernel, dbias
