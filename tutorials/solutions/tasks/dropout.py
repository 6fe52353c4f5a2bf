import numpy as np


def dropout_forward(x, rate, training, rng):
    """Inverted dropout. rate: the fraction of units dropped, in [0, 1).

    Training: keep = rng.random(x.shape) >= rate (draw exactly this, once), then
    out = x * keep / (1 - rate), so that the expected output is x. Inference: out = x.
    Returns (out, cache).
    """
    if not training:
        return x, None
    keep = rng.random(x.shape) >= rate
    return x * keep / (1 - rate), (keep, rate)


def dropout_backward(grad_out, cache):
    """dx, the same shape as grad_out."""
    if cache is None:                    # inference: the identity
        return grad_out
    keep, rate = cache
    return grad_out * keep / (1 - rate)  # through the survivors, scaled as they were
