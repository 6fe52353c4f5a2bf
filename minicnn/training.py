"""The training loop: ``fit``, ``evaluate`` and ``predict`` for ``Sequential``.

Reproducibility: epoch ``e`` of a run with ``seed=s`` draws its shuffling order
and every dropout mask from ``np.random.default_rng([s, e])``. Nothing depends on
earlier epochs, so training 3 epochs, saving, loading and training 2 more gives
the same weights as 5 epochs straight through.
"""
import math
import contextlib
import sys
import time
import warnings

import numpy as np
# The text bar: it needs no Jupyter widgets (tqdm.auto would warn "IProgress not found" without them).
from tqdm.std import tqdm

from .callbacks import CallbackList, History


@contextlib.contextmanager
def ctrl_c_stays_keyboard_interrupt():
    """Let Ctrl-C surface as ``KeyboardInterrupt`` even when it lands inside a numba kernel.

    Python notes the signal while compiled code runs and the kernel then returns
    as if nothing happened, so Python reports a ``SystemError`` *caused by* the
    ``KeyboardInterrupt``. Callers (the training command, a notebook) expect the
    plain interrupt, so it is raised again as one.
    """
    try:
        yield
    except SystemError as error:
        cause = error.__cause__
        while cause is not None and not isinstance(cause, KeyboardInterrupt):
            cause = cause.__cause__
        if cause is None:
            raise
        raise KeyboardInterrupt from None


def epoch_rng(seed, epoch):
    """The generator for one epoch: the same (seed, epoch) always gives the same numbers."""
    return np.random.default_rng([seed, epoch])


def batches(n, batch_size, order=None):
    """Index arrays of consecutive batches of ``order`` (default 0..n-1); the last may be short."""
    order = np.arange(n) if order is None else order
    return [order[start:start + batch_size] for start in range(0, n, batch_size)]


