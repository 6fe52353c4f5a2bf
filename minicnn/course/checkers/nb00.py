"""Checkers for ``00_start_here.ipynb``: arrays, softmax regression, gradient descent."""
import math

from . import check, close


def check_1(answer):
    """The shape of a batch of 32 images as a minicnn model takes it."""
    return check(1, answer, lambda a: tuple(a) == (32, 28, 28, 1),
                 "A model takes (N, H, W, C): channels-last, and a grey image still has one channel.")


def check_2(answer):
    """How many numbers softmax regression learns on 32 x 32 RGB images with 10 classes."""
    return check(2, answer, lambda a: a == 32 * 32 * 3 * 10 + 10,
                 "Count the weight matrix (input values x classes; a colour pixel is three values), "
                 "then remember one bias per class.")


def check_3(answer):
    """The cross-entropy of a 5-class model that gives every class the same probability."""
    return check(3, answer, lambda a: close(a, math.log(5), 1e-3),
                 "Each class gets the same p; what is p for 5 classes? The loss of one image is -log(p of its class).")


def check_4(answer):
    """w after one gradient-descent step on f(w) = (w - 1)**2 from w = 3 with learning rate 0.1."""
    return check(4, answer, lambda a: close(a, 3 - 0.1 * 2 * (3 - 1)),
                 "The derivative of (w - 1)**2 is 2(w - 1); the step is w - learning_rate * derivative.")
