"""Winograd's F(2x2, 3x3): a 3x3 stride-1 convolution with 2.25 times fewer multiplications.

im2col turns a convolution into one matrix product with 9 multiply-adds per
input channel for every output value. Winograd's minimal filtering (Lavin and
Gray, "Fast Algorithms for Convolutional Neural Networks", CVPR 2016) computes
each 2x2 tile of outputs from the 4x4 tile of inputs under it with 16 products
per channel pair instead of 36:

    Y = A^T [ (G g G^T) * (B^T d B) ] A          (* elementwise, all 4x4)

    g: a 3x3 kernel slice, d: a 4x4 input tile, Y: the 2x2 output tile,
    B^T = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]],
    G = [[1, 0, 0], [1/2, 1/2, 1/2], [1/2, -1/2, 1/2], [0, 0, 1]],
    A^T = [[1, 1, 1, 0], [0, 1, -1, -1]].

Summed over input channels, the elementwise product becomes 16 matrix products,
one per position of the 4x4 tile: M[xi] (tiles, F) = V[xi] (tiles, C) @ U[xi]
(C, F). These are what BLAS runs; the transforms around them are cheap passes
over the input and the output. Used by the fused conv blocks (``fused.py``) for
the forward pass and for dL/dx (a stride-1 convolution of dL/dz with the kernel
flipped, ``flipped_kernel``) when the conv is 3x3, stride 1, with enough
channels on both sides; the kernel gradient keeps im2col. The results equal
im2col's up to float rounding (the transforms add and halve; ``tests/test_fused.py``).
"""
import numpy as np
from numba import njit

# G: kernel transform (4, 3). Its halves are exact in binary floating point.
G = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0.0, 0.0, 1.0]])


def kernel_transform(kernel):
    """U (16, C, F) = G g G^T for every (input channel, filter) slice g of kernel (3, 3, C, F).

    Two small matrix products, each over all C*F slices at once: G @ g (rows), then G on the
    columns (``@`` broadcasts G over the four rows)."""
    _, _, channels, filters = kernel.shape
    g = G.astype(kernel.dtype)
    rows = (g @ kernel.reshape(3, 3 * channels * filters)).reshape(4, 3, channels * filters)
    return (g @ rows).reshape(16, channels, filters)


def flipped_kernel(kernel):
    """The kernel of dL/dx: rotated by 180 degrees, input and output channels swapped: (3, 3, F, C)."""
    return np.ascontiguousarray(kernel[::-1, ::-1].transpose(0, 1, 3, 2))


def tiles(out_h, out_w):
    """Number of 2x2 output tiles down and across (the last ones may hang over the edge)."""
    return (out_h + 1) // 2, (out_w + 1) // 2


@njit(nogil=True, cache=True)
def input_transform(x, pad_top, pad_left, tiles_h, tiles_w, v):
    """x (n, H, W, C) -> v (16, n * tiles_h * tiles_w, C): B^T d B of every 4x4 input tile d
    (tile (i, j) starts at row 2i - pad_top, column 2j - pad_left; outside the image, zeros)."""
    n, h, w, c = x.shape
    d = np.empty((4, 4, c), dtype=x.dtype)
    e = np.empty((4, 4, c), dtype=x.dtype)
    for img in range(n):
        for ti in range(tiles_h):
            for tj in range(tiles_w):
                tile = (img * tiles_h + ti) * tiles_w + tj
                top, left = 2 * ti - pad_top, 2 * tj - pad_left
                for a in range(4):                       # the tile, with zeros outside the image
                    for b in range(4):
                        inside = 0 <= top + a < h and 0 <= left + b < w
                        for k in range(c):               # a loop, not a slice: no view made per pixel
                            d[a, b, k] = x[img, top + a, left + b, k] if inside else 0
                for b in range(4):                       # e = B^T d: combine rows
                    for k in range(c):
                        e[0, b, k] = d[0, b, k] - d[2, b, k]
                        e[1, b, k] = d[1, b, k] + d[2, b, k]
                        e[2, b, k] = d[2, b, k] - d[1, b, k]
                        e[3, b, k] = d[1, b, k] - d[3, b, k]
                for a in range(4):                       # v = e B: combine columns
                    for k in range(c):
                        v[4 * a, tile, k] = e[a, 0, k] - e[a, 2, k]
                        v[4 * a + 1, tile, k] = e[a, 1, k] + e[a, 2, k]
                        v[4 * a + 2, tile, k] = e[a, 2, k] - e[a, 1, k]
                        v[4 * a + 3, tile, k] = e[a, 1, k] - e[a, 3, k]
    return v


@njit(nogil=True, cache=True)
def output_transform(m, tiles_h, tiles_w, out):
    """m (16, n * tiles_h * tiles_w, F) -> out (n, OH, OW, F): A^T m A of every tile, the 2x2
    outputs that fall inside OH x OW written."""
    n, oh, ow, f = out.shape
    s = np.empty((2, 4, f), dtype=out.dtype)
    for img in range(n):
        for ti in range(tiles_h):
            for tj in range(tiles_w):
                tile = (img * tiles_h + ti) * tiles_w + tj
                for b in range(4):                       # s = A^T m: combine rows
                    for k in range(f):
                        m1, m2 = m[4 + b, tile, k], m[8 + b, tile, k]
                        s[0, b, k] = m[b, tile, k] + m1 + m2
                        s[1, b, k] = m1 - m2 - m[12 + b, tile, k]
                for a in range(2):                       # out = s A: combine columns
                    row = 2 * ti + a
                    if row >= oh:
                        continue
                    for k in range(f):
                        out[img, row, 2 * tj, k] = s[a, 0, k] + s[a, 1, k] + s[a, 2, k]
                    if 2 * tj + 1 < ow:
                        for k in range(f):
                            out[img, row, 2 * tj + 1, k] = s[a, 1, k] - s[a, 2, k] - s[a, 3, k]
    return out


def convolve(x, u, pad_top, pad_left, out, v_buffer, m_buffer):
    """out (n, OH, OW, F) = the stride-1 3x3 convolution of x (n, H, W, C) whose kernel
    transform is u (16, C, F), no bias. ``v_buffer``/``m_buffer`` give work arrays by shape."""
    tiles_h, tiles_w = tiles(out.shape[1], out.shape[2])
    count = len(x) * tiles_h * tiles_w
    v = input_transform(x, pad_top, pad_left, tiles_h, tiles_w, v_buffer((16, count, x.shape[3])))
    m = np.matmul(v, u, out=m_buffer((16, count, u.shape[2])))
    return output_transform(m, tiles_h, tiles_w, out)
