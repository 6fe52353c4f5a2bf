"""The kernels of a fused conv block (``fused.py``): every pass over the conv output made once.

Unfused, the block [ZeroPadding2D] Conv2D(relu) [Dropout] MaxPooling2D reads and
writes the conv output (N, OH, OW, F) six times a training step: + bias and
ReLU, dropout, max-pool, then each of their backward passes. Here one kernel
turns the matrix product's output into the pooled output, and one kernel turns
the pooled gradient into ``dL/dz``. Each replaces, in order, the NumPy code of
``layers/``: ``z + bias`` (``conv.py``), ``np.maximum(z, 0)``
(``activations.py``), ``x * keep / (1 - rate)`` (``dropout.py``, with the fast
backend's mask ``uniform(key, i) >= rate`` of ``fast/dropout.py``) and the
window max (``pooling.py``); ``tests/test_fused.py`` checks them against the
layer-by-layer path.

Why backward needs only the winners: the gradient reaches the conv output
through max-pool, which sends it to one cell per window, its winner. Dropout
then multiplies it by ``keep / (1 - rate)`` and ReLU by ``out > 0``; at the
winner both are known from the pooled value alone: it is > 0 exactly when the
unit was kept and positive. So forward keeps, per pooled output, the winner's
index ``r * OW + c``, or -1 where the gradient stops (value <= 0 or NaN).

Every kernel here works on the chunk of images it is given, on the thread that
calls it (``nogil``, no parallel loop): ``chunks.py`` spreads the chunks over
the worker threads.
"""
import numpy as np
from numba import njit

from .dropout import uniform
from .pooling import _window


@njit(cache=True)
def _unit(z, bias, zero, scale, key, rate, index):
    """Unit ``index`` of the block: ``relu(z + bias)``, then dropped or scaled (``rate`` > 0)."""
    v = z + bias
    if v <= 0:                                   # NaN is not <= 0: it stays NaN, as in np.maximum
        v = zero
    if rate > 0:
        v = v * scale if uniform(key, index) >= rate else zero
    return v


@njit(cache=True)
def _pool_image(z, bias, scale, key, rate, first_index, ph, pw, sh, sw, pad_top, pad_left, out, winners):
    """One image: z (OH, OW, F) before the bias -> out (PH', PW', F), winners as in the module note.

    The window walk is ``max_pool``'s (``pooling.py``): start from the first
    cell, later cells win only when larger, and a NaN wins and keeps winning.
    Each window's best values sit in a small array, so the loop over channels
    has no branch and runs on vector instructions.
    """
    oh, ow, f = z.shape
    zero = scale - scale
    best = np.empty(f, dtype=z.dtype)
    won = np.empty(f, dtype=np.int32)
    for i in range(out.shape[0]):
        r0, r1 = _window(i, sh, pad_top, ph, oh)
        for j in range(out.shape[1]):
            c0, c1 = _window(j, sw, pad_left, pw, ow)
            for r in range(r0, r1):
                for c in range(c0, c1):
                    cell = r * ow + c
                    base = first_index + cell * f
                    first = r == r0 and c == c0
                    for ch in range(f):
                        v = _unit(z[r, c, ch], bias[ch], zero, scale, key, rate, base + ch)
                        old = best[ch]
                        take = first | (((v > old) | (v != v)) & (old == old))    # no branch: vectorizes
                        best[ch] = v if take else old
                        won[ch] = cell if take else won[ch]
            out[i, j, :] = best
            if winners.shape[0] > 0:
                for ch in range(f):
                    winners[i, j, ch] = won[ch] if best[ch] > 0 else -1


@njit(nogil=True, cache=True)
def relu_dropout_max_pool(z, bias, scale, key, rate, first_image, ph, pw, sh, sw, pad_top, pad_left, out, winners):
    """z (n, OH, OW, F), the matrix product's output for images ``first_image`` ...
    ``first_image + n - 1`` of the batch -> out (n, PH', PW', F) and winners, in one pass.

    The dropout mask of unit (image, r, c, ch) is ``uniform(key, index)`` with its
    index in the whole batch, so a batch cut into chunks draws the same mask.
    """
    n, oh, ow, f = z.shape
    for img in range(n):
        _pool_image(z[img], bias, scale, key, rate, (first_image + img) * oh * ow * f, ph, pw, sh, sw,
                    pad_top, pad_left, out[img], winners[img])
    return out


@njit(nogil=True, cache=True)
def pool_dropout_relu_backward(grad_out, winners, scale, dz, bias_sums):
    """Pooled gradient (n, PH', PW', F) -> ``dL/dz`` into dz (n, OH*OW, F); adds each image's
    bias-gradient sums into bias_sums (n, F), float64.

    Replaces max-pool's scatter to the winner, ``grad * keep / (1 - rate)`` and
    ``grad * (out > 0)``. Each image is zeroed while it is in the cache.
    """
    n, ph, pw, f = grad_out.shape
    for img in range(n):
        dz[img] = 0
        for i in range(ph):
            for j in range(pw):
                for ch in range(f):
                    winner = winners[img, i, j, ch]
                    if winner >= 0:
                        g = grad_out[img, i, j, ch] * scale
                        dz[img, winner, ch] += g
                        bias_sums[img, ch] += g
    return dz


