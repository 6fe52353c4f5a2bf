"""Dropout (inverted): during training zero each unit with probability ``rate``.

The survivors are scaled by ``1 / (1 - rate)`` so the expected value of every
unit stays the same; at inference the layer is the identity and needs no
rescaling. Backward lets the gradient through the survivors, scaled the same way.

Where the random numbers come from
----------------------------------
Unit ``i`` of a batch gets the uniform number ``hash(key, i)`` (SplitMix64, a
well-tested 64-bit mixer), with one ``key`` per batch drawn from ``self.rng``.
A number that depends only on (key, i) can be computed by many threads at once
in any order and still be the same, and the model reseeds ``self.rng`` from
``(seed, epoch)``: the same seed gives the same masks, however a run is split.
"""
import numpy as np
from numba import njit, prange

from .base import Layer

# SplitMix64's constants: an odd multiple of the golden ratio, and two mixing multipliers.
GOLDEN = np.uint64(0x9E3779B97F4A7C15)
MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
MIX_2 = np.uint64(0x94D049BB133111EB)
TWO_TO_24 = 16777216.0


def uniform_reference(key, size):
    """``size`` numbers in [0, 1): number i is SplitMix64(key + (i+1) * GOLDEN), top 24 bits.

    Each xor-shift spreads high bits into low ones and each odd multiply spreads
    low bits into high ones, so neighbouring i give unrelated numbers. 24 bits
    fill a float32 mantissa exactly.
    """
    z = np.uint64(key) + np.arange(1, size + 1, dtype=np.uint64) * GOLDEN   # wraps mod 2**64
    z = (z ^ (z >> np.uint64(30))) * MIX_1
    z = (z ^ (z >> np.uint64(27))) * MIX_2
    z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(40)).astype(np.float64) / TWO_TO_24


def dropout_reference(x, key, rate):
    """``(out, keep)``: keep = uniform >= rate, out = x * keep / (1 - rate)."""
    keep = (uniform_reference(key, x.size) >= rate).reshape(x.shape)
    survivor_scale = x.dtype.type(1 / (1 - rate))
    return x * keep * survivor_scale, keep


@njit(parallel=True, cache=True)
def dropout(x, key, rate):
    """Fast path of ``dropout_reference``: hash, compare and scale in one parallel pass."""
    flat = x.reshape(-1)
    out = np.empty_like(flat)
    keep = np.empty(flat.size, dtype=np.bool_)
    survivor_scale = x.dtype.type(1.0 / (1.0 - rate))
    for i in prange(flat.size):
        z = np.uint64(key) + np.uint64(i + 1) * GOLDEN
        z = (z ^ (z >> np.uint64(30))) * MIX_1
        z = (z ^ (z >> np.uint64(27))) * MIX_2
        z = z ^ (z >> np.uint64(31))
        keep[i] = (z >> np.uint64(40)) / TWO_TO_24 >= rate
        out[i] = flat[i] * survivor_scale if keep[i] else 0
    return out.reshape(x.shape), keep.reshape(x.shape)


def dropout_backward_reference(grad_out, keep, rate):
    """The gradient passes through the survivors, scaled by 1 / (1 - rate)."""
    return grad_out * keep * grad_out.dtype.type(1 / (1 - rate))


@njit(parallel=True, cache=True)
def dropout_backward(grad_out, keep, rate):
    """Fast path of ``dropout_backward_reference``."""
    g = grad_out.reshape(-1)
    k = keep.reshape(-1)
    dx = np.empty_like(g)
    survivor_scale = grad_out.dtype.type(1.0 / (1.0 - rate))
    for i in prange(g.size):
        dx[i] = g[i] * survivor_scale if k[i] else 0
    return dx.reshape(grad_out.shape)


class Dropout(Layer):
    """``rate`` is the fraction of units dropped, in [0, 1)."""

    def __init__(self, rate, name=None):
        super().__init__(name=name)
        if not 0 <= rate < 1:
            raise ValueError(f"Dropout: rate is the fraction of units dropped and must be in [0, 1). "
                             f"Received rate={rate!r}.")
        self.rate = float(rate)

    def forward(self, x, training=False):
        if not training or self.rate == 0:
            self.keep = None
            return x
        key = self.rng.integers(2**63, dtype=np.uint64)
        out, self.keep = dropout(np.ascontiguousarray(x), key, self.rate)
        return out

    def backward(self, grad_out):
        if self.keep is None:
            return grad_out
        return dropout_backward(np.ascontiguousarray(grad_out), self.keep, self.rate)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate}
