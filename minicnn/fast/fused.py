"""A fused block: [ZeroPadding2D] Conv2D(activation="relu") [Dropout] MaxPooling2D as one step.

``plan`` (``plan.py``) puts one in place of each such run of layers unless asked
for one step per layer (``per_layer=True``, tools that need every layer's
output) or ``MINICNN_FUSE=0``. It computes what those layers compute one after
another, with the same dropout masks as the fast Dropout twin for the same key,
but touches the conv output once in each direction (see ``fused_kernels.py``),
and works through the batch in chunks of a few images, each chunk carried
through every step by one worker thread (``chunks.py``):

- forward, per chunk: im2col (the zero padding folded in: windows hanging over
  the border read zeros) -> one matrix product -> one kernel for + bias, ReLU,
  dropout and max-pool.
- backward, per chunk: one kernel from the pooled gradient to ``dL/dz``, im2col
  again, then the two matrix products (the chunk's share of the kernel
  gradient, and ``dL/dcols``) and col2im into the chunk's rows of ``dL/dx``.

A 3x3 stride-1 conv with ``winograd.MIN_CHANNELS`` or more channels in and out
(the second and later blocks of most networks) computes its output and ``dL/dx``
by Winograd's F(4x4, 3x3) instead (``winograd.py``: 36 products per 4x4 tile
where im2col needs 144), and its kernel gradient too (the same 36 products,
run backwards): its backward pass makes no columns.

At inference (no dropout, no winners to keep) the pool takes the window max
first and adds the bias and applies ReLU after (``max_pool_relu``), and a conv
with few numbers per window (``DIRECT_MAX_WIDTH``: the first layer's 3*3*1)
skips im2col and the matrix product: one kernel convolves each image directly,
into an array that stays in the cache, and pools it
(``direct_conv_max_pool_relu``). In training the kernel gradient needs
im2col's columns anyway.

What it keeps for backward: its input and the winners of max-pool (int32, a
quarter of the conv output). im2col's columns are made again in backward, a
chunk at a time, so no array of the batch's columns exists (for a 3x3 conv they
hold 9 copies of the input). At inference (``training=False``) it keeps only
its input; a backward pass after an inference pass (gradcheck, saliency) first
runs the forward pass again, keeping the winners.
"""
import numpy as np

from ..layers import Conv2D, Dropout, MaxPooling2D, ReLU, ZeroPadding2D
from . import winograd
from .chunks import add_in_order, images_per_chunk, run_in_chunks, work_buffer
from .conv import col2im_images, im2col_images
from .fused_kernels import (direct_conv_max_pool_relu, max_pool_relu, pool_dropout_relu_backward,
                            pool_tiles_dropout_relu_backward, relu_dropout_max_pool)

