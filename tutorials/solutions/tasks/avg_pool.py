import numpy as np


def avg_pool_forward(x, pool, stride):
    """Mean over every pool x pool window, stepping by stride (no padding).

    x: (N, H, W, C) -> out: (N, OH, OW, C), OH = (H - pool) // stride + 1 (likewise OW).
    Returns (out, cache).
    """
    n, h, w, c = x.shape
    oh, ow = (h - pool) // stride + 1, (w - pool) // stride + 1
    out = np.empty((n, oh, ow, c))
    for i in range(oh):
        for j in range(ow):
            out[:, i, j, :] = x[:, i * stride:i * stride + pool, j * stride:j * stride + pool, :].mean(axis=(1, 2))
    return out, (x.shape, pool, stride)


def avg_pool_backward(grad_out, cache):
    """grad_out: (N, OH, OW, C) -> dx: (N, H, W, C)."""
    x_shape, pool, stride = cache
    _, oh, ow, _ = grad_out.shape
    dx = np.zeros(x_shape)
    for i in range(oh):
        for j in range(ow):
            # each of the pool*pool cells moved the mean by 1/(pool*pool) of its change
            dx[:, i * stride:i * stride + pool, j * stride:j * stride + pool, :] += \
                grad_out[:, i, j, None, None, :] / (pool * pool)
    return dx
