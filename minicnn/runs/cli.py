"""The command line: ``python -m minicnn train | evaluate | list-models | compare | explain | summary``.

Each subcommand reads its options here and hands them to a plain function
(``minicnn.runs.pipeline.train``, ``evaluate_file``, ...), so everything the
command does can also be done from Python. :func:`main` turns the errors a
user can fix into a one-paragraph message and an exit code instead of a
traceback: 2 for a wrong option, 1 for missing or damaged data, 130 for Ctrl-C.
"""
import argparse
import importlib
import sys
import warnings
from pathlib import Path

from .. import zoo
from ..course import notebooks
from ..io.atomic import DamagedFileError
from ..saving import ModelFileError
from . import inspect_commands, pipeline

EXAMPLES = """\
examples:
  python -m minicnn train                         dropout_cnn, as seed project 001 trained it
  python -m minicnn train --sample --epochs 2     a quick run on the bundled sample
  python -m minicnn train --model cnn_32_64_128 --out runs/big
  python -m minicnn train --dataset cifar10 --model gap_cnn    colour images, 32x32
  python -m minicnn train --dataset my_photos --image-size 64 64   your own folder of images
  python -m minicnn train --out runs/big --resume continue an interrupted run
  python -m minicnn evaluate runs/big/model.minicnn
  python -m minicnn list-models
  python -m minicnn explain runs/big --out big.html   what each layer does, in a browser
  python -m minicnn summary runs/big/model.minicnn    the model card
  python -m minicnn tutorials my-course              copy the course notebooks
"""

TRAIN_EXAMPLES = """\
Without options: dropout_cnn with the settings of seed project 001 (5 epochs, batch 300)
on the full Fashion-MNIST, written to runs/dropout_cnn-<timestamp>/.

The run folder ends up holding model.minicnn, checkpoint.minicnn, config.json,
history.json, metrics.json, classification_report.txt, the PNG figures and report.html.
A checkpoint is saved after every epoch; Ctrl-C stops cleanly and prints the
command that resumes, which ends with the same weights as an uninterrupted run.

examples:
  python -m minicnn train --sample --epochs 2 --out runs/try
  python -m minicnn train --model cnn_32_64_64 --epochs 3 --seed 7
  python -m minicnn train --dataset my_photos --image-size 32 32 --model gap_cnn
  python -m minicnn train --out runs/try --resume
  python -m minicnn train --out runs/try --resume --epochs 10   (train further)
"""


def model_name(text):
    """argparse type for --model: a zoo name, else the list of known ones."""
    if text not in zoo.list_models():
        raise argparse.ArgumentTypeError(
            f"unknown model {text!r}. Known models: {', '.join(zoo.list_models())} "
            "(python -m minicnn list-models describes them).")
    return text


def positive_int(text):
    """argparse type for counts such as --epochs: a whole number of at least 1."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, received {text!r}")
    return int(text)


def seed_number(text):
    """argparse type for --seed: a whole number from 0 to 2**32 - 1, as NumPy's generators take."""
    if not text.isdigit() or int(text) >= 2**32:
        raise argparse.ArgumentTypeError(f"expected a whole number from 0 to {2**32 - 1}, received {text!r}")
    return int(text)


