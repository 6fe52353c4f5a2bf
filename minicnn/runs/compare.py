"""Train one network in minicnn and in Keras from the same start, and compare them side by side.

    >>> from minicnn.runs.compare import compare, format_table
    >>> result = compare("dropout_cnn", epochs=1, sample=True, out_dir="runs/compare")  # doctest: +SKIP
    >>> print(format_table(result))                                                      # doctest: +SKIP

or ``python -m minicnn compare --model dropout_cnn --epochs 5``. It needs Keras:
``pip install "minicnn[keras]"``.

How the comparison is kept fair
-------------------------------
- **Same start**: the minicnn model is built with ``set_random_seed(seed)``; its
  Keras twin comes from :func:`minicnn.keras_bridge.to_keras`, so it has the same
  layers, weights, optimizer and loss. Their predictions then differ only by
  float32 rounding (about 1e-6): ``max_abs_prediction_diff_initial``.
- **Same data order**: epoch ``e`` uses the permutation
  ``default_rng([seed, e]).permutation(n)`` (:func:`minicnn.training.epoch_rng`).
  Both libraries get the training set pre-shuffled in that order and train with
  ``shuffle=False``, one ``fit`` call per epoch. The dropout masks still differ
  (each library draws its own), so after training the two models are different
  networks of similar quality: ``max_abs_prediction_diff_final`` is large.
- **Own process each**: each library trains in a fresh Python subprocess, one after
  the other, so the peak resident memory (``ru_maxrss``) of one is not the other's
  and they do not compete for the CPU. ``baseline_rss_mb`` is measured after the
  imports, the data and the model are loaded, before training (the Keras process
  also imports minicnn, for the data loader and ``to_keras``).
- **Timing**: wall-clock seconds of each ``fit`` call. The first epoch includes
  one-off work (numba compiles its kernels, TensorFlow traces its graph), so it is
  reported apart; ``seconds_per_epoch`` is the median of the later epochs and
  ``images_per_second`` uses it. Other programs running at the same time slow both
  down: ``load_average`` records how busy the machine was at the start.
"""
import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from .. import zoo
from ..io.atomic import write_json

LIBRARIES = ("minicnn", "keras")
KERAS_HINT = 'pip install "minicnn[keras]"'


# ============================================================================ the parent process
def compare(model_name="dropout_cnn", epochs=None, batch_size=None, sample=False, data_path=None,
            out_dir=None, seed=0, verbose=True):
    """Train ``model_name`` in both libraries and return the measurements as a dict.

    ``epochs`` and ``batch_size`` default to the model's recipe (``zoo.get(name).training``).
    ``sample=True`` uses the bundled 1,600-image sample; otherwise Fashion-MNIST is
    found as ``load_fashion_mnist(data_path)`` finds it. Writes ``compare.json`` and
    ``compare.png`` (the training curves) into ``out_dir`` (default ``runs/compare-<model>``).
    """
    if importlib.util.find_spec("keras") is None:
        raise ImportError(f"compare trains the model in Keras too, which is not installed. "
                          f"Install it with: {KERAS_HINT}")
    builder = zoo.get(model_name)
    spec = {"model": model_name, "seed": int(seed), "sample": bool(sample),
            "data_path": None if data_path is None else str(data_path),
            "epochs": _positive("epochs", builder.training["epochs"] if epochs is None else epochs),
            "batch_size": _positive("batch_size",
                                    builder.training["batch_size"] if batch_size is None else batch_size)}
    out_dir = Path(out_dir or Path("runs") / f"compare-{model_name}")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    with tempfile.TemporaryDirectory(prefix="minicnn-compare-") as work:
        spec["weights"] = _initial_weights(builder, seed, Path(work))
        runs = {library: _run_worker(library, spec, Path(work), verbose) for library in LIBRARIES}
        outputs = {library: np.load(runs[library].pop("predictions")) for library in LIBRARIES}
        differences = {stage: float(np.abs(outputs["minicnn"][stage] - outputs["keras"][stage]).max())
                       for stage in ("initial", "final")}
    result = {**{k: v for k, v in spec.items() if k != "weights"},
              "n_train": runs["minicnn"]["n_train"], "n_test": runs["minicnn"]["n_test"],
              "data_order": "per-epoch permutation default_rng([seed, epoch]), pre-shuffled, "
                            "shuffle=False in both",
              "libraries": runs,
              "max_abs_prediction_diff_initial": differences["initial"],
              "max_abs_prediction_diff_final": differences["final"],
              "cpu_count": os.cpu_count(), "load_average": load}
    _write_outputs(result, out_dir)
    return result


def _positive(name, value):
    if not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"compare: {name} must be a positive int. Received {name}={value!r}.")
    return int(value)


def _initial_weights(builder, seed, work):
    """Build the minicnn model from ``seed`` and save its starting weights for both workers."""
    from ..backend import set_random_seed
    set_random_seed(seed)
    path = work / "initial_weights.npz"
    np.savez(path, *builder().get_weights())
    return str(path)


def _run_worker(library, spec, work, verbose):
    """Train in a fresh ``python`` process; returns its measurements."""
    spec_path = work / f"{library}_spec.json"
    spec_path.write_text(json.dumps({**spec, "out": str(work / library)}))
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "3")}
    command = [sys.executable, "-c", "import sys; from minicnn.runs.compare_worker import work; "
               "work(sys.argv[1], sys.argv[2])", library, str(spec_path)]
    if verbose:
        print(f"training {spec['model']} in {library} ({spec['epochs']} epochs) ...", flush=True)
    # The progress lines (stdout) are shown when verbose; stderr, where TensorFlow
    # writes its start-up banners, only if the worker fails.
    done = subprocess.run(command, env=env, text=True, stdout=None if verbose else subprocess.PIPE,
                          stderr=subprocess.PIPE)
    if done.returncode != 0:
        raise RuntimeError(f"compare: training in {library} failed (exit code {done.returncode}):\n"
                           f"{(done.stdout or '')[-2000:]}{done.stderr[-3000:]}")
    return json.loads((work / library).with_suffix(".json").read_text())