DIRECT_MAX_WIDTH = 16        # KH*KW*C at most this: convolve directly at inference, no im2col (see fused_kernels.py)


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
    """Runs ``layers`` (a run that ``fusable_length`` accepts) in one step; fills the conv's ``grads``."""

    def __init__(self, layers):
        self.layers = tuple(layers)
        self.conv = next(layer for layer in layers if type(layer) is Conv2D)
        self.pool = layers[-1]
        self.dropout = next((layer for layer in layers if type(layer) is Dropout), None)
        kh, kw, channels, _ = self.conv.params["kernel"].shape
        self.direct = kh * kw * channels <= DIRECT_MAX_WIDTH
        self.winograd = winograd.suits(self.conv)
        self.cache = self.input = None

    def conv_geometry(self):
        """The conv's ``window.kernel_args()`` on the block's input: a ZeroPadding2D in front
        adds its zeros to the conv's own pads."""
        kh, kw, sh, sw, top, left, oh, ow = self.conv.window.kernel_args()
        first = self.layers[0]
        (extra_top, _), (extra_left, _) = first.padding if type(first) is ZeroPadding2D else ((0, 0), (0, 0))
        return kh, kw, sh, sw, top + extra_top, left + extra_left, oh, ow

    def chunk_images(self, x):
        """Images per chunk: the largest work array of a chunk (columns or conv output) stays small."""
        kh, kw, _, _, _, _, oh, ow = self.conv_geometry()
        per_pixel = winograd.numbers_per_pixel(x.shape[3], self.conv.filters) if self.winograd \
            else max(kh * kw * x.shape[3], self.conv.filters)      # im2col's columns or the product
        return images_per_chunk(len(x), oh * ow * per_pixel)

    # ------------------------------------------------------------ forward
    def forward(self, x, training=False):
        x = np.ascontiguousarray(x)
        if training:
            self.cache, self.input = self.run(x, keep=True, training=True), None
            return self.cache[1]
        self.cache, self.input = None, x        # backward, if ever asked for, recomputes
        return self.run(x, keep=False, training=False)[1]

    def run(self, x, keep, training):
        """``(x, out, winners, scale)``; winners is (N, 0, 0, 0) unless ``keep``."""
        n, f = len(x), self.conv.filters
        kernel = self.conv.params["kernel"]
        bias = self.conv.params.get("bias", np.zeros(f, dtype=x.dtype))
        rate = self.dropout.rate if training and self.dropout is not None else 0.0
        key = self.dropout.rng.integers(2**63, dtype=np.uint64) if rate > 0 else np.uint64(0)
        scale = x.dtype.type(1.0 / (1.0 - rate))
        out = np.empty((n, *self.pool.output_shape), dtype=x.dtype)
        winners = np.empty(out.shape if keep else (n, 0, 0, 0), dtype=np.int32)
        kh, kw, sh, sw, top, left, oh, ow = self.conv_geometry()
        pool_args = self.pool.window.kernel_args()[:6]
        width = kh * kw * x.shape[3]
        direct = self.direct and not keep
        transformed = winograd.kernel_transform(kernel) if self.winograd and not direct else None

        def chunk(start, stop):
            if direct:
                direct_conv_max_pool_relu(x[start:stop], kernel, bias, sh, sw, top, left, oh, ow, *pool_args,
                                          out[start:stop])
                return
            if transformed is not None:
                z = winograd.convolve(x[start:stop], transformed, top, left,
                                      work_buffer("z", (stop - start, oh, ow, f), x.dtype))
            else:
                rows = (stop - start) * oh * ow
                cols = im2col_images(x[start:stop], kh, kw, sh, sw, top, left, oh, ow,
                                     work_buffer("cols", (rows, width), x.dtype))
                z = np.matmul(cols, kernel.reshape(width, f), out=work_buffer("z", (rows, f), x.dtype))
                z = z.reshape(stop - start, oh, ow, f)
            if keep:
                relu_dropout_max_pool(z, bias, scale, key, rate, start, *pool_args, out[start:stop],
                                      winners[start:stop])
            else:
                max_pool_relu(z, bias, *pool_args, out[start:stop])

        run_in_chunks(chunk, n, self.chunk_images(x))
        return x, out, winners, scale

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
        x, _, winners, scale = self.cache
        grad_out = np.ascontiguousarray(grad_out)
        conv, kernel = self.conv, self.conv.params["kernel"]
        kh, kw, sh, sw, top, left, oh, ow = self.conv_geometry()
        n, f, width = len(x), conv.filters, kh * kw * x.shape[3]
        bias_sums = np.zeros((n, f), dtype=np.float64)
        dx = np.empty(x.shape, dtype=x.dtype) if input_gradient else None
        # dL/dx, when asked for: by winograd.py, a stride-1 convolution of dL/dz with the flipped kernel,
        # padded by 2 - pads; otherwise dz @ kernel.T and col2im (a contiguous copy of kernel.T, small,
        # makes that product about twice as fast). dL/dkernel: by winograd.py, or cols.T @ dz.
        flipped = winograd.kernel_transform(winograd.flipped_kernel(kernel)) if input_gradient and self.winograd \
            else None
        kernel_t = np.ascontiguousarray(kernel.reshape(width, f).T) if input_gradient and not self.winograd else None
        pool_args = self.pool.window.kernel_args()[:6]          # ph, pw, sh, sw, pad_top, pad_left
        tiles = pool_args[:2] == pool_args[2:4]                 # windows tile the conv output: none overlap

        def chunk(start, stop):
            """This chunk's share of dL/dkernel (a new array); fills its rows of dx and bias_sums."""
            rows = (stop - start) * oh * ow
            dz = work_buffer("dz", (rows, f), x.dtype)
            if tiles:
                pool_tiles_dropout_relu_backward(grad_out[start:stop], winners[start:stop], scale, *pool_args,
                                                 dz.reshape(stop - start, oh, ow, f), bias_sums[start:stop])
            else:
                pool_dropout_relu_backward(grad_out[start:stop], winners[start:stop], scale,
                                           dz.reshape(stop - start, oh * ow, f), bias_sums[start:stop])
            if self.winograd:
                images_dz = dz.reshape(stop - start, oh, ow, f)
                if flipped is not None:
                    winograd.convolve(images_dz, flipped, kh - 1 - top, kw - 1 - left, dx[start:stop])
                return winograd.kernel_gradient(x[start:stop], images_dz, top, left)
            cols = im2col_images(x[start:stop], kh, kw, sh, sw, top, left, oh, ow,
                                 work_buffer("cols", (rows, width), x.dtype))
            if kernel_t is not None:
                dcols = np.matmul(dz, kernel_t, out=work_buffer("dcols", (rows, width), x.dtype))
                col2im_images(dcols, kh, kw, sh, sw, top, left, oh, ow, dx[start:stop])
            return (cols.T @ dz).reshape(kernel.shape)

        kernel_gradient = add_in_order(run_in_chunks(chunk, n, self.chunk_images(x)))
        conv.grads["kernel"] = kernel_gradient.astype(x.dtype, copy=False)
        if conv.use_bias:
            conv.grads["bias"] = bias_sums.sum(axis=0).astype(x.dtype)
        return dx
