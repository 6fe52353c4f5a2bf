"""The loops over batches: ``fit``, ``evaluate`` and ``predict``, which ``Sequential`` inherits.

``fit`` calls ``self.train_step(data)`` for every batch and ``evaluate`` calls
``self.test_step(data)``: each batch's work is the model's own (``model.py``), as in
Keras 3, so a subclass or an instance that replaces ``train_step`` changes what ``fit`` does.

The arguments, the callbacks' hooks, the logs' keys (``loss`` and the compiled
metrics, sorted, then ``val_`` ones), ``History.params`` and the printed progress
(``progbar.py``) are Keras's.

Reproducibility: epoch ``e`` of a run with ``seed=s`` draws its shuffling order
and every dropout mask from ``np.random.default_rng([s, e])``. Nothing depends on
earlier epochs, so training 3 epochs, saving, loading and training 2 more gives
the same weights as 5 epochs straight through.
"""
import contextlib
import math

import numpy as np

from .callbacks import CallbackList, History
from .progbar import ProgbarLogger


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


def epoch_batches(n, batch_size, epoch, steps, seed, shuffle, rng):
    """The batches of epoch ``epoch``: all of them in the order ``rng`` draws, or, with
    ``steps_per_epoch``, the next ``steps`` batches of a walk through the data that goes on
    from where the last epoch stopped (as Keras's does), pass ``p`` shuffled by ``(seed, p, 1)``."""
    per_pass = math.ceil(n / batch_size)
    if steps is None:
        return batches(n, batch_size, rng.permutation(n) if shuffle else None)
    passes, chosen = {}, []
    for step in range(epoch * steps, (epoch + 1) * steps):
        data_pass, index = divmod(step, per_pass)
        if data_pass not in passes:
            order = np.random.default_rng([seed, data_pass, 1]).permutation(n) if shuffle else None
            passes[data_pass] = batches(n, batch_size, order)
        chosen.append(passes[data_pass][index])
    return chosen


def sample_weights(y, sample_weight, class_weight, argument="sample_weight"):
    """One weight per sample from ``sample_weight`` (N,) or ``class_weight`` ({class: weight}), or None."""
    if class_weight is not None and sample_weight is not None:
        raise ValueError("You cannot use class_weight and sample_weight at the same time (as in Keras): "
                         "fold the class weights into sample_weight.")
    if class_weight is not None:
        if not isinstance(class_weight, dict):
            raise ValueError(f"class_weight must be a dict {{class: weight}}. Received {class_weight!r}.")
        labels = y.argmax(axis=-1) if y.ndim == 2 and y.shape[1] > 1 else np.round(y.reshape(len(y)))
        return np.array([float(class_weight.get(int(label), 1.0)) for label in labels])
    if sample_weight is None:
        return None
    weights = np.asarray(sample_weight, dtype=np.float64)
    if weights.shape != (len(y),) or not np.isfinite(weights).all():
        raise ValueError(f"{argument} must hold one finite weight per sample, shape ({len(y)},). Received "
                         f"shape {weights.shape}.")
    return weights


def should_validate(epoch, validation_freq):
    """Keras's rule: every ``validation_freq``-th epoch (1-based), or the epochs in a list."""
    if isinstance(validation_freq, (int, np.integer)) and validation_freq > 0:
        return (epoch + 1) % validation_freq == 0
    if isinstance(validation_freq, (list, tuple, set)):
        return epoch + 1 in validation_freq
    raise ValueError(f"validation_freq must be a positive int or a list of epochs. Received {validation_freq!r}.")


def callback_list(callbacks, model, verbose, epochs, steps, history=None):
    """The callbacks as Keras runs them: the user's, then History, then the progress bar unless verbose=0."""
    extra = ([history] if history is not None else []) + ([ProgbarLogger()] if verbose != 0 else [])
    return CallbackList([*(callbacks or []), *extra], model=model,
                        params={"verbose": verbose, "epochs": epochs, "steps": steps})


