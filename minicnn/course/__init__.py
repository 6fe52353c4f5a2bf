"""What the course notebooks share: the mode they run in, their data, their settings.

The notebooks (``tutorials/`` in the repository; ``python -m minicnn tutorials DIR``
copies them out of an installed minicnn) open with::

    from minicnn import course
    (x_train, y_train), (x_test, y_test) = course.load_data()
    epochs = course.pick(full=5, fast=1)

The default is the **real run**: the full Fashion-MNIST (found or downloaded as
``minicnn.load_fashion_mnist()`` does) and the seed projects' settings, so a learner
who presses Run sees trained models. With the environment variable
``MINICNN_FAST=1`` (what CI sets) the notebooks use the 2,000-image sample bundled
with minicnn and tiny settings, only to prove that every cell runs.

``checkers`` holds one module per notebook that tells a learner whether an
exercise's answer is right; ``tasks`` the graded tasks where the learner writes a
layer and a check names the bug; ``yours`` trains the learner's layers beside
minicnn's. The runs that regenerate the shipped weights and the
notebooks' executed copies are minicnn's own commands: ``minicnn.runs.make_pretrained``
and ``minicnn.runs.build_pages``.
"""
import os

from .._lazy import attach
from ..datasets import load_fashion_mnist, to_model_input

FAST = os.environ.get("MINICNN_FAST", "0") == "1"

__getattr__, __dir__ = attach(__name__, __path__)


def pick(full, fast):
    """``fast`` in FAST mode, else ``full``: ``epochs = course.pick(full=10, fast=1)``."""
    return fast if FAST else full


def epochs(full, fast=1):
    """How many epochs to train: the seed project's ``full``, or ``fast`` in FAST mode."""
    return pick(full, fast)


def mode():
    """One line that says which mode this notebook runs in, and how to change it."""
    if FAST:
        return ("FAST mode (MINICNN_FAST=1): the 2,000-image sample bundled with minicnn and tiny "
                "settings; the numbers only prove that the code runs.")
    return "Full mode: all 60,000 training and 10,000 test images, the seed projects' settings."


def load_data():
    """``(x_train, y_train), (x_test, y_test)`` ready for a model.

    Images ``(N, 28, 28, 1)`` float32 in [0, 1], labels ``(N,)`` integers 0..9: the full
    Fashion-MNIST (60,000 + 10,000), or in FAST mode the bundled sample (1,600 + 400).
    """
    (x_train, y_train), (x_test, y_test) = load_fashion_mnist(sample=FAST)
    return ((to_model_input(x_train), y_train.astype("int64")),
            (to_model_input(x_test), y_test.astype("int64")))
