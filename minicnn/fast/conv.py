"""Conv2D on the fast backend: numba im2col/col2im, reused buffers, fused bias + ReLU.

Replaces ``im2col``/``col2im`` and ``Conv2D.forward``/``backward`` of
``layers/conv.py`` (same shapes, same math; see the shape legend there). A conv
that ``winograd.suits`` (3x3, stride 1, enough channels and pixels) computes its
output, dL/dx and kernel gradient by ``winograd.py`` instead, in chunks of images
over the worker threads, and keeps its input rather than im2col's columns.
"""
import numpy as np
from numba import njit, prange

from . import winograd
from .chunks import add_in_order, images_per_chunk, run_in_chunks
from .elementwise import FastActivation, column_sums



FEW_CHANNELS = 8              # below this, im2col copies each window row as one run (see _im2col_rows)


@njit(cache=True)
def _im2col_rows(x, kh, kw, sh, sw, pad_top, pad_left, patches):
    """``_im2col_image`` for an image with few channels (the first layer's 1 or 3).

    A window row inside the image is KW*C numbers next to each other in x, so
    it is copied as one run; the loop over 3 channels alone is too short to
    run fast. (With many channels that loop is long, and the plain version wins.)
    """
    h, w, c = x.shape
    oh, ow = patches.shape[0], patches.shape[1]
    span = kw * c
    rows = x.reshape(h, w * c)
    runs = patches.reshape(oh, ow, kh, span)
    for i in range(oh):
        for a in range(kh):
            row = i * sh + a - pad_top
            if row < 0 or row >= h:
                runs[i, :, a, :] = 0
                continue
            for j in range(ow):
                col = j * sw - pad_left
                if col >= 0 and col + kw <= w:
                    for t in range(span):
                        runs[i, j, a, t] = rows[row, col * c + t]
                else:
                    for b in range(kw):
                        inside = 0 <= col + b < w
                        for ch in range(c):
                            runs[i, j, a, b * c + ch] = rows[row, (col + b) * c + ch] if inside else 0


@njit(cache=True)
def _im2col_image(x, kh, kw, sh, sw, pad_top, pad_left, patches):
    """One image x (H, W, C) -> its windows patches (OH, OW, KH, KW, C), zeros over the border."""
    h, w, c = x.shape
    if c < FEW_CHANNELS:
        _im2col_rows(x, kh, kw, sh, sw, pad_top, pad_left, patches)
        return
    oh, ow = patches.shape[0], patches.shape[1]
    for i in range(oh):
        for j in range(ow):
            for a in range(kh):
                row = i * sh + a - pad_top
                for b in range(kw):
                    col = j * sw + b - pad_left
                    inside = 0 <= row < h and 0 <= col < w
                    for ch in range(c):
                        patches[i, j, a, b, ch] = x[row, col, ch] if inside else 0


@njit(cache=True)
def _col2im_image(patches, kh, kw, sh, sw, pad_top, pad_left, dx):
    """The adjoint: adds patches (OH, OW, KH, KW, C) back onto one image dx (H, W, C), zeroed first."""
    h, w, c = dx.shape
    oh, ow = patches.shape[0], patches.shape[1]
    dx[...] = 0
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
                        dx[row, col, ch] += patches[i, j, a, b, ch]


@njit(parallel=True, cache=True)
def im2col(x, kh, kw, sh, sw, pad_top, pad_left, oh, ow, cols):
    """Replaces ``im2col(pad_images(x, pads), ...)`` reshaped to rows: fills ``cols``
    (N*OH*OW, KH*KW*C) straight from ``x``, writing zeros where a window hangs over the
    border, so the padded copy is never made. Parallel over images."""
    n, c = x.shape[0], x.shape[3]
    patches = cols.reshape(n, oh, ow, kh, kw, c)
    for img in prange(n):
        _im2col_image(x[img], kh, kw, sh, sw, pad_top, pad_left, patches[img])
    return cols


