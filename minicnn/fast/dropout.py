"""Dropout on the fast backend: the mask drawn, applied and kept in one parallel pass.

Replaces ``keep_mask`` + ``dropout_forward`` and ``dropout_backward`` of
``layers/dropout.py``. The numbers differ from the NumPy layer's: unit ``i`` of
a batch gets the uniform number ``hash(key, i)`` (SplitMix64, a well-tested
64-bit mixer), with one ``key`` per batch drawn from the layer's ``rng``. A
number that depends only on (key, i) can be computed by many threads at once in
any order and still be the same, so the masks are reproducible whatever the
thread count; NumPy's generator cannot be split across threads that way.
"""
import numpy as np
from numba import njit, prange

# SplitMix64's constants: an odd multiple of the golden ratio, and two mixing multipliers.
GOLDEN = np.uint64(0x9E3779B97F4A7C15)
MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
MIX_2 = np.uint64(0x94D049BB133111EB)
TWO_TO_24 = 16777216.0


@njit(cache=True)
def uniform(key, i):
    """Number ``i`` of stream ``key`` in [0, 1): SplitMix64(key + (i+1) * GOLDEN), top 24 bits.

    Each xor-shift spreads high bits into low ones and each odd multiply spreads
    low bits into high ones, so neighbouring i give unrelated numbers. 24 bits
    fill a float32 mantissa exactly.
    """
    z = np.uint64(key) + np.uint64(i + 1) * GOLDEN         # wraps mod 2**64
    z = (z ^ (z >> np.uint64(30))) * MIX_1
    z = (z ^ (z >> np.uint64(27))) * MIX_2
    z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(40)) / TWO_TO_24


@njit(parallel=True, cache=True)
def dropout(x, key, rate):
    """``(out, keep)``: keep = uniform >= rate, out = x * keep / (1 - rate)."""
    flat = x.reshape(-1)
    out = np.empty_like(flat)
    keep = np.empty(flat.size, dtype=np.bool_)
    survivor_scale = x.dtype.type(1.0 / (1.0 - rate))
    for i in prange(flat.size):
        keep[i] = uniform(key, i) >= rate
        out[i] = flat[i] * survivor_scale if keep[i] else 0
    return out.reshape(x.shape), keep.reshape(x.shape)


@njit(parallel=True, cache=True)
def dropout_backward(grad_out, keep, rate):
    """``grad_out * keep / (1 - rate)``."""
    g = grad_out.reshape(-1)
    k = keep.reshape(-1)
    dx = np.empty_like(g)
    survivor_scale = grad_out.dtype.type(1.0 / (1.0 - rate))
    for i in prange(g.size):
        dx[i] = g[i] * survivor_scale if k[i] else 0
    return dx.reshape(grad_out.shape)


class FastDropout:
    """``Dropout`` with the kernels above; the key comes from the layer's ``rng``."""

    def __init__(self, layer):
        self.layer = layer

    def forward(self, x, training=False):
        layer = self.layer
        if not training or layer.rate == 0:
            self.cache = None
            return x
        key = layer.rng.integers(2**63, dtype=np.uint64)
        out, self.cache = dropout(np.ascontiguousarray(x), key, layer.rate)
        return out

    def backward(self, grad_out):
        if self.cache is None:
            return grad_out
        return dropout_backward(np.ascontiguousarray(grad_out), self.cache, self.layer.rate)
