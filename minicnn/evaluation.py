"""Score a trained classifier and draw the pictures that explain the score.

Everything here works on plain arrays, so it does not care which model made
the predictions::

    >>> import numpy as np
    >>> from minicnn.evaluation import evaluate_predictions
    >>> y_true = np.array([0, 1, 1])
    >>> probabilities = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    >>> metrics = evaluate_predictions(y_true, probabilities, class_names=["cat", "dog"])
    >>> round(metrics["accuracy"], 3)
    0.667
    >>> metrics["most_confused"][0]["true_name"], metrics["most_confused"][0]["predicted_name"]
    ('dog', 'cat')

The numbers come from scikit-learn, the reference everyone checks against; this
module only checks the inputs and turns the results into plain Python values so
that ``json.dump(metrics, f)`` works.

Shape legend: N samples, K classes, H x W image pixels.
"""
import numpy as np
import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator
from sklearn.metrics import (accuracy_score, classification_report,
                             confusion_matrix, precision_recall_fscore_support)

# Title colours of the prediction grid: right answers green, mistakes red.
RIGHT_COLOR = "tab:green"
WRONG_COLOR = "tab:red"


# ----------------------------------------------------------------------------
# Input checks shared by every function
# ----------------------------------------------------------------------------
def _as_labels(y, n_classes, name="y_true"):
    """Integer labels ``(N,)`` from integer labels ``(N,)`` or one-hot rows ``(N, K)``.

    One-hot rows are turned back into labels with ``argmax``, which also
    accepts smoothed labels such as ``[0.05, 0.9, 0.05]``.
    """
    y = np.asarray(y)
    if y.ndim == 2:
        if y.shape[1] != n_classes:
            raise ValueError(f"{name} looks one-hot with {y.shape[1]} columns, but there are "
                             f"{n_classes} classes. Received {name}.shape={y.shape}.")
        return np.argmax(y, axis=1)
    if y.ndim != 1:
        raise ValueError(f"{name} must be integer labels (N,) or one-hot (N, K). "
                         f"Received {name}.shape={y.shape}.")
    if y.size and not np.all(np.mod(y, 1) == 0):
        bad = y[np.mod(y, 1) != 0][0]
        raise ValueError(f"{name} must hold whole-number class labels. Received label={bad!r}.")
    labels = y.astype(np.int64)
    outside = (labels < 0) | (labels >= n_classes)
    if np.any(outside):
        raise ValueError(f"Every label in {name} must be in 0..{n_classes - 1}. "
                         f"Received label={labels[outside][0]}. Check the number of classes.")
    return labels


def _check_same_length(a, b, name_a, name_b):
    """Raise when two per-sample arrays do not describe the same N samples."""
    if len(a) != len(b):
        raise ValueError(f"{name_a} and {name_b} must have one entry per sample. "
                         f"Received {len(a)} {name_a} and {len(b)} {name_b}.")


def _class_names(class_names, n_classes):
    """The given names as strings, or ``"0", "1", ...`` when none are given."""
    if class_names is None:
        return [str(k) for k in range(n_classes)]
    names = [str(name) for name in class_names]
    if len(names) != n_classes:
        raise ValueError(f"Expected {n_classes} class names, one per class. "
                         f"Received {len(names)}: {names}.")
    return names


def _check_probabilities(probabilities):
    """``probabilities`` as a float array ``(N, K)``, refusing NaN."""
    probabilities = np.asarray(probabilities, dtype=np.float64)
    if probabilities.ndim != 2:
        raise ValueError("probabilities must have shape (N, K), one row per sample. "
                         f"Received shape {probabilities.shape}.")
    if np.isnan(probabilities).any():
        rows = np.unique(np.nonzero(np.isnan(probabilities))[0])
        raise ValueError(f"probabilities contain NaN in {len(rows)} row(s), first at row "
                         f"{rows[0]}. Training has probably diverged: lower the learning rate.")
    return probabilities


