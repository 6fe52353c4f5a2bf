"""Dropout (inverted): during training zero each unit with probability ``rate``.

The survivors are scaled by ``1 / (1 - rate)`` so the expected value of every
unit stays the same; at inference the layer is the identity and needs no
rescaling. Backward multiplies by the same ``scale`` array (0 or 1/(1-rate)).

The uniform numbers come from ``self.rng``, which the model reseeds from
``(seed, epoch)``: the same seed gives the same masks, however a run is split.
"""
import numpy as np
from numba import njit, prange

from .base import Layer


def dropout_mask_reference(uniform, rate):
    """Scale per unit: 0 where ``uniform < rate`` (dropped), else ``1 / (1 - rate)``."""
    keep = uniform >= rate
    return keep * np.asarray(1.0 / (1.0 - rate), dtype=uniform.dtype)


@njit(parallel=True, cache=True)
def dropout_mask(uniform, rate):
    """Fast path of ``dropout_mask_reference``."""
    flat = uniform.reshape(-1)
    scale = np.empty_like(flat)
    survivor = 1.0 / (1.0 - rate)
    for i in prange(flat.size):
        scale[i] = survivor if flat[i] >= rate else 0.0
    return scale.reshape(uniform.shape)


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
            self.scale = None
            return x
        uniform = self.rng.random(x.shape, dtype=x.dtype)
        self.scale = dropout_mask(uniform, self.rate)
        return x * self.scale

    def backward(self, grad_out):
        return grad_out if self.scale is None else grad_out * self.scale

    def get_config(self):
        return {**super().get_config(), "rate": self.rate}
