"""Checkers for ``01_explore_fashion_mnist.ipynb``.

The answers depend on the data the notebook read: the full training set, or the
bundled sample in FAST mode. Each checker reads the same data again and computes
the answer with NumPy or scikit-learn, so it agrees with the learner's notebook.
"""
import functools

import numpy as np

from ...datasets import CLASS_NAMES, load_fashion_mnist
from ...datasets.correlation import pca_summary
from .. import FAST
from . import check, close, same_text


@functools.lru_cache(maxsize=1)
def test_images():
    _, (x_test, y_test) = load_fashion_mnist(sample=FAST)
    return x_test, y_test


@functools.lru_cache(maxsize=1)
def training_images():
    (x_train, y_train), _ = load_fashion_mnist(sample=FAST)
    return x_train, y_train


def check_1(answer):
    """How many test images each class has."""
    counts = np.bincount(test_images()[1], minlength=10)
    return check(1, answer, lambda a: a == counts[0] and len(set(counts)) == 1,
                 "np.bincount counts the labels; count the test labels this time.")


def check_2(answer):
    """The fraction of all test pixel values that are exactly 0 (two decimals)."""
    return check(2, answer, lambda a: close(a, np.mean(test_images()[0] == 0), 0.005),
                 "Compare the whole uint8 array of test images with 0 and take the mean of the booleans.")


def check_3(answer):
    """The class whose mean image is brightest (largest mean pixel value)."""
    x, y = training_images()
    brightest = CLASS_NAMES[int(np.argmax([x[y == k].mean() for k in range(10)]))]
    return check(3, answer, lambda a: same_text(a, brightest),
                 "Average the images of each class over images and pixels, and give the name "
                 "(minicnn.CLASS_NAMES) of the largest.")


def check_4(answer):
    """The fewest principal components that together explain at least 80 % of the variance."""
    cumulative = pca_summary(training_images()[0], n_components=60)["cumulative"]
    needed = int(np.argmax(cumulative >= 0.8)) + 1
    return check(4, answer, lambda a: abs(int(a) - needed) <= 1,
                 "Look where summary['cumulative'] first reaches 0.8; component k sits at index k - 1.")
