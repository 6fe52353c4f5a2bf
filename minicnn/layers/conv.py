"""2-D convolution by im2col: turn every receptive field into a row, then one matrix product.

Shape legend (channels-last, as Keras)::

    x       (N, H, W, C)        input batch
    kernel  (KH, KW, C, F)      F filters of size KH x KW over C channels
    bias    (F,)
    out     (N, OH, OW, F)      OH = (H + pad_top + pad_bottom - EH) // SH + 1, likewise OW
    cols    (N*OH*OW, KH*KW*C)  one row per output pixel: its receptive field

Dilation (DH, DW) spreads the kernel's taps DH rows and DW columns apart, so a
window spans EH = (KH - 1) * DH + 1 rows (EW likewise) with the same KH*KW
weights; without dilation (D = 1) EH = KH.

Forward::

    cols = im2col(pad(x))                      every window, flattened into a row
    z    = cols @ kernel.reshape(KH*KW*C, F) + bias
    out  = activation(z)                       reshaped to (N, OH, OW, F)

Backward, with ``dz = dL/dz`` reshaped to (N*OH*OW, F)::

    dkernel = cols.T @ dz         each weight met every patch it multiplied
    dbias   = dz.sum(axis=0)      the bias was added to every output pixel
    dcols   = dz @ kernel.T       each patch entry's share of the blame
    dx      = col2im(dcols)       patches overlap: add the shares back into place
"""
import numpy as np

from . import activations
from .base import Layer, glorot_uniform, regularizer_config, weight_regularizers
from .shapes import check_image_shape, check_padding_mode, check_positive_ints, check_window_fits, sliding_window
from .padding import crop_images, pad_images


def im2col(x, kh, kw, sh, sw, dh=1, dw=1):
    """Every KH x KW window of ``x`` (N, H, W, C) at strides (SH, SW), dilation (DH, DW):
    (N, OH, OW, KH, KW, C).

    ``windows[n, i, j, a, b, c] = x[n, i*SH + a*DH, j*SW + b*DW, c]``. For one kernel
    offset (a, b) that is the strided slice ``x[:, a*DH::SH, b*DW::SW]``: copy it for
    all output pixels at once, KH*KW slices in all.
    """
    n, h, w, c = x.shape
    eh, ew = (kh - 1) * dh + 1, (kw - 1) * dw + 1              # the rows and columns a window spans
    oh, ow = (h - eh) // sh + 1, (w - ew) // sw + 1
    windows = np.empty((n, oh, ow, kh, kw, c), dtype=x.dtype)
    for a in range(kh):
        for b in range(kw):
            top, left = a * dh, b * dw                          # where tap (a, b) sits in the first window
            windows[:, :, :, a, b, :] = x[:, top:top + sh * (oh - 1) + 1:sh, left:left + sw * (ow - 1) + 1:sw, :]
    return windows


def col2im(dwindows, x_shape, sh, sw, dh=1, dw=1):
    """The adjoint of ``im2col``: add each window's gradient back onto the pixels it came from.

    A pixel inside several windows received a gradient from each of them, so
    the contributions add up (``+=``, never ``=``).
    """
    _, oh, ow, kh, kw, _ = dwindows.shape
    dx = np.zeros(x_shape, dtype=dwindows.dtype)
    for a in range(kh):
        for b in range(kw):
            top, left = a * dh, b * dw
            dx[:, top:top + sh * (oh - 1) + 1:sh, left:left + sw * (ow - 1) + 1:sw, :] += dwindows[:, :, :, a, b, :]
    return dx


