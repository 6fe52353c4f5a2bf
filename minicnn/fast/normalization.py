"""BatchNormalization on the fast backend: each pass of ``layers/normalization.py`` in one loop.

The NumPy layer makes about ten passes over a (N, H, W, C) batch (a mean, a
variance, a subtraction, a division, ... each a temporary array). Here the
batch is seen as rows of C channels and each kernel reads it once or twice:

- ``channel_moments``   replaces ``batch_moments``: per-channel sums of x and x**2
  over blocks of rows in parallel, added in float64, so the variance
  ``E[x**2] - E[x]**2`` keeps its digits;
- ``scale_shift``       replaces ``normalize`` + ``* gamma + beta``, and keeps x_hat;
- ``channel_dot_sums``  replaces ``grad_out.sum`` and ``(grad_out * x_hat).sum``;
- ``batchnorm_dx``      replaces ``batchnorm_backward`` (the three terms) in one pass.
"""
import numpy as np
from numba import njit, prange

ROWS_PER_BLOCK = 512


def channel_moments(x2):
    """``(mean, variance)`` per column of ``x2`` (rows, C), both float64: from sum(x) and sum(x * x)."""
    sums, squares = channel_dot_sums(x2, x2)
    mean = sums / x2.shape[0]
    return mean, np.maximum(squares / x2.shape[0] - mean * mean, 0.0)


@njit(parallel=True, cache=True)
def scale_shift(x2, mean, inv_std, gamma, beta):
    """``(out, x_hat)``: x_hat = (x - mean) * inv_std, out = gamma * x_hat + beta, per column."""
    rows, c = x2.shape
    out = np.empty_like(x2)
    x_hat = np.empty_like(x2)
    for i in prange(rows):
        for k in range(c):
            h = (x2[i, k] - mean[k]) * inv_std[k]
            x_hat[i, k] = h
            out[i, k] = h * gamma[k] + beta[k]
    return out, x_hat


@njit(parallel=True, cache=True)
def channel_dot_sums(g2, x_hat):
    """``(sum(g), sum(g * x_hat))`` per column, float64: dbeta and dgamma (and, with x_hat = g, the moments)."""
    rows, c = g2.shape
    blocks = -(-rows // ROWS_PER_BLOCK)
    sums = np.zeros((blocks, 2, c))
    for block in prange(blocks):
        for i in range(block * ROWS_PER_BLOCK, min(rows, (block + 1) * ROWS_PER_BLOCK)):
            for k in range(c):
                v = np.float64(g2[i, k])
                sums[block, 0, k] += v
                sums[block, 1, k] += v * x_hat[i, k]
    return sums[:, 0].sum(axis=0), sums[:, 1].sum(axis=0)


@njit(parallel=True, cache=True)
def batchnorm_dx(g2, x_hat, gamma, inv_std, mean_g, mean_g_xhat, training):
    """dx = gamma * (g - mean(g) - x_hat * mean(g x_hat)) / std (training), gamma * g / std (inference)."""
    rows, c = g2.shape
    dx = np.empty_like(g2)
    for i in prange(rows):
        for k in range(c):
            v = g2[i, k]
            if training:
                v = v - mean_g[k] - x_hat[i, k] * mean_g_xhat[k]
            dx[i, k] = v * gamma[k] * inv_std[k]
    return dx


class FastBatchNormalization:
    """A ``BatchNormalization`` layer on the kernels above; reads the layer's weights, fills its grads."""

    def __init__(self, layer):
        self.layer = layer

    def forward(self, x, training=False):
        layer, c = self.layer, x.shape[-1]
        x2 = np.ascontiguousarray(x).reshape(-1, c)
        training = training and layer.trainable
        if training:
            mean, variance = channel_moments(x2)
            for name, batch_value in (("moving_mean", mean), ("moving_variance", variance)):
                moving = layer.state[name]
                moving[...] = moving * layer.momentum + batch_value.astype(x.dtype) * (1 - layer.momentum)
        else:
            mean, variance = layer.state["moving_mean"], layer.state["moving_variance"]
        dtype = x.dtype
        inv_std = (1 / np.sqrt(variance.astype(dtype) + dtype.type(layer.epsilon))).astype(dtype)
        gamma = layer.params["gamma"] if layer.scale else np.ones(c, dtype)
        beta = layer.params["beta"] if layer.center else np.zeros(c, dtype)
        out, x_hat = scale_shift(x2, mean.astype(dtype), inv_std, gamma, beta)
        self.cache = (training, x_hat, inv_std)
        return out.reshape(x.shape)

    def backward(self, grad_out):
        layer, (training, x_hat, inv_std) = self.layer, self.cache
        g2 = np.ascontiguousarray(grad_out).reshape(x_hat.shape)
        sum_g, sum_g_xhat = channel_dot_sums(g2, x_hat)
        dtype = grad_out.dtype
        if layer.scale:
            layer.grads["gamma"] = sum_g_xhat.astype(dtype)
        if layer.center:
            layer.grads["beta"] = sum_g.astype(dtype)
        gamma = layer.params["gamma"] if layer.scale else np.ones(g2.shape[1], dtype)
        rows = g2.shape[0]
        dx = batchnorm_dx(g2, x_hat, gamma, inv_std, (sum_g / rows).astype(dtype),
                          (sum_g_xhat / rows).astype(dtype), training)
        return dx.reshape(grad_out.shape)
