"""Checkers for ``02_first_cnn.ipynb``: shapes, parameters, updates, precision."""
import numpy as np

from . import check, close

# The confusion matrix of exercise 4: rows are true classes, columns predictions.
CONFUSION = np.array([[50, 2, 8],
                      [1, 45, 4],
                      [12, 3, 35]])


def check_1(answer):
    """Parameters of a Dense(128) layer that reads flattened 7 x 7 x 32 maps."""
    return check(1, answer, lambda a: a == 7 * 7 * 32 * 128 + 128,
                 "Count Flatten's outputs first; each of the 128 units has one weight per input and a bias.")


def check_2(answer):
    """Weight updates in one epoch of 1,000 images at batch size 300."""
    return check(2, answer, lambda a: a == 4,
                 "Every batch is one update, and the last, smaller batch counts too.")


def check_3(answer):
    """Output shape of Conv2D(64, 3) (valid padding, stride 1) on a 16 x 16 x 32 input."""
    return check(3, answer, lambda a: tuple(a) == (14, 14, 64),
                 "OH = (H - K) // S + 1, and the channels become the number of filters.")


def check_4(answer):
    """Precision of class 2 in CONFUSION."""
    return check(4, answer, lambda a: close(a, CONFUSION[2, 2] / CONFUSION[:, 2].sum(), 1e-3),
                 "Precision asks: of everything *predicted* as class 2 (a column), how much was class 2? "
                 "Recall reads the row.")
