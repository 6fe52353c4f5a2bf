"""The small bench the experiment notebooks (05-07) share: one net, step losses, curve plots.

    from minicnn.course import lab
    model = lab.small_cnn(optimizer="adam")           # compiled, Glorot-initialised
    steps = lab.StepLosses()
    model.fit(x, y, epochs=2, batch_size=64, callbacks=[steps])
    lab.plot_curves({"adam": steps.losses}, xlabel="step", ylabel="training loss")

Experiments compare *several* runs, so they train on a slice of the training set
(``course.pick`` chooses its size) to stay within minutes on a laptop.
"""
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ..callbacks import Callback
from ..layers import BatchNormalization, Conv2D, Dense, Dropout, Flatten, MaxPooling2D, ReLU
from ..model import Sequential
from ..regularizers import L2


def small_cnn(optimizer="adam", extra=(), hidden=64, dropout=0.0, l2=None, batch_norm=False, bn_momentum=0.99,
              loss="sparse_categorical_crossentropy", seed=0, filters=(16, 32)):
    """Conv(16) - pool - Conv(32) - pool - Dense(hidden) - Dense(10, softmax): 56,714 parameters
    at hidden=64. ``seed`` fixes the initial weights (Glorot uniform), so two calls start
    from the same point. ``filters`` gives one 3x3 conv + 2x2 max-pool block per entry
    (28 -> 13 -> 5 -> 1 pixels across for three blocks).

    The regularisers of notebook 06, each off by default: ``extra``, layers put in front
    (augmentation); ``dropout``, the rate of a Dropout after the hidden Dense layer;
    ``l2``, the factor of an L2 penalty on every kernel; ``batch_norm``, a
    BatchNormalization (``momentum=bn_momentum``) between each Conv2D and its ReLU.
    """
    from ..backend import set_random_seed
    set_random_seed(seed)
    regularizer = L2(l2) if l2 else None

    def conv(filters):
        if not batch_norm:
            return [Conv2D(filters, 3, activation="relu", kernel_regularizer=regularizer)]
        return [Conv2D(filters, 3, kernel_regularizer=regularizer), BatchNormalization(momentum=bn_momentum), ReLU()]

    blocks = [layer for count in filters for layer in (*conv(count), MaxPooling2D(2))]
    model = Sequential([*extra, *blocks, Flatten(),
                        Dense(hidden, activation="relu", kernel_regularizer=regularizer),
                        *([Dropout(dropout)] if dropout else []),
                        Dense(10, activation="softmax", kernel_regularizer=regularizer)],
                       input_shape=(28, 28, 1))
    model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])
    return model


class StepLosses(Callback):
    """Keeps the loss of every training step (``fit``'s history keeps one number per epoch).

    ``fit`` reports the running mean of the epoch so far after each step; with equal
    batches, step k's own loss is ``mean_k * k - mean_(k-1) * (k-1)``. Use a training
    set whose size is a multiple of the batch size, or the last step of each epoch is off.
    """

    def __init__(self):
        self.losses = []

    def on_epoch_begin(self, epoch, logs=None):
        self.previous_sum, self.steps = 0.0, 0

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1
        running_sum = logs["loss"] * self.steps
        self.losses.append(running_sum - self.previous_sum)
        self.previous_sum = running_sum


def smooth(values, width=20):
    """The running mean over the last ``width`` steps (fewer at the start): the trend through the noise."""
    values = np.asarray(values, dtype=np.float64)
    sums = np.cumsum(np.insert(values, 0, 0.0))                 # sums[k] = values[0] + ... + values[k-1]
    ends = np.arange(1, len(values) + 1)
    starts = np.maximum(ends - width, 0)
    return (sums[ends] - sums[starts]) / (ends - starts)


def plot_curves(curves, xlabel="step", ylabel="training loss", title=None, log_y=False, smooth_width=None,
                reference=None, ax=None):
    """One line per entry of ``curves`` (``{label: values}``); returns the Figure.

    ``smooth_width`` draws the running mean instead of the raw values; ``reference``
    ``(value, label)`` draws a dashed horizontal line (for example ln 10).
    """
    fig = None
    if ax is None:
        fig = Figure(figsize=(7, 3.6), layout="constrained")
        ax = fig.add_subplot()
    for label, values in curves.items():
        values = smooth(values, smooth_width) if smooth_width else np.asarray(values, dtype=np.float64)
        start = 1 if xlabel == "epoch" else 0
        ax.plot(np.arange(start, start + len(values)), values, "o-" if xlabel == "epoch" else "-",
                label=label, markersize=4)
    if reference is not None:
        ax.axhline(reference[0], color="0.5", linestyle="--", label=reference[1])
    if log_y:
        ax.set_yscale("log")
    if xlabel == "epoch":
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))     # no epoch 2.5
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    return fig if fig is not None else ax.figure