@njit(parallel=True, cache=True)
def col2im(cols, x_shape, kh, kw, sh, sw, pad_top, pad_left, oh, ow):
    """Replaces ``crop_images(col2im(...), pads)``: adds each patch row back onto the
    unpadded image; each image is summed by one thread, so no races."""
    n, h, w, c = x_shape
    patches = cols.reshape(n, oh, ow, kh, kw, c)
    dx = np.empty((n, h, w, c), dtype=cols.dtype)
    for img in prange(n):
        _col2im_image(patches[img], kh, kw, sh, sw, pad_top, pad_left, dx[img])
    return dx


@njit(nogil=True, cache=True)
def im2col_images(x, kh, kw, sh, sw, pad_top, pad_left, oh, ow, cols):
    """``im2col`` on one thread, for a chunk of images that a worker thread owns (``chunks.py``)."""
    n, c = x.shape[0], x.shape[3]
    patches = cols.reshape(n, oh, ow, kh, kw, c)
    for img in range(n):
        _im2col_image(x[img], kh, kw, sh, sw, pad_top, pad_left, patches[img])
    return cols


@njit(nogil=True, cache=True)
def col2im_images(cols, kh, kw, sh, sw, pad_top, pad_left, oh, ow, dx):
    """``col2im`` on one thread, into ``dx`` (n, H, W, C), for a chunk of images."""
    n, c = dx.shape[0], dx.shape[3]
    patches = cols.reshape(n, oh, ow, kh, kw, c)
    for img in range(n):
        _col2im_image(patches[img], kh, kw, sh, sw, pad_top, pad_left, dx[img])
    return dx


def product_rows(rows, width, product):
    """``[product(start, stop), ...]`` for the row ranges of a (rows, width) matrix product,
    run by the worker threads with BLAS on one thread each (``chunks.py``), as the fused
    blocks run theirs; OpenBLAS's own threads would then spin beside numba's."""
    return run_in_chunks(product, rows, images_per_chunk(rows, width))


def kernel_gradient(cols, dz):
    """``cols.T @ dz``: (KH*KW*C, F), a sum over all N*OH*OW output pixels, added up from
    each chunk of rows' share (one long product for a small kernel, the first layer's
    3*3*1 x 32, made OpenBLAS's threads wait on each other)."""
    shares = product_rows(len(cols), cols.shape[1], lambda start, stop: cols[start:stop].T @ dz[start:stop])
    return add_in_order(shares).astype(cols.dtype, copy=False)


