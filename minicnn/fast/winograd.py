"""Winograd's F(4x4, 3x3): a 3x3 stride-1 convolution with four times fewer multiplications.

im2col turns a convolution into one matrix product with 9 multiply-adds per
input channel for every output value. Winograd's minimal filtering (Lavin and
Gray, "Fast Algorithms for Convolutional Neural Networks", CVPR 2016) computes
each 4x4 tile of outputs from the 6x6 tile of inputs under it with 36 products
per channel pair instead of 144:

    Y = A^T [ (G g G^T) * (B^T d B) ] A          (* elementwise, all 6x6)

    g: a 3x3 kernel slice, d: a 6x6 input tile, Y: the 4x4 output tile;
    A^T (4, 6), G (6, 3) and B^T (6, 6) below.

The matrices come from the Toom-Cook construction on the points 0, 1, -1, 1/2,
-2 and infinity (Barabasz et al., "Error analysis and improving the accuracy of
Winograd convolution for deep neural networks", 2020): in float32 their results
stay about 3 times closer to im2col's than with Lavin's points 0, +-1, +-2. The
price of the fewer products is rounding: measured against float64, the error is
about 2e-6 of the largest output at 64 input channels and 5e-6 at 512, where
im2col's is 2-3e-7 (the transforms add numbers of different sizes); far below
what training notices, and the fast-twin tests allow 1e-5.

Summed over input channels, the elementwise product becomes 36 matrix products,
one per position of the 6x6 tile: M[xi] (tiles, F) = V[xi] (tiles, C) @ U[xi]
(C, F). These are what BLAS runs; the transforms around them are cheap passes
over the input and the output. Used by the fused conv blocks (``fused.py``) and
the unfused fast conv (``conv.py``) for the forward pass, for dL/dx (a stride-1 convolution of dL/dz with the kernel
flipped, ``flipped_kernel``) and for dL/dkernel (the same products run
backwards: dL/dU[xi] = V[xi]^T @ (A dL/dY A^T)[xi], then G^T dL/dU G) when the
conv is 3x3, stride 1, with enough channels on both sides (``suits``). The
results equal im2col's up to float rounding (``tests/test_fused.py``,
``tests/test_fast.py``).
"""
import numpy as np
from numba import njit

from .chunks import work_buffer

MIN_CHANNELS = 8                # fewer channels in or out: im2col (see the note at suits)
TILE = 4                        # outputs per side of a tile
SPAN = TILE + 2                 # inputs per side of a tile (a 3x3 kernel adds 2)
POSITIONS = SPAN * SPAN         # products per tile: 36 matrix products

# A^T (4, 6): from the 36 products of a tile to its 4x4 outputs (one row per output).
AT = np.array([[1.0, 1.0, 1.0, 1.0, 1.0, 0.0],
               [0.0, 1.0, -1.0, 0.5, -2.0, 0.0],
               [0.0, 1.0, 1.0, 0.25, 4.0, 0.0],
               [0.0, 1.0, -1.0, 0.125, -8.0, 1.0]])
# G (6, 3): kernel transform.
G = np.array([[1.0, 0.0, 0.0],
              [1 / 3, 1 / 3, 1 / 3],
              [-1 / 3, 1 / 3, -1 / 3],
              [-16 / 15, -8 / 15, -4 / 15],
              [1 / 15, -2 / 15, 4 / 15],
              [0.0, 0.0, 1.0]])
# B^T (6, 6): input transform.
BT = np.array([[1.0, -1.5, -2.0, 1.5, 1.0, 0.0],
               [0.0, -1.0, 0.5, 2.5, 1.0, 0.0],
               [0.0, 1.0, -2.5, 0.5, 1.0, 0.0],
               [0.0, -2.0, -1.0, 2.0, 1.0, 0.0],
               [0.0, 0.5, -1.0, -0.5, 1.0, 0.0],
               [0.0, 1.0, -1.5, -2.0, 1.5, 1.0]])


def fits(conv):
    """True when this module can compute the Conv2D layer ``conv``: a 3x3 kernel at stride 1,
    no dilation (any padding)."""
    return conv.params["kernel"].shape[:2] == (3, 3) and conv.strides == (1, 1) and conv.dilation_rate == (1, 1)