class TrainingMixin:
    """``fit``/``evaluate``/``predict``; mixed into ``Sequential``, which supplies the passes."""

    def fit(self, x, y, epochs=1, batch_size=32, validation_data=None, validation_split=0.0,
            shuffle=True, seed=None, initial_epoch=0, callbacks=None, verbose=1):
        """Train for ``epochs - initial_epoch`` epochs; returns a ``History``.

        ``validation_split`` holds out the *last* fraction of the data (before
        shuffling), as Keras does. ``seed`` fixes shuffling and dropout; without it a
        random seed is drawn and kept in ``model.fit_seed`` (checkpoints save it), and a
        resumed run (``initial_epoch > 0``) reuses the loaded model's ``fit_seed``.
        """
        self._require_compiled("fit")
        x, y = self._checked(x, y)
        batch_size = _positive_int("batch_size", batch_size)
        if validation_data is None and validation_split:
            if not 0 < validation_split < 1:
                raise ValueError(f"validation_split must be in (0, 1). Received {validation_split!r}.")
            cut = int(math.floor(len(x) * (1.0 - validation_split)))     # Keras's rule
            if cut == 0 or cut == len(x):
                raise ValueError(f"validation_split={validation_split} cannot split {len(x)} samples into "
                                 f"a training and a validation part; pass more data or another fraction.")
            x, y, validation_data = x[:cut], y[:cut], (x[cut:], y[cut:])
        if validation_data is not None:
            validation_data = self._checked(*validation_data)
        if seed is None and initial_epoch > 0 and getattr(self, "fit_seed", None) is not None:
            seed = self.fit_seed         # resuming a loaded model: keep its run's randomness
        self.fit_seed = int(np.random.SeedSequence().entropy % 2**63) if seed is None else int(seed)
        history = History()
        hooks = CallbackList([*(callbacks or []), history], model=self)
        self.stop_training = False
        hooks.on_train_begin()
        with ctrl_c_stays_keyboard_interrupt():
            for epoch in range(initial_epoch, epochs):
                if not self._fit_epoch(x, y, batch_size, shuffle, epoch, epochs, verbose, hooks, validation_data):
                    break
        hooks.on_train_end()
        return history

    def _fit_epoch(self, x, y, batch_size, shuffle, epoch, epochs, verbose, hooks, validation_data):
        """Train and validate one epoch, tell the callbacks; False when training should stop."""
        hooks.on_epoch_begin(epoch)
        logs = self._train_epoch(x, y, batch_size, shuffle, epoch, epochs, verbose, hooks)
        if logs is None:
            return False
        if validation_data is not None:
            val_loss, val_accuracy = self._evaluate_arrays(*validation_data, batch_size)
            logs.update(val_loss=val_loss, val_accuracy=val_accuracy)
        self.epochs_completed = epoch + 1
        if verbose == 2:
            print(f"Epoch {epoch + 1}/{epochs} - " + " - ".join(
                f"{k}: {v:.4f}" if isinstance(v, float) else f"{k}: {v}" for k, v in logs.items()))
        hooks.on_epoch_end(epoch, logs)
        return not self.stop_training

    def _train_epoch(self, x, y, batch_size, shuffle, epoch, epochs, verbose, hooks):
        """One pass over the data; returns the epoch's logs, or None if the loss diverged."""
        rng = epoch_rng(self.fit_seed, epoch)
        order = rng.permutation(len(x)) if shuffle else None
        for layer in self.layers:
            layer.rng = rng
        seen = loss_sum = correct = 0
        start = time.perf_counter()
        bar = tqdm(total=len(x), desc=f"Epoch {epoch + 1}/{epochs}", unit="img", file=sys.stdout,
                   disable=verbose != 1, dynamic_ncols=True)
        with bar:
            for step, index in enumerate(batches(len(x), batch_size, order)):
                hooks.on_train_batch_begin(step)
                loss, output = self._forward_backward(x[index].astype(self.dtype, copy=False), y[index], True)
                if not self._finite_update(loss, epoch, step):
                    return None
                seen += len(index)
                loss_sum += loss * len(index)
                correct += _correct(output, y[index])
                logs = {"loss": loss_sum / seen, "accuracy": correct / seen}
                bar.update(len(index))
                bar.set_postfix(loss=f"{logs['loss']:.4f}", accuracy=f"{logs['accuracy']:.4f}", refresh=False)
                hooks.on_train_batch_end(step, logs)
        logs["seconds"] = time.perf_counter() - start
        return logs

    def _finite_update(self, loss, epoch, step):
        """Apply the optimizer step, unless the loss, a gradient or the updated weights
        are NaN/inf: then warn, keep the weights of the last finite step and stop."""
        finite = np.isfinite(loss) and all(np.isfinite(g).all() for g in self.gradients)
        if finite:
            before = [w.copy() for w in self.trainable_weights]
            self.optimizer.apply(self.trainable_weights, self.gradients)
            finite = all(np.isfinite(w).all() for w in self.trainable_weights)
            if not finite:                        # the step itself overflowed: undo it
                for weight, old in zip(self.trainable_weights, before):
                    weight[...] = old
        if not finite:
            warnings.warn(f"Training diverged at epoch {epoch + 1}, batch {step + 1}: the loss, a gradient "
                          f"or an updated weight is NaN/inf (loss={loss}). Training stopped; the weights "
                          f"are those of the last finite step. Try a lower learning rate or check the "
                          f"inputs.", RuntimeWarning)
            self.stop_training = True
        return finite

    def evaluate(self, x, y, batch_size=32, verbose=1):
        """``[loss, accuracy]`` on ``(x, y)`` (just the loss when compiled without metrics)."""
        self._require_compiled("evaluate")
        x, y = self._checked(x, y)
        with ctrl_c_stays_keyboard_interrupt():
            loss, accuracy = self._evaluate_arrays(x, y, _positive_int("batch_size", batch_size), verbose)
        return [loss, accuracy] if self.metrics else loss

    def _evaluate_arrays(self, x, y, batch_size, verbose=0):
        loss_sum = correct = 0.0
        for index in tqdm(batches(len(x), batch_size), desc="Evaluate", file=sys.stdout, disable=verbose != 1):
            output = self.forward(x[index].astype(self.dtype, copy=False), training=False)
            loss_sum += self._loss(y[index], output, with_gradient=False)[0] * len(index)
            correct += _correct(output, y[index])
        return loss_sum / len(x), correct / len(x)

    def predict(self, x, batch_size=32, verbose=1):
        """The model's outputs for ``x``, computed in batches: (N, classes)."""
        x = self._checked(x)
        with ctrl_c_stays_keyboard_interrupt():
            parts = [self.forward(x[index].astype(self.dtype, copy=False), training=False)
                     for index in tqdm(batches(len(x), _positive_int("batch_size", batch_size)),
                                       desc="Predict", file=sys.stdout, disable=verbose != 1)]
        return np.concatenate(parts)


def _correct(output, y):
    """How many rows of ``output`` have their largest entry at the true class."""
    labels = y if y.ndim == 1 else y.argmax(axis=1)
    return int((output.argmax(axis=1) == labels).sum())


def _positive_int(name, value):
    if not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive int. Received {name}={value!r}.")
    return int(value)
