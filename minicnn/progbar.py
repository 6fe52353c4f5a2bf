"""The text progress bar ``fit``, ``evaluate`` and ``predict`` print, in Keras 3's format.

``verbose=1`` rewrites one line per epoch as the batches go by (``\\r`` back to its
start), then leaves it with the epoch's logs::

    32/32 ━━━━━━━━━━━━━━━━━━━━ 1s 12ms/step - accuracy: 0.7120 - loss: 0.8231

``verbose=2`` prints only that last line, without the bar::

    32/32 - 1s - 12ms/step - accuracy: 0.7120 - loss: 0.8231

It is plain text (with the terminal's bold and colour codes, as Keras prints them),
so it needs no notebook widget. ``ProgbarLogger`` is the callback that drives it;
``fit`` adds one, as Keras does, unless ``verbose=0``.
"""
import sys
import time

from .callbacks import Callback

BOLD, GREEN, GREY, PLAIN = "\x1b[1m", "\x1b[32m", "\x1b[37m", "\x1b[0m"


def format_duration(seconds, unit):
    """Keras's time per step: ``2s/step``, ``15ms/step`` or ``800us/step``."""
    if seconds >= 1 or seconds == 0:
        return f" {seconds:.0f}s/{unit}"
    if seconds >= 1e-3:
        return f" {seconds * 1e3:.0f}ms/{unit}"
    return f" {seconds * 1e6:.0f}us/{unit}"


def format_value(value, size):
    """`` 0.7120``, or `` 1.2000e-04`` when ``size`` is at most 1e-3 (Keras's rule: the bar
    passes the value's magnitude, the one-line form the value itself)."""
    return f" {value:.4f}" if size > 1e-3 else f" {value:.4e}"


class Progbar:
    """One bar of ``target`` steps; ``update(step, values)`` draws it (``verbose`` 1 or 2)."""

    def __init__(self, target, verbose=1, width=20, interval=0.05, unit_name="step"):
        self.target, self.verbose, self.width = target, verbose, width
        self.interval, self.unit_name = interval, unit_name
        self.start = time.time()
        self.last_update = 0.0
        self.after_first_step = None
        self.previous_width = 0

    def step_duration(self, current, now):
        """Seconds per step, leaving out the first step (it compiles and warms caches) once there are more."""
        if not current:
            return 0
        if self.after_first_step is not None and current > 1:
            duration = (now - self.after_first_step) / (current - 1)
        else:
            duration = (now - self.start) / current
        if current == 1:
            self.after_first_step = now
        return duration

    def update(self, current, values=(), finalize=False):
        now = time.time()
        per_step = self.step_duration(current, now)
        if self.verbose == 1 and (finalize or now - self.last_update >= self.interval):
            self.draw_bar(current, values, finalize, now, per_step)
        elif self.verbose == 2 and finalize:
            count = f"%{len(str(self.target))}d/%d" % (current, self.target)
            line = f"{count} - {now - self.start:.0f}s -{format_duration(per_step, self.unit_name)}"
            line += "".join(f" - {name}:{format_value(value, value)}" for name, value in values)
            _write(line + "\n")
        self.last_update = now

    def draw_bar(self, current, values, finalize, now, per_step):
        """Back to the line's start, then: count, bar, ETA (or time taken), time per step, values."""
        count = f"%{len(str(self.target))}d/%d" % (current, self.target)
        done = int(self.width * current / self.target)
        bar = f"{BOLD}{count}{PLAIN} " + (f"{GREEN}{'━' * done}{PLAIN}" if done else "")
        bar += f"{GREY}{'━' * (self.width - done)}{PLAIN}"
        if finalize:
            info = f" {BOLD}{now - self.start:.0f}s{PLAIN}"
        else:
            info = f" {BOLD}{_eta(per_step * (self.target - current))}{PLAIN}"
        info += format_duration(per_step, self.unit_name)
        info += "".join(f" - {name}:{format_value(value, abs(value))}" for name, value in values)
        codes = 8 + (9 if done else 0) + 9 + 8            # characters of colour codes, which take no room
        width = len(bar) + len(info) - codes
        message = "\b" * self.previous_width + "\r" + bar + info
        message += " " * max(self.previous_width - width, 0)
        _write(message + ("\n" if finalize else ""))
        self.previous_width = width


def _eta(seconds):
    if seconds > 3600:
        return "%d:%02d:%02d" % (seconds // 3600, (seconds % 3600) // 60, seconds % 60)
    if seconds > 60:
        return "%d:%02d" % (seconds // 60, seconds % 60)
    return "%ds" % seconds


def _write(text):
    sys.stdout.write(text)
    sys.stdout.flush()


class ProgbarLogger(Callback):
    """Prints the progress of ``fit`` (``Epoch 2/5`` when there are several, then the bar), or of
    ``evaluate``/``predict`` when they run alone; the bar ends with the epoch's logs."""

    def __init__(self):
        self.bar, self.seen, self.in_fit = None, 0, False

    def set_params(self, params):
        super().set_params(params)
        self.verbose = 1 if params["verbose"] == "auto" else params["verbose"]
        self.epochs, self.target = params["epochs"], params["steps"]

    def new_bar(self):
        self.bar, self.seen = Progbar(self.target, self.verbose), 0

    def on_train_begin(self, logs=None):
        self.in_fit = True

    def on_epoch_begin(self, epoch, logs=None):
        self.new_bar()
        if self.verbose and self.epochs > 1:
            print(f"Epoch {epoch + 1}/{self.epochs}")

    def on_train_batch_end(self, batch, logs=None):
        self.batch_done(batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self.bar.update(self.target, list((logs or {}).items()), finalize=True)

    def on_test_begin(self, logs=None):
        if not self.in_fit:
            self.new_bar()

    def on_test_batch_end(self, batch, logs=None):
        if not self.in_fit:
            self.batch_done(batch, logs)

    def on_test_end(self, logs=None):
        if not self.in_fit:
            self.bar.update(self.target, list((logs or {}).items()), finalize=True)

    def on_predict_begin(self, logs=None):
        self.new_bar()

    def on_predict_batch_end(self, batch, logs=None):
        self.batch_done(batch, None)

    def on_predict_end(self, logs=None):
        self.bar.update(self.target, [], finalize=True)

    def batch_done(self, batch, logs):
        self.seen = batch + 1
        if self.verbose == 1:
            self.bar.update(self.seen, list((logs or {}).items()))