class FastConv2D:
    """``Conv2D`` with the kernels above; reads the layer's ``params``, fills its ``grads``."""

    def __init__(self, layer):
        self.layer = layer
        self.activation = FastActivation(layer)
        self.buffers = {}
        self.winograd = winograd.suits(layer)

    def buffer(self, name, shape, dtype):
        """A work array kept from batch to batch: allocating 100 MB afresh every batch costs
        more than filling it (the operating system maps and zeroes every new page). It grows
        to the largest size asked for; a smaller batch gets the front of it."""
        size = int(np.prod(shape))
        array = self.buffers.get(name)
        if array is None or array.size < size or array.dtype != dtype:
            array = self.buffers[name] = np.empty(size, dtype=dtype)
        return array[:size].reshape(shape)

    def forward(self, x, training=False):
        if self.winograd:
            return self.activation.forward(self.winograd_forward(np.ascontiguousarray(x)), training)
        layer = self.layer
        n, oh, ow = x.shape[0], *layer.output_shape[:2]
        width = layer.params["kernel"].shape[0] * layer.params["kernel"].shape[1] * x.shape[3]
        cols = im2col(np.ascontiguousarray(x), *self.layer.window.kernel_args(),
                      self.buffer("cols", (n * oh * ow, width), x.dtype))
        kernel = layer.params["kernel"].reshape(width, layer.filters)
        z = np.empty((len(cols), layer.filters), dtype=x.dtype)
        product_rows(len(cols), width, lambda start, stop: np.matmul(cols[start:stop], kernel, out=z[start:stop]))
        z = z.reshape(n, oh, ow, layer.filters)
        self.cache = (x.shape, cols)          # cols is a buffer: valid until the next batch
        return self.activation.forward(z, training)

    def backward(self, grad_out):
        return self.backward_preactivation(self.activation.backward(grad_out))

    def backward_preactivation(self, grad_z):
        dz = self.fill_parameter_gradients(grad_z)
        if self.winograd:
            return self.winograd_input_gradient(dz)
        x_shape, cols = self.cache
        # A contiguous copy of kernel.T (small) makes this large product about twice as fast.
        kernel_t = np.ascontiguousarray(self.layer.params["kernel"].reshape(-1, self.layer.filters).T)
        dcols = self.buffer("dcols", cols.shape, dz.dtype)
        product_rows(len(dz), cols.shape[1], lambda start, stop: np.matmul(dz[start:stop], kernel_t,
                                                                           out=dcols[start:stop]))
        return col2im(dcols, x_shape, *self.layer.window.kernel_args())

    def backward_parameters(self, grad_out):
        """``backward`` without ``dL/dx``, for a first layer, whose input is the data:
        it skips a product as large as the forward one, and col2im."""
        self.fill_parameter_gradients(self.activation.backward(grad_out))

    def fill_parameter_gradients(self, grad_z):
        """Fill the layer's ``grads`` from ``dL/dz`` (N, OH, OW, F); return it as rows (N*OH*OW, F)."""
        layer = self.layer
        x_shape, kept = self.cache               # kept: im2col's columns, or the input (winograd.py)
        dz = np.ascontiguousarray(grad_z).reshape(-1, layer.filters)
        if self.winograd:
            layer.grads["kernel"] = self.winograd_kernel_gradient(kept, dz.reshape(grad_z.shape))
        else:
            layer.grads["kernel"] = kernel_gradient(kept, dz).reshape(layer.params["kernel"].shape)
        if layer.use_bias:
            layer.grads["bias"] = column_sums(dz)
        return dz

    # ------------------------------------------------------------ by winograd.py, in chunks of images
    def chunks(self, work, images):
        """``run_in_chunks`` over a batch of ``images``, chunks sized for winograd.py's work arrays."""
        oh, ow = self.layer.output_shape[:2]
        per_pixel = winograd.numbers_per_pixel(self.layer.params["kernel"].shape[2], self.layer.filters)
        return run_in_chunks(work, images, images_per_chunk(images, oh * ow * per_pixel))

    def winograd_forward(self, x):
        """z (N, OH, OW, F) = x convolved with the kernel, no bias; keeps x for backward."""
        _, _, _, _, top, left, oh, ow = self.layer.window.kernel_args()
        transformed = winograd.kernel_transform(self.layer.params["kernel"])
        z = np.empty((len(x), oh, ow, self.layer.filters), dtype=x.dtype)
        self.chunks(lambda start, stop: winograd.convolve(x[start:stop], transformed, top, left, z[start:stop]),
                    len(x))
        self.cache = (x.shape, x)
        return z

    def winograd_kernel_gradient(self, x, dz):
        """dL/dkernel from the input x and dz (N, OH, OW, F), each chunk's share added in order."""
        _, _, _, _, top, left, _, _ = self.layer.window.kernel_args()
        shares = self.chunks(lambda start, stop: winograd.kernel_gradient(x[start:stop], dz[start:stop], top, left),
                             len(x))
        return add_in_order(shares).astype(x.dtype, copy=False)

    def winograd_input_gradient(self, dz):
        """dL/dx: dz (as rows) convolved with the flipped kernel, padded by 2 - pads."""
        kh, kw, _, _, top, left, oh, ow = self.layer.window.kernel_args()
        x_shape, _ = self.cache
        dz = dz.reshape(x_shape[0], oh, ow, self.layer.filters)
        flipped = winograd.kernel_transform(winograd.flipped_kernel(self.layer.params["kernel"]))
        dx = np.empty(x_shape, dtype=dz.dtype)
        self.chunks(lambda start, stop: winograd.convolve(dz[start:stop], flipped, kh - 1 - top, kw - 1 - left,
                                                          dx[start:stop]), len(dx))
        return dx