@njit(nogil=True, cache=True)
def pool_tiles_dropout_relu_backward(grad_out, winners, scale, ph, pw, sh, sw, pad_top, pad_left, dz, bias_sums):
    """``pool_dropout_relu_backward`` for a pool whose windows tile the conv output (stride =
    window size, so no two windows share a cell): each cell of dz (n, OH, OW, F) is written
    once, in order, the pooled gradient at its window's winner and 0 elsewhere, instead of
    zeroing dz and then adding into it. Cells no window covers (an odd last row or column)
    get 0."""
    n, oh, ow, f = dz.shape
    g = np.empty(f, dtype=dz.dtype)
    for img in range(n):
        covered_rows = 0
        for i in range(grad_out.shape[1]):
            r0, r1 = _window(i, sh, pad_top, ph, oh)
            covered_columns = 0
            for j in range(grad_out.shape[2]):
                c0, c1 = _window(j, sw, pad_left, pw, ow)
                for ch in range(f):
                    g[ch] = grad_out[img, i, j, ch] * scale if winners[img, i, j, ch] >= 0 else 0
                    bias_sums[img, ch] += g[ch]
                for r in range(r0, r1):
                    for c in range(c0, c1):
                        cell = r * ow + c
                        for ch in range(f):
                            dz[img, r, c, ch] = g[ch] if winners[img, i, j, ch] == cell else 0
                covered_columns = c1
            dz[img, r0:r1, covered_columns:] = 0
            covered_rows = r1
        dz[img, covered_rows:] = 0
    return dz


# ---------------------------------------------------------------- inference
# At inference there is no dropout and no winner to keep, and ReLU(. + bias)
# never changes which value of a window is largest (it is non-decreasing), so the
# pool takes the max of the raw product first and adds the bias and applies ReLU
# to a quarter as many numbers: the same result, bit for bit.


@njit(cache=True)
def _max_pool_relu_image(z, bias, ph, pw, sh, sw, pad_top, pad_left, out):
    """One image: out (PH', PW', F) = ReLU(window max of z (OH, OW, F) + bias); a NaN wins."""
    oh, ow, f = z.shape
    for i in range(out.shape[0]):
        r0, r1 = _window(i, sh, pad_top, ph, oh)
        for j in range(out.shape[1]):
            c0, c1 = _window(j, sw, pad_left, pw, ow)
            best = out[i, j]
            best[:] = z[r0, c0]
            for r in range(r0, r1):
                for c in range(c0, c1):
                    cell = z[r, c]
                    for ch in range(f):
                        v, old = cell[ch], best[ch]
                        best[ch] = v if ((v > old) | (v != v)) & (old == old) else old
            for ch in range(f):
                v = best[ch] + bias[ch]
                best[ch] = v if not v <= 0 else 0                 # NaN is not <= 0: it stays NaN


@njit(nogil=True, cache=True)
def max_pool_relu(z, bias, ph, pw, sh, sw, pad_top, pad_left, out):
    """``relu_dropout_max_pool`` at inference: z (n, OH, OW, F) -> out (n, PH', PW', F)."""
    for img in range(z.shape[0]):
        _max_pool_relu_image(z[img], bias, ph, pw, sh, sw, pad_top, pad_left, out[img])
    return out


# A conv with few input channels (the first layer: 3*3*1 = 9 numbers per window)
# makes a poor matrix product: im2col writes 9 columns per output pixel and the
# product reads them back, for 9 multiply-adds per output. At inference, nothing
# needs the columns: each image is convolved directly, into an array that stays
# in the cache, and pooled.


@njit(cache=True)
def _convolve_image(x, kernel, sh, sw, pad_top, pad_left, z):
    """z (OH, OW, F) = one image x (H, W, C) convolved with kernel (KH, KW, C, F), no bias.

    Row by row of the output, so that the row being summed stays in the fastest
    cache: for each kernel tap, its F weights times the pixel each output sees.
    """
    h, w, c = x.shape
    kh, kw, _, f = kernel.shape
    oh, ow = z.shape[0], z.shape[1]
    z[...] = 0
    for i in range(oh):
        for a in range(kh):
            row = i * sh + a - pad_top
            if row < 0 or row >= h:
                continue                                          # a padding row: adds zeros
            for b in range(kw):
                for ch in range(c):
                    weights = kernel[a, b, ch]
                    for j in range(ow):
                        col = j * sw + b - pad_left
                        if 0 <= col < w:
                            v = x[row, col, ch]
                            for k in range(f):
                                z[i, j, k] += v * weights[k]


@njit(nogil=True, cache=True)
def direct_conv_max_pool_relu(x, kernel, bias, sh, sw, pad_top, pad_left, oh, ow,
                              ph, pw, psh, psw, ppad_top, ppad_left, out):
    """``max_pool_relu(im2col(x) @ kernel)`` without the columns: x (n, H, W, C) ->
    out (n, PH', PW', F), image by image through one small array."""
    f = kernel.shape[3]
    z = np.empty((oh, ow, f), dtype=x.dtype)
    for img in range(x.shape[0]):
        _convolve_image(x[img], kernel, sh, sw, pad_top, pad_left, z)
        _max_pool_relu_image(z, bias, ph, pw, psh, psw, ppad_top, ppad_left, out[img])
    return out
