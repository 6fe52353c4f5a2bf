"""Numerical gradient checks: compare every backward pass with central differences.

For a function f and a tiny step h, ``(f(w + h) - f(w - h)) / (2h)`` approximates
df/dw with an error of order h**2. We nudge each input and weight entry in turn,
in float64 (float32 has too few digits for h = 1e-5), and compare with the
gradient that ``backward`` computed::

    relative error = ||analytic - numeric|| / (||analytic|| + ||numeric||)

Below about 1e-7 the backward pass is right; around 1e-2 it is wrong.

>>> import numpy as np, minicnn
>>> from minicnn.layers import Dense
>>> minicnn.set_floatx("float64")
>>> errors = gradcheck(Dense(3, activation="relu"), np.random.default_rng(0).normal(size=(4, 5)))
>>> max(errors.values()) < 1e-7
True
>>> minicnn.set_floatx("float32")
"""
import numpy as np

from . import regularizers
from .layers import Layer
from .model import plan_for


def relative_error(analytic, numeric):
    """``||a - n|| / (||a|| + ||n||)``, and 0 when both are zero (e.g. a dead ReLU)."""
    scale = np.linalg.norm(analytic) + np.linalg.norm(numeric)
    return float(np.linalg.norm(analytic - numeric) / scale) if scale > 0 else 0.0


def numerical_gradient(f, array, h=1e-5):
    """Central differences of the scalar ``f()`` with respect to every entry of ``array``,
    which ``f`` reads; each entry is nudged in place and restored."""
    grad = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        original = array[index]
        array[index] = original + h
        up = f()
        array[index] = original - h
        down = f()
        array[index] = original
        grad[index] = (up - down) / (2 * h)
    return grad


def gradcheck(target, x, y=None, training=False, h=1e-5, seed=0):
    """Max relative error of ``target``'s gradients, per input and per parameter.

    Parameters
    ----------
    target : Layer or Sequential
        A layer is checked on ``sum(layer(x) * R)`` for a fixed random ``R``; a
        compiled model is checked on its loss for targets ``y``. Both run on the
        current backend (``minicnn.set_backend``): its NumPy code or its fast twin.
    x : array-like (N, ...)
        Input batch in float64, with weights built in float64 (``minicnn.set_floatx("float64")``
        before building). A float32 (or float16) array is refused, not converted: it could
        not hold the nudged values, and it usually means the model runs in float32 too.
        Ints and lists become float64.
    training : bool
        Check the training-mode pass; dropout masks are then held fixed.

    Returns
    -------
    dict
        ``{"x": error, "<layer>/<param>": error, ...}``.
    """
    x = np.array(x)
    if np.issubdtype(x.dtype, np.floating) and x.dtype != np.float64:
        raise ValueError(f"gradcheck needs float64 inputs: central differences with h={h} need its digits. "
                         f"Received x of dtype {x.dtype}. Call minicnn.set_floatx('float64') before building, "
                         f"and pass x.astype('float64').")
    x = x.astype(np.float64)
    loss, backward, params = (_layer_problem if isinstance(target, Layer) else _model_problem)(
        target, x, y, training, seed)
    analytic = backward()
    errors = {"x": relative_error(analytic.pop("x"), numerical_gradient(lambda: loss(x), x, h))}
    for name, array in params.items():
        errors[name] = relative_error(analytic[name], numerical_gradient(lambda: loss(x), array, h))
    return errors


def _reseed(layers, seed):
    for layer in layers:
        layer.rng = np.random.default_rng(seed)


def _layer_problem(layer, x, _y, training, seed):
    if not layer.built:
        layer.build(x.shape[1:])
    _check_float64(layer.params)
    projection = np.random.default_rng(seed).normal(size=(x.shape[0], *layer.output_shape))
    [step] = plan_for([layer], per_layer_steps=True).steps      # the layer's code on this backend

    def loss(inputs):
        _reseed([layer], seed)
        return float((step.forward(inputs, training) * projection).sum())

    def backward():
        loss(x)
        dx = step.backward(projection)
        return {"x": dx, **{name: g.copy() for name, g in layer.grads.items()}}

    return loss, backward, dict(layer.params)


def _model_problem(model, x, y, training, seed):
    if not model.built:
        model.build(x.shape[1:])
    _check_float64({f"{l.name}/{k}": p for l in model.layers for k, p in l.params.items()})

    def loss(inputs):
        _reseed(model.layers, seed)
        return model.compute_loss(y, model.forward(inputs, training), with_gradient=False)[0]

    def backward():
        _reseed(model.layers, seed)
        value, grad, from_logits = model.compute_loss(y, model.forward(x, training))
        dx = model.backward(grad, from_logits=from_logits)
        for layer in model.layers:
            regularizers.add_gradients(layer)
        return {"x": dx, **{f"{l.name}/{k}": g.copy() for l in model.layers for k, g in l.grads.items()}}

    params = {f"{l.name}/{k}": p for l in model.layers if l.trainable for k, p in l.params.items()}
    return loss, backward, params


def _check_float64(params):
    wrong = [name for name, p in params.items() if p.dtype != np.float64]
    if wrong:
        raise ValueError(f"gradcheck needs float64 weights; {wrong} are not. Call "
                         f"minicnn.set_floatx('float64') before building the layer or model.")
