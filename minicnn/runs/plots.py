"""The pictures of a run: training curves, confusion matrix, a grid of predictions.

Each function returns a ``matplotlib.figure.Figure`` made without pyplot (nothing
is shown, nothing is kept in pyplot's list of open figures); the caller shows it
(a notebook displays a Figure that ends a cell) or saves it
(:func:`minicnn.runs.report.save_figure`).

Shape legend: N samples, K classes, H x W image pixels.
"""
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ..checks import as_labels
from .metrics import check_same_length, checked_class_names, checked_probabilities

# Title colours of the prediction grid: right answers green, mistakes red.
RIGHT_COLOR = "tab:green"
WRONG_COLOR = "tab:red"


def _normalized_rows(confusion):
    """Each row divided by its sum, so cell (i, i) is the recall of class i.

    A class absent from the test set (row sum 0) keeps a row of zeros.
    """
    totals = confusion.sum(axis=1, keepdims=True).astype(np.float64)
    return np.divide(confusion, totals, out=np.zeros(confusion.shape), where=totals > 0)


def plot_confusion_matrix(confusion, class_names, normalize=False):
    """Heat map of a confusion matrix with the value written in every cell.

    Parameters
    ----------
    confusion : array-like of int, shape (K, K)
        Rows are true classes, columns predicted classes.
    class_names : sequence of str, length K
    normalize : bool
        False shows counts; True divides each row by its total, so the
        diagonal shows each class's recall.

    Returns
    -------
    matplotlib.figure.Figure
        Two axes: the matrix and its colour bar.
    """
    confusion = np.asarray(confusion)
    if confusion.ndim != 2 or confusion.shape[0] != confusion.shape[1]:
        raise ValueError(f"confusion must be square (K, K). Received shape {confusion.shape}.")
    names = checked_class_names(class_names, confusion.shape[0])
    values = _normalized_rows(confusion) if normalize else confusion
    size = max(4.0, 0.45 * len(names) + 2.5)  # 7 inches for the 10 Fashion-MNIST classes
    fig = Figure(figsize=(size + 1.0, size))
    ax = fig.add_subplot()
    image = ax.imshow(values, cmap="Blues", vmin=0)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    ticks = np.arange(len(names))
    ax.set_xticks(ticks, labels=names, rotation=45, ha="right", rotation_mode="anchor")
    ax.set_yticks(ticks, labels=names)
    ax.set_xlabel("Predicted class")
    ax.set_ylabel("True class")
    ax.set_title("Confusion matrix (rows normalised: recall)" if normalize
                 else "Confusion matrix (counts)")
    _annotate_cells(ax, values, "{:.2f}" if normalize else "{:d}")
    fig.tight_layout()
    return fig


def _annotate_cells(ax, values, fmt):
    """Write each value in its cell, white on dark cells so it stays readable."""
    threshold = values.max() / 2.0 if values.size else 0.0
    fontsize = 9 if len(values) <= 10 else 7
    for (i, j), value in np.ndenumerate(values):
        text = fmt.format(int(value) if fmt == "{:d}" else float(value))
        ax.text(j, i, text, ha="center", va="center", fontsize=fontsize,
                color="white" if value > threshold else "black")


def _history_dict(history):
    """The metric dict of a Keras-style History object, or the dict itself."""
    history = getattr(history, "history", history)
    missing = [key for key in ("loss", "accuracy") if key not in history]
    if missing:
        raise ValueError(f"history needs the keys 'loss' and 'accuracy' (as returned by "
                         f"model.fit(...).history). Missing {missing}; received keys "
                         f"{sorted(history)}.")
    return history