# ----------------------------------------------------------------------------
# Metrics
# ----------------------------------------------------------------------------
def most_confused_pairs(confusion, class_names, top=5):
    """The ``top`` mistakes made most often, as ``(true, predicted)`` pairs.

    Parameters
    ----------
    confusion : array-like of int, shape (K, K)
        ``confusion[i, j]`` counts samples of class ``i`` predicted as ``j``.
    class_names : sequence of str, length K
    top : int
        How many pairs to return at most.

    Returns
    -------
    list of dict
        Keys ``true``, ``predicted``, ``true_name``, ``predicted_name``,
        ``count``, largest count first; ties keep row-major order (smaller
        true class first). Pairs never confused (count 0) are left out.
    """
    confusion = np.asarray(confusion)
    if confusion.ndim != 2 or confusion.shape[0] != confusion.shape[1]:
        raise ValueError(f"confusion must be square (K, K). Received shape {confusion.shape}.")
    names = _class_names(class_names, confusion.shape[0])
    # Only the off-diagonal cells are mistakes; the diagonal counts right answers.
    mistakes = [(int(confusion[i, j]), i, j) for i in range(len(names))
                for j in range(len(names)) if i != j and confusion[i, j] > 0]
    # A stable sort on -count keeps the row-major order among equal counts.
    mistakes.sort(key=lambda cell: -cell[0])
    return [{"true": i, "predicted": j, "true_name": names[i], "predicted_name": names[j],
             "count": count} for count, i, j in mistakes[:top]]


def _per_class_rows(y_true, y_pred, names):
    """One dict per class: name, precision, recall, f1, support."""
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=range(len(names)), average=None, zero_division=0)
    return [{"name": name, "precision": float(p), "recall": float(r), "f1": float(f),
             "support": int(s)}
            for name, p, r, f, s in zip(names, precision, recall, f1, support)]


def _averaged(y_true, y_pred, n_classes, average):
    """Precision, recall and F1 averaged over classes, as three floats.

    ``macro`` gives every class the same weight; ``weighted`` weights each
    class by its support, so frequent classes count more.
    """
    precision, recall, f1, _ = precision_recall_fscore_support(
        y_true, y_pred, labels=range(n_classes), average=average, zero_division=0)
    return float(precision), float(recall), float(f1)


def evaluate_predictions(y_true, probabilities, class_names=None, loss=None):
    """Every number the report needs, as a JSON-serialisable dict.

    Parameters
    ----------
    y_true : array-like, shape (N,) of int, or (N, K) one-hot
        The right answers.
    probabilities : array-like, shape (N, K)
        The model's class probabilities; the prediction is the ``argmax``.
    class_names : sequence of str, length K, optional
        Defaults to ``"0", "1", ..., "K-1"``.
    loss : float, optional
        The test loss, copied to ``metrics["test_loss"]``.

    Returns
    -------
    dict
        ``accuracy``; macro ``precision``, ``recall``, ``f1``;
        ``weighted_precision``, ``weighted_recall``, ``weighted_f1``;
        ``per_class`` (list of dicts); ``confusion_matrix`` (K lists of K
        ints, rows = true class); ``most_confused`` (top 5 mistakes, see
        :func:`most_confused_pairs`); ``class_names``; ``n_samples``; and
        ``test_loss`` when ``loss`` is given.

    Notes
    -----
    For class k, with TP = right predictions of k, FP = other classes
    predicted as k, FN = k predicted as something else::

        precision = TP / (TP + FP)     recall = TP / (TP + FN)
        f1 = 2 * precision * recall / (precision + recall)

    A class that is never predicted has precision 0 (not a warning).
    """
    probabilities = _check_probabilities(probabilities)
    _check_same_length(y_true, probabilities, "labels in y_true", "rows of probabilities")
    n_classes = probabilities.shape[1]
    names = _class_names(class_names, n_classes)
    y_true = _as_labels(y_true, n_classes)
    y_pred = np.argmax(probabilities, axis=1)

    confusion = confusion_matrix(y_true, y_pred, labels=range(n_classes))
    precision, recall, f1 = _averaged(y_true, y_pred, n_classes, "macro")
    w_precision, w_recall, w_f1 = _averaged(y_true, y_pred, n_classes, "weighted")
    metrics = {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "precision": precision, "recall": recall, "f1": f1,
        "weighted_precision": w_precision, "weighted_recall": w_recall, "weighted_f1": w_f1,
        "per_class": _per_class_rows(y_true, y_pred, names),
        "confusion_matrix": confusion.astype(int).tolist(),
        "most_confused": most_confused_pairs(confusion, names, top=5),
        "class_names": names,
        "n_samples": int(len(y_true)),
    }
    if loss is not None:
        metrics["test_loss"] = float(loss)
    return metrics