class Trainer:
    """``fit``/``evaluate``/``predict`` for a model that has, besides its layers and compile
    settings: ``train_step(data)`` and ``test_step(data)`` (one batch of ``(x, y)`` or
    ``(x, y, sample_weight)``; they return the logs), ``reset_metrics()``, ``forward(x, training)``,
    ``_checked(x, y)``, which checks whole arrays once before the batches, and ``diverged``, which
    ``train_step``'s guard sets (``Sequential`` in ``model.py``)."""

    def fit(self, x, y, batch_size=None, epochs=1, verbose="auto", callbacks=None, validation_split=0.0,
            validation_data=None, shuffle=True, class_weight=None, sample_weight=None, initial_epoch=0,
            steps_per_epoch=None, validation_steps=None, validation_freq=1, seed=None):
        """Train for ``epochs - initial_epoch`` epochs; returns a ``History``. Keras's arguments.

        ``validation_split`` holds out the *last* fraction of the data (before
        shuffling), as Keras does. ``steps_per_epoch`` batches make an epoch;
        ``validation_freq`` says after which epochs to validate (every n-th, or a list),
        ``validation_steps`` how many batches of the validation data. ``sample_weight``
        (N,) or ``class_weight`` {class: weight} weight each sample's loss and metrics.
        ``seed`` (minicnn's own) fixes shuffling and dropout; without it a
        random seed is drawn and kept in ``model.fit_seed`` (checkpoints save it), and a
        resumed run (``initial_epoch > 0``) reuses the loaded model's ``fit_seed``.
        When a callback sets ``stop_training``, the epoch ends after that batch (validated,
        ``on_epoch_end`` called), as in Keras. A batch whose loss, gradients or update are
        NaN/inf moves no weight, warns and ends training at once: that epoch is not completed.
        """
        self._require_compiled("fit")
        x, y = self._checked(x, y)
        weights = sample_weights(y, sample_weight, class_weight)
        batch_size = _positive_int("batch_size", 32 if batch_size is None else batch_size)
        if validation_data is None and validation_split:
            if not 0 < validation_split < 1:
                raise ValueError(f"validation_split must be in (0, 1). Received {validation_split!r}.")
            cut = int(math.floor(len(x) * (1.0 - validation_split)))     # Keras's rule
            if cut == 0 or cut == len(x):
                raise ValueError(f"validation_split={validation_split} cannot split {len(x)} samples into "
                                 f"a training and a validation part; pass more data or another fraction.")
            held_out = None if weights is None else weights[cut:]
            x, y, validation_data = x[:cut], y[:cut], (x[cut:], y[cut:], held_out)
            weights = None if weights is None else weights[:cut]
        if validation_data is not None:
            validation_data = self._checked_validation(validation_data)
            should_validate(0, validation_freq)                       # a bad validation_freq fails now
        steps = None if steps_per_epoch is None else _positive_int("steps_per_epoch", steps_per_epoch)
        if seed is None and initial_epoch > 0 and getattr(self, "fit_seed", None) is not None:
            seed = self.fit_seed         # resuming a loaded model: keep its run's randomness
        self.fit_seed = int(np.random.SeedSequence().entropy % 2**63) if seed is None else int(seed)
        history = History()
        hooks = callback_list(callbacks, self, verbose, epochs, steps or math.ceil(len(x) / batch_size), history)
        self.stop_training = self.diverged = False
        hooks.on_train_begin()
        with ctrl_c_stays_keyboard_interrupt():
            for epoch in range(initial_epoch, epochs):
                hooks.on_epoch_begin(epoch)
                logs = self._train_epoch(x, y, weights, batch_size, shuffle, epoch, steps, hooks)
                if logs is None:                                   # stopped inside the epoch
                    break
                if validation_data is not None and should_validate(epoch, validation_freq):
                    val_logs = self._test_loop(*validation_data, batch_size, validation_steps, hooks)
                    logs.update({f"val_{key}": value for key, value in val_logs.items()})
                self.epochs_completed = epoch + 1
                hooks.on_epoch_end(epoch, logs)
                if self.stop_training:
                    break
        hooks.on_train_end()
        return history

    def _checked_validation(self, data):
        """``(x, y, sample_weight or None)`` from ``(x, y)`` or ``(x, y, sample_weight)``, checked."""
        if not isinstance(data, (tuple, list)) or len(data) not in (2, 3):
            raise ValueError("validation_data must be (x, y) or (x, y, sample_weight).")
        x, y = self._checked(data[0], data[1])
        return x, y, sample_weights(y, data[2] if len(data) == 3 else None, None, "validation sample_weight")

    def _train_epoch(self, x, y, weights, batch_size, shuffle, epoch, steps, hooks):
        """One epoch: ``train_step`` for each of its batches; returns the epoch's logs, or None
        when training diverged (the callbacks saw that batch, with its loss, first)."""
        rng = epoch_rng(self.fit_seed, epoch)
        chosen = epoch_batches(len(x), batch_size, epoch, steps, self.fit_seed, shuffle, rng)
        for layer in self.layers:
            layer.rng = rng
        self.reset_metrics()
        logs = {}
        for step, index in enumerate(chosen):
            hooks.on_train_batch_begin(step)
            data = (x[index], y[index]) if weights is None else (x[index], y[index], weights[index])
            self.fit_position = (epoch, step)           # named by the divergence warning
            try:
                logs = self.train_step(data)
            finally:
                self.fit_position = None
            hooks.on_train_batch_end(step, logs)
            if self.diverged:
                return None
            if self.stop_training:                 # a callback asked: this epoch ends here
                break
        return dict(logs)

    def _test_loop(self, x, y, weights, batch_size, steps, hooks):
        """``test_step`` on the batches of checked arrays (the first ``steps`` of them); returns the
        logs (``loss`` and the metrics)."""
        chosen = batches(len(x), batch_size)[:steps]
        self.reset_metrics()
        hooks.on_test_begin()
        logs = {}
        for step, index in enumerate(chosen):
            hooks.on_test_batch_begin(step)
            logs = self.test_step((x[index], y[index]) if weights is None else (x[index], y[index], weights[index]))
            hooks.on_test_batch_end(step, logs)
        hooks.on_test_end(logs)
        return dict(logs)

    def evaluate(self, x, y, batch_size=None, verbose="auto", sample_weight=None, steps=None, callbacks=None,
                 return_dict=False):
        """``[loss, *metrics]`` on ``(x, y)`` in compile's order (just the loss when compiled without
        metrics), or the dict of them with ``return_dict=True``; ``sample_weight`` as in ``fit``."""
        self._require_compiled("evaluate")
        x, y = self._checked(x, y)
        weights = sample_weights(y, sample_weight, None)
        batch_size = _positive_int("batch_size", 32 if batch_size is None else batch_size)
        n_batches = math.ceil(len(x) / batch_size)
        steps = n_batches if steps is None else min(_positive_int("steps", steps), n_batches)
        hooks = callback_list(callbacks, self, verbose, 1, steps)
        with ctrl_c_stays_keyboard_interrupt():
            logs = self._test_loop(x, y, weights, batch_size, steps, hooks)
        if return_dict:
            return logs
        values = [logs["loss"], *(logs[metric.name] for metric in self.compiled_metrics)]
        return values if len(values) > 1 else values[0]

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """The model's outputs for ``x``, computed in batches: (N, classes)."""
        x = self._checked(x)
        batch_size = _positive_int("batch_size", 32 if batch_size is None else batch_size)
        chosen = batches(len(x), batch_size)[:steps]
        hooks = callback_list(callbacks, self, verbose, 1, len(chosen))
        hooks.on_predict_begin()
        parts = []
        with ctrl_c_stays_keyboard_interrupt():
            for step, index in enumerate(chosen):
                hooks.on_predict_batch_begin(step)
                parts.append(self.forward(x[index].astype(self.dtype, copy=False), training=False))
                hooks.on_predict_batch_end(step, {"outputs": parts[-1]})
        hooks.on_predict_end()
        return np.concatenate(parts)


def _positive_int(name, value):
    if not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive int. Received {name}={value!r}.")
    return int(value)
