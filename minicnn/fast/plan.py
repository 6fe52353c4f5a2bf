"""Which fast code runs which layers: one table, one function.

``TWINS`` pairs each layer class with the fast class that runs it (early
tinygrad's ``register``). A twin holds its layer, reads the layer's ``params``
on every pass and fills its ``grads``, so the weights stay where users, the
optimizer and the model file see them. Layers without a twin (Dense, Flatten,
ZeroPadding2D, ...) run their own NumPy code: they are cheap.
"""
import weakref

from ..layers import AveragePooling2D, Conv2D, Dropout, MaxPooling2D, ReLU
from . import runtime
from .conv import FastConv2D
from .dropout import FastDropout
from .elementwise import FastReLU
from .pooling import FastAveragePooling2D, FastMaxPooling2D

TWINS = {Conv2D: FastConv2D, MaxPooling2D: FastMaxPooling2D, AveragePooling2D: FastAveragePooling2D,
         Dropout: FastDropout, ReLU: FastReLU}

_twin_of = weakref.WeakKeyDictionary()     # layer -> its one twin, which keeps that layer's cache


def twin(layer):
    """The fast object that runs ``layer``, or the layer itself when it has none.

    The class must match exactly: a subclass may have changed the math.
    """
    make = TWINS.get(type(layer))
    if make is None:
        return layer
    if layer not in _twin_of:
        _twin_of[layer] = make(layer)
    return _twin_of[layer]


def plan(layers, per_layer=False):
    """``[(number of layers, step), ...]``: what runs ``layers``, in order.

    Every step covers one layer today; a fused block (a run of layers in one
    kernel) will cover several. ``per_layer=True`` asks for one step per layer,
    for tools that need every layer's output.
    """
    runtime.tune()
    return [(1, twin(layer)) for layer in layers]
