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
import warnings

import numpy as np


class Callback:
    """Base class: every hook does nothing; subclasses override the ones they need."""

    model = None

    def set_model(self, model):
        self.model = model

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


class History(Callback):
    """Records each epoch's logs: ``history.history["loss"]`` is the list of epoch losses."""

    def __init__(self):
        self.history = {}
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)


class CallbackList:
    """Calls the same hook on every callback, in order."""

    def __init__(self, callbacks, model):
        self.callbacks = list(callbacks)
        for callback in self.callbacks:
            callback.set_model(model)

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
    """

    def __init__(self, monitor="val_loss", min_delta=0.0, patience=0, mode="auto",
                 restore_best_weights=False):
        self.monitor = monitor
        self.min_delta = abs(min_delta)
        self.patience = int(patience)
        self.sign = _improvement_sign(monitor, mode)
        self.restore_best_weights = restore_best_weights

    def on_train_begin(self, logs=None):
        self.best, self.best_weights, self.wait = -np.inf, None, 0
        self.stopped_epoch = None

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None:
            warnings.warn(f"EarlyStopping is watching {self.monitor!r}, which the logs do not have "
                          f"(they have {sorted(logs or {})}).", RuntimeWarning)
            return
        score = self.sign * value
        if score - self.min_delta > self.best:
            self.best, self.wait = score, 0
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.model.stop_training = True
            self.stopped_epoch = epoch

    def on_train_end(self, logs=None):
        """Like Keras 3, go back to the best epoch's weights when training ends, stopped early or not."""
        if self.best_weights is not None:
            self.model.set_weights(self.best_weights)


class ModelCheckpoint(Callback):
    """Save the model (weights, optimizer state, epoch, seed) after every epoch.

    ``filepath`` may hold ``{epoch}`` or log keys such as ``{val_loss:.3f}``.
    With ``save_best_only`` the file is written only when ``monitor`` improves.
    Saves are atomic: a crash mid-save leaves the previous file intact.
    """

    def __init__(self, filepath, monitor="val_loss", save_best_only=False, mode="auto"):
        self.filepath = str(filepath)
        self.monitor = monitor
        self.save_best_only = save_best_only
        self.sign = _improvement_sign(monitor, mode)
        self.best = -np.inf

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.save_best_only:
            value = logs.get(self.monitor)
            if value is None or self.sign * value <= self.best:
                return
            self.best = self.sign * value
        try:
            path = self.filepath.format(epoch=epoch + 1, **logs)
        except KeyError as missing:
            raise KeyError(f"ModelCheckpoint: filepath {self.filepath!r} names {missing}, which this epoch's logs "
                           f"do not have (they have {['epoch', *sorted(logs)]}). Give fit validation data for "
                           f"'val_' names, or take the name out of filepath.") from None
        self.model.save(path)


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
