"""Checkers for ``05_training_dynamics.ipynb``: Adam's step, momentum, Glorot, input scale."""
import math

from . import check, close


def check_1(answer):
    """How much Adam's first step (g = 0.5, default hyperparameters) lowers the weight."""
    alpha = 0.001 * math.sqrt(1 - 0.999) / (1 - 0.9)
    m, v = 0.1 * 0.5, 0.001 * 0.5**2
    return check(1, answer, lambda a: close(a, alpha * m / (math.sqrt(v) + 1e-7), 1e-7),
                 "Compute m and v after one step from 0, then alpha with t = 1; the step is "
                 "alpha * m / (sqrt(v) + eps). It is not lr * g: Adam divides by the gradient's size.")


def check_2(answer):
    """The step size SGD with momentum 0.9 and lr 0.1 settles to under a constant gradient 1."""
    return check(2, answer, lambda a: close(abs(a), 0.1 / (1 - 0.9), 1e-3),
                 "When the velocity stops changing, m = 0.9 * m - 0.1 * 1: solve for m.")


def check_3(answer):
    """Glorot's limit for the kernel (3, 3, 1, 32)."""
    return check(3, answer, lambda a: close(a, math.sqrt(6 / (9 * 1 + 9 * 32)), 1e-3),
                 "fan_in = KH * KW * C and fan_out = KH * KW * F: the kernel's size counts in both.")


def check_4(answer):
    """The factor on a bias-free conv layer's output when the inputs are 255 times larger."""
    return check(4, answer, lambda a: close(a, 255),
                 "Each output is a sum of pixel * weight (plus a bias of 0): what happens to a sum "
                 "when every pixel is multiplied by the same number?")
