"""2-D convolution by im2col: turn every receptive field into a row, then one matrix product.

Shape legend (channels-last, as Keras)::

    x       (N, H, W, C)        input batch
    kernel  (KH, KW, C, F)      F filters of size KH x KW over C channels
    bias    (F,)
    out     (N, OH, OW, F)      OH = (H + pad_h - KH) // SH + 1, likewise OW
    cols    (N*OH*OW, KH*KW*C)  one row per output pixel: its receptive field

Forward: ``out = cols @ kernel.reshape(KH*KW*C, F) + bias``.
Backward, with ``g = dL/dout`` reshaped to (N*OH*OW, F)::

    dkernel = cols.T @ g          (each weight met every patch it multiplied)
    dbias   = g.sum(axis=0)       (column_sums, shared with Dense)
    dcols   = g @ kernel.T        (each patch entry's share of the blame)
    dx      = col2im(dcols)       (patches overlap: add the shares back into place)
"""
import numpy as np
from numba import njit, prange

from . import activations
from .base import (Layer, check_image_shape, check_padding_mode, check_positive_ints, check_window_fits,
                   glorot_uniform, window_geometry)
from .core import column_sums


def im2col_reference(x, kh, kw, sh, sw, pad_top, pad_left, oh, ow, cols):
    """Fill ``cols`` (N*OH*OW, KH*KW*C) with the patches of ``x`` (N, H, W, C); return it.

    ``cols[n, i, j, a, b, c] = xpad[n, i*sh + a, j*sw + b, c]``: for each kernel
    offset (a, b) copy the strided slice it sees, for all output pixels at once.
    Zero padding (``pad_top``, ``pad_left`` before; the rest after) is applied first.
    """
    n, h, w, c = x.shape
    pad_bottom = max((oh - 1) * sh + kh - h - pad_top, 0)
    pad_right = max((ow - 1) * sw + kw - w - pad_left, 0)
    xpad = np.pad(x, ((0, 0), (pad_top, pad_bottom), (pad_left, pad_right), (0, 0)))
    patches = cols.reshape(n, oh, ow, kh, kw, c)
    for a in range(kh):
        for b in range(kw):
            patches[:, :, :, a, b, :] = xpad[:, a:a + sh * (oh - 1) + 1:sh, b:b + sw * (ow - 1) + 1:sw, :]
    return cols


@njit(parallel=True, cache=True)
def im2col(x, kh, kw, sh, sw, pad_top, pad_left, oh, ow, cols):
    """Fast path of ``im2col_reference``: reads ``x`` directly, writing zeros where the
    window hangs over the border, so the padded copy is never made. Parallel over images."""
    n, h, w, c = x.shape
    patches = cols.reshape(n, oh, ow, kh, kw, c)
    for img in prange(n):
        for i in range(oh):
            for j in range(ow):
                for a in range(kh):
                    row = i * sh + a - pad_top
                    for b in range(kw):
                        col = j * sw + b - pad_left
                        inside = 0 <= row < h and 0 <= col < w
                        for ch in range(c):
                            patches[img, i, j, a, b, ch] = x[img, row, col, ch] if inside else 0
    return cols


def col2im_reference(cols, x_shape, kh, kw, sh, sw, pad_top, pad_left, oh, ow):
    """The adjoint of im2col: scatter-add each patch row back to the pixels it came from.

    A pixel inside several receptive fields received a gradient from each of
    them, so the contributions add up; the padding's share is cut off at the end.
    """
    n, h, w, c = x_shape
    pad_bottom = max((oh - 1) * sh + kh - h - pad_top, 0)
    pad_right = max((ow - 1) * sw + kw - w - pad_left, 0)
    dxpad = np.zeros((n, h + pad_top + pad_bottom, w + pad_left + pad_right, c), dtype=cols.dtype)
    patches = cols.reshape(n, oh, ow, kh, kw, c)
    for a in range(kh):
        for b in range(kw):
            dxpad[:, a:a + sh * (oh - 1) + 1:sh, b:b + sw * (ow - 1) + 1:sw, :] += patches[:, :, :, a, b, :]
    return dxpad[:, pad_top:pad_top + h, pad_left:pad_left + w, :]


@njit(parallel=True, cache=True)
def col2im(cols, x_shape, kh, kw, sh, sw, pad_top, pad_left, oh, ow):
    """Fast path of ``col2im_reference``; each image is summed by one thread, so no races."""
    n, h, w, c = x_shape
    patches = cols.reshape(n, oh, ow, kh, kw, c)
    dx = np.zeros((n, h, w, c), dtype=cols.dtype)
    for img in prange(n):
        for i in range(oh):
            for j in range(ow):
                for a in range(kh):
                    row = i * sh + a - pad_top
                    if row < 0 or row >= h:
                        continue
                    for b in range(kw):
                        col = j * sw + b - pad_left
                        if col < 0 or col >= w:
                            continue
                        for ch in range(c):
                            dx[img, row, col, ch] += patches[img, i, j, a, b, ch]
    return dx


