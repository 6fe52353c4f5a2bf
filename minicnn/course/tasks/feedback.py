"""How a task's check talks to the learner: run their code, compare, say what is wrong.

A check runs the learner's functions on a few cases drawn from a fixed seed and
compares every result with minicnn's own (``compare``). The first difference
stops the check with a :class:`Wrong` that names the part (shape, forward
values, which gradient), the largest error and where it is, and, when the
result matches a known mistake, that mistake; never the right numbers.

Inputs are drawn away from the places where a right answer could fail a check:
ReLU inputs are at least ``GAP`` from 0 and max-pool windows have no ties, so
central differences with step 1e-5 never cross a kink.
"""
import collections
import runpy
import warnings
from dataclasses import dataclass, field

import numpy as np

from ... import backend
from ...layers import Layer

RTOL, ATOL = 1e-5, 1e-8      # a right float64 answer differs by ~1e-15; an answer x1.01 by 1e-2
GAP = 0.05                   # drawn ReLU inputs stay this far from its kink at 0
AXIS_NAMES = {"N": "image", "H": "row", "W": "column", "C": "channel", "F": "filter", "D": "feature",
              "U": "unit", "K": "class", "A": "kernel row", "B": "kernel column", "R": "row", "P": "patch entry"}


class Wrong(Exception):
    """One thing the learner's code got wrong, said in a sentence."""


class NotWritten(Exception):
    """The learner's function still raises NotImplementedError."""


@dataclass
class Task:
    """One graded function (or set of functions) of the course.

    ``functions`` are the names the learner writes, in the order a tuple answer
    gives them; ``run(answer, rng)`` checks a dict of them on cases drawn from
    ``rng`` and raises :class:`Wrong`; ``cases(rng)`` describes the geometries.
    """
    name: str
    notebook: str
    title: str
    functions: tuple
    run: object = field(repr=False)
    cases: object = field(repr=False)
    seed: int = 0
    needs: tuple = ()        # earlier tasks whose functions this one's solution calls (conv calls im2col)

    def check(self, candidate):
        """Run the learner's answer; print what is right or wrong; return a plain bool."""
        # The check builds minicnn layers, which draw initial weights and number their names:
        # it leaves both as it found them, so a notebook's later models are what they would be.
        init, names = backend.init_rng(), collections.Counter(Layer._name_counts)
        init_state = init.bit_generator.state
        try:
            answer = self.as_dict(candidate)
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")        # overflow shows up as inf or NaN, said in words
                summary = self.run(answer, np.random.default_rng(self.seed))
        except NotWritten as err:
            print(f"{self.name}: not implemented yet ({err} still raises NotImplementedError).")
            return False
        except Wrong as err:
            print(f"{self.name}: not yet. {err}")
            return False
        finally:
            init.bit_generator.state = init_state
            Layer._name_counts = names
        print(f"{self.name}: right. {summary}")
        return True

    def as_dict(self, candidate):
        """``{name: function}`` from a function, a tuple in ``functions`` order, or a dict."""
        if isinstance(candidate, dict):
            answer = candidate
        elif isinstance(candidate, (tuple, list)):
            answer = dict(zip(self.functions, candidate)) if len(candidate) == len(self.functions) else {}
        else:
            answer = {self.functions[0]: candidate} if len(self.functions) == 1 else {}
        missing = [name for name in self.functions if not callable(answer.get(name))]
        if missing:
            raise Wrong(f"check expects {self.shape_of_answer()}; {', '.join(missing)} is missing or not a function.")
        return answer

    def shape_of_answer(self):
        names = self.functions
        return names[0] if len(names) == 1 else "(" + ", ".join(names) + ")"

    @property
    def solution(self):
        """The worked answer from ``tutorials/solutions/tasks/NAME.py``, in the form ``check`` accepts."""
        found = tuple(solution_namespace(self.name, self.needs)[name] for name in self.functions)
        return found[0] if len(found) == 1 else found


def solution_path(name):
    """``tutorials/solutions/tasks/NAME.py`` of the installed or checked-out course."""
    from ..notebooks import find_notebooks
    return find_notebooks() / "solutions" / "tasks" / f"{name}.py"


def solution_namespace(name, needs=()):
    """The names a solution file defines, run after the solutions it ``needs``, as in the notebook."""
    names = {}
    for each in (*needs, name):
        names.update(runpy.run_path(str(solution_path(each)), init_globals=names))
    return names


def call(answer, name, *args, **kwargs):
    """Call the learner's function; a stub becomes NotWritten, any other error a Wrong that quotes it."""
    try:
        return answer[name](*args, **kwargs)
    except NotImplementedError as err:
        stub = innermost_function(err)      # conv_forward may be written and call a stub
        raise NotWritten(name if stub in (name, None) else f"{stub}, which {name} calls,") from None
    except Exception as err:                  # the learner's bug, said in one line, not a traceback
        raise Wrong(f"{name} raised {type(err).__name__}: {err}") from None


