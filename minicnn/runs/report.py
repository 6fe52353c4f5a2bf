"""One self-contained HTML page that tells the story of a training run.

The page holds everything inside itself: images are PNGs embedded as base64
``data:`` URIs and the CSS is inline, so ``report.html`` can be mailed, opened
offline or archived without a folder of pictures beside it::

    from minicnn.runs.metrics import evaluate_predictions
    from minicnn.runs.plots import plot_prediction_grid
    from minicnn.runs.report import write_report

    metrics = evaluate_predictions(y_test, probabilities, class_names, loss=test_loss)
    grid = plot_prediction_grid(x_test, y_test, probabilities.argmax(1), class_names, seed=4)
    path = write_report("runs/exp1", title="Fashion-MNIST CNN",
                        summary_text=model.summary(), metrics=metrics,
                        history=history, figures={"prediction_grid": grid})
    # path == "runs/exp1/report.html"
"""
import base64
import html
import os
import re

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from ..io.atomic import replacing, write_text
from .plots import plot_confusion_matrix, plot_training_curves

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"  # the first 8 bytes of every PNG file

# Figures with a known name get a fixed place and heading; others follow in the
# order given, headed by their name.
STANDARD_FIGURES = {"training_curves": "Training curves",
                    "confusion_matrix": "Confusion matrix",
                    "prediction_grid": "Predictions on random test images"}

REQUIRED_METRICS = ("accuracy", "precision", "recall", "f1", "weighted_precision",
                    "weighted_recall", "weighted_f1", "per_class")

CSS = """
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; color: #222;
       background: #f4f5f7; margin: 0; line-height: 1.45; }
main { max-width: 980px; margin: 0 auto; padding: 1.5rem 2rem 3rem; background: #fff; }
h1 { border-bottom: 3px solid #3a6ea5; padding-bottom: .3rem; }
h2 { color: #3a6ea5; margin-top: 2rem; }
pre { background: #f7f7f9; border: 1px solid #ddd; padding: .8rem 1rem; overflow-x: auto;
      font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 13px;
      line-height: 1.2; }  /* tighter than the body: box-drawing lines must touch */
table { border-collapse: collapse; margin: .5rem 0 1.2rem; }
th, td { border: 1px solid #bbb; padding: .25rem .7rem; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #e8eef6; text-align: center; }
.row { display: flex; flex-wrap: wrap; gap: 0 2.5rem; align-items: flex-start; }
img { display: block; max-width: 100%; height: auto; margin: .5rem 0; }
"""


def save_figure(fig, path):
    """Write ``fig`` as a PNG (100 dpi, tight bounding box), then close it.

    The file is written atomically (:mod:`minicnn.io.atomic`). Closing frees a
    figure made with pyplot: pyplot keeps every open figure alive, and a long
    notebook would otherwise pile them up (minicnn's own figures are not pyplot's).

    Returns
    -------
    str
        ``path``.
    """
    if not isinstance(fig, Figure):
        raise TypeError(f"save_figure needs a matplotlib Figure. Received {type(fig).__name__}.")
    path = os.fspath(path)
    with replacing(path) as temp:
        fig.savefig(temp, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return path


def _png_bytes(name, figure, out_dir):
    """The PNG bytes of one entry of ``figures``: a Figure (saved first) or a PNG path."""
    if isinstance(figure, Figure):
        safe_name = re.sub(r"[^A-Za-z0-9_.-]+", "_", name) or "figure"
        figure = save_figure(figure, os.path.join(out_dir, safe_name + ".png"))
    if not isinstance(figure, (str, os.PathLike)):
        raise TypeError(f"figures[{name!r}] must be a matplotlib Figure or the path of a PNG "
                        f"file. Received {type(figure).__name__}.")
    with open(figure, "rb") as f:
        data = f.read()
    if not data.startswith(PNG_SIGNATURE):
        raise ValueError(f"figures[{name!r}] is not a PNG file. Received {os.fspath(figure)!r}; "
                         "save it with save_figure(fig, path) or pass the Figure itself.")
    return data


# ----------------------------------------------------------------------------
# HTML pieces; every piece of text goes through html.escape
# ----------------------------------------------------------------------------
def _esc(value):
    return html.escape(str(value), quote=True)


def _cell(value):
    """One <td>; numbers are right-aligned so their digits line up."""
    numeric = re.fullmatch(r"[-+0-9.,% ()]+", str(value)) is not None
    return f'<td class="num">{_esc(value)}</td>' if numeric else f"<td>{_esc(value)}</td>"


def _table(header, rows):
    """An HTML table from a header row and rows of already-formatted cells."""
    head = "".join(f"<th>{_esc(cell)}</th>" for cell in header)
    body = "".join("<tr>" + "".join(_cell(value) for value in row) + "</tr>\n"
                   for row in rows)
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}</tbody>\n</table>\n"


def _image(name, png):
    """An <img> whose pixels travel inside the page as a base64 data URI."""
    uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    return f'<img src="{uri}" alt="{_esc(name)}">\n'


