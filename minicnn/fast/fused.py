"""A fused block: [ZeroPadding2D] Conv2D(activation="relu") [Dropout] MaxPooling2D as one step.

``plan`` (``plan.py``) puts one in place of each such run of layers unless asked
for one step per layer (``per_layer=True``, tools that need every layer's
output) or ``MINICNN_FUSE=0``. It computes what those layers compute one after
another, with the same dropout masks as the fast Dropout twin for the same key,
but touches the conv output once in each direction (see ``fused_kernels.py``):

- forward: im2col (the zero padding folded in: windows hanging over the border
  read zeros) -> one matrix product -> one kernel for + bias, ReLU, dropout and
  max-pool.
- backward: one kernel from the pooled gradient to ``dL/dz``, then the two
  matrix products and col2im, as Conv2D's backward.

At inference (no dropout, no winners to keep) the pool takes the window max
first and adds the bias and applies ReLU after (``max_pool_relu``), and a conv
with few numbers per window (``DIRECT_MAX_WIDTH``: the first layer's 3*3*1)
skips im2col and the matrix product: one kernel convolves each image directly,
into an array that stays in the cache, and pools it
(``direct_conv_max_pool_relu``). In training the kernel gradient needs
im2col's columns anyway.

What it keeps for backward: the winners of max-pool (int32, a quarter of the
conv output) and im2col's columns (a reused buffer). At inference
(``training=False``) it keeps only a reference to its input and works through
the batch in chunks, so the buffers stay the size training uses; a backward
pass after an inference pass (gradcheck, saliency) first runs the forward pass
again, keeping what it needs.
"""
import numpy as np

from ..layers import Conv2D, Dropout, MaxPooling2D, ReLU, ZeroPadding2D
from .conv import col2im, im2col, kernel_gradient
from .fused_kernels import direct_conv_max_pool_relu, max_pool_relu, pool_dropout_relu_backward, relu_dropout_max_pool
from .pooling import window_args
from .runtime import park_blas_threads

INFERENCE_CHUNK = 250        # images per piece at inference: buffers no larger than a training batch's
DIRECT_MAX_WIDTH = 16        # KH*KW*C at most this: convolve directly, no im2col (see fused_kernels.py)


def fusable_length(layers):
    """How many of ``layers`` (from the first) form a fused block; 0 if they do not start one."""
    i = 1 if layers and type(layers[0]) is ZeroPadding2D else 0
    if not (i < len(layers) and type(layers[i]) is Conv2D and type(layers[i].activation) is ReLU):
        return 0
    if layers[i].dilation_rate != (1, 1):       # no dilation in these kernels: the conv runs its NumPy code
        return 0
    i += 1
    if i < len(layers) and type(layers[i]) is Dropout:
        i += 1
    return i + 1 if i < len(layers) and type(layers[i]) is MaxPooling2D else 0