def suits(conv):
    """True when the fast backend uses this module for ``conv``: it fits, with at least
    ``MIN_CHANNELS`` channels in and out, and an output of at least one whole tile (a 3x3
    output in a 4x4 tile made cnn_32_64_128's last conv slower than im2col). With fewer
    channels the thin products no longer pay for the transforms: fused blocks measured
    faster than im2col from 8 channels in, slower at 4 (the README's Speed section)."""
    return (fits(conv) and min(conv.params["kernel"].shape[2], conv.filters) >= MIN_CHANNELS
            and min(conv.output_shape[:2]) >= TILE)


def kernel_transform(kernel):
    """U (36, C, F) = G g G^T for every (input channel, filter) slice g of kernel (3, 3, C, F).

    Two small matrix products in the kernel's dtype, each over all C*F slices at once:
    G @ g (rows), then G on the columns (``@`` broadcasts G over the six rows)."""
    _, _, channels, filters = kernel.shape
    g = G.astype(kernel.dtype)
    rows = (g @ kernel.reshape(3, 3 * channels * filters)).reshape(SPAN, 3, channels * filters)
    return (g @ rows).reshape(POSITIONS, channels, filters)


def kernel_transform_backward(transformed_gradient):
    """dL/dkernel (3, 3, C, F) = G^T dU G from dL/dU (36, C, F), the gradient of the kernel
    transform's output (``kernel_transform`` run backwards: its transpose)."""
    _, channels, filters = transformed_gradient.shape
    g = G.astype(transformed_gradient.dtype)
    rows = (g.T @ transformed_gradient.reshape(SPAN, SPAN * channels * filters)).reshape(3, SPAN, channels * filters)
    return (g.T @ rows).reshape(3, 3, channels, filters)


def flipped_kernel(kernel):
    """The kernel of dL/dx: rotated by 180 degrees, input and output channels swapped: (3, 3, F, C)."""
    return np.ascontiguousarray(kernel[::-1, ::-1].transpose(0, 1, 3, 2))


