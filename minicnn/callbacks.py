"""Callbacks with Keras's hook names, and the History that ``fit`` returns.

A callback is told about training as it happens: ``on_train_begin``,
``on_epoch_begin(epoch)``, ``on_train_batch_end(batch, logs)``,
``on_epoch_end(epoch, logs)`` and ``on_train_end``. ``logs`` holds the epoch's
``loss``, ``accuracy`` and, with validation data, ``val_loss``, ``val_accuracy``.
Setting ``model.stop_training = True`` ends ``fit`` after the current epoch.
"""
import inspect
import numbers
import os
import time
import warnings

import numpy as np


class Callback:
    """Base class: every hook does nothing; subclasses override the ones they need.

    ``self.params`` is what ``fit`` tells every callback before training, as in Keras:
    ``{"verbose": ..., "epochs": ..., "steps": batches per epoch}``.
    """

    model = None
    params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_train_batch_begin(self, batch, logs=None):
        pass

    def on_train_batch_end(self, batch, logs=None):
        pass

    def on_test_begin(self, logs=None):
        pass

    def on_test_end(self, logs=None):
        pass

    def on_test_batch_begin(self, batch, logs=None):
        pass

    def on_test_batch_end(self, batch, logs=None):
        pass

    def on_predict_begin(self, logs=None):
        pass

    def on_predict_end(self, logs=None):
        pass

    def on_predict_batch_begin(self, batch, logs=None):
        pass

    def on_predict_batch_end(self, batch, logs=None):
        pass


class History(Callback):
    """Records each epoch's logs: ``history.history["loss"]`` is the list of epoch losses.

    ``history.params`` holds what fit said (``verbose``, ``epochs``, ``steps``), and
    ``history.epoch_seconds`` each epoch's training time (not a key of ``history.history``,
    which holds exactly Keras's keys).
    """

    def __init__(self):
        self.history = {}
        self.epoch = []
        self.epoch_seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        self.epoch_seconds.append(time.perf_counter() - self._started)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)


class CallbackList:
    """Calls the same hook on every callback, in order; ``set_params`` tells them all ``fit``'s settings."""

    def __init__(self, callbacks, model, params=None):
        self.callbacks = list(callbacks)
        for callback in self.callbacks:
            callback.set_model(model)
            if params is not None:
                callback.set_params(params)

    def __getattr__(self, hook):
        def call_all(*args, **kwargs):
            for callback in self.callbacks:
                getattr(callback, hook)(*args, **kwargs)
        return call_all


def require_settable_rate(callback, optimizer):
    """Refuse, before the first epoch, a callback that would replace the optimizer's schedule by a number."""
    if optimizer is not None and optimizer.has_schedule:
        raise TypeError(f"{type(callback).__name__} sets the learning rate, but this optimizer's learning_rate is "
                        f"a schedule, which it would replace "
                        f"(Keras raises TypeError too). Give the optimizer a number as learning_rate, or "
                        f"drop the callback.")


def _improvement_sign(monitor, mode):
    """+1 when larger is better for ``monitor``, -1 when smaller is; "auto" reads the name."""
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"mode must be 'auto', 'min' or 'max'. Received mode={mode!r}.")
    if mode == "auto":
        mode = "max" if "acc" in monitor else "min"
    return 1 if mode == "max" else -1


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs.

    ``patience=2`` with val_loss 1.0, 0.5, 0.7, 0.6 stops after the fourth epoch,
    as Keras does; ``restore_best_weights`` then brings back the second epoch's weights.
    Keras's other arguments: ``start_from_epoch`` epochs are not watched at all (a
    warm-up), ``baseline`` must also be beaten to restart the count, and ``verbose=1``
    prints "Epoch 4: early stopping" and which epoch's weights come back.
    """

    def __init__(self, monitor="val_loss", min_delta=0.0, patience=0, verbose=0, mode="auto", baseline=None,
                 restore_best_weights=False, start_from_epoch=0):
        self.monitor = monitor
        self.min_delta = abs(min_delta)
        self.patience = int(patience)
        self.verbose = verbose
        self.sign = _improvement_sign(monitor, mode)
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = int(start_from_epoch)

    def on_train_begin(self, logs=None):
        self.best, self.best_weights, self.best_epoch, self.wait = None, None, 0, 0
        self.stopped_epoch = 0

    def improves(self, value, reference):
        """True when ``value`` beats ``reference`` by more than ``min_delta`` (any value beats None)."""
        return reference is None or self.sign * value - self.min_delta > self.sign * reference

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None:
            warnings.warn(f"EarlyStopping is watching {self.monitor!r}, which the logs do not have "
                          f"(they have {sorted(logs or {})}).", RuntimeWarning)
            return
        if epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights, self.best_epoch = self.model.get_weights(), epoch
        self.wait += 1
        if self.improves(value, self.best):
            self.best, self.best_epoch = value, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self.improves(value, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.model.stop_training = True
            self.stopped_epoch = epoch

    def on_train_end(self, logs=None):
        """Like Keras 3, go back to the best epoch's weights when training ends, stopped early or not."""
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)


