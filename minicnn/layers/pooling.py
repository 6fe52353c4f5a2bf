"""Pooling: max and average over windows, and global average pooling.

Shape legend::

    x    (N, H, W, C)
    out  (N, OH, OW, C)     OH = (H - PH) // SH + 1 ("valid") or ceil(H / SH) ("same")

Every window is clipped to the image, so ``"same"`` padding needs no padded copy:
a max ignores the cells that fall outside, and an average divides by the number
of cells inside (TensorFlow's convention).

Backward
--------
Max: only the winner of each window moved the output, so the whole gradient goes
to it. The forward pass remembers the winner (``argmax``, the flat index
``row * W + col``). With ties the first cell in row-major order wins, as
``np.argmax`` decides.
Average: every cell of the window moved the output by 1/count of its change, so
each receives ``grad / count``.
"""
import numpy as np
from numba import njit, prange

from .base import (Layer, check_image_shape, check_padding_mode, check_positive_ints, check_window_fits,
                   window_geometry)


@njit(cache=True)
def _window(i, stride, pad, size, length):
    """Rows (or columns) [start, stop) that output index ``i`` sees, clipped to the image.
    Compiled, so that the kernels below share it with the references."""
    start = i * stride - pad
    return max(start, 0), min(start + size, length)


def max_pool_reference(x, ph, pw, sh, sw, pad_top, pad_left, oh, ow):
    """Max over each window; returns ``(out, argmax)`` with argmax a flat ``row * W + col``."""
    n, h, w, c = x.shape
    out = np.empty((n, oh, ow, c), dtype=x.dtype)
    argmax = np.empty((n, oh, ow, c), dtype=np.int32)
    for i in range(oh):
        r0, r1 = _window(i, sh, pad_top, ph, h)
        for j in range(ow):
            c0, c1 = _window(j, sw, pad_left, pw, w)
            window = x[:, r0:r1, c0:c1, :].reshape(n, -1, c)
            k = window.argmax(axis=1)                     # (N, C): index inside the window
            out[:, i, j, :] = np.take_along_axis(window, k[:, None, :], axis=1)[:, 0, :]
            argmax[:, i, j, :] = (r0 + k // (c1 - c0)) * w + (c0 + k % (c1 - c0))
    return out, argmax


@njit(parallel=True, cache=True)
def max_pool(x, ph, pw, sh, sw, pad_top, pad_left, oh, ow):
    """Fast path of ``max_pool_reference``, parallel over images."""
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


def max_pool_backward_reference(grad_out, argmax, x_shape):
    """Send each output's gradient to the input cell that won its window."""
    n, h, w, c = x_shape
    dx = np.zeros((n, h * w, c), dtype=grad_out.dtype)
    images = np.arange(n)[:, None, None, None]
    channels = np.arange(c)[None, None, None, :]
    np.add.at(dx, (images, argmax, channels), grad_out)   # add.at: windows may share a winner
    return dx.reshape(x_shape)


@njit(parallel=True, cache=True)
def max_pool_backward(grad_out, argmax, x_shape):
    """Fast path of ``max_pool_backward_reference``. Each image is zeroed just before
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


def avg_pool_reference(x, ph, pw, sh, sw, pad_top, pad_left, oh, ow):
    """Mean over the part of each window that lies inside the image."""
    n, h, w, c = x.shape
    out = np.empty((n, oh, ow, c), dtype=x.dtype)
    for i in range(oh):
        r0, r1 = _window(i, sh, pad_top, ph, h)
        for j in range(ow):
            c0, c1 = _window(j, sw, pad_left, pw, w)
            out[:, i, j, :] = x[:, r0:r1, c0:c1, :].mean(axis=(1, 2))
    return out


@njit(parallel=True, cache=True)
def avg_pool(x, ph, pw, sh, sw, pad_top, pad_left, oh, ow):
    """Fast path of ``avg_pool_reference``."""
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


def avg_pool_backward_reference(grad_out, x_shape, ph, pw, sh, sw, pad_top, pad_left):
    """Each cell of a window gets ``grad / count`` from every window it belongs to."""
    n, h, w, c = x_shape
    _, oh, ow, _ = grad_out.shape
    dx = np.zeros(x_shape, dtype=grad_out.dtype)
    for i in range(oh):
        r0, r1 = _window(i, sh, pad_top, ph, h)
        for j in range(ow):
            c0, c1 = _window(j, sw, pad_left, pw, w)
            count = (r1 - r0) * (c1 - c0)
            dx[:, r0:r1, c0:c1, :] += grad_out[:, i:i + 1, j:j + 1, :] / count
    return dx


@njit(parallel=True, cache=True)
def avg_pool_backward(grad_out, x_shape, ph, pw, sh, sw, pad_top, pad_left):
    """Fast path of ``avg_pool_backward_reference``."""
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


class _Pooling2D(Layer):
    """What max and average pooling share: arguments, output shape, window geometry."""

    def __init__(self, pool_size=2, strides=None, padding="valid", name=None):
        super().__init__(name=name)
        self.pool_size = check_positive_ints(type(self).__name__, "pool_size", pool_size)
        self.strides = check_positive_ints(type(self).__name__, "strides",
                                           self.pool_size if strides is None else strides)
        self.padding = check_padding_mode(type(self).__name__, padding)

    def compute_output_shape(self, input_shape):
        check_image_shape(self, input_shape)
        if self.padding == "valid":
            check_window_fits(self, input_shape, self.pool_size)
        (oh, self._pad_top), (ow, self._pad_left) = [
            window_geometry(input_shape[a], self.pool_size[a], self.strides[a], self.padding) for a in (0, 1)]
        return (oh, ow, input_shape[2])

    def _window_args(self):
        return (*self.pool_size, *self.strides, self._pad_top, self._pad_left, *self.output_shape[:2])

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "strides": self.strides,
                "padding": self.padding}


class MaxPooling2D(_Pooling2D):
    """Max over ``pool_size`` windows, as ``keras.layers.MaxPooling2D`` (strides default to pool_size)."""

    def forward(self, x, training=False):
        self.x_shape = x.shape
        out, self.argmax = max_pool(np.ascontiguousarray(x), *self._window_args())
        return out

    def backward(self, grad_out):
        return max_pool_backward(np.ascontiguousarray(grad_out), self.argmax, self.x_shape)


class AveragePooling2D(_Pooling2D):
    """Mean over ``pool_size`` windows, as ``keras.layers.AveragePooling2D``."""

    def forward(self, x, training=False):
        self.x_shape = x.shape
        return avg_pool(np.ascontiguousarray(x), *self._window_args())

    def backward(self, grad_out):
        return avg_pool_backward(np.ascontiguousarray(grad_out), self.x_shape, *self._window_args()[:6])


class GlobalAveragePooling2D(Layer):
    """(N, H, W, C) -> (N, C): the mean of each feature map.

    Backward: each of the H*W cells moved the mean by 1/(H*W) of its change,
    so each receives ``grad / (H*W)``.
    """

    def compute_output_shape(self, input_shape):
        check_image_shape(self, input_shape)
        return (input_shape[2],)

    def forward(self, x, training=False):
        self.x_shape = x.shape
        return x.mean(axis=(1, 2))

    def backward(self, grad_out):
        n, h, w, c = self.x_shape
        return np.broadcast_to(grad_out[:, None, None, :] / (h * w), self.x_shape).copy()
