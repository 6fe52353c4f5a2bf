"""Pooling: max and average over windows, and global average and max pooling.

Shape legend::

    x    (N, H, W, C)
    out  (N, OH, OW, C)     OH = (H - PH) // SH + 1 ("valid") or ceil(H / SH) ("same")

A pooling window is a receptive field, so the windows come from ``im2col``
(see ``conv.py``): ``(N, OH, OW, PH, PW, C)``, one window per output cell, then a
max or a mean over its PH*PW cells. ``"same"`` padding follows TensorFlow: a max
ignores the cells outside the image (padded with -inf), an average divides by
the number of cells inside.

Backward
--------
Max: only the winner of each window moved the output, so the whole gradient goes
to it (with ties, the first cell in row-major order wins, as ``np.argmax``
decides). Average: each cell of a window moved the output by 1/count of its
change, so each receives ``grad / count``. ``col2im`` adds the windows back, so
a cell in two overlapping windows gets both shares.
"""
import numpy as np

from .base import Layer
from .shapes import check_image_shape, check_padding_mode, check_positive_ints, check_window_fits, sliding_window
from .conv import col2im, im2col
from .padding import crop_images, pad_images


class _Pooling2D(Layer):
    """What max and average pooling share: arguments, output shape, window geometry."""

    def __init__(self, pool_size=2, strides=None, padding="valid", **kwargs):
        super().__init__(**kwargs)
        self.pool_size = check_positive_ints(type(self).__name__, "pool_size", pool_size)
        self.strides = check_positive_ints(type(self).__name__, "strides",
                                           self.pool_size if strides is None else strides)
        self.padding = check_padding_mode(type(self).__name__, padding)

    def window_on(self, input_shape):
        """The window's geometry on inputs ``(H, W, C)`` (``shapes.Window``): sizes, pads, output."""
        check_image_shape(self, input_shape)
        if self.padding == "valid":
            check_window_fits(self, input_shape, self.pool_size)
        return sliding_window(input_shape, self.pool_size, self.strides, self.padding)

    def compute_output_shape(self, input_shape):
        return (*self.window_on(input_shape).output, input_shape[2])

    def build(self, input_shape):
        super().build(input_shape)
        self.window = self.window_on(self.input_shape)       # what the passes, kernels and page read

    def windows(self, x, fill):
        """``x`` padded with ``fill``, and its pooling windows (N, OH, OW, PH*PW, C)."""
        x_padded = pad_images(x, self.window.pads, value=fill)
        windows = im2col(x_padded, *self.pool_size, *self.strides)
        n, oh, ow, ph, pw, c = windows.shape
        return x_padded.shape, windows.reshape(n, oh, ow, ph * pw, c)

    def windows_back(self, dwindows, x_padded_shape):
        """Gradient per window cell (N, OH, OW, PH*PW, C) -> gradient of the input (N, H, W, C)."""
        n, oh, ow, _, c = dwindows.shape
        dwindows = dwindows.reshape(n, oh, ow, *self.pool_size, c)
        return crop_images(col2im(dwindows, x_padded_shape, *self.strides), self.window.pads)

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "strides": self.strides,
                "padding": self.padding}


class MaxPooling2D(_Pooling2D):
    """Max over ``pool_size`` windows, as ``keras.layers.MaxPooling2D`` (strides default to pool_size)."""

    def forward(self, x, training=False):
        x_padded_shape, windows = self.windows(x, fill=-np.inf)
        winner = windows.argmax(axis=3)                          # (N, OH, OW, C); a NaN wins, as in np.max
        self.cache = (x_padded_shape, winner)
        return np.take_along_axis(windows, winner[:, :, :, None, :], axis=3)[:, :, :, 0, :]

    def backward(self, grad_out):
        x_padded_shape, winner = self.cache
        cells = np.arange(self.pool_size[0] * self.pool_size[1])[:, None]       # (PH*PW, 1)
        won = winner[:, :, :, None, :] == cells                                 # (N, OH, OW, PH*PW, C)
        return self.windows_back(won * grad_out[:, :, :, None, :], x_padded_shape)


class AveragePooling2D(_Pooling2D):
    """Mean over ``pool_size`` windows, as ``keras.layers.AveragePooling2D``."""

    def cells_inside(self):
        """(1, OH, OW, 1, 1): how many cells of each window lie inside the image."""
        _, windows = self.windows(np.ones((1, *self.input_shape[:2], 1)), fill=0)
        return windows.sum(axis=3, keepdims=True)

    def forward(self, x, training=False):
        x_padded_shape, windows = self.windows(x, fill=0)
        counts = self.cells_inside()[..., 0].astype(x.dtype)
        self.cache = (x_padded_shape, counts)
        return windows.sum(axis=3) / counts

    def backward(self, grad_out):
        x_padded_shape, counts = self.cache
        share = grad_out / counts                                                 # (N, OH, OW, C)
        dwindows = np.broadcast_to(share[:, :, :, None, :], (*share.shape[:3], np.prod(self.pool_size),
                                                             share.shape[3]))
        return self.windows_back(dwindows, x_padded_shape)


class GlobalAveragePooling2D(Layer):
    """(N, H, W, C) -> (N, C): the mean of each feature map.

    Backward: each of the H*W cells moved the mean by 1/(H*W) of its change,
    so each receives ``grad / (H*W)``.
    """

    def compute_output_shape(self, input_shape):
        check_image_shape(self, input_shape)
        return (input_shape[2],)

    def forward(self, x, training=False):
        self.cache = x.shape
        return x.mean(axis=(1, 2))

    def backward(self, grad_out):
        n, h, w, c = self.cache
        return np.broadcast_to(grad_out[:, None, None, :] / (h * w), self.cache).copy()


class GlobalMaxPooling2D(Layer):
    """(N, H, W, C) -> (N, C): the largest value of each feature map.

    Backward: only the winning cell of each map moved the output, so it receives
    the whole gradient (on a tie, the first in row-major order, as in MaxPooling2D).
    """

    def compute_output_shape(self, input_shape):
        check_image_shape(self, input_shape)
        return (input_shape[2],)

    def forward(self, x, training=False):
        n, h, w, c = x.shape
        winner = x.reshape(n, h * w, c).argmax(axis=1)                     # (N, C): flat index of the max
        self.cache = (x.shape, winner)
        return np.take_along_axis(x.reshape(n, h * w, c), winner[:, None, :], axis=1)[:, 0, :]

    def backward(self, grad_out):
        (n, h, w, c), winner = self.cache
        dx = np.zeros((n, h * w, c), dtype=grad_out.dtype)
        np.put_along_axis(dx, winner[:, None, :], grad_out[:, None, :], axis=1)
        return dx.reshape(n, h, w, c)
