"""The check every layer task shares: forward beside minicnn's layer, then backward, then numerically.

A layer task asks for two functions in CS231n's form::

    out, cache = forward(x, ..., **options)      # cache: whatever backward needs
    dx, ...    = backward(grad_out, cache)       # one gradient per input, in order

For each drawn case the check compares ``out`` (shape, then values) with
minicnn's, sends a random ``grad_out`` back, compares every gradient with
minicnn's and quotes the worst one's relative error against central differences
of the learner's own forward pass (the number a gradient check reports).
"""
from dataclasses import dataclass, field

import numpy as np

from ...gradcheck import numerical_gradient, relative_error
from .feedback import Wrong, call, compare, matches, unpack


@dataclass
class LayerCase:
    """One drawn geometry: the arrays that get gradients, in backward's order, and the other arguments.

    ``options()`` is called afresh for every forward call (a dropout case hands
    out a new generator from the same seed, so every call draws the same mask).
    """
    arrays: dict
    options: object = field(default=lambda: {})
    label: str = ""


@dataclass
class LayerSpec:
    """``reference(arrays, options, grad_out) -> (out, extras, grads)``: minicnn's answers, where
    ``extras`` are forward outputs between ``out`` and ``cache`` (a batch norm's moving statistics).
    ``suspects(arrays, options, grad_out) -> {"out" or input name: [(message, wrong value)]}``."""
    forward: str
    backward: str
    axes: dict
    reference: object
    suspects: object = None
    extras: tuple = ()


def run_layer_task(spec, answer, cases):
    """Raise Wrong at the first difference; return a one-line summary when every case passes."""
    numeric = {}
    for number, case in enumerate(cases):
        arrays = {name: value.copy() for name, value in case.arrays.items()}
        out, extras, cache = forward(spec, answer, arrays, case)
        expected_out, expected_extras, _ = spec.reference(arrays, case.options(), None)
        grad_out = np.random.default_rng(number).normal(size=np.shape(expected_out))
        suspects = spec.suspects(arrays, case.options(), grad_out) if spec.suspects else {}
        compare("out", out, expected_out, spec.axes.get("out", ""), suspects.get("out", ()), case.label)
        for name, value in zip(spec.extras, extras):
            compare(name, value, expected_extras[name], "C", suspects.get(name, ()), case.label)
        _, _, expected = spec.reference(arrays, case.options(), grad_out)
        grads = dict(zip(expected, backward(spec, answer, grad_out, cache, len(expected))))
        check_gradients(spec, answer, case, arrays, grad_out, grads, expected, suspects)
        if number == 0:     # right so far: the gradient check a learner would run, on the smallest case
            numeric = {name: relative_error(np.asarray(grads[name], np.float64),
                                            numerical_gradient(output_loss(spec, answer, arrays, case, grad_out),
                                                               arrays[name]))
                       for name in expected}
    return (f"On {len(cases)} drawn cases the output and {', '.join('d' + n for n in numeric)} equal minicnn's "
            f"layer's; the gradient check on the first case gives relative errors up to "
            f"{max(numeric.values()):.0e}.")


def output_loss(spec, answer, arrays, case, grad_out):
    """``sum(out * grad_out)`` of the learner's forward pass: its gradient is what backward returns."""
    return lambda: float(np.sum(np.asarray(forward(spec, answer, arrays, case)[0], np.float64) * grad_out))


def forward(spec, answer, arrays, case):
    """``(out, extras, cache)`` from the learner's forward on copies of the arrays (never modified)."""
    result = call(answer, spec.forward, **{k: v.copy() for k, v in arrays.items()}, **case.options())
    what = "(out, " + "".join(f"{name}, " for name in spec.extras) + "cache)"
    result = unpack(result, 2 + len(spec.extras), spec.forward, what)
    return result[0], result[1:-1], result[-1]


def backward(spec, answer, grad_out, cache, count):
    result = call(answer, spec.backward, grad_out.copy(), cache)
    if count == 1:
        return (result,)
    return unpack(result, count, spec.backward, f"{count} gradients")


def check_gradients(spec, answer, case, arrays, grad_out, grads, expected, suspects):
    """Name the worst wrong gradient (and which others are wrong or right); quote its numerical check."""
    wrong = [name for name in expected if not (np.shape(grads[name]) == expected[name].shape
                                               and matches(np.asarray(grads[name], np.float64), expected[name]))]
    if not wrong:
        return
    shape_first = [name for name in wrong if np.shape(grads[name]) != expected[name].shape]
    worst = shape_first[0] if shape_first else max(
        wrong, key=lambda name: relative_error(np.asarray(grads[name], np.float64), expected[name]))
    also_wrong = [f"d{name}" for name in wrong if name != worst]
    right = [f"d{name}" for name in expected if name not in wrong]
    note = "; ".join(filter(None, [", ".join(also_wrong) + " wrong too" if also_wrong else "",
                                   ", ".join(right) + " right" if right else ""]))
    numeric = ""
    if not shape_first:
        numeric_grad = numerical_gradient(output_loss(spec, answer, arrays, case, grad_out), arrays[worst])
        error = relative_error(np.asarray(grads[worst], np.float64), numeric_grad)
        numeric = (f" Gradient check of your backward against your forward: relative error {error:.1e} "
                   f"(right: below 1e-7).")
    try:
        compare(f"d{worst}", grads[worst], expected[worst], spec.axes.get(worst, ""),
                suspects.get(worst, ()), case.label)
    except Wrong as err:
        raise Wrong(f"{err}{numeric}" + (f" ({note}.)" if note else "")) from None