class ModelCheckpoint(Callback):
    """Save the model (weights, optimizer state, epoch, seed) after every epoch, as Keras's.

    ``filepath`` may hold ``{epoch}`` or log keys such as ``{val_loss:.3f}``.
    ``save_weights_only=True``: ``model.save_weights`` instead of ``model.save``.
    ``save_freq="epoch"`` saves at each epoch's end; an int ``n`` after every ``n``
    batches (counted across epochs, as Keras counts them). With ``save_best_only``
    the file is written only when ``monitor`` improves (``mode`` says which way).
    ``verbose=1`` prints what is saved, in Keras's words.
    Saves are atomic: a crash mid-save leaves the previous file intact.
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False, save_weights_only=False,
                 mode="auto", save_freq="epoch"):
        self.filepath = os.fspath(filepath)
        self.monitor, self.verbose = monitor, verbose
        self.save_best_only, self.save_weights_only = save_best_only, save_weights_only
        self.sign = _improvement_sign(monitor, mode)
        if save_freq != "epoch" and not (isinstance(save_freq, (int, np.integer)) and save_freq > 0):
            raise ValueError(f"ModelCheckpoint: save_freq must be 'epoch' or a positive number of batches. "
                             f"Received save_freq={save_freq!r}.")
        self.save_freq = save_freq
        self.best = None
        self.batches_since_save, self.epoch = 0, 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self.batches_since_save += 1
        if self.batches_since_save >= self.save_freq:
            self.batches_since_save = 0
            self.save(self.epoch, logs or {})

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self.save(epoch, logs or {})

    def save(self, epoch, logs):
        """Save now, unless ``save_best_only`` and ``monitor`` did not improve."""
        try:
            path = self.filepath.format(epoch=epoch + 1, **logs)
        except KeyError as missing:
            raise KeyError(f"ModelCheckpoint: filepath {self.filepath!r} names {missing}, which this epoch's logs "
                           f"do not have (they have {['epoch', *sorted(logs)]}). Give fit validation data for "
                           f"'val_' names, or take the name out of filepath.") from None
        if self.save_best_only:
            value = logs.get(self.monitor)
            if value is None:
                warnings.warn(f"Can save best model only with {self.monitor} available.", RuntimeWarning)
            elif self.best is not None and self.sign * value <= self.sign * self.best:
                self.say(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {self.best:.5f}")
                return
            else:
                best = "None" if self.best is None else f"{self.best:.5f}"
                self.say(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best} to {value:.5f}, "
                         f"saving model to {path}")
                self.best = value
        else:
            self.say(f"\nEpoch {epoch + 1}: saving model to {path}")
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)
        self.say(f"\nEpoch {epoch + 1}: finished saving model to {path}")

    def say(self, message):
        if self.verbose > 0:
            print(message)


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` when ``monitor`` has not improved (by more
    than ``min_delta``) for ``patience`` epochs; then wait ``cooldown`` epochs; never below
    ``min_lr``. Keras's arguments and defaults. The rate lives in the optimizer, so a saved
    model keeps the reduced rate."""

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto", min_delta=1e-4,
                 cooldown=0, min_lr=0.0):
        if not isinstance(factor, numbers.Real) or not 0 <= factor < 1:
            raise ValueError(f"ReduceLROnPlateau: factor multiplies the rate and must be in [0, 1) "
                             f"(Keras does not support a factor >= 1.0). Received factor={factor!r}.")
        self.monitor, self.factor, self.patience, self.verbose = monitor, factor, patience, verbose
        self.sign, self.min_delta = _improvement_sign(monitor, mode), min_delta
        self.cooldown, self.min_lr = cooldown, min_lr
        self.best, self.wait, self.cooldown_counter = -np.inf, 0, 0

    def on_train_begin(self, logs=None):
        require_settable_rate(self, self.model.optimizer)
        self.best, self.wait, self.cooldown_counter = -np.inf, 0, 0

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        logs["learning_rate"] = self.model.optimizer.learning_rate
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(f"ReduceLROnPlateau is watching {self.monitor!r}, which the logs do not have.",
                          RuntimeWarning)
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self.sign * value - self.min_delta > self.best:
            self.best, self.wait = self.sign * value, 0
        elif self.cooldown_counter == 0:
            self.wait += 1
            rate = self.model.optimizer.learning_rate
            if self.wait >= self.patience and rate > self.min_lr:
                self.model.optimizer.learning_rate = max(rate * self.factor, self.min_lr)
                self.cooldown_counter, self.wait = self.cooldown, 0
                if self.verbose:
                    print(f"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to "
                          f"{self.model.optimizer.learning_rate}.")


