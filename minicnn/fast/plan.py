"""The numba backend's plan: which fast code runs which layers, one table and one function.

``plan(layers)`` returns a ``minicnn.plan.Plan`` (what it is and how the model
walks it: ``minicnn/plan.py``); the numpy backend's plan runs each layer's own code.

``TWINS`` pairs each layer class with the fast class that runs it (early
tinygrad's ``register``). A twin holds its layer, reads the layer's ``params``
on every pass and fills its ``grads``, so the weights stay where users, the
optimizer and the model file see them. Layers without a twin (Dense, Flatten,
ZeroPadding2D, ...) run their own NumPy code: they are cheap.

A run of layers [ZeroPadding2D] Conv2D(relu) [Dropout] MaxPooling2D becomes
one fused block (``fused.py``), unless one step per layer is asked for or the
environment variable ``MINICNN_FUSE=0`` turns fusion off (to compare, or to
rule it out when hunting a bug).
"""
import os
import weakref

from ..layers import AveragePooling2D, BatchNormalization, Conv2D, Dropout, MaxPooling2D, ReLU
from ..plan import Plan
from . import runtime
from .conv import FastConv2D
from .dropout import FastDropout
from .elementwise import FastReLU
from .fused import FusedConvBlock, fusable_length
from .normalization import FastBatchNormalization
from .pooling import FastAveragePooling2D, FastMaxPooling2D

TWINS = {Conv2D: FastConv2D, MaxPooling2D: FastMaxPooling2D, AveragePooling2D: FastAveragePooling2D,
         Dropout: FastDropout, ReLU: FastReLU, BatchNormalization: FastBatchNormalization}

_twin_of = weakref.WeakKeyDictionary()     # layer -> its one twin, which keeps that layer's cache
_block_of = weakref.WeakKeyDictionary()    # conv layer -> the fused block around it


def twin(layer):
    """The fast object that runs ``layer``, or the layer itself when it has none.

    The class must match exactly: a subclass may have changed the math.
    """
    make = TWINS.get(type(layer))
    # The numba conv kernels have no dilation: a dilated Conv2D runs its own NumPy code.
    if make is None or type(layer) is Conv2D and layer.dilation_rate != (1, 1):
        return layer
    if layer not in _twin_of:
        _twin_of[layer] = make(layer)
    return _twin_of[layer]


def fused_block(layers):
    """The one fused block that runs ``layers`` (kept, like twins, for its cache and buffers)."""
    conv = next(layer for layer in layers if type(layer) is Conv2D)
    block = _block_of.get(conv)
    if block is None or block.layers != tuple(layers):
        block = _block_of[conv] = FusedConvBlock(layers)
    return block


def plan(layers, per_layer=False):
    """The ``Plan`` that runs ``layers``: ``spans`` of ``(number of layers, step)``, in order.

    A step is a twin (one layer) or a fused block (several). ``per_layer=True``
    asks for one step per layer, for tools that need every layer's output.
    """
    runtime.tune()
    fuse = not per_layer and os.environ.get("MINICNN_FUSE", "1") != "0"
    steps, i = [], 0
    while i < len(layers):
        count = fusable_length(layers[i:]) if fuse else 0
        steps.append((count, fused_block(layers[i:i + count])) if count else (1, twin(layers[i])))
        i += count or 1
    return Plan(layers, steps, running=runtime.blas_on_one_thread)
