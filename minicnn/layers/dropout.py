"""Dropout (inverted): during training zero each unit with probability ``rate``.

Shapes: x (N, ...) -> out of the same shape.

Forward (training)::

    keep = uniform(0, 1) >= rate          a fresh mask for every batch, (N, ...)
    out  = x * keep / (1 - rate)

The survivors are scaled by ``1 / (1 - rate)`` so the expected value of every
unit stays the same; at inference the layer is the identity and needs no
rescaling. Backward lets the gradient through the survivors, scaled the same way::

    dx = grad_out * keep / (1 - rate)

The uniform numbers come from ``self.rng``, which the model reseeds from
``(seed, epoch)``: the same seed gives the same masks, however a run is split.
The fast backend (``minicnn/fast/dropout.py``) draws its masks another way
(a counter-based hash that many threads can compute at once), so the two
backends drop *different* units for the same seed; each is reproducible, and
given the same mask both compute the same numbers.
"""
import numbers

from .base import Layer


def keep_mask(rng, shape, rate):
    """True for the units that survive: each with probability ``1 - rate``."""
    return rng.random(shape) >= rate


def dropout_forward(x, keep, rate):
    """Zero the dropped units and scale the survivors by 1 / (1 - rate)."""
    return x * keep / (1 - rate)


def dropout_backward(grad_out, keep, rate):
    """The gradient flows only through the survivors, scaled as they were."""
    return grad_out * keep / (1 - rate)


class Dropout(Layer):
    """``rate`` is the fraction of units dropped, in [0, 1)."""

    def __init__(self, rate, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(rate, numbers.Real) or isinstance(rate, bool) or not 0 <= rate < 1:
            raise ValueError(f"Dropout: rate is the fraction of units dropped and must be in [0, 1). "
                             f"Received rate={rate!r}.")
        self.rate = float(rate)

    def forward(self, x, training=False):
        if not training or self.rate == 0:
            self.cache = None                    # identity: nothing to remember
            return x
        self.cache = keep_mask(self.rng, x.shape, self.rate)
        return dropout_forward(x, self.cache, self.rate)

    def backward(self, grad_out):
        if self.cache is None:
            return grad_out
        return dropout_backward(grad_out, self.cache, self.rate)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate}
