"""Pooling on the fast backend: numba kernels that clip each window to the image.

Replaces ``MaxPooling2D`` and ``AveragePooling2D`` of ``layers/pooling.py``
(same results; see the shape legend there). The NumPy layers pad and build
every window with ``im2col``; these kernels walk the windows in place, so no
padded copy and no window array is made. Max-pool remembers its winner as the
flat index ``row * W + col`` of the unpadded image.
"""
import numpy as np
from numba import njit, prange


@njit(cache=True)
def _window(i, stride, pad, size, length):
    """Rows (or columns) [start, stop) that output index ``i`` sees, clipped to the image."""
    start = i * stride - pad
    return max(start, 0), min(start + size, length)


@njit(parallel=True, cache=True)
def max_pool(x, ph, pw, sh, sw, pad_top, pad_left, oh, ow):
    """Replaces ``MaxPooling2D.forward``: ``(out, argmax)``, parallel over images."""
    n, h, w, c = x.shape
    out = np.empty((n, oh, ow, c), dtype=x.dtype)
    argmax = np.empty((n, oh, ow, c), dtype=np.int32)
    for img in prange(n):
        for i in range(oh):
            r0, r1 = _window(i, sh, pad_top, ph, h)
            for j in range(ow):
                c0, c1 = _window(j, sw, pad_left, pw, w)
                # Start from the window's first cell, then let later cells beat it.
                # Channels are the innermost loop: they lie next to each other in memory.
                for ch in range(c):
                    out[img, i, j, ch] = x[img, r0, c0, ch]
                    argmax[img, i, j, ch] = r0 * w + c0
                for r in range(r0, r1):
                    for col in range(c0, c1):
                        for ch in range(c):
                            best = out[img, i, j, ch]
                            # A NaN wins and keeps winning, as in np.argmax, so it is never hidden.
                            if (x[img, r, col, ch] > best or x[img, r, col, ch] != x[img, r, col, ch]) \
                                    and best == best:
                                out[img, i, j, ch] = x[img, r, col, ch]
                                argmax[img, i, j, ch] = r * w + col
    return out, argmax


@njit(parallel=True, cache=True)
def max_pool_backward(grad_out, argmax, x_shape):
    """Replaces ``MaxPooling2D.backward``. Each image is zeroed just before
    its winners receive their gradients, while it is still in the cache."""
    n, h, w, c = x_shape
    _, oh, ow, _ = grad_out.shape
    dx = np.empty((n, h * w, c), dtype=grad_out.dtype)
    for img in prange(n):
        dx[img] = 0
        for i in range(oh):
            for j in range(ow):
                for ch in range(c):
                    dx[img, argmax[img, i, j, ch], ch] += grad_out[img, i, j, ch]
    return dx.reshape(x_shape)


@njit(parallel=True, cache=True)
def avg_pool(x, ph, pw, sh, sw, pad_top, pad_left, oh, ow):
    """Replaces ``AveragePooling2D.forward``."""
    n, h, w, c = x.shape
    out = np.zeros((n, oh, ow, c), dtype=x.dtype)
    for img in prange(n):
        for i in range(oh):
            r0, r1 = _window(i, sh, pad_top, ph, h)
            for j in range(ow):
                c0, c1 = _window(j, sw, pad_left, pw, w)
                count = (r1 - r0) * (c1 - c0)
                for r in range(r0, r1):
                    for col in range(c0, c1):
                        for ch in range(c):
                            out[img, i, j, ch] += x[img, r, col, ch]
                for ch in range(c):
                    out[img, i, j, ch] /= count
    return out


@njit(parallel=True, cache=True)
def avg_pool_backward(grad_out, x_shape, ph, pw, sh, sw, pad_top, pad_left):
    """Replaces ``AveragePooling2D.backward``."""
    n, h, w, c = x_shape
    _, oh, ow, _ = grad_out.shape
    dx = np.zeros((n, h, w, c), dtype=grad_out.dtype)
    for img in prange(n):
        for i in range(oh):
            r0, r1 = _window(i, sh, pad_top, ph, h)
            for j in range(ow):
                c0, c1 = _window(j, sw, pad_left, pw, w)
                count = (r1 - r0) * (c1 - c0)
                for r in range(r0, r1):
                    for col in range(c0, c1):
                        for ch in range(c):
                            dx[img, r, col, ch] += grad_out[img, i, j, ch] / count
    return dx


class FastMaxPooling2D:
    """``MaxPooling2D`` with the kernels above."""

    def __init__(self, layer):
        self.layer = layer

    def forward(self, x, training=False):
        out, argmax = max_pool(np.ascontiguousarray(x), *self.layer.window.kernel_args())
        self.cache = (x.shape, argmax)
        return out

    def backward(self, grad_out):
        x_shape, argmax = self.cache
        return max_pool_backward(np.ascontiguousarray(grad_out), argmax, x_shape)


class FastAveragePooling2D:
    """``AveragePooling2D`` with the kernels above."""

    def __init__(self, layer):
        self.layer = layer

    def forward(self, x, training=False):
        self.cache = x.shape
        return avg_pool(np.ascontiguousarray(x), *self.layer.window.kernel_args())

    def backward(self, grad_out):
        return avg_pool_backward(np.ascontiguousarray(grad_out), self.cache, *self.layer.window.kernel_args()[:6])