def tiles(out_h, out_w):
    """Number of 4x4 output tiles down and across (the last ones may hang over the edge)."""
    return -(-out_h // TILE), -(-out_w // TILE)


@njit(inline="always")
def _input_rows(d0, d1, d2, d3, d4, d5):
    """B^T d for one column (d0 ... d5) of a tile: the six rows of B^T above, written out.

    The constants are float32 (all exact in it): a Python float would be float64 to
    numba and turn float32 arithmetic into float64, at half the vector width."""
    half, one_half, two, two_half = np.float32(0.5), np.float32(1.5), np.float32(2.0), np.float32(2.5)
    return (d0 - one_half * d1 - two * d2 + one_half * d3 + d4,
            -d1 + half * d2 + two_half * d3 + d4,
            d1 - two_half * d2 + half * d3 + d4,
            -two * d1 - d2 + two * d3 + d4,
            half * d1 - d2 - half * d3 + d4,
            d1 - one_half * d2 - two * d3 + one_half * d4 + d5)


@njit(inline="always")
def _output_rows(m0, m1, m2, m3, m4, m5):
    """A^T m for one column (m0 ... m5) of a tile's products: the four rows of A^T above."""
    plus, minus = m1 + m2, m1 - m2
    two, four, eight = np.float32(2.0), np.float32(4.0), np.float32(8.0)      # float32: see _input_rows
    half, quarter, eighth = np.float32(0.5), np.float32(0.25), np.float32(0.125)
    return (m0 + plus + m3 + m4,
            minus + half * m3 - two * m4,
            plus + quarter * m3 + four * m4,
            minus + eighth * m3 - eight * m4 + m5)


@njit(inline="always")
def _gradient_rows(z0, z1, z2, z3):
    """A z for one column (z0 ... z3) of a 4x4 tile of dL/dz: A = (A^T)^T, six rows."""
    half, quarter, eighth = np.float32(0.5), np.float32(0.25), np.float32(0.125)   # float32: see _input_rows
    two, four, eight = np.float32(2.0), np.float32(4.0), np.float32(8.0)
    return (z0,
            z0 + z1 + z2 + z3,
            z0 - z1 + z2 - z3,
            z0 + half * z1 + quarter * z2 + eighth * z3,
            z0 - two * z1 + four * z2 - eight * z3,
            z3)


@njit(nogil=True, cache=True)
def input_transform(x, pad_top, pad_left, tiles_h, tiles_w, v):
    """x (n, H, W, C) -> v (36, n * tiles_h * tiles_w, C): B^T d B of every 6x6 input tile d
    (tile (i, j) starts at row 4i - pad_top, column 4j - pad_left; outside the image, zeros)."""
    n, h, w, c = x.shape
    d = np.empty((SPAN, SPAN, c), dtype=x.dtype)
    e = np.empty((SPAN, SPAN, c), dtype=x.dtype)      # e = B^T d
    for img in range(n):
        for ti in range(tiles_h):
            for tj in range(tiles_w):
                tile = (img * tiles_h + ti) * tiles_w + tj
                top, left = TILE * ti - pad_top, TILE * tj - pad_left
                for a in range(SPAN):                    # the tile, with zeros outside the image
                    for b in range(SPAN):
                        if 0 <= top + a < h and 0 <= left + b < w:
                            for k in range(c):           # a loop, not a slice: no view made per pixel
                                d[a, b, k] = x[img, top + a, left + b, k]
                        else:
                            for k in range(c):
                                d[a, b, k] = 0
                for b in range(SPAN):                    # e = B^T d: combine rows
                    for k in range(c):
                        e[0, b, k], e[1, b, k], e[2, b, k], e[3, b, k], e[4, b, k], e[5, b, k] = _input_rows(
                            d[0, b, k], d[1, b, k], d[2, b, k], d[3, b, k], d[4, b, k], d[5, b, k])
                for a in range(SPAN):                    # v = e B: combine columns
                    row = SPAN * a
                    for k in range(c):
                        (v[row, tile, k], v[row + 1, tile, k], v[row + 2, tile, k], v[row + 3, tile, k],
                         v[row + 4, tile, k], v[row + 5, tile, k]) = _input_rows(
                            e[a, 0, k], e[a, 1, k], e[a, 2, k], e[a, 3, k], e[a, 4, k], e[a, 5, k])
    return v


@njit(nogil=True, cache=True)
def output_transform(m, tiles_h, tiles_w, out):
    """m (36, n * tiles_h * tiles_w, F) -> out (n, OH, OW, F): A^T m A of every tile, the 4x4
    outputs that fall inside OH x OW written."""
    n, oh, ow, f = out.shape
    s = np.empty((TILE, SPAN, f), dtype=out.dtype)     # s = A^T m
    y = np.empty((TILE, TILE, f), dtype=out.dtype)     # y = s A
    for img in range(n):
        for ti in range(tiles_h):
            for tj in range(tiles_w):
                tile = (img * tiles_h + ti) * tiles_w + tj
                for b in range(SPAN):                    # s = A^T m: combine rows
                    for k in range(f):
                        s[0, b, k], s[1, b, k], s[2, b, k], s[3, b, k] = _output_rows(
                            m[b, tile, k], m[SPAN + b, tile, k], m[2 * SPAN + b, tile, k],
                            m[3 * SPAN + b, tile, k], m[4 * SPAN + b, tile, k], m[5 * SPAN + b, tile, k])
                for a in range(TILE):                    # y = s A: combine columns
                    for k in range(f):
                        y[a, 0, k], y[a, 1, k], y[a, 2, k], y[a, 3, k] = _output_rows(
                            s[a, 0, k], s[a, 1, k], s[a, 2, k], s[a, 3, k], s[a, 4, k], s[a, 5, k])
                for a in range(min(TILE, oh - TILE * ti)):   # the outputs inside the image
                    for b in range(min(TILE, ow - TILE * tj)):
                        for k in range(f):
                            out[img, TILE * ti + a, TILE * tj + b, k] = y[a, b, k]
    return out


@njit(nogil=True, cache=True)
def output_gradient_transform(dz, tiles_h, tiles_w, mz):
    """dz (n, OH, OW, F), dL/d(output) -> mz (36, n * tiles_h * tiles_w, F): A y A^T of every
    4x4 tile y of it (outputs past OH x OW, which the forward pass dropped, count as zeros);
    ``output_transform`` run backwards."""
    n, oh, ow, f = dz.shape
    y = np.zeros((TILE, TILE, f), dtype=dz.dtype)
    s = np.empty((SPAN, TILE, f), dtype=dz.dtype)     # s = A y
    for img in range(n):
        for ti in range(tiles_h):
            for tj in range(tiles_w):
                tile = (img * tiles_h + ti) * tiles_w + tj
                for a in range(TILE):                    # the tile, with zeros past the edge
                    for b in range(TILE):
                        if TILE * ti + a < oh and TILE * tj + b < ow:
                            for k in range(f):
                                y[a, b, k] = dz[img, TILE * ti + a, TILE * tj + b, k]
                        else:
                            for k in range(f):
                                y[a, b, k] = 0
                for b in range(TILE):                    # s = A y: combine rows
                    for k in range(f):
                        s[0, b, k], s[1, b, k], s[2, b, k], s[3, b, k], s[4, b, k], s[5, b, k] = _gradient_rows(
                            y[0, b, k], y[1, b, k], y[2, b, k], y[3, b, k])
                for a in range(SPAN):                    # mz = s A^T: combine columns
                    row = SPAN * a
                    for k in range(f):
                        (mz[row, tile, k], mz[row + 1, tile, k], mz[row + 2, tile, k], mz[row + 3, tile, k],
                         mz[row + 4, tile, k], mz[row + 5, tile, k]) = _gradient_rows(
                            s[a, 0, k], s[a, 1, k], s[a, 2, k], s[a, 3, k])
    return mz


def kernel_gradient(x, dz, pad_top, pad_left):
    """dL/dkernel (3, 3, C, F) for x (n, H, W, C) and dz (n, OH, OW, F), the gradient of
    ``convolve``'s output: for each of the 36 positions dL/dU[xi] = V[xi]^T (C, tiles) @
    (A dz A^T)[xi] (tiles, F), the product summing over tiles; then G^T dL/dU G."""
    tiles_h, tiles_w = tiles(dz.shape[1], dz.shape[2])
    count = len(x) * tiles_h * tiles_w
    v = input_transform(x, pad_top, pad_left, tiles_h, tiles_w,
                        work_buffer("winograd in", (POSITIONS, count, x.shape[3]), x.dtype))
    mz = output_gradient_transform(dz, tiles_h, tiles_w,
                                   work_buffer("winograd out", (POSITIONS, count, dz.shape[3]), dz.dtype))
    return kernel_transform_backward(np.matmul(v.transpose(0, 2, 1), mz))


def convolve(x, u, pad_top, pad_left, out):
    """out (n, OH, OW, F) = the stride-1 3x3 convolution of x (n, H, W, C) whose kernel
    transform is u (36, C, F), no bias. Its work arrays are the calling thread's
    (``chunks.work_buffer``): call it on a chunk of images, from one thread."""
    tiles_h, tiles_w = tiles(out.shape[1], out.shape[2])
    count = len(x) * tiles_h * tiles_w
    v = input_transform(x, pad_top, pad_left, tiles_h, tiles_w,
                        work_buffer("winograd in", (POSITIONS, count, x.shape[3]), x.dtype))
    m = np.matmul(v, u, out=work_buffer("winograd out", (POSITIONS, count, u.shape[2]), x.dtype))
    return output_transform(m, tiles_h, tiles_w, out)


def numbers_per_pixel(channels, filters):
    """Numbers per output pixel to size a chunk by (``chunks.images_per_chunk``): the im2col
    columns this module replaces (9 per input channel) or its own work arrays (36 per 4x4
    tile for each channel of the wider side), whichever is more: chunks sized by the work
    arrays alone are twice as large, and measured slower on gap_cnn's blocks."""
    return max(9 * channels, -(-POSITIONS * max(channels, filters) // TILE**2))
