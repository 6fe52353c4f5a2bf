"""The files a training run (or ``python -m minicnn evaluate``) leaves in its folder.

=============================  ===================================================
``metrics.json``               test accuracy and loss, macro and weighted P/R/F1,
                               per-class figures, confusion matrix, run facts
``classification_report.txt``  scikit-learn's per-class table
``training_curves.png``        accuracy and loss per epoch (training runs only)
``confusion_matrix.png``       counts; ``confusion_matrix_normalized.png``: recall
``prediction_grid.png``        8 random test images, green right, red wrong
``training_health.png``        per layer and epoch: update/weight ratio, gradient and
                               weight norms, dead ReLUs, activations (``recorder.json``)
``report.html``                all of the above on one self-contained page
=============================  ===================================================
"""
from pathlib import Path

from ..interpret.recorder import health_advice, plot_training_health
from ..io.atomic import write_json, write_text
from ..losses import class_probabilities
from .metrics import classification_report_text, evaluate_predictions
from .plots import plot_confusion_matrix, plot_prediction_grid, plot_training_curves
from .report import save_figure, write_report

GRID_IMAGES = 8
# Headings in report.html; write_report places "training_curves" and "confusion_matrix"
# itself and the others in the order given here.
NORMALIZED_HEADING = "Confusion matrix, rows normalised (the diagonal is each class's recall)"
HEALTH_HEADING = "What each layer did during training (the training recorder)"
GRID_HEADING = f"Predictions on {GRID_IMAGES} random test images (green: right, red: wrong)"


def score_model(model, x, targets, batch_size=500, verbose=1):
    """``(probabilities (N, K), test_loss)`` of ``model`` on inputs ``x: (N, H, W, C)``."""
    outputs = model.predict(x, batch_size=batch_size, verbose=int(verbose == 1))
    scores = model.evaluate(x, targets, batch_size=batch_size, verbose=0)
    test_loss = scores[0] if isinstance(scores, list) else scores
    return class_probabilities(model, outputs), float(test_loss)


def write_outputs(out, model, scores, data, info, history=None, recorder=None):
    """Write every file of the table above into ``out``; returns the metrics dict.

    ``scores`` is what :func:`score_model` returns, ``data`` the run's
    :class:`~minicnn.runs.data.RunData` (its test images ``(N, H, W, C)`` in [0, 1],
    grey or colour, labels and class names), ``info`` the run facts to add
    to the metrics, ``history`` the per-epoch logs (None: no training curves),
    ``recorder`` the ``TrainingRecorder.records`` of the run (None: no layer health).
    """
    out = Path(out)
    probabilities, test_loss = scores
    images, labels, names = data.x_test, data.y_test, data.class_names
    metrics = evaluate_predictions(labels, probabilities, names, loss=test_loss)
    metrics = {"test_accuracy": metrics["accuracy"], **metrics, **info}
    write_json(out / "metrics.json", metrics)
    predicted = probabilities.argmax(axis=1)
    write_text(out / "classification_report.txt", classification_report_text(labels, predicted, names))
    figures = save_figures(out, metrics, history, images, labels, probabilities, info.get("seed"))
    notes = {}
    if recorder and recorder.get("epochs"):
        figures[HEALTH_HEADING] = save_figure(plot_training_health(recorder), out / "training_health.png")
        notes[HEALTH_HEADING] = [entry["text"] for entry in health_advice(recorder)]
    write_report(out, title=f"minicnn: {info['model']} on {data.title}",
                 summary_text=summary_with_run_facts(model, metrics), metrics=metrics,
                 figures=figures, notes=notes)
    return metrics


def save_figures(out, metrics, history, images, labels, probabilities, seed):
    """Save each figure as ``out/<name>.png``; returns {report heading or name: path}."""
    confusion, names = metrics["confusion_matrix"], metrics["class_names"]
    figures = {}
    if history and history.get("loss"):
        figures["training_curves"] = plot_training_curves(history)
    figures["confusion_matrix"] = plot_confusion_matrix(confusion, names)
    figures["confusion_matrix_normalized"] = plot_confusion_matrix(confusion, names, normalize=True)
    figures["prediction_grid"] = plot_prediction_grid(
        images, labels, probabilities.argmax(axis=1), names, n=GRID_IMAGES, seed=seed,
        probabilities=probabilities)
    headings = {"confusion_matrix_normalized": NORMALIZED_HEADING, "prediction_grid": GRID_HEADING}
    return {headings.get(name, name): save_figure(fig, out / f"{name}.png")
            for name, fig in figures.items()}


def summary_with_run_facts(model, metrics):
    """A few lines about the run, then ``model.summary()``: the report's first section."""
    lines = [f"Test accuracy {metrics['test_accuracy']:.4f}, test loss {metrics['test_loss']:.4f} "
             f"on {metrics['n_samples']:,} test images",
             f"Data: {metrics['data_source']}"]
    if "seed_project" in metrics:
        lines += [f"Recipe of seed project {metrics['seed_project']}: {metrics['epochs']} epochs, "
                  f"batch {metrics['batch_size']}, seed {metrics['seed']}",
                  f"Validation: {_validation_text(metrics['validation'])}"]
    if metrics.get("seconds_per_epoch_mean"):
        lines.append(f"{metrics['seconds_per_epoch_mean']:.1f} s per epoch on average")
    summary = []
    model.summary(print_fn=summary.append)
    return "\n".join(lines + [""] + summary)


def _validation_text(validation):
    if validation == "test":
        return "the test set"
    return f"the last {validation:.0%} of the training images" if validation else "none"
