"""Metrics with Keras's names: what ``compile(metrics=[...])`` reports after each epoch.

>>> import numpy as np
>>> from minicnn.metrics import SparseCategoricalAccuracy
>>> metric = SparseCategoricalAccuracy()
>>> metric.update_state([2, 0], np.array([[0.1, 0.2, 0.7], [0.3, 0.6, 0.1]]))
>>> metric.name, metric.result()
('sparse_categorical_accuracy', 0.5)

Each accuracy is a weighted mean over samples of a per-sample score (1 if right, else 0):

    result = sum_i w_i * score_i / sum_i w_i        (w_i = 1 without sample weights)

so the value over an epoch does not depend on how the samples fell into batches.
The per-sample scores, one line each (``y_true`` labels ``(N,)`` or one-hot ``(N, K)``,
``y_pred`` ``(N, K)``):

- ``categorical``: argmax of ``y_true`` equals argmax of ``y_pred``;
- ``sparse_categorical``: the label equals argmax of ``y_pred``;
- ``top_k_categorical``: the true class is among the ``k`` largest scores;
- ``binary``: the mean over the last axis of ``(y_pred > threshold) == y_true``
  (one sigmoid unit: the prediction is class 1 above 0.5);
- ``accuracy`` (the ``Accuracy`` class): ``y_true == y_pred`` element by element.

The names ``"accuracy"`` and ``"acc"`` in ``compile`` choose among those as Keras does,
from the shapes seen: one output unit -> binary, labels -> sparse, one-hot -> categorical;
the metric keeps the name it was given (``history["acc"]``).
"""
import numpy as np


def _class_labels(y_true):
    """Labels ``(N,)`` from labels ``(N,)``/``(N, 1)`` or one-hot rows ``(N, K)``."""
    y_true = np.asarray(y_true)
    return y_true.argmax(axis=-1) if y_true.ndim == 2 and y_true.shape[1] > 1 else y_true.reshape(len(y_true))


def categorical_scores(y_true, y_pred):
    return (np.asarray(y_true).argmax(axis=-1) == np.asarray(y_pred).argmax(axis=-1)).astype(np.float64)


def sparse_categorical_scores(y_true, y_pred):
    labels = np.asarray(y_true).reshape(len(y_pred))
    return (labels == np.asarray(y_pred).argmax(axis=-1)).astype(np.float64)


def top_k_scores(labels, y_pred, k):
    """1 where the true class's score is among the k largest of its row.

    Counting the classes that score strictly higher keeps ties in the true class's favour,
    as Keras's ``in_top_k`` does."""
    y_pred = np.asarray(y_pred)
    true_scores = y_pred[np.arange(len(y_pred)), labels.astype(np.int64)]
    return ((y_pred > true_scores[:, None]).sum(axis=-1) < k).astype(np.float64)


def binary_scores(y_true, y_pred, threshold=0.5):
    y_true, y_pred = np.asarray(y_true, np.float64), np.asarray(y_pred)
    y_true = y_true.reshape(y_pred.shape)
    return ((y_pred > threshold) == y_true).mean(axis=-1).reshape(len(y_pred))


def equal_scores(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    equal = y_true.reshape(y_pred.shape) == y_pred
    return equal.reshape(len(y_pred), -1).mean(axis=-1)


class Metric:
    """A running weighted mean of per-sample ``scores(y_true, y_pred)``; ``reset_state`` starts again."""

    default_name = None

    def __init__(self, name=None):
        self.name = name or self.default_name
        self.reset_state()

    def reset_state(self):
        self.total, self.count = 0.0, 0.0

    def update_state(self, y_true, y_pred, sample_weight=None):
        scores = self.scores(y_true, y_pred)
        weights = np.ones_like(scores) if sample_weight is None else np.asarray(sample_weight, np.float64)
        self.total += float((scores * weights).sum())
        self.count += float(weights.sum())

    def result(self):
        return self.total / self.count if self.count else 0.0

    def get_config(self):
        return {"name": self.name}

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}>"


class Accuracy(Metric):
    """How often ``y_pred`` equals ``y_true`` exactly (for labels, not scores: ``keras.metrics.Accuracy``)."""

    default_name = "accuracy"

    def scores(self, y_true, y_pred):
        return equal_scores(y_true, y_pred)


class CategoricalAccuracy(Metric):
    """One-hot targets: the largest output is at the true class."""

    default_name = "categorical_accuracy"

    def scores(self, y_true, y_pred):
        return categorical_scores(y_true, y_pred)


class SparseCategoricalAccuracy(Metric):
    """Integer labels: the largest output is at the label."""

    default_name = "sparse_categorical_accuracy"

    def scores(self, y_true, y_pred):
        return sparse_categorical_scores(y_true, y_pred)


class TopKCategoricalAccuracy(Metric):
    """One-hot targets: the true class is among the ``k`` largest outputs (default 5)."""

    default_name = "top_k_categorical_accuracy"

    def __init__(self, k=5, name=None):
        self.k = int(k)
        super().__init__(name)

    def scores(self, y_true, y_pred):
        return top_k_scores(np.asarray(y_true).argmax(axis=-1), y_pred, self.k)

    def get_config(self):
        return {**super().get_config(), "k": self.k}


class SparseTopKCategoricalAccuracy(TopKCategoricalAccuracy):
    """Integer labels: the label is among the ``k`` largest outputs (default 5)."""

    default_name = "sparse_top_k_categorical_accuracy"

    def scores(self, y_true, y_pred):
        return top_k_scores(np.asarray(y_true).reshape(len(y_pred)), y_pred, self.k)


class BinaryAccuracy(Metric):
    """Outputs above ``threshold`` (0.5) count as 1: how often that equals ``y_true`` (0 or 1)."""

    default_name = "binary_accuracy"

    def __init__(self, name=None, threshold=0.5):
        self.threshold = float(threshold)
        super().__init__(name)

    def scores(self, y_true, y_pred):
        return binary_scores(y_true, y_pred, self.threshold)

    def get_config(self):
        return {**super().get_config(), "threshold": self.threshold}


class MatchedAccuracy(Metric):
    """What ``"accuracy"`` / ``"acc"`` mean in ``compile``: binary, sparse or categorical
    accuracy, chosen from the shapes as Keras chooses (see the module docstring)."""

    default_name = "accuracy"

    def scores(self, y_true, y_pred):
        y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
        if y_pred.shape[-1] == 1:
            return binary_scores(y_true, y_pred)
        if y_true.ndim < y_pred.ndim or y_true.shape[-1] == 1:
            return sparse_categorical_scores(y_true, y_pred)
        return categorical_scores(y_true, y_pred)


METRICS = {"accuracy": MatchedAccuracy, "acc": MatchedAccuracy,
           "categorical_accuracy": CategoricalAccuracy, "sparse_categorical_accuracy": SparseCategoricalAccuracy,
           "top_k_categorical_accuracy": TopKCategoricalAccuracy,
           "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy, "binary_accuracy": BinaryAccuracy}


def get(identifier):
    """A fresh metric from a Keras name (``"acc"``, ``"sparse_categorical_accuracy"``...), or the
    metric object itself."""
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str) and identifier in METRICS:
        return METRICS[identifier](name=identifier)
    raise ValueError(f"Unknown metric {identifier!r}. minicnn knows {sorted(METRICS)} and the classes in "
                     f"minicnn.metrics. For precision, recall and F1 use minicnn.runs.metrics on "
                     f"model.predict(x).")
