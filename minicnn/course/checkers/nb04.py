"""Checkers for ``04_layers_and_gradients.ipynb``: im2col, the backward passes, max-pool ties."""
import numpy as np

from . import check, close

# Exercise 2: a ReLU's input and the gradient arriving from above.
RELU_X = np.array([1.5, -0.5, 0.0, 2.0])
RELU_GRAD = np.array([4.0, 3.0, 2.0, -1.0])
# Exercise 4: a Dense layer's input x: (N, D) = (2, 3) and grad_out: (N, F) = (2, 2).
DENSE_X = np.array([[2.0, -1.0, 0.0],
                    [1.0, 3.0, 1.0]])
DENSE_GRAD = np.array([[0.0, 1.0],
                       [2.0, -2.0]])


def check_1(answer):
    """The shape of ``cols`` for x: (2, 5, 5, 3), a 3 x 3 kernel, stride 1, valid padding."""
    return check(1, answer, lambda a: tuple(a) == (2 * 3 * 3, 3 * 3 * 3),
                 "One row per output pixel of every image (N*OH*OW), one column per value in a window (KH*KW*C).")


def check_2(answer):
    """dx of ReLU for RELU_X and RELU_GRAD."""
    return check(2, answer, lambda a: close(np.ravel(a), RELU_GRAD * (RELU_X > 0)),
                 "The gradient passes where the input was positive and is 0 elsewhere.")


def check_3(answer):
    """dx at one position: GlobalAveragePooling2D over 7 x 7, upstream gradient 14 for the channel."""
    return check(3, answer, lambda a: close(a, 14 / 49),
                 "The output is the mean of H*W values, so each value moved it by 1/(H*W).")


def check_4(answer):
    """dkernel of a Dense layer for DENSE_X and DENSE_GRAD."""
    return check(4, answer, lambda a: close(a, DENSE_X.T @ DENSE_GRAD),
                 "out = x @ kernel + bias, so dkernel has the kernel's shape (D, F): x transposed times grad_out.")


def check_5(answer):
    """minicnn's max-pool backward for the window [[0, 2], [2, 1]] with upstream gradient 1."""
    return check(5, answer, lambda a: close(a, [[0, 1], [0, 0]]),
                 "With a tie, one cell is the winner (the first in row-major order) and gets all of it.")
