"""Training runs from end to end: what ``python -m minicnn`` does, and the files it leaves.

- ``cli``: the command line (``train``, ``evaluate``, ``list-models``, ``compare``);
- ``pipeline``: a run as plain functions: settings, data, checkpoints, resuming;
- ``outputs``: the files of a run folder (metrics, figures, report);
- ``metrics``: accuracy, precision, recall, F1, confusion matrix (scikit-learn);
- ``plots``: training curves, confusion matrix, prediction grid;
- ``report``: the self-contained ``report.html``;
- ``compare`` and ``compare_worker``: one network trained in minicnn and in Keras, side by side;
- ``make_pretrained``: the runs that make the weights ``minicnn.zoo.load_pretrained`` ships;
- ``build_pages``: the runs of the course notebooks that leave their executed copies.
"""
from .._lazy import attach

__getattr__, __dir__ = attach(__name__, __path__, {
    "evaluate_predictions": "metrics", "classification_report_text": "metrics",
    "plot_confusion_matrix": "plots", "plot_prediction_grid": "plots", "plot_training_curves": "plots",
    "write_report": "report", "save_figure": "report"})
