"""Exercise checkers: one module per notebook (``nb00`` for ``00_start_here.ipynb``, ...).

Each module has ``check_1(answer)``, ``check_2(answer)``, ...: it prints whether the
learner's answer is right and, when it is not, a hint; it returns True or False and
never prints the answer itself. The worked answers are in ``tutorials/solutions/``.

    >>> from minicnn.course.checkers import nb00
    >>> nb00.check_2(None)
    Exercise 2: not answered yet (replace the None).
    False
"""
import numpy as np

from ..._lazy import attach

__getattr__, __dir__ = attach(__name__, __path__)


def verdict(number, right, hint):
    """Print ``Exercise n: right.`` or the hint; return ``right`` as a bool."""
    print(f"Exercise {number}: right." if right else f"Exercise {number}: not yet. {hint}")
    return bool(right)


def answered(number, answer):
    """False (with a message) while the learner's answer is still the placeholder None."""
    if answer is None:
        print(f"Exercise {number}: not answered yet (replace the None).")
        return False
    return True


def close(answer, expected, tolerance=1e-6):
    """Is ``answer`` a number (or array of numbers) within ``tolerance`` of ``expected``?"""
    try:
        answer = np.asarray(answer, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    expected = np.asarray(expected, dtype=np.float64)
    return answer.shape == expected.shape and bool(np.allclose(answer, expected, rtol=0, atol=tolerance))


def same_text(answer, expected):
    """Case- and space-insensitive equality of two strings."""
    return isinstance(answer, str) and answer.strip().lower() == expected.strip().lower()


def check(number, answer, right, hint):
    """The common path: placeholder? else ``right(answer)`` decides, the hint helps."""
    if not answered(number, answer):
        return False
    try:
        ok = right(answer)
    except Exception:  # an answer of the wrong kind is just wrong, never a traceback
        ok = False
    return verdict(number, ok, hint)
