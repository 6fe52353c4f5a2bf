import numpy as np


def gap_forward(x):
    """Global average pooling: x (N, H, W, C) -> out (N, C), the mean of each feature map.

    Returns (out, cache).
    """
    return x.mean(axis=(1, 2)), x.shape


def gap_backward(grad_out, cache):
    """grad_out (N, C) -> dx (N, H, W, C)."""
    n, h, w, c = cache
    # each of the H*W cells moved the mean by 1/(H*W) of its change
    return np.broadcast_to(grad_out[:, None, None, :] / (h * w), (n, h, w, c)).copy()
