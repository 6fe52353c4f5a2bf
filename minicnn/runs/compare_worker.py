"""The worker of :mod:`minicnn.runs.compare`: runs in a fresh Python process, loads the data and the
shared starting weights, trains one library epoch by epoch and writes what it measured.

    python -c "from minicnn.runs.compare_worker import work; work('keras', 'spec.json')"

``spec.json`` (written by the parent) names the model, seed, epochs, batch size, data and the
``out`` prefix; the worker writes ``<out>.json`` (measurements) and ``<out>.npz`` (predictions).
"""
import json
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

from .. import zoo

EVAL_BATCH = 500


def work(library, spec_path):
    """Runs in the subprocess: load, train epoch by epoch, measure, write ``<out>.json/.npz``."""
    spec = json.loads(Path(spec_path).read_text())
    if library == "keras":
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import keras
        keras.utils.set_random_seed(spec["seed"])
    from ..datasets.fashion import load_fashion_mnist, to_categorical, to_model_input
    from ..losses import SparseCategoricalCrossentropy
    from ..training import epoch_rng

    (x_train, y_train), (x_test, y_test) = load_fashion_mnist(spec["data_path"], sample=spec["sample"])
    x_train, x_test = to_model_input(x_train), to_model_input(x_test)
    model = zoo.get(spec["model"])()
    with np.load(spec["weights"]) as saved:
        model.set_weights([saved[key] for key in saved.files])
    if not isinstance(model.loss, SparseCategoricalCrossentropy):        # one-hot targets
        y_train, y_test = to_categorical(y_train, 10), to_categorical(y_test, 10)
    if library == "keras":
        from ..keras_bridge import to_keras
        model = to_keras(model)
    baseline = _rss_now_mb()
    initial = model.predict(x_test, batch_size=EVAL_BATCH, verbose=0)
    curves = {"loss": [], "accuracy": [], "test_loss": [], "test_accuracy": [], "seconds": []}
    for epoch in range(spec["epochs"]):
        order = epoch_rng(spec["seed"], epoch).permutation(len(x_train))
        x_epoch, y_epoch = x_train[order], y_train[order]
        extra = {"seed": spec["seed"]} if library == "minicnn" else {}
        start = time.perf_counter()
        logs = model.fit(x_epoch, y_epoch, epochs=epoch + 1, initial_epoch=epoch, batch_size=spec["batch_size"],
                         shuffle=False, verbose=0, **extra).history
        curves["seconds"].append(time.perf_counter() - start)
        del x_epoch, y_epoch
        test_loss, test_accuracy = model.evaluate(x_test, y_test, batch_size=EVAL_BATCH, verbose=0)
        for key, value in (("loss", logs["loss"][-1]), ("accuracy", logs["accuracy"][-1]),
                           ("test_loss", test_loss), ("test_accuracy", test_accuracy)):
            curves[key].append(float(value))
        print(f"  {library} epoch {epoch + 1}/{spec['epochs']}: {curves['seconds'][-1]:.1f} s, loss "
              f"{curves['loss'][-1]:.4f}, test accuracy {curves['test_accuracy'][-1]:.4f}", flush=True)
    final = model.predict(x_test, batch_size=EVAL_BATCH, verbose=0)
    np.savez(spec["out"] + ".npz", initial=initial, final=final)
    summary = _summary(library, curves, len(x_train), len(x_test), baseline)
    Path(spec["out"] + ".json").write_text(json.dumps({**summary, "predictions": spec["out"] + ".npz"}))


def _rss_now_mb():
    """Resident memory of this process now (Linux /proc), in MB; None elsewhere."""
    try:
        with open("/proc/self/status") as status:
            line = next(l for l in status if l.startswith("VmRSS:"))
        return int(line.split()[1]) / 1024
    except (OSError, StopIteration):
        return None


def _peak_rss_mb():
    """Peak resident memory of this process so far: ru_maxrss is kB on Linux, bytes on macOS."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


def _summary(library, curves, n_train, n_test, baseline):
    """The per-library numbers of the table from the per-epoch curves."""
    seconds = curves["seconds"]
    steady = float(np.median(seconds[1:])) if len(seconds) > 1 else None
    return {"library": library, "version": _version(library), "n_train": n_train, "n_test": n_test,
            "seconds_first_epoch": seconds[0], "seconds_per_epoch": steady,
            "images_per_second": n_train / (steady or seconds[0]),
            "peak_rss_mb": _peak_rss_mb(), "baseline_rss_mb": baseline,
            "final_train_loss": curves["loss"][-1], "final_train_accuracy": curves["accuracy"][-1],
            "test_loss": curves["test_loss"][-1], "test_accuracy": curves["test_accuracy"][-1],
            "curves": curves}


def _version(library):
    if library == "keras":
        import keras
        import tensorflow
        return f"keras {keras.__version__}, tensorflow {tensorflow.__version__}"
    import numba
    from .._version import __version__
    return f"minicnn {__version__}, numpy {np.__version__}, numba {numba.__version__}"