class FusedConvBlock:
    """Runs ``layers`` (a run that ``fusable_length`` accepts) in one step; fills the conv's ``grads``.

    ``fast_conv`` is the conv layer's twin, whose work buffers the block shares.
    """

    def __init__(self, layers, fast_conv):
        self.layers = tuple(layers)
        self.conv, self.pool = fast_conv.layer, layers[-1]
        self.dropout = next((layer for layer in layers if type(layer) is Dropout), None)
        self.buffer = fast_conv.buffer
        kh, kw, channels, _ = self.conv.params["kernel"].shape
        self.direct = kh * kw * channels <= DIRECT_MAX_WIDTH
        self.cache = self.input = None

    def conv_geometry(self):
        """(KH, KW, SH, SW, pad_top, pad_left, OH, OW) of the conv on the unpadded input."""
        first = self.layers[0]
        (top, _), (left, _) = first.padding if type(first) is ZeroPadding2D else ((0, 0), (0, 0))
        (conv_top, _), (conv_left, _) = self.conv.pads
        return (*self.conv.kernel_size, *self.conv.strides, top + conv_top, left + conv_left,
                *self.conv.output_shape[:2])

    # ------------------------------------------------------------ forward
    def forward(self, x, training=False):
        x = np.ascontiguousarray(x)
        if training:
            self.cache, self.input = self.run(x, keep=True, training=True), None
            return self.cache[0]
        self.cache, self.input = None, x        # backward, if ever asked for, recomputes
        park_blas_threads()                     # after the previous step's products (see runtime.py)
        out = np.empty((len(x), *self.pool.output_shape), dtype=x.dtype)
        for start in range(0, len(x), INFERENCE_CHUNK):
            self.run(x[start:start + INFERENCE_CHUNK], False, False, out[start:start + INFERENCE_CHUNK])
        return out

    def run(self, x, keep, training, out=None):
        """``(out, x.shape, winners, cols, scale)``; winners is (N, 0, 0, 0) and cols None unless ``keep``
        (inference by direct convolution keeps nothing)."""
        n, f = len(x), self.conv.filters
        kernel = self.conv.params["kernel"]
        bias = self.conv.params.get("bias", np.zeros(f, dtype=x.dtype))
        rate = self.dropout.rate if training and self.dropout is not None else 0.0
        key = self.dropout.rng.integers(2**63, dtype=np.uint64) if rate > 0 else np.uint64(0)
        scale = x.dtype.type(1.0 / (1.0 - rate))
        if out is None:
            out = np.empty((n, *self.pool.output_shape), dtype=x.dtype)
        winners = np.empty(out.shape if keep else (n, 0, 0, 0), dtype=np.int32)
        kh, kw, sh, sw, top, left, oh, ow = self.conv_geometry()
        pool_args = window_args(self.pool)[:6]
        if self.direct and not keep:
            direct_conv_max_pool_relu(x, kernel, bias, sh, sw, top, left, oh, ow, *pool_args, out)
            return out, x.shape, winners, None, scale
        width = kh * kw * x.shape[3]
        cols = im2col(x, kh, kw, sh, sw, top, left, oh, ow, self.buffer("cols", (n * oh * ow, width), x.dtype))
        z = np.matmul(cols, kernel.reshape(width, f), out=self.buffer("z", (n * oh * ow, f), x.dtype))
        if keep or rate > 0:
            relu_dropout_max_pool(z.reshape(n, oh, ow, f), bias, scale, key, rate, *pool_args, out, winners)
        else:
            park_blas_threads()
            max_pool_relu(z.reshape(n, oh, ow, f), bias, *pool_args, out)
        return out, x.shape, winners, cols, scale

    # ------------------------------------------------------------ backward
    def backward(self, grad_out):
        return self.gradients(grad_out, input_gradient=True)

    def backward_parameters(self, grad_out):
        """``backward`` without ``dL/dx``, for a first block, whose input is the data."""
        self.gradients(grad_out, input_gradient=False)

    def gradients(self, grad_out, input_gradient):
        if self.cache is None:
            if self.input is None:
                raise ValueError("backward: run a forward pass first.")
            self.cache = self.run(self.input, keep=True, training=False)
        _, x_shape, winners, cols, scale = self.cache
        grad_out = np.ascontiguousarray(grad_out)
        conv, kernel = self.conv, self.conv.params["kernel"]
        geometry = self.conv_geometry()
        oh, ow = geometry[-2:]
        n, f = x_shape[0], conv.filters
        dz = self.buffer("dz", (n * oh * ow, f), cols.dtype)
        bias_sums = pool_dropout_relu_backward(grad_out, winners, scale, dz.reshape(n, oh * ow, f))
        conv.grads["kernel"] = kernel_gradient(cols, dz, n).reshape(kernel.shape)
        dx = None
        if input_gradient:
            # A contiguous copy of kernel.T (small) makes this large product about twice as fast.
            kernel_t = np.ascontiguousarray(kernel.reshape(-1, f).T)
            dcols = np.matmul(dz, kernel_t, out=self.buffer("dcols", cols.shape, cols.dtype))
            dx = col2im(dcols, x_shape, *geometry)
        if conv.use_bias:
            conv.grads["bias"] = bias_sums.sum(axis=0).astype(cols.dtype)
        return dx