SMALL_KERNEL_ENTRIES = 4096   # below this, sum the kernel gradient image by image (see _kernel_gradient)


class Conv2D(Layer):
    """2-D convolution over (N, H, W, C) inputs, as ``keras.layers.Conv2D``.

    >>> conv = Conv2D(8, 3, padding="same", activation="relu")
    >>> conv(np.zeros((2, 28, 28, 1), "float32")).shape
    (2, 28, 28, 8)
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", activation=None,
                 use_bias=True, name=None):
        super().__init__(name=name)
        self.filters = check_positive_ints(type(self).__name__, "filters", filters, length=1)[0]
        self.kernel_size = check_positive_ints(type(self).__name__, "kernel_size", kernel_size)
        self.strides = check_positive_ints(type(self).__name__, "strides", strides)
        self.padding = check_padding_mode(type(self).__name__, padding)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)

    def compute_output_shape(self, input_shape):
        check_image_shape(self, input_shape)
        if self.padding == "valid":
            check_window_fits(self, input_shape, self.kernel_size)
        (oh, _), (ow, _) = self._geometry(input_shape)
        return (oh, ow, self.filters)

    def _geometry(self, input_shape):
        return [window_geometry(input_shape[axis], self.kernel_size[axis], self.strides[axis], self.padding)
                for axis in (0, 1)]

    def build(self, input_shape):
        super().build(input_shape)
        kh, kw = self.kernel_size
        channels = self.input_shape[2]
        shape = (kh, kw, channels, self.filters)
        self.add_param("kernel", glorot_uniform(shape, kh * kw * channels, kh * kw * self.filters))
        if self.use_bias:
            self.add_param("bias", np.zeros(self.filters, dtype=self.params["kernel"].dtype))
        (self._oh, self._pad_top), (self._ow, self._pad_left) = self._geometry(self.input_shape)

    def _im2col_args(self):
        return (*self.kernel_size, *self.strides, self._pad_top, self._pad_left, self._oh, self._ow)

    def forward(self, x, training=False):
        self.x_shape = x.shape
        kh, kw = self.kernel_size
        rows, width = x.shape[0] * self._oh * self._ow, kh * kw * x.shape[3]
        # cols is a scratch buffer: kept for backward, overwritten by the next batch.
        self.cols = im2col(np.ascontiguousarray(x), *self._im2col_args(), self.scratch("cols", (rows, width), x.dtype))
        z = self.cols @ self.params["kernel"].reshape(width, self.filters)
        z = z.reshape(x.shape[0], self._oh, self._ow, self.filters)
        return self.activation.forward_with_bias(z, self.params.get("bias"), training)

    def backward(self, grad_out):
        return self.backward_preactivation(self.activation.backward(grad_out))

    def backward_preactivation(self, grad_z):
        """Backward pass from ``dL/dz`` (N, OH, OW, F), z being the output before the activation."""
        g = self._parameter_gradients(grad_z)
        # A contiguous copy of kernel.T (small) makes this large product about twice as fast.
        kernel_t = np.ascontiguousarray(self.params["kernel"].reshape(-1, self.filters).T)
        dcols = np.matmul(g, kernel_t, out=self.scratch("dcols", self.cols.shape, g.dtype))
        return col2im(dcols, self.x_shape, *self._im2col_args())

    def backward_parameters(self, grad_out):
        """``backward`` without ``dL/dx``, for a first layer, whose input is the data:
        it skips a product as large as the forward one, and col2im."""
        self._parameter_gradients(self.activation.backward(grad_out))

    def _parameter_gradients(self, grad_z):
        """Fill ``grads`` from ``dL/dz`` (N, OH, OW, F); return it as rows (N*OH*OW, F)."""
        g = np.ascontiguousarray(grad_z).reshape(-1, self.filters)
        self.grads["kernel"] = self._kernel_gradient(g).reshape(self.params["kernel"].shape)
        if self.use_bias:
            self.grads["bias"] = column_sums(g)
        return g

    def _kernel_gradient(self, g):
        """``cols.T @ g``: (KH*KW*C, F), a sum over all N*OH*OW output pixels.

        For a small kernel (the first layer's 3*3*1 x 32) that one product has a
        tiny output and 235,200 terms per entry; OpenBLAS's threads then spend
        their time waiting on each other (seconds on a busy machine). The same
        sum done image by image, then added up, has no such trouble.
        """
        width = self.cols.shape[1]
        if width * self.filters > SMALL_KERNEL_ENTRIES:
            return self.cols.T @ g
        n = self.x_shape[0]
        per_image = np.matmul(self.cols.reshape(n, -1, width).transpose(0, 2, 1), g.reshape(n, -1, self.filters))
        return per_image.sum(axis=0)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "strides": self.strides, "padding": self.padding,
                "activation": activations.activation_name(self), "use_bias": self.use_bias}