def _write_outputs(result, out_dir):
    """``compare.json`` and ``compare.png`` in ``out_dir``."""
    from .report import save_figure          # matplotlib: only once there is something to draw
    out_dir.mkdir(parents=True, exist_ok=True)
    write_json(out_dir / "compare.json", result)
    save_figure(plot_curves(result), out_dir / "compare.png")
    result["files"] = [str(out_dir / "compare.json"), str(out_dir / "compare.png")]


# ============================================================================ presenting
ROWS = [("seconds, first epoch", "seconds_first_epoch", "{:.1f}"),
        ("seconds per epoch (median of later)", "seconds_per_epoch", "{:.1f}"),
        ("images per second", "images_per_second", "{:,.0f}"),
        ("peak resident memory, MB", "peak_rss_mb", "{:,.0f}"),
        ("resident memory before training, MB", "baseline_rss_mb", "{:,.0f}"),
        ("final train loss", "final_train_loss", "{:.4f}"),
        ("final train accuracy", "final_train_accuracy", "{:.4f}"),
        ("test loss", "test_loss", "{:.4f}"),
        ("test accuracy", "test_accuracy", "{:.4f}")]


def format_table(result):
    """The result of :func:`compare` as a plain-text table, minicnn beside Keras."""
    runs = result["libraries"]
    width = max(len(label) for label, _, _ in ROWS)
    lines = [f"{result['model']}: {result['epochs']} epochs, batch {result['batch_size']}, "
             f"{result['n_train']:,} training / {result['n_test']:,} test images, seed {result['seed']}",
             f"{'':{width}}  {'minicnn':>12}  {'keras':>12}"]
    for label, key, fmt in ROWS:
        cells = [("-" if runs[lib][key] is None else fmt.format(runs[lib][key])) for lib in LIBRARIES]
        lines.append(f"{label:{width}}  {cells[0]:>12}  {cells[1]:>12}")
    lines += [f"largest |output difference| on the test set, initial weights: "
              f"{result['max_abs_prediction_diff_initial']:.1e}",
              f"largest |output difference| after training (dropout masks differ): "
              f"{result['max_abs_prediction_diff_final']:.1e}"]
    if result.get("load_average") is not None and result["load_average"] > 0.5 * (result["cpu_count"] or 1):
        lines.append(f"note: the machine was busy (load {result['load_average']:.1f} on "
                     f"{result['cpu_count']} CPUs); the timings are slower than on an idle machine.")
    return "\n".join(lines)


def plot_curves(result):
    """Training loss and train/test accuracy per epoch for both libraries; returns the Figure."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator
    figure = Figure(figsize=(11, 4))
    ax_loss, ax_acc = figure.subplots(1, 2)
    for library, color in zip(LIBRARIES, ("tab:blue", "tab:orange")):
        curves = result["libraries"][library]["curves"]
        epochs = np.arange(1, len(curves["loss"]) + 1)
        ax_loss.plot(epochs, curves["loss"], "o-", color=color, label=f"{library} train")
        ax_loss.plot(epochs, curves["test_loss"], "s--", color=color, label=f"{library} test")
        ax_acc.plot(epochs, curves["accuracy"], "o-", color=color, label=f"{library} train")
        ax_acc.plot(epochs, curves["test_accuracy"], "s--", color=color, label=f"{library} test")
    for ax, label in ((ax_loss, "Loss"), (ax_acc, "Accuracy")):
        ax.set_title(f"{result['model']}: {label.lower()} per epoch")
        ax.set_xlabel("Epoch")
        ax.set_ylabel(label)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(True, alpha=0.3)
        ax.legend()
    figure.tight_layout()
    return figure


# ============================================================================ command line
def add_compare_arguments(parser):
    """The options of ``python -m minicnn compare``."""
    parser.add_argument("--model", default="dropout_cnn", choices=zoo.list_models(),
                        help="zoo architecture to train in both libraries (default: dropout_cnn)")
    parser.add_argument("--epochs", type=int, default=None, help="default: the model's recipe")
    parser.add_argument("--batch-size", type=int, default=None, help="default: the model's recipe")
    parser.add_argument("--sample", action="store_true", help="use the bundled 1,600-image sample")
    parser.add_argument("--data", default=None, metavar="PATH", help="folder with the Fashion-MNIST files")
    parser.add_argument("--out", default=None, metavar="DIR", help="default: runs/compare-<model>")
    parser.add_argument("--seed", type=int, default=0, help="initial weights and data order (default: 0)")
    parser.description = ("Train one zoo model in minicnn and in Keras from the same weights and data "
                          "order; compare speed, memory, accuracy and predictions (needs Keras).")
    parser.epilog = "example: python -m minicnn compare --model dropout_cnn --epochs 5"
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    return parser


def run_from_args(args):
    """Run :func:`compare` from parsed options, print the table; returns the exit code."""
    try:
        result = compare(args.model, epochs=args.epochs, batch_size=args.batch_size, sample=args.sample,
                         data_path=args.data, out_dir=args.out, seed=args.seed)
    except (ImportError, ValueError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(format_table(result))
    print("wrote " + " and ".join(result["files"]))
    return 0