def classification_report_text(y_true, y_pred, class_names):
    """scikit-learn's plain-text table of precision, recall, F1 and support per class.

    Parameters
    ----------
    y_true : array-like, shape (N,) of int, or (N, K) one-hot
    y_pred : array-like of int, shape (N,)
    class_names : sequence of str, length K

    Returns
    -------
    str
    """
    names = _class_names(class_names, len(class_names))
    _check_same_length(y_true, y_pred, "labels in y_true", "labels in y_pred")
    y_true = _as_labels(y_true, len(names), "y_true")
    y_pred = _as_labels(y_pred, len(names), "y_pred")
    return classification_report(y_true, y_pred, labels=range(len(names)),
                                 target_names=names, digits=4, zero_division=0)


# ----------------------------------------------------------------------------
# Plots: each returns a Figure and leaves showing or saving it to the caller.
# ----------------------------------------------------------------------------
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
    names = _class_names(class_names, confusion.shape[0])
    values = _normalized_rows(confusion) if normalize else confusion
    size = max(4.0, 0.45 * len(names) + 2.5)  # 7 inches for the 10 Fashion-MNIST classes
    fig, ax = plt.subplots(figsize=(size + 1.0, size))
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
    fig, (ax_acc, ax_loss) = plt.subplots(1, 2, figsize=(11, 4))
    for ax, key, label in ((ax_acc, "accuracy", "Accuracy"), (ax_loss, "loss", "Loss")):
        train = np.asarray(history[key], dtype=np.float64)
        epochs = np.arange(1, len(train) + 1)
        ax.plot(epochs, train, "o-", label="training")
        if history.get("val_" + key) is not None:
            val = np.asarray(history["val_" + key], dtype=np.float64)
            _check_same_length(train, val, key + " values", "val_" + key + " values")
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
    images : array-like, shape (N, H, W) or (N, H, W, 1)
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
    if images.ndim != 3:
        raise ValueError("images must have shape (N, H, W) or (N, H, W, 1). "
                         f"Received shape {images.shape}.")
    if int(n) < 1:
        raise ValueError(f"n must be at least 1 image. Received n={n}.")
    names = _class_names(class_names, len(class_names))
    _check_same_length(images, y_true, "images", "labels in y_true")
    _check_same_length(images, y_pred, "images", "labels in y_pred")
    y_true = _as_labels(y_true, len(names), "y_true")
    y_pred = _as_labels(y_pred, len(names), "y_pred")
    if probabilities is not None:
        probabilities = _check_probabilities(probabilities)
        _check_same_length(images, probabilities, "images", "rows of probabilities")

    count = min(int(n), len(images))
    chosen = np.random.default_rng(seed).choice(len(images), size=count, replace=False)
    ncols = min(count, 4 if count <= 8 else 8)
    nrows = int(np.ceil(count / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.0 * ncols, 2.5 * nrows), squeeze=False)
    for ax, index in zip(axes.flat, chosen):
        probability = None if probabilities is None else probabilities[index, y_pred[index]]
        right = y_true[index] == y_pred[index]
        ax.imshow(images[index], cmap="gray")
        ax.set_title(_grid_title(names[y_true[index]], names[y_pred[index]], probability),
                     color=RIGHT_COLOR if right else WRONG_COLOR, fontsize=9)
        ax.axis("off")
    for ax in axes.flat[count:]:
        fig.delaxes(ax)  # an incomplete last row leaves no empty frames
    fig.tight_layout(h_pad=1.5)  # room between a row of images and the next row's titles
    return fig
