"""``compile``: what a model learns from, and one gradient computation.

``compile(optimizer, loss)`` picks the optimizer and the loss. ``_loss`` is
step 2 of training a batch (see ``model.py``): the loss value, plus the
regularizers' penalties, and ``dL/doutput``.

When the network ends in a softmax and the loss is a cross-entropy on
probabilities, ``_loss`` uses the fused gradient ``(softmax(z) - y) / N`` on the
logits ``z`` instead of dividing by tiny probabilities (as Keras does).
"""
import numpy as np

from . import losses, optimizers, regularizers
from .layers import Softmax
from .metrics import METRICS, Metric


class CompileMixin:
    """``compile``, the loss and ``compute_gradients``; mixed into ``Sequential``, which supplies the passes."""

    def compile(self, optimizer="rmsprop", loss="categorical_crossentropy", metrics=("accuracy",)):
        """Choose the optimizer, the loss and the metrics: Keras's names (``"accuracy"``,
        ``"sparse_categorical_accuracy"``...) or objects from ``minicnn.metrics``."""
        self.optimizer = optimizers.get(optimizer)
        self.loss = losses.get(loss)
        self.metrics = list(metrics or [])
        unknown = [m for m in self.metrics if not isinstance(m, Metric) and m not in METRICS]
        if unknown:
            raise ValueError(f"Unknown metrics {unknown}; minicnn knows {sorted(METRICS)} and the classes in "
                             f"minicnn.metrics. For precision, recall and F1 use minicnn.runs.metrics on "
                             f"model.predict(x).")

    def _fused_softmax(self):
        """True when the fused softmax + cross-entropy gradient applies to this model's head."""
        return (isinstance(self.loss, (losses.CategoricalCrossentropy, losses.SparseCategoricalCrossentropy))
                and not self.loss.from_logits and isinstance(self.layers[-1].activation, Softmax))

    def _loss(self, y, output, with_gradient=True):
        """Loss value and, optionally, its gradient: ``(loss, grad, grad_is_for_logits)``."""
        if self._fused_softmax():
            logits = self.layers[-1].activation.logits
            target = self.loss.target(y, logits)
            value = self.loss.value_from_logits(target, logits) + self.penalty()
            return value, self.loss.logit_gradient(target, logits) if with_gradient else None, True
        value = self.loss(y, output) + self.penalty()
        return value, self.loss.gradient(y, output) if with_gradient else None, False

    def penalty(self):
        """The regularizers' penalties, part of the loss (``minicnn.regularizers``); 0 without any."""
        return sum(regularizers.penalty(layer) for layer in self.layers)

    def compute_gradients(self, x, y, training=False):
        """``(loss, grads)`` for one batch, grads in ``trainable_weights`` order; nothing is updated."""
        self._require_compiled("compute_gradients")
        x, y = self._checked(x, y)
        loss, _ = self._forward_backward(x.astype(self.dtype, copy=False), y, training)
        return loss, [g.copy() for g in self.gradients]

    def _forward_backward(self, x, y, training):
        output = self.forward(x, training)
        loss, grad, from_logits = self._loss(y, output)
        if np.isfinite(loss):
            self.backward(grad, from_logits=from_logits, input_gradient=False)
            for layer in self.layers:
                regularizers.add_gradients(layer)
        return loss, output

    def _require_compiled(self, what):
        if self.loss is None:
            raise ValueError(f"{what}: call model.compile(optimizer=..., loss=...) first.")