def takes_two_arguments(function):
    """True for ``schedule(epoch, lr)``, False for ``schedule(epoch)``."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):               # a builtin without a signature: try the Keras form
        return True
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in parameters)


class LearningRateScheduler(Callback):
    """At each epoch's start, set the rate to ``schedule(epoch, rate)`` (or ``schedule(epoch)``)."""

    def __init__(self, schedule, verbose=0):
        self.schedule, self.verbose = schedule, verbose

    def on_train_begin(self, logs=None):
        require_settable_rate(self, self.model.optimizer)

    def on_epoch_begin(self, epoch, logs=None):
        rate = self.model.optimizer.learning_rate
        # Ask the function how many arguments it takes instead of catching a TypeError, which
        # would also swallow a TypeError raised inside the user's own schedule.
        rate = self.schedule(epoch, rate) if takes_two_arguments(self.schedule) else self.schedule(epoch)
        if not isinstance(rate, numbers.Real):
            raise ValueError(f"LearningRateScheduler: the schedule must return a number. "
                             f"It returned {rate!r} for epoch {epoch}.")
        self.model.optimizer.learning_rate = float(rate)

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = self.model.optimizer.learning_rate


class CSVLogger(Callback):
    """One CSV row per epoch: ``epoch`` and the logs' keys in sorted order, as Keras writes them."""

    def __init__(self, filename, separator=",", append=False):
        self.filename, self.separator, self.append = str(filename), separator, append
        self.keys = None

    def on_train_begin(self, logs=None):
        self.write_header = not (self.append and os.path.exists(self.filename) and os.path.getsize(self.filename))
        self.file = open(self.filename, "a" if self.append else "w", encoding="utf-8")

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self.keys = self.keys or sorted(logs)
        if self.write_header:
            self.file.write(self.separator.join(["epoch", *self.keys]) + "\n")
            self.write_header = False
        self.file.write(self.separator.join([str(epoch), *(str(logs.get(k, "NA")) for k in self.keys)]) + "\n")
        self.file.flush()

    def on_train_end(self, logs=None):
        self.file.close()


class TerminateOnNaN(Callback):
    """Stop training as soon as a batch's loss is NaN or infinite."""

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(loss):
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


class LambdaCallback(Callback):
    """A callback from functions: ``LambdaCallback(on_epoch_end=lambda epoch, logs: ...)``."""

    def __init__(self, **hooks):
        for name, function in hooks.items():
            if not name.startswith("on_") or not hasattr(Callback, name):
                raise ValueError(f"LambdaCallback: unknown hook {name!r}.")
            setattr(self, name, function)
