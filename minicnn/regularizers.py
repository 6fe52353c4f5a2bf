"""Weight penalties (Keras's ``keras.regularizers``): L1, L2 and both.

A regularizer adds a penalty on a weight array ``w`` to the loss, and so its
gradient to ``w``'s gradient::

    L1(l1):      penalty = l1 * sum(|w|)        gradient = l1 * sign(w)   (0 at w = 0, as TensorFlow)
    L2(l2):      penalty = l2 * sum(w**2)       gradient = 2 * l2 * w
    L1L2(l1, l2): both added

L2 pulls every weight towards 0 in proportion to its size ("weight decay");
L1 pulls by a constant amount, so small weights reach 0 and stay there.

>>> from minicnn.layers import Dense
>>> layer = Dense(10, kernel_regularizer=L2(1e-4))        # or kernel_regularizer="l2"

Keras's defaults: ``L1(l1=0.01)``, ``L2(l2=0.01)``, ``L1L2(l1=0.0, l2=0.0)``; the
strings "l1" and "l2" give the first two with their defaults, "l1l2" gives
``L1L2()``. ``"l1_l2"`` gives ``L1L2(l1=0.01, l2=0.01)``, the meaning Keras's
documentation gives it (Keras 3.15 itself refuses that string).

The model adds every penalty of a layer that is not frozen to the loss that
``fit`` and ``evaluate`` report (``Sequential._loss``), and each gradient to the
layer's ``grads`` after the backward pass (``add_gradients``), as Keras does.
"""
import numpy as np


class Regularizer:
    """Base: ``regularizer(w)`` is the penalty, ``regularizer.gradient(w)`` its gradient."""

    def __call__(self, w):
        raise NotImplementedError

    def gradient(self, w):
        raise NotImplementedError

    def get_config(self):
        return {}


def _factor(name, value):
    value = float(value)
    if not value >= 0:
        raise ValueError(f"{name} must be a non-negative number. Received {name}={value!r}.")
    return value


class L1L2(Regularizer):
    """``l1 * sum(|w|) + l2 * sum(w**2)``."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _factor("l1", 0.0 if l1 is None else l1)
        self.l2 = _factor("l2", 0.0 if l2 is None else l2)

    def __call__(self, w):
        return self.l1 * float(np.abs(w).sum()) + self.l2 * float((w * w).sum())

    def gradient(self, w):
        return (self.l1 * np.sign(w) + 2 * self.l2 * w).astype(w.dtype)

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    """``l1 * sum(|w|)``; Keras's default l1 = 0.01."""

    def __init__(self, l1=0.01):
        super().__init__(l1=l1)

    def get_config(self):
        return {"l1": self.l1}


class L2(L1L2):
    """``l2 * sum(w**2)``; Keras's default l2 = 0.01."""

    def __init__(self, l2=0.01):
        super().__init__(l2=l2)

    def get_config(self):
        return {"l2": self.l2}


l1, l2, l1_l2 = L1, L2, L1L2          # Keras's aliases
CLASSES = {"L1": L1, "L2": L2, "L1L2": L1L2}
STRINGS = {"l1": L1, "l2": L2, "l1l2": L1L2, "l1_l2": lambda: L1L2(l1=0.01, l2=0.01)}


def get(identifier):
    """A regularizer from None, an instance, a string ("l1", "l2", "l1_l2") or a ``serialize`` dict."""
    if identifier is None or isinstance(identifier, Regularizer):
        return identifier
    if isinstance(identifier, str) and identifier in STRINGS:
        return STRINGS[identifier]()
    if isinstance(identifier, dict) and identifier.get("class_name") in CLASSES:
        return CLASSES[identifier["class_name"]](**identifier.get("config", {}))
    raise ValueError(f"Unknown regularizer {identifier!r}. Use 'l1', 'l2', 'l1_l2' or "
                     f"minicnn.regularizers.L1(...), L2(...), L1L2(...).")


def serialize(regularizer):
    """``{"class_name": "L2", "config": {"l2": 0.01}}`` (JSON-ready), or None."""
    if regularizer is None:
        return None
    return {"class_name": type(regularizer).__name__, "config": regularizer.get_config()}


def penalty(layer):
    """The sum of a layer's penalties; 0 for a frozen layer (Keras counts trainable weights only).
    A model used as a layer sums its layers' penalties."""
    if not layer.trainable:
        return 0.0
    if hasattr(layer, "layers"):
        return sum(penalty(inner) for inner in layer.layers)
    return sum(regularizer(layer.params[name]) for name, regularizer in layer.regularizers.items())


def add_gradients(layer):
    """Add each penalty's gradient to the layer's ``grads`` (after its backward pass)."""
    if layer.trainable and hasattr(layer, "layers"):
        for inner in layer.layers:
            add_gradients(inner)
    elif layer.trainable:
        for name, regularizer in layer.regularizers.items():
            layer.grads[name] = layer.grads[name] + regularizer.gradient(layer.params[name])
