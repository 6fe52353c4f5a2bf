"""``python -m minicnn explain MODEL`` and ``python -m minicnn summary MODEL``.

``explain`` writes the interactive page of :mod:`minicnn.interpret.explain` for a
saved model on a few test images (by default 16, some of them ones the model
gets wrong) of ``--dataset`` (by default the data set of the run folder, else
Fashion-MNIST), with that data set's class names; ``summary`` prints the model card of :mod:`minicnn.interpret.card`
and, for a run folder, what the training recorder saw. Both take a model file
or a run folder (its ``model.minicnn``); the run folder's ``history.json`` and
``recorder.json`` add the training curves and the per-layer health.
"""
import argparse
from pathlib import Path

from ..interpret.recorder import RECORDER_FILE
from ..io.atomic import read_json
from ..model import load_model
from . import pipeline


def add_parsers(sub, positive_int, add_data_arguments):
    """Add ``explain`` and ``summary`` to the command line's subparsers."""
    explain = sub.add_parser("explain", help="an interactive HTML page of what a saved model does",
                             description="Write one self-contained HTML page that shows every layer's "
                             "output, how one value is computed, where the model looked (CAM/Grad-CAM) "
                             "and the model card, for a saved model on a few test images.",
                             epilog="example:\n  python -m minicnn explain runs/try --sample --out try.html",
                             formatter_class=argparse.RawDescriptionHelpFormatter)
    explain.add_argument("model_file", metavar="MODEL", help="a .minicnn file or a run folder")
    explain.add_argument("--images", type=positive_int, default=16, metavar="N",
                         help="test images on the page, a quarter of them (rounded down) ones the model gets "
                         "wrong if there are that many (default 16)")
    explain.add_argument("--out", metavar="PAGE.html",
                         help="where to write the page, in a folder that exists (default: explain.html "
                         "beside the model file)")
    add_data_arguments(explain)
    explain.set_defaults(run=run_explain)
    summary = sub.add_parser("summary", help="the model card of a saved model in the terminal",
                             description="Print a saved model's layers with output shapes, parameters, "
                             "multiply-adds, activation memory and receptive fields; for a run folder "
                             "also what the training recorder saw.")
    summary.add_argument("model_file", metavar="MODEL", help="a .minicnn file or a run folder")
    summary.set_defaults(run=run_summary)


def model_and_run_files(path):
    """``(model, history or None, recorder records or None)`` for a model file or a run folder."""
    path = Path(path)
    if path.is_dir():
        path = path / pipeline.MODEL_FILE
    if not path.is_file():
        raise pipeline.RunError(f"No model file at {path}. Pass a .minicnn file or a run folder, "
                                "e.g. runs/dropout_cnn-.../model.minicnn.")
    found = [read_json(f) if f.is_file() else None
             for f in (path.parent / pipeline.HISTORY_FILE, path.parent / RECORDER_FILE)]
    return (load_model(path), *found), path


def check_page_path(out):
    """Refuse ``--out`` before any work: an existing folder, or a file in a folder that does not exist."""
    if out.is_dir():
        raise pipeline.RunError(f"--out {out} is a folder; name the page file, e.g. --out {out / 'explain.html'}.")
    if not out.parent.is_dir():
        raise pipeline.RunError(f"--out {out}: the folder {out.parent} does not exist; create it first "
                                "or write the page somewhere else.")


def run_explain(args):
    from ..interpret.explain import choose_examples, explain
    if args.out:
        check_page_path(Path(args.out))                   # before loading anything
    (model, history, records), path = model_and_run_files(args.model_file)
    out = Path(args.out or path.parent / "explain.html")
    check_page_path(out)
    data = pipeline.data_for_model(model, path, args.dataset, args.data, args.sample)
    chosen = choose_examples(model, data.x_test, data.y_test, n=args.images)
    names = data.class_names if model.output_shape[-1] == len(data.class_names) else None
    explain(model, data.x_test[chosen], data.y_test[chosen], path=out, class_names=names, history=history,
            recorder=records, title=f"minicnn explain: {model.name} on {data.title} ({path})")
    images = f"{len(chosen)} test image{'s' * (len(chosen) != 1)}"
    print(f"Wrote {out} ({out.stat().st_size / 1e6:.1f} MB): {images} from {data.source}. "
          "Open it in a browser; it needs no network.")
    return 0


def run_summary(args):
    from ..interpret.card import card_text
    from ..interpret.recorder import health_advice, records_table
    (model, _, records), _ = model_and_run_files(args.model_file)
    print(card_text(model))
    if records and records.get("epochs"):
        print(f"\nWhat each layer did during training (probe of {records['probe_size']} images):")
        print(records_table(records))
        for entry in health_advice(records):
            print("\n" + entry["text"])
    return 0
