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
from . import answered, check, close, same_text, verdict


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


# Exercise 4: made-up shares of the variance, largest first, with the fewest components for each share.
# Powers of 2 add up exactly, so the first case reaches its share exactly at component 2.
HALVES = np.array([0.5, 0.25, 0.125, 0.0625, 0.0625])
MADE_UP = [(HALVES, 0.75, 2), (HALVES, 0.5, 1), (HALVES, 0.9, 4), (HALVES, 1.0, 5)]


@functools.lru_cache(maxsize=1)
def training_ratios():
    return pca_summary(training_images()[0], n_components=60)["ratio"]


def fewest(ratio, share):
    return int(np.argmax(np.cumsum(ratio) >= share)) + 1


def check_4(answer):
    """``fewest_components(ratio, share)``: the fewest principal components that explain at least ``share``."""
    if not answered(4, answer):
        return False
    if not callable(answer):
        return verdict(4, False, "Pass the function itself: checkers.nb01.check_4(fewest_components).")
    cases = MADE_UP + [(training_ratios(), share, fewest(training_ratios(), share)) for share in (0.5, 0.8)]
    try:
        given = [answer(ratio.copy(), share) for ratio, share, _ in cases]
    except Exception as error:  # the learner's code raised: say what, never a traceback
        return verdict(4, False, f"fewest_components raised {type(error).__name__}: {error}")
    if all(value is None for value in given):
        print("Exercise 4: not answered yet (fewest_components returns None; write its body).")
        return False
    try:
        given = [None if value is None else int(value) for value in given]
    except (TypeError, ValueError):
        return verdict(4, False, "Return a whole number: how many components, counting from 1.")
    expected = [needed for _, _, needed in cases]
    if given == expected:
        return verdict(4, True, "")
    exact = [bool(np.any(np.cumsum(ratio) == share)) for ratio, share, _ in cases]   # share reached exactly
    wrong = [i for i, (value, needed) in enumerate(zip(given, expected)) if value != needed]
    if given == [needed - 1 for needed in expected]:
        hint = "Each answer is one short: you returned a position in the array, which counts from 0."
    elif all(exact[i] for i in wrong):
        hint = ("Wrong only where the running total equals share exactly (0.5 + 0.25 = 0.75): "
                "'at least share' includes share itself.")
    elif None in given:
        hint = "For some shares it returns None: every way through your function must end in a return."
    else:
        hint = ("Each component adds its share to those before it; find the first component where the "
                "running total reaches share.")
    return verdict(4, False, hint)