class Conv2D(Layer):
    """2-D convolution over (N, H, W, C) inputs, as ``keras.layers.Conv2D``.

    >>> conv = Conv2D(8, 3, padding="same", activation="relu")
    >>> conv(np.zeros((2, 28, 28, 1), "float32")).shape
    (2, 28, 28, 8)
    >>> Conv2D(8, 3, dilation_rate=2)(np.zeros((2, 28, 28, 1), "float32")).shape   # 3x3 taps over 5x5
    (2, 24, 24, 8)
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", dilation_rate=1, activation=None,
                 use_bias=True, kernel_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.regularizers = weight_regularizers(kernel_regularizer, bias_regularizer)
        self.filters = check_positive_ints(type(self).__name__, "filters", filters, length=1)[0]
        self.kernel_size = check_positive_ints(type(self).__name__, "kernel_size", kernel_size)
        self.strides = check_positive_ints(type(self).__name__, "strides", strides)
        self.dilation_rate = check_positive_ints(type(self).__name__, "dilation_rate", dilation_rate)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:       # Keras refuses this pair too
            raise ValueError(f"{type(self).__name__}: strides > 1 cannot be combined with dilation_rate > 1. "
                             f"Received strides={self.strides} and dilation_rate={self.dilation_rate}. "
                             f"Use strides=1 with dilation, or dilation_rate=1 with strides.")
        self.padding = check_padding_mode(type(self).__name__, padding)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)

    def window_on(self, input_shape):
        """The window's geometry on inputs ``(H, W, C)`` (``shapes.Window``): sizes, pads, output."""
        check_image_shape(self, input_shape)
        window = sliding_window(input_shape, self.kernel_size, self.strides, self.padding, self.dilation_rate)
        if self.padding == "valid":
            check_window_fits(self, input_shape, window.span)
        return window

    def compute_output_shape(self, input_shape):
        return (*self.window_on(input_shape).output, self.filters)

    def build(self, input_shape):
        super().build(input_shape)
        self.window = self.window_on(self.input_shape)       # what the passes, kernels and page read
        kh, kw = self.kernel_size
        channels = self.input_shape[2]
        shape = (kh, kw, channels, self.filters)
        self.add_param("kernel", glorot_uniform(shape, kh * kw * channels, kh * kw * self.filters))
        if self.use_bias:
            self.add_param("bias", np.zeros(self.filters, dtype=self.params["kernel"].dtype))

    def forward(self, x, training=False):
        x_padded = pad_images(x, self.window.pads)
        windows = im2col(x_padded, *self.kernel_size, *self.strides, *self.dilation_rate)
        n, oh, ow = windows.shape[:3]                                    # windows: (N, OH, OW, KH, KW, C)
        cols = windows.reshape(n * oh * ow, -1)                          # one row per output pixel
        z = cols @ self.params["kernel"].reshape(cols.shape[1], self.filters)
        if self.use_bias:
            z = z + self.params["bias"]
        self.cache = (x_padded.shape, cols)
        return self.activation.forward(z.reshape(n, oh, ow, self.filters), training)

    def backward(self, grad_out):
        return self.backward_preactivation(self.activation.backward(grad_out))

    def backward_preactivation(self, grad_z):
        """Backward pass from ``dL/dz`` (N, OH, OW, F), z being the output before the activation."""
        x_padded_shape, cols = self.cache
        kernel = self.params["kernel"]
        n, oh, ow, _ = grad_z.shape
        dz = grad_z.reshape(-1, self.filters)                                      # (N*OH*OW, F)
        self.grads["kernel"] = (cols.T @ dz).reshape(kernel.shape)
        if self.use_bias:
            self.grads["bias"] = dz.sum(axis=0)
        dcols = dz @ kernel.reshape(-1, self.filters).T                            # (N*OH*OW, KH*KW*C)
        dwindows = dcols.reshape(n, oh, ow, *self.kernel_size, x_padded_shape[3])
        return crop_images(col2im(dwindows, x_padded_shape, *self.strides, *self.dilation_rate), self.window.pads)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "strides": self.strides, "padding": self.padding, "dilation_rate": self.dilation_rate,
                "activation": activations.activation_name(self), "use_bias": self.use_bias,
                **regularizer_config(self)}