def plot_training_curves(history):
    """Accuracy and loss per epoch, training beside validation.

    Parameters
    ----------
    history : dict or History
        Keras-style: lists of per-epoch values under ``loss`` and
        ``accuracy``, and optionally ``val_loss`` and ``val_accuracy``.

    Returns
    -------
    matplotlib.figure.Figure
        Two axes: accuracy (left) and loss (right), epochs numbered from 1.
    """
    history = _history_dict(history)
    fig = Figure(figsize=(11, 4))
    ax_acc, ax_loss = fig.subplots(1, 2)
    for ax, key, label in ((ax_acc, "accuracy", "Accuracy"), (ax_loss, "loss", "Loss")):
        train = np.asarray(history[key], dtype=np.float64)
        epochs = np.arange(1, len(train) + 1)
        ax.plot(epochs, train, "o-", label="training")
        if history.get("val_" + key) is not None:
            val = np.asarray(history["val_" + key], dtype=np.float64)
            check_same_length(train, val, key + " values", "val_" + key + " values")
            ax.plot(epochs, val, "s--", label="validation")
        ax.set_title(f"{label} per epoch")
        ax.set_xlabel("Epoch")
        ax.set_ylabel(label)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # no epoch 1.5
        ax.grid(True, alpha=0.3)
        ax.legend()
    fig.tight_layout()
    return fig


def _grid_title(true_name, pred_name, probability):
    """Two-line title; the model's confidence is added when it is known."""
    confidence = "" if probability is None else f" ({probability:.0%})"
    return f"true: {true_name}\npred: {pred_name}{confidence}"


def plot_prediction_grid(images, y_true, y_pred, class_names, n=8, seed=None,
                         probabilities=None):
    """A grid of ``n`` random images, each titled with its true and predicted class.

    Titles are green when the prediction is right and red when it is wrong.

    Parameters
    ----------
    images : array-like, shape (N, H, W) or (N, H, W, 1) (grey), or (N, H, W, 3) (colour);
        uint8 in 0..255 or floats in [0, 1]
    y_true : array-like, shape (N,) of int, or (N, K) one-hot
    y_pred : array-like of int, shape (N,)
    class_names : sequence of str, length K
    n : int
        How many images to show (all N when N is smaller); 4 per row up to 8
        images, 8 per row beyond.
    seed : int, optional
        Seed of the random choice, so a figure can be drawn again identically.
    probabilities : array-like, shape (N, K), optional
        When given, each title also shows the probability of the predicted class.

    Returns
    -------
    matplotlib.figure.Figure
        One axes per image shown.
    """
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]  # (N, H, W, 1) -> (N, H, W): imshow wants 2-D grey images
    if not (images.ndim == 3 or (images.ndim == 4 and images.shape[-1] == 3)):
        raise ValueError("images must have shape (N, H, W), (N, H, W, 1) or (N, H, W, 3). "
                         f"Received shape {images.shape}.")
    if int(n) < 1:
        raise ValueError(f"n must be at least 1 image. Received n={n}.")
    names = checked_class_names(class_names, len(class_names))
    check_same_length(images, y_true, "images", "labels in y_true")
    check_same_length(images, y_pred, "images", "labels in y_pred")
    y_true = as_labels(y_true, len(names), "y_true")
    y_pred = as_labels(y_pred, len(names), "y_pred")
    if probabilities is not None:
        probabilities = checked_probabilities(probabilities)
        check_same_length(images, probabilities, "images", "rows of probabilities")

    count = min(int(n), len(images))
    chosen = np.random.default_rng(seed).choice(len(images), size=count, replace=False)
    ncols = min(count, 4 if count <= 8 else 8)
    nrows = int(np.ceil(count / ncols))
    fig = Figure(figsize=(2.0 * ncols, 2.5 * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for ax, index in zip(axes.flat, chosen):
        probability = None if probabilities is None else probabilities[index, y_pred[index]]
        right = y_true[index] == y_pred[index]
        ax.imshow(images[index], cmap="gray")   # an (H, W, 3) image is drawn in its colours
        ax.set_title(_grid_title(names[y_true[index]], names[y_pred[index]], probability),
                     color=RIGHT_COLOR if right else WRONG_COLOR, fontsize=9)
        ax.axis("off")
    for ax in axes.flat[count:]:
        fig.delaxes(ax)  # an incomplete last row leaves no empty frames
    fig.tight_layout(h_pad=1.5)  # room between a row of images and the next row's titles
    return fig
