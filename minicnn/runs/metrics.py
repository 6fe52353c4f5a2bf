"""Score a trained classifier: accuracy, precision, recall, F1, the confusion matrix.

Everything here works on plain arrays, so it does not care which model made
the predictions::

    >>> import numpy as np
    >>> from minicnn.runs.metrics import evaluate_predictions
    >>> y_true = np.array([0, 1, 1])
    >>> probabilities = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    >>> metrics = evaluate_predictions(y_true, probabilities, class_names=["cat", "dog"])
    >>> round(metrics["accuracy"], 3)
    0.667
    >>> metrics["most_confused"][0]["true_name"], metrics["most_confused"][0]["predicted_name"]
    ('dog', 'cat')

The numbers come from scikit-learn, the reference everyone checks against; this
module only checks the inputs and turns the results into plain Python values so
that ``json.dump(metrics, f)`` works. The pictures of these numbers are in
:mod:`minicnn.runs.plots`.

Shape legend: N samples, K classes, H x W image pixels.
"""
import numpy as np
from sklearn.metrics import (accuracy_score, classification_report,
                             confusion_matrix, precision_recall_fscore_support)

from ..checks import as_labels

# ----------------------------------------------------------------------------
# Input checks shared by every function here and in plots
# ----------------------------------------------------------------------------
def check_same_length(a, b, name_a, name_b):
    """Raise when two per-sample arrays do not describe the same N samples."""
    if len(a) != len(b):
        raise ValueError(f"{name_a} and {name_b} must have one entry per sample. "
                         f"Received {len(a)} {name_a} and {len(b)} {name_b}.")


def checked_class_names(class_names, n_classes):
    """The given names as strings, or ``"0", "1", ...`` when none are given."""
    if class_names is None:
        return [str(k) for k in range(n_classes)]
    names = [str(name) for name in class_names]
    if len(names) != n_classes:
        raise ValueError(f"Expected {n_classes} class names, one per class. "
                         f"Received {len(names)}: {names}.")
    return names


def checked_probabilities(probabilities):
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
    names = checked_class_names(class_names, confusion.shape[0])
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
    probabilities = checked_probabilities(probabilities)
    check_same_length(y_true, probabilities, "labels in y_true", "rows of probabilities")
    n_classes = probabilities.shape[1]
    names = checked_class_names(class_names, n_classes)
    y_true = as_labels(y_true, n_classes, "y_true")
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
    names = checked_class_names(class_names, len(class_names))
    check_same_length(y_true, y_pred, "labels in y_true", "labels in y_pred")
    y_true = as_labels(y_true, len(names), "y_true")
    y_pred = as_labels(y_pred, len(names), "y_pred")
    return classification_report(y_true, y_pred, labels=range(len(names)),
                                 target_names=names, digits=4, zero_division=0)
