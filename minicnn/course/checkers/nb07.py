"""Checkers for ``07_debugging.ipynb``: the starting loss, LeakyReLU's gradient, update ratios, steps."""
import math

from ...layers import LeakyReLU
from . import check, close


def check_1(answer):
    """The loss of a fresh classifier over 4 balanced classes."""
    return check(1, answer, lambda a: close(a, math.log(4), 0.01),
                 "It gives each class about the same probability; the loss is -log of the right class's.")


def check_2(answer):
    """The factor LeakyReLU's backward applies where its input is negative, at its default setting."""
    return check(2, answer, lambda a: close(a, LeakyReLU().negative_slope),
                 "Below 0, LeakyReLU outputs its input times a slope instead of 0, so its derivative there is "
                 "that slope, not 0; its default setting is in LeakyReLU().get_config().")


def check_3(answer):
    """The update/weight ratio for ||W|| = 2.0 and ||change|| = 0.02."""
    return check(3, answer, lambda a: close(a, 0.02 / 2.0, 1e-6),
                 "The ratio is ||W_after - W_before|| / ||W_before||: the change over the weights, not the reverse.")


def check_4(answer):
    """Weight updates of fit(x[:32], y[:32], epochs=50, batch_size=8)."""
    return check(4, answer, lambda a: a == 50 * 32 // 8,
                 "Each epoch splits the 32 images into batches of 8, and every batch is one update.")
