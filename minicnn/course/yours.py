"""Your layers train: the learner's functions wrapped as minicnn layers, beside minicnn's own.

Once the tasks of notebook 04 pass, ``train_side_by_side`` builds one network twice
from the same seed::

    Conv2D(16, 3) - ReLU - MaxPooling2D(2) - Flatten - Dense(64) - ReLU - Dense(10)

once from the learner's ``conv``, ``relu``, ``max_pool`` and ``dense`` functions
and ``softmax_cross_entropy`` loss (``Flatten`` is only a reshape, and the optimizer
is minicnn's Adam), once from minicnn's layers, and trains both on the same
batches in the same order. If the learner's functions are right, the two
networks compute the same numbers up to float rounding, so they reach the same
accuracy.
"""
import time

import numpy as np
from threadpoolctl import threadpool_limits

from ..backend import floatx, set_floatx, set_random_seed
from ..layers import Conv2D, Dense, Flatten, MaxPooling2D, ReLU
from ..losses import SparseCategoricalCrossentropy
from ..model import Sequential
from ..optimizers import Adam
from . import tasks

NEEDED = {"conv": ("conv_forward", "conv_backward"), "relu": ("relu_forward", "relu_backward"),
          "max_pool": ("max_pool_forward", "max_pool_backward"), "dense": ("dense_forward", "dense_backward"),
          "softmax_cross_entropy": ("softmax_cross_entropy",)}


class YourConv2D(Conv2D):
    """A 3 x 3 'valid' Conv2D (stride 1, no activation) that runs ``conv_forward`` / ``conv_backward``."""

    def __init__(self, filters, functions, **kwargs):
        super().__init__(filters, 3, **kwargs)
        self.functions = functions

    def forward(self, x, training=False):
        out, self.cache = self.functions["conv_forward"](x, self.params["kernel"], self.params["bias"], 1, 0)
        return np.asarray(out, dtype=x.dtype)

    def backward(self, grad_out):
        dx, self.grads["kernel"], self.grads["bias"] = self.functions["conv_backward"](grad_out, self.cache)
        return dx

    backward_preactivation = backward


class YourDense(Dense):
    """A Dense layer (no activation) that runs ``dense_forward`` / ``dense_backward``."""

    def __init__(self, units, functions, **kwargs):
        super().__init__(units, **kwargs)
        self.functions = functions

    def forward(self, x, training=False):
        out, self.cache = self.functions["dense_forward"](x, self.params["kernel"], self.params["bias"])
        return np.asarray(out, dtype=x.dtype)

    def backward(self, grad_out):
        dx, self.grads["kernel"], self.grads["bias"] = self.functions["dense_backward"](grad_out, self.cache)
        return dx

    backward_preactivation = backward


class YourReLU(ReLU):
    """A ReLU layer that runs ``relu_forward`` / ``relu_backward``."""

    def __init__(self, functions, **kwargs):
        super().__init__(**kwargs)
        self.functions = functions

    def forward(self, x, training=False):
        out, self.cache = self.functions["relu_forward"](x)
        return np.asarray(out, dtype=x.dtype)

    def backward(self, grad_out):
        return self.functions["relu_backward"](grad_out, self.cache)


class YourMaxPooling2D(MaxPooling2D):
    """2 x 2 max pooling at stride 2 that runs ``max_pool_forward`` / ``max_pool_backward``."""

    def __init__(self, functions, **kwargs):
        super().__init__(2, **kwargs)
        self.functions = functions

    def forward(self, x, training=False):
        out, self.cache = self.functions["max_pool_forward"](x, 2, 2)
        return np.asarray(out, dtype=x.dtype)

    def backward(self, grad_out):
        return np.asarray(self.functions["max_pool_backward"](grad_out, self.cache), dtype=grad_out.dtype)


class YourLoss(SparseCategoricalCrossentropy):
    """Cross-entropy on logits computed by the learner's ``softmax_cross_entropy(scores, labels)``."""

    def __init__(self, softmax_cross_entropy):
        super().__init__(from_logits=True)
        self.softmax_cross_entropy = softmax_cross_entropy

    def value_from_logits(self, target, logits):
        return float(self.softmax_cross_entropy(logits, target.argmax(axis=1))[0])

    def logit_gradient(self, target, logits):
        return np.asarray(self.softmax_cross_entropy(logits, target.argmax(axis=1))[1], dtype=logits.dtype)


def networks(functions, seed=0):
    """``(yours, minicnn's)``: the same float32 network from the same seed, compiled with Adam(1e-3)."""
    before = floatx()
    set_floatx("float32")            # training's type, whatever the notebook computes its checks in
    try:
        return build_both(functions, seed)
    finally:
        set_floatx(before)


def build_both(functions, seed):
    set_random_seed(seed)
    yours = Sequential([YourConv2D(16, functions), YourReLU(functions), YourMaxPooling2D(functions), Flatten(),
                        YourDense(64, functions), YourReLU(functions), YourDense(10, functions)],
                       input_shape=(28, 28, 1))
    yours.compile(optimizer=Adam(1e-3), loss=YourLoss(functions["softmax_cross_entropy"]))
    set_random_seed(seed)
    reference = Sequential([Conv2D(16, 3), ReLU(), MaxPooling2D(2), Flatten(), Dense(64), ReLU(), Dense(10)],
                           input_shape=(28, 28, 1))
    reference.compile(optimizer=Adam(1e-3), loss=SparseCategoricalCrossentropy(from_logits=True))
    return yours, reference


def all_pass(functions):
    """Run the checks of the tasks the network needs; print which are not right yet."""
    failing = [name for name, names in NEEDED.items()
               if not tasks.get(name).check(tuple(functions.get(n) for n in names) if len(names) > 1
                                            else functions.get(names[0]))]
    if failing:
        print(f"Not yet: {', '.join(failing)} must pass its check before your layers can train.")
    return not failing


def train_side_by_side(functions, data, epochs=1, batch_size=64, seed=0, check=True):
    """Train the learner's network and minicnn's from the same seed on the same batches.

    ``functions``: ``{name: function}`` with every name of ``NEEDED`` (a notebook
    passes ``globals()``). ``data``: ``(x_train, y_train, x_test, y_test)``.
    Returns ``{"yours": {...}, "minicnn": {...}}`` with each one's test accuracy,
    final training loss and seconds, or None (with a message) while a needed
    task does not pass its check yet.
    """
    functions = {name: functions.get(name) for names in NEEDED.values() for name in names}
    if check and not all_pass(functions):
        return None
    x_train, y_train, x_test, y_test = data
    results = {}
    for label, model in zip(("yours", "minicnn"), networks(functions, seed)):
        start = time.perf_counter()
        # Your layers' matrix products are small; one BLAS thread runs them as fast on a
        # laptop and far faster on a busy machine, where idle threads spin and wait.
        with threadpool_limits(1 if label == "yours" else None):
            history = model.fit(x_train, y_train, epochs=epochs, batch_size=batch_size, seed=seed, verbose=0)
        seconds = time.perf_counter() - start
        predicted = model.predict(x_test, verbose=0).argmax(axis=1)
        results[label] = {"accuracy": float(np.mean(predicted == y_test)), "loss": history.history["loss"][-1],
                          "seconds": seconds}
        print(f"{label:>8}: test accuracy {results[label]['accuracy']:.2%}, last epoch's loss "
              f"{results[label]['loss']:.4f}, {seconds:.0f} s of training")
    gap = abs(results["yours"]["accuracy"] - results["minicnn"]["accuracy"])
    print(f"Difference: {gap:.2%} ({'within' if gap <= 0.01 else 'more than'} one point).")
    return results
