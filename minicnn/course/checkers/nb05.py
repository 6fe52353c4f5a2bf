"""Checkers for ``05_training_dynamics.ipynb``: Adam's second step, momentum, Glorot, RMSprop's first step."""
import math

from . import check, close


def check_1(answer):
    """The change of the weight in Adam's second step (gradients 0.5 then -0.5, default hyperparameters)."""
    m, v = 0.1 * 0.5, 0.001 * 0.5**2                                  # after step 1
    m, v = 0.9 * m + 0.1 * -0.5, 0.999 * v + 0.001 * 0.5**2           # step 2
    alpha = 0.001 * math.sqrt(1 - 0.999**2) / (1 - 0.9**2)
    return check(1, answer, lambda a: close(a, -alpha * m / (math.sqrt(v) + 1e-7), 1e-8),
                 "Carry m and v over from step 1 into step 2, and use t = 2 in alpha; the weight changes by "
                 "-alpha * m / (sqrt(v) + eps). A step of about lr holds for a steady gradient, not for this one.")


def check_2(answer):
    """The step size SGD with momentum 0.9 and lr 0.1 settles to under a constant gradient 1."""
    return check(2, answer, lambda a: close(abs(a), 0.1 / (1 - 0.9), 1e-3),
                 "When the velocity stops changing, m = 0.9 * m - 0.1 * 1: solve for m.")


def check_3(answer):
    """Glorot's limit for the kernel (3, 3, 1, 32)."""
    return check(3, answer, lambda a: close(a, math.sqrt(6 / (9 * 1 + 9 * 32)), 1e-3),
                 "fan_in = KH * KW * C and fan_out = KH * KW * F: the kernel's size counts in both.")


def check_4(answer):
    """How much RMSprop's first step (g = 0.5, lr 0.001, rho 0.9) lowers the weight."""
    v = 0.1 * 0.5**2
    return check(4, answer, lambda a: close(a, 0.001 * 0.5 / math.sqrt(v + 1e-7), 1e-7),
                 "Apply the RMSprop row of section 2's table once, from v = 0, exactly as written: "
                 "nothing corrects v for having started at 0.")