def fraction(text):
    """argparse type for --validation-split: a number in [0, 1)."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"expected a fraction in [0, 1), received {text!r}")
    return value


def add_data_arguments(parser):
    parser.add_argument("--dataset", metavar="NAME_OR_FOLDER",
                        help="fashion_mnist (the default), mnist, cifar10, or a folder of your own images "
                        "with one subfolder per class (20%% of them held out as the test set)")
    parser.add_argument("--data", metavar="PATH", help="folder with the named data set's files (for "
                        "Fashion-MNIST default: $FASHION_MNIST_DIR, /usr/share/datasets/fashion-mnist, the cache)")
    parser.add_argument("--sample", action="store_true",
                        help="use the small sample bundled with minicnn (1,600 + 400 images)")


def add_train_parser(sub):
    train = sub.add_parser("train", help="train a zoo model and write a report",
                           description="Train a model of the zoo on Fashion-MNIST (or --dataset), "
                           "evaluate it on the test set and write every result into one folder.",
                           epilog=TRAIN_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    train.add_argument("--model", type=model_name, metavar="NAME",
                       help=f"one of {', '.join(zoo.list_models())} (default: dropout_cnn)")
    train.add_argument("--epochs", type=positive_int, metavar="N",
                       help="train up to this epoch (default: the model's recipe)")
    train.add_argument("--batch-size", type=positive_int, metavar="N",
                       help="images per step (default: the model's recipe)")
    train.add_argument("--seed", type=seed_number, metavar="N", help="seed for the starting weights, "
                       "shuffling and dropout (default: a random one, recorded in config.json)")
    train.add_argument("--validation-split", type=fraction, metavar="F",
                       help="hold out this fraction of the training images (the last ones) "
                       "for validation instead of the recipe's choice, which list-models shows; "
                       "0 for no validation")
    train.add_argument("--out", metavar="DIR", help="run folder (default: runs/<model>-<timestamp>)")
    add_data_arguments(train)
    train.add_argument("--image-size", type=positive_int, nargs=2, metavar=("H", "W"),
                       help="size the images of a --dataset folder are read at (default 64 64)")
    train.add_argument("--resume", action="store_true",
                       help="continue the run in --out from its checkpoint.minicnn")
    train.add_argument("--verbose", type=int, choices=(0, 1, 2), default=1,
                       help="0 silent, 1 a progress bar per epoch (default), 2 one line per epoch")
    train.set_defaults(run=run_train)


def add_evaluate_parser(sub):
    evaluate = sub.add_parser("evaluate", help="score a saved model on the test set",
                              description="Score a saved .minicnn model on the Fashion-MNIST test "
                              "set and write metrics, figures and report.html.",
                              epilog="example:\n  python -m minicnn evaluate runs/try/model.minicnn "
                              "--sample --out runs/try-eval",
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    evaluate.add_argument("model_file", metavar="MODEL_FILE",
                          help="a model saved by train (or a run folder: its model.minicnn)")
    evaluate.add_argument("--out", metavar="DIR",
                          help="folder for the results (default: runs/<model>-evaluate-<timestamp>)")
    add_data_arguments(evaluate)
    evaluate.add_argument("--verbose", type=int, choices=(0, 1, 2), default=1)
    evaluate.set_defaults(run=run_evaluate)


def add_compare_parser(sub):
    """``compare`` belongs to minicnn.runs.compare, imported only when the command is used.

    Its options are parsed in a second step by :func:`run_compare`, so a missing
    or broken compare module never stops ``train`` or ``list-models``.
    """
    parser = sub.add_parser("compare", help="train one architecture in minicnn and in Keras from the same weights, side by side", add_help=False)
    parser.set_defaults(run=run_compare)


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m minicnn", epilog=EXAMPLES,
                                     description="Train and evaluate the minicnn model zoo on "
                                     "Fashion-MNIST.", formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_train_parser(sub)
    add_evaluate_parser(sub)
    listing = sub.add_parser("list-models", help="the zoo: names, seed projects, sizes, recipes")
    listing.set_defaults(run=run_list_models)
    add_compare_parser(sub)
    inspect_commands.add_parsers(sub, positive_int, add_data_arguments)   # explain, summary
    notebooks.add_parser(sub)                                             # tutorials
    return parser


# ----------------------------------------------------------------------------- commands
def run_train(args):
    given = {"model": args.model, "epochs": args.epochs, "batch_size": args.batch_size,
             "seed": args.seed, "data": args.data, "sample": args.sample, "dataset": args.dataset,
             "image_size": args.image_size}
    if args.resume:
        if args.out is None:
            return _fail("--resume needs --out DIR, the folder of the run to continue.", 2)
        if args.validation_split is not None:
            given["validation"] = args.validation_split
        config = pipeline.resumed_config(args.out, **given)
    else:
        config = pipeline.new_config(out=args.out, validation_split=args.validation_split, **given)
    metrics = pipeline.train(config, resume=args.resume, verbose=args.verbose)
    epochs = metrics["epochs"]
    print(f"{config['model']}: test accuracy {metrics['test_accuracy']:.4f}, test loss "
          f"{metrics['test_loss']:.4f} after {epochs} epoch{'s' * (epochs != 1)}. "
          f"Report: {Path(config['out']) / 'report.html'}")
    return 0


def run_evaluate(args):
    metrics = pipeline.evaluate_file(args.model_file, out=args.out, data=args.data,
                                     sample=args.sample, verbose=args.verbose, dataset=args.dataset)
    print(f"{metrics['model']}: test accuracy {metrics['test_accuracy']:.4f}, test loss "
          f"{metrics['test_loss']:.4f}, macro F1 {metrics['f1']:.4f}")
    return 0


def run_compare(args):
    try:
        compare = importlib.import_module(f"{__package__}.compare")
    except ModuleNotFoundError as err:
        if err.name != f"{__package__}.compare":
            raise  # compare exists but something it needs is missing: show that
        return _fail("compare is not available in this version of minicnn "
                     "(minicnn/runs/compare.py is missing).", 2)
    parser = argparse.ArgumentParser(prog="python -m minicnn compare",
                                     description="Train several models and compare them.")
    compare.add_compare_arguments(parser)
    return compare.run_from_args(parser.parse_args(args.rest))


def list_models_text():
    """One row per zoo model: name, seed project, parameters, recipe."""
    header = ("model", "seed", "params", "epochs", "batch", "validation", "loss")
    split = f"{pipeline.DEFAULT_VALIDATION_SPLIT:.0%} split"
    rows = []
    for name in zoo.list_models():
        builder = zoo.get(name)
        recipe, model = builder.training, builder()
        rows.append((name, recipe["seed_project"], f"{model.count_params():,}", recipe["epochs"],
                     recipe["batch_size"], "test set" if recipe["validate_on_test"] else split,
                     type(model.loss).__name__ + (" (logits)" if model.loss.from_logits else "")))
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    return "\n".join("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip()
                     for row in [header, *rows])


def run_list_models(args):
    print(list_models_text())
    return 0


# ----------------------------------------------------------------------------- entry point
def _fail(message, code):
    print(f"error: {message}", file=sys.stderr)
    return code


def _short_warning(message, category, filename, lineno, line=None):
    """Warnings as one ``warning: ...`` line, without the file and line of the code that warned."""
    return f"warning: {message}\n"


def main(argv=None):
    """Run the command line; returns the exit code (``python -m minicnn`` exits with it)."""
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    if rest and args.command != "compare":
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    args.rest = rest  # compare parses its own options
    formatwarning, warnings.formatwarning = warnings.formatwarning, _short_warning
    try:
        return args.run(args) or 0
    except pipeline.TrainingInterrupted as stop:
        print(stop, file=sys.stderr)  # not an error: what was saved and how to go on
        return 130
    except KeyboardInterrupt:
        return _fail("interrupted.", 130)
    except OSError as err:  # a missing file (the loader's DataNotFoundError too), a read-only folder, ...
        return _fail(err.strerror and f"{err.strerror}: {err.filename}" or str(err), 1)
    except pipeline.RunError as err:
        return _fail(str(err), 2)
    except (ModelFileError, DamagedFileError) as err:  # a damaged or foreign file
        return _fail(str(err), 1)
    finally:
        warnings.formatwarning = formatwarning
