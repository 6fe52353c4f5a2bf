"""Losses with Keras's names, values and conventions: the cross-entropies, and
``MeanSquaredError`` and ``BinaryCrossentropy`` for the lessons that compare losses.

Shape legend: ``N`` samples, ``K`` classes.

    CategoricalCrossentropy:        y_true one-hot (N, K)
    SparseCategoricalCrossentropy:  y_true integer labels (N,)
    y_pred: probabilities (N, K), or logits with ``from_logits=True``

The loss is the mean over the batch of ``-sum_k y_k log p_k``.

From probabilities, Keras first renormalises each row and clips it to
``[1e-7, 1 - 1e-7]`` so ``log`` never sees 0; we do the same, and ``gradient``
differentiates exactly that (a clipped entry gets no gradient).

From logits z the stable route is ``log p = z - logsumexp(z)``, and the
gradient is the famous ``(softmax(z) - y) / N``. The model uses this fused
route whenever the network ends in a softmax, as Keras's TensorFlow backend does.
"""
import numpy as np

from .layers import Softmax

EPSILON = 1e-7


def log_softmax(z):
    """``log softmax(z)`` over the last axis, computed as ``z - logsumexp(z)`` without overflow."""
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def head_gives_logits(model):
    """The one rule for "is the head logits?": yes unless the last layer ends in a softmax
    (``Dense(10, activation="softmax")`` or a ``Softmax`` layer). A bare ``Dense(10)``, as
    used with ``from_logits=True``, gives logits."""
    last = model.layers[-1]
    return not (isinstance(last, Softmax) or isinstance(getattr(last, "activation", None), Softmax))


def class_probabilities(model, outputs):
    """Class probabilities ``(N, K)`` in float64 from the model's outputs ``(N, K)``:
    a logits head (:func:`head_gives_logits`) gets its softmax here, a softmax head is kept."""
    outputs = np.asarray(outputs, dtype=np.float64)
    return np.exp(log_softmax(outputs)) if head_gives_logits(model) else outputs


class _CrossEntropy:
    """Shared by the two cross-entropies; subclasses say how labels become one-hot."""

    name = None

    def __init__(self, from_logits=False):
        self.from_logits = bool(from_logits)

    def one_hot(self, y_true, num_classes):
        raise NotImplementedError

    def target(self, y_true, y_pred):
        """One-hot targets in ``y_pred``'s float type, so float32 stays float32 all the way back."""
        return self.one_hot(y_true, y_pred.shape[-1]).astype(y_pred.dtype, copy=False)

    def __call__(self, y_true, y_pred):
        """Mean loss over the batch (a Python float)."""
        return float(self.per_sample(y_true, y_pred).mean())

    def per_sample(self, y_true, y_pred):
        """The loss of each sample, (N,): ``-sum_k y_k log p_k``."""
        y_pred = np.asarray(y_pred)
        target = self.target(y_true, y_pred)
        if self.from_logits:
            return self.per_sample_from_logits(target, y_pred)
        probs = y_pred / y_pred.sum(axis=-1, keepdims=True)
        clipped = np.clip(probs, EPSILON, 1 - EPSILON)
        return -(target * np.log(clipped)).sum(axis=-1)

    def gradient(self, y_true, y_pred):
        """dLoss/dy_pred (N, K), for outputs that are not fused with a softmax."""
        y_pred = np.asarray(y_pred)
        target = self.target(y_true, y_pred)
        if self.from_logits:
            return self.logit_gradient(target, y_pred)
        n = y_pred.shape[0]
        total = y_pred.sum(axis=-1, keepdims=True)
        probs = y_pred / total
        inside = (probs > EPSILON) & (probs < 1 - EPSILON)     # clip passes gradient only inside
        dprobs = -target / np.clip(probs, EPSILON, 1 - EPSILON) * inside / n
        # probs = y / sum(y): the Jacobian-vector product of that normalisation
        return (dprobs - (dprobs * probs).sum(axis=-1, keepdims=True)) / total

    @staticmethod
    def per_sample_from_logits(target, logits):
        return -(target * log_softmax(logits)).sum(axis=-1)

    @classmethod
    def value_from_logits(cls, target, logits):
        return float(cls.per_sample_from_logits(target, logits).mean())

    @staticmethod
    def logit_gradient(target, logits):
        """d mean(CE(softmax(z))) / dz = (softmax(z) - y) / N."""
        return (np.exp(log_softmax(logits)) - target) / logits.shape[0]

    def get_config(self):
        return {"from_logits": self.from_logits}


