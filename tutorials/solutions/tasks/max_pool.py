import numpy as np


def max_pool_forward(x, pool, stride):
    """Max over every pool x pool window, stepping by stride (no padding).

    x: (N, H, W, C) -> out: (N, OH, OW, C), OH = (H - pool) // stride + 1 (likewise OW).
    Returns (out, cache).
    """
    n, h, w, c = x.shape
    oh, ow = (h - pool) // stride + 1, (w - pool) // stride + 1
    out = np.empty((n, oh, ow, c))
    winner = np.empty((n, oh, ow, c), dtype=int)          # which cell of each window held the max
    for i in range(oh):
        for j in range(ow):
            window = x[:, i * stride:i * stride + pool, j * stride:j * stride + pool, :].reshape(n, pool * pool, c)
            winner[:, i, j, :] = window.argmax(axis=1)
            out[:, i, j, :] = window.max(axis=1)
    return out, (x.shape, winner, pool, stride)


def max_pool_backward(grad_out, cache):
    """grad_out: (N, OH, OW, C) -> dx: (N, H, W, C)."""
    x_shape, winner, pool, stride = cache
    n, oh, ow, c = grad_out.shape
    dx = np.zeros(x_shape)
    images, channels = np.arange(n)[:, None], np.arange(c)[None, :]
    for i in range(oh):
        for j in range(ow):
            rows = i * stride + winner[:, i, j, :] // pool     # the winner's place in the image, (N, C)
            columns = j * stride + winner[:, i, j, :] % pool
            dx[images, rows, columns, channels] += grad_out[:, i, j, :]   # windows may overlap: add
    return dx
