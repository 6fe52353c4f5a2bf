"""Checkers for ``11_bug_hunt.ipynb``: the mystery network's bugs, softmax twice, shuffled labels."""
import math

from . import check, close
from ..bug_hunt import buggy_layers, mystery_bugs

MYSTERY_SEED = 42      # the notebook's mystery_network(42)


def _layers(answer):
    names = {answer} if isinstance(answer, str) else set(answer)
    if not all(isinstance(name, str) for name in names):
        raise TypeError("layer names are strings")
    return names


def check_1(answer):
    """The names of the two layers of mystery_network(MYSTERY_SEED) that carry a bug."""
    expected = set(buggy_layers(mystery_bugs(MYSTERY_SEED)))
    try:
        named = _layers(answer)
    except TypeError:
        named = set()
    hint = ("Name two layers, e.g. ['conv', 'output']. Run gradcheck_each_layer (backward bugs) and "
            "compare_forward (forward bugs), and look at the loss before training and the recorder.")
    if len(named) == 2 and len(named & expected) == 1:
        hint = "One of your two layers is right. The other bug is of the kind the other tool finds."
    return check(1, answer, lambda a: _layers(a) == expected, hint)


def check_2(answer):
    """The lowest loss a 10-class network with softmax applied twice can reach."""
    return check(2, answer, lambda a: close(a, math.log(math.e + 9) - 1, 1e-3),
                 "The second softmax sees numbers between 0 and 1. Which input makes its top output largest? "
                 "The loss is -log of that output.")


def check_3(answer):
    """Validation accuracy of a 4-class network trained on shuffled labels."""
    return check(3, answer, lambda a: close(a, 0.25, 0.01),
                 "With shuffled labels the images say nothing about their labels. How often does a guess "
                 "match a label drawn from 4 balanced classes?")