class CategoricalCrossentropy(_CrossEntropy):
    """Cross-entropy with one-hot targets (N, K), as ``keras.losses.CategoricalCrossentropy``."""

    name = "categorical_crossentropy"

    def one_hot(self, y_true, num_classes):
        return np.asarray(y_true, dtype=np.result_type(float, np.asarray(y_true).dtype))


class SparseCategoricalCrossentropy(_CrossEntropy):
    """Cross-entropy with integer labels (N,), as ``keras.losses.SparseCategoricalCrossentropy``."""

    name = "sparse_categorical_crossentropy"

    def one_hot(self, y_true, num_classes):
        labels = np.asarray(y_true).reshape(-1).astype(np.int64)
        target = np.zeros((labels.size, num_classes))
        target[np.arange(labels.size), labels] = 1.0
        return target


class MeanSquaredError:
    """``mean((y_pred - y_true)**2)`` over the last axis, then over the batch (N, K targets).

    Its gradient is ``2 (y_pred - y_true) / (N K)``: each output pulled towards its
    target in proportion to how far off it is.
    """

    name = "mean_squared_error"
    from_logits = False

    def __call__(self, y_true, y_pred):
        return float(((np.asarray(y_pred) - y_true) ** 2).mean())

    def per_sample(self, y_true, y_pred):
        """The loss of each sample, (N,): the mean over its K outputs."""
        return ((np.asarray(y_pred) - y_true) ** 2).mean(axis=-1)

    def gradient(self, y_true, y_pred):
        y_pred = np.asarray(y_pred)
        return (2 * (y_pred - y_true) / y_pred.size).astype(y_pred.dtype)

    def get_config(self):
        return {}


def _one_minus_epsilon(y_pred):
    """``1 - 1e-7`` rounded as the predictions' float type rounds it: Keras clips in that
    type, and in float32 the bound is 1 - 1.19e-7, which moves log(1 - p) by 0.18."""
    dtype = np.asarray(y_pred).dtype
    dtype = dtype if dtype.kind == "f" else np.dtype(np.float64)
    return float(dtype.type(1) - dtype.type(EPSILON))


class BinaryCrossentropy:
    """``-(y log p + (1 - y) log(1 - p))`` per output, averaged: K independent yes/no questions.

    From probabilities Keras (TensorFlow backend) clips p to [1e-7, 1 - 1e-7]
    before the logs; we do the same, and a clipped entry gets no gradient. From logits z the
    stable form is ``max(z, 0) - z y + log(1 + exp(-|z|))``, with gradient
    ``(sigmoid(z) - y) / (N K)``.
    """

    name = "binary_crossentropy"

    def __init__(self, from_logits=False):
        self.from_logits = bool(from_logits)

    def __call__(self, y_true, y_pred):
        return float(self.elementwise(y_true, y_pred).mean())

    def per_sample(self, y_true, y_pred):
        """The loss of each sample, (N,): the mean over its K outputs."""
        return self.elementwise(y_true, y_pred).mean(axis=-1)

    def elementwise(self, y_true, y_pred):
        y, p = np.asarray(y_true, dtype=np.float64), np.asarray(y_pred, dtype=np.float64)
        if self.from_logits:
            return np.maximum(p, 0) - p * y + np.log1p(np.exp(-np.abs(p)))
        p = np.clip(p, EPSILON, _one_minus_epsilon(y_pred))
        return -(y * np.log(p) + (1 - y) * np.log(1 - p))

    def gradient(self, y_true, y_pred):
        y_pred = np.asarray(y_pred)
        y, p = np.asarray(y_true, dtype=np.float64), y_pred.astype(np.float64)
        if self.from_logits:
            return ((np.exp(-np.logaddexp(0, -p)) - y) / p.size).astype(y_pred.dtype)
        high = _one_minus_epsilon(y_pred)
        inside = (p > EPSILON) & (p < high)
        p = np.clip(p, EPSILON, high)                     # finite everywhere; the clipped get 0 below
        dp = -(y / p - (1 - y) / (1 - p)) * inside
        return (dp / p.size).astype(y_pred.dtype)

    def get_config(self):
        return {"from_logits": self.from_logits}


LOSSES = {cls.name: cls for cls in (CategoricalCrossentropy, SparseCategoricalCrossentropy, MeanSquaredError,
                                    BinaryCrossentropy)}
LOSSES["mse"] = MeanSquaredError


def get(loss):
    """A loss object from an instance or a Keras string name."""
    if isinstance(loss, tuple(set(LOSSES.values()))):
        return loss
    if loss not in LOSSES:
        raise ValueError(f"Unknown loss {loss!r}. Use one of {sorted(LOSSES)} or a loss object "
                         f"such as SparseCategoricalCrossentropy(from_logits=True).")
    return LOSSES[loss]()
