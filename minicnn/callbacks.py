"""Callbacks with Keras's hook names, and the History that ``fit`` returns.

A callback is told about training as it happens: ``on_train_begin``,
``on_epoch_begin(epoch)``, ``on_train_batch_end(batch, logs)``,
``on_epoch_end(epoch, logs)`` and ``on_train_end``. ``logs`` holds the epoch's
``loss``, ``accuracy`` and, with validation data, ``val_loss``, ``val_accuracy``.
Setting ``model.stop_training = True`` ends ``fit`` after the current epoch.
"""
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
        self.model.save(self.filepath.format(epoch=epoch + 1, **logs))