def innermost_function(error):
    """The name of the function whose line raised ``error``."""
    frame = error.__traceback__
    while frame is not None and frame.tb_next is not None:
        frame = frame.tb_next
    return frame.tb_frame.f_code.co_name if frame is not None else None


def unpack(result, count, name, what):
    """``result`` as ``count`` values (``what`` says what they are), or a Wrong that says so."""
    if not isinstance(result, tuple) or len(result) != count:
        got = f"a tuple of {len(result)}" if isinstance(result, tuple) else type(result).__name__
        raise Wrong(f"{name} should return {what}; it returned {got}.")
    return result


def where(index, axes):
    """``[0, 4, 2, 1] (image 0, row 4, column 2, channel 1)`` for an index and axis letters like "NHWC"."""
    text = "[" + ", ".join(str(int(i)) for i in index) + "]"
    if axes and len(axes) == len(index):
        text += " (" + ", ".join(f"{AXIS_NAMES.get(a, a)} {int(i)}" for a, i in zip(axes, index)) + ")"
    return text


def matches(got, expected):
    return got.shape == expected.shape and bool(np.allclose(got, expected, rtol=RTOL, atol=ATOL))


def constant_factor(got, expected):
    """The factor c with ``got == c * expected`` everywhere, or None."""
    scale = np.vdot(expected, expected)
    if scale == 0 or not np.all(np.isfinite(got)):
        return None
    c = np.vdot(got, expected) / scale
    return float(c) if abs(c - 1) > 1e-3 and abs(c) > 1e-3 and matches(got, c * expected) else None


def compare(what, got, expected, axes="", suspects=(), case=""):
    """Raise Wrong unless ``got`` equals ``expected`` (minicnn's result) to float64 rounding.

    ``suspects``: ``[(message, wrong_result), ...]`` known mistakes; the first one
    that ``got`` matches is named. Otherwise the message gives the largest error,
    where it is, and how many entries are off.
    """
    expected = np.asarray(expected, dtype=np.float64)
    try:
        got = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        raise Wrong(f"{case}{what} should be an array of numbers; it is {type(got).__name__}.") from None
    for message, wrong in suspects:
        wrong = np.asarray(wrong, dtype=np.float64)
        if wrong.shape == got.shape and matches(got, wrong) and not matches(got, expected):
            raise Wrong(f"{case}{what}: {message}")
    if got.shape != expected.shape:
        hint = " (the axes in reverse order: a missing or extra transpose?)" if got.shape == expected.shape[::-1] \
            and got.ndim > 1 else ""
        raise Wrong(f"{case}{what} has shape {got.shape}; it should be {expected.shape}{hint}.")
    if not np.all(np.isfinite(got)):
        raise Wrong(f"{case}{what} holds inf or NaN at {where(np.argwhere(~np.isfinite(got))[0], axes)}.")
    if matches(got, expected):
        return
    if got.ndim == 2 and got.shape[0] == got.shape[1] and matches(got, expected.T):
        raise Wrong(f"{case}{what} is the transpose of the right one: a missing or extra transpose.")
    factor = constant_factor(got, expected)
    if factor is not None:
        raise Wrong(f"{case}{what} is right up to a constant factor: yours is {factor:.4g} times the right one.")
    error = np.abs(got - expected)
    wrong = ~np.isclose(got, expected, rtol=RTOL, atol=ATOL)
    index = np.unravel_index(np.argmax(error), error.shape)
    raise Wrong(f"{case}{what} is wrong at {int(wrong.sum())} of {wrong.size} entries; the largest error, "
                f"{error[index]:.3g}, is at {what}{where(index, axes)}.")


def draw(rng, shape, scale=1.0):
    """Uniform float64 values in [-scale, scale], kept ``GAP`` away from 0 (ReLU's kink)."""
    magnitude = rng.uniform(GAP, scale, size=shape)
    return magnitude * rng.choice([-1.0, 1.0], size=shape)


def distinct(rng, shape):
    """Values in [-1, 1] at least 2 / size apart (no ties anywhere: max-pool's winner is clear)."""
    size = int(np.prod(shape))
    return (rng.permutation(size) / size * 2 - 1 + 0.5 / size).reshape(shape)


def describe(**arrays_and_numbers):
    """``"x (2, 5, 5, 3), stride 2, pad 1: "``: the case a message is about."""
    parts = [f"{name} {tuple(value.shape)}" if hasattr(value, "shape") else f"{name} {value}"
             for name, value in arrays_and_numbers.items()]
    return "On " + ", ".join(parts) + ": "
