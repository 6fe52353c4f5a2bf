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
from .metrics import get as get_metric


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
        self.compiled_metrics = [get_metric(m) for m in self.metrics]      # "acc" -> a fresh object named "acc"
        self.reset_metrics()

    def reset_metrics(self):
        """Start the running loss and metrics afresh (``fit`` does at each epoch, ``evaluate`` at its start)."""
        self._seen, self._loss_sum = 0, 0.0
        for metric in getattr(self, "compiled_metrics", []):
            metric.reset_state()

    def update_metrics(self, loss, output, y, sample_weight=None):
        """Add one batch; returns the logs as Keras names and orders them: ``loss`` (the mean over
        the batches so far, each weighted by its size) and each metric, sorted by name."""
        self._seen += len(output)
        self._loss_sum += float(loss) * len(output)
        for metric in self.compiled_metrics:
            metric.update_state(y, output, sample_weight)
        logs = {"loss": self._loss_sum / self._seen, **{m.name: m.result() for m in self.compiled_metrics}}
        return dict(sorted(logs.items()))

    def _fused_softmax(self):
        """True when the fused softmax + cross-entropy gradient applies to this model's head."""
        return (isinstance(self.loss, (losses.CategoricalCrossentropy, losses.SparseCategoricalCrossentropy))
                and not self.loss.from_logits and isinstance(self.layers[-1].activation, Softmax))

    def _loss(self, y, output, with_gradient=True, sample_weight=None):
        """Loss value and, optionally, its gradient: ``(loss, grad, grad_is_for_logits)``.

        With ``sample_weight`` (N,) the loss is Keras's ``sum_i w_i loss_i / N``; sample i's
        loss depends only on row i of the output, so its gradient is row i's, times ``w_i``.
        """
        fused = self._fused_softmax()
        if fused:
            logits = self.layers[-1].activation.logits
            target = self.loss.target(y, logits)
            if sample_weight is None:
                value = self.loss.value_from_logits(target, logits)
            else:
                value = float((self.loss.per_sample_from_logits(target, logits) * sample_weight).mean())
            grad = self.loss.logit_gradient(target, logits) if with_gradient else None
        else:
            value = self.loss(y, output) if sample_weight is None else \
                float((self.loss.per_sample(y, output) * sample_weight).mean())
            grad = self.loss.gradient(y, output) if with_gradient else None
        if grad is not None and sample_weight is not None:
            grad = grad * sample_weight.reshape(-1, *[1] * (grad.ndim - 1)).astype(grad.dtype)
        return value + self.penalty(), grad, fused

    def penalty(self):
        """The regularizers' penalties, part of the loss (``minicnn.regularizers``); 0 without any."""
        return sum(regularizers.penalty(layer) for layer in self.layers)

    def compute_gradients(self, x, y, training=False):
        """``(loss, grads)`` for one batch, grads in ``trainable_weights`` order; nothing is updated."""
        self._require_compiled("compute_gradients")
        x, y = self._checked(x, y)
        loss, _ = self._forward_backward(x.astype(self.dtype, copy=False), y, training)
        return loss, [g.copy() for g in self.gradients]

    def _forward_backward(self, x, y, training, sample_weight=None):
        output = self.forward(x, training)
        loss, grad, from_logits = self._loss(y, output, sample_weight=sample_weight)
        if np.isfinite(loss):
            self.backward(grad, from_logits=from_logits, input_gradient=False)
            for layer in self.layers:
                regularizers.add_gradients(layer)
        return loss, output

    def _require_compiled(self, what):
        if self.loss is None:
            raise ValueError(f"{what}: call model.compile(optimizer=..., loss=...) first.")
