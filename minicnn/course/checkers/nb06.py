"""Checkers for ``06_overfitting_and_regularisation.ipynb``: dropout, L2, early stopping, batch norm."""
import math

from . import check, close


def check_1(answer):
    """What Dropout(0.5) outputs in training for a kept value of 3.0."""
    return check(1, answer, lambda a: close(a, 3.0 / (1 - 0.5)),
                 "Inverted dropout scales the survivors by 1 / (1 - rate), so the expected sum stays the same.")


def check_2(answer):
    """The L2(0.01) penalty of the weights [1, -2]."""
    return check(2, answer, lambda a: close(a, 0.01 * (1.0 + 4.0)),
                 "The penalty is l2 * sum(w**2): square each weight (the sign goes away), add, multiply.")


def check_3(answer):
    """After which epoch EarlyStopping(patience=2) stops on val_loss 1.0, 0.8, 0.85, 0.9, 0.7."""
    return check(3, answer, lambda a: a == 4,
                 "After each epoch, count the epochs since the best loss so far; training stops at the end of "
                 "the epoch where that count reaches the patience, whatever comes later.")


def check_4(answer):
    """Batch normalisation of 3.0 in the batch [1, 3] (gamma 1, beta 0, eps 1e-3)."""
    return check(4, answer, lambda a: close(a, (3.0 - 2.0) / math.sqrt(1.0 + 1e-3), 1e-4),
                 "Use the batch's own mean and variance (the variance divided by N, not N - 1), then "
                 "section 6's formula: subtract the mean, divide by sqrt(variance + eps).")