def _section(heading, content):
    return f"<section>\n<h2>{_esc(heading)}</h2>\n{content}</section>\n"


def _metrics_html(metrics):
    """Overall numbers, then one row per class, then the most common mistakes."""
    overall = [("Accuracy", f"{metrics['accuracy']:.4f} ({metrics['accuracy']:.2%})")]
    if metrics.get("test_loss") is not None:
        overall.append(("Test loss", f"{metrics['test_loss']:.4f}"))
    averages = [(label, f"{metrics[key]:.4f}", f"{metrics['weighted_' + key]:.4f}")
                for label, key in (("Precision", "precision"), ("Recall", "recall"),
                                   ("F1", "f1"))]
    per_class = [(row["name"], f"{row['precision']:.4f}", f"{row['recall']:.4f}",
                  f"{row['f1']:.4f}", row["support"]) for row in metrics["per_class"]]
    parts = ['<div class="row">\n', _table(("Metric", "Value"), overall),
             _table(("Average over classes", "Macro", "Weighted"), averages), "</div>\n",
             '<div class="row">\n<div>\n<h3>Per class</h3>\n',
             _table(("Class", "Precision", "Recall", "F1", "Support"), per_class), "</div>\n"]
    if metrics.get("most_confused"):
        confused = [(pair["true_name"], pair["predicted_name"], pair["count"])
                    for pair in metrics["most_confused"]]
        parts += ["<div>\n<h3>Most confused pairs</h3>\n",
                  _table(("True class", "Predicted as", "Count"), confused), "</div>\n"]
    parts.append("</div>\n")  # closes the row of per-class tables
    return "".join(parts)


def _page(title, sections):
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{_esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
            f"<h1>{_esc(title)}</h1>\n{''.join(sections)}</main>\n</body>\n</html>\n")


# ----------------------------------------------------------------------------
# The report
# ----------------------------------------------------------------------------
def _all_figures(metrics, history, figures):
    """``figures`` plus the standard ones drawn from ``history`` and ``metrics``.

    Known names come first in a fixed order, then the others as given.
    """
    figures = dict(figures or {})
    if history is not None and "training_curves" not in figures:
        figures["training_curves"] = plot_training_curves(history)
    if metrics.get("confusion_matrix") is not None and "confusion_matrix" not in figures:
        figures["confusion_matrix"] = plot_confusion_matrix(
            metrics["confusion_matrix"], [row["name"] for row in metrics["per_class"]])
    known = [name for name in STANDARD_FIGURES if name in figures]
    return {name: figures[name] for name in known + [n for n in figures if n not in known]}


def write_report(out_dir, *, title, summary_text, metrics, history=None, figures=None, notes=None):
    """Write ``out_dir/report.html`` (and the PNGs it embeds) and return its path.

    Parameters
    ----------
    out_dir : str or path
        Folder to write into; created if missing.
    title : str
        Page title and heading.
    summary_text : str
        The model's ``summary()`` text, shown as a preformatted block.
    metrics : dict
        As returned by :func:`minicnn.runs.metrics.evaluate_predictions`.
    history : dict or History, optional
        Keras-style per-epoch ``loss``/``accuracy`` (and ``val_*``); drawn as
        training curves unless ``figures`` already has ``"training_curves"``.
    figures : dict of str -> Figure or PNG path, optional
        Extra figures, e.g. ``{"prediction_grid": fig}``. Each Figure is saved
        as ``out_dir/<name>.png`` with :func:`save_figure` and then closed.
    notes : dict of str -> list of str, optional
        Paragraphs shown above the figure of the same name.

    Returns
    -------
    str
        Path of ``report.html``.

    Notes
    -----
    When ``metrics`` holds a ``confusion_matrix`` and ``figures`` has none,
    the counts are drawn with :func:`plot_confusion_matrix`. Sections: model
    architecture, training curves, test metrics, confusion matrix, prediction
    grid, then any other figures.
    """
    missing = [key for key in REQUIRED_METRICS if key not in metrics]
    if missing:
        raise ValueError(f"metrics is missing {missing}. Received keys {sorted(metrics)}; "
                         "build it with minicnn.runs.metrics.evaluate_predictions(...).")
    out_dir = os.fspath(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    images = {name: _png_bytes(name, figure, out_dir)
              for name, figure in _all_figures(metrics, history, figures).items()}

    sections = [_section("Model architecture", f"<pre>{_esc(summary_text)}</pre>\n")]
    if "training_curves" in images:
        sections.append(_section("Training curves", _image("training_curves",
                                                            images.pop("training_curves"))))
    sections.append(_section("Test metrics", _metrics_html(metrics)))
    for name, png in images.items():
        text = "".join(f"<p>{_esc(note)}</p>\n" for note in (notes or {}).get(name, ()))
        sections.append(_section(STANDARD_FIGURES.get(name, name), text + _image(name, png)))

    path = os.path.join(out_dir, "report.html")
    return write_text(path, _page(title, sections))
