"""Regenerate the pretrained weights that ship in ``minicnn/pretrained/``.

    python -m minicnn.runs.make_pretrained                 # every model in MODELS
    python -m minicnn.runs.make_pretrained gap_cnn         # just one

For each model this runs the project's own command, ``python -m minicnn train
--model NAME --seed 0`` (the recipe's epochs and batch size, full Fashion-MNIST),
in a temporary folder, then keeps only the weights: ``NAME.npz`` holds them as
float16 in Keras order (no optimizer state, half the bytes of float32), and
``NAME.json`` records the command, the data, the epochs and the test metrics,
both as trained (float32, from the run's metrics.json) and as shipped (the
float16 weights loaded back and scored again: loss, accuracy, macro precision,
recall and F1). ``minicnn.zoo.load_pretrained(NAME)`` reads them.
"""
import io
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from ..datasets import CLASS_NAMES, load_fashion_mnist, to_model_input
from ..io.atomic import write_bytes, write_json
from ..losses import class_probabilities
from ..model import load_model
from ..zoo import PRETRAINED_DIR, load_pretrained
from .metrics import evaluate_predictions
from .pipeline import targets_for

MODELS = ["gap_cnn", "dropout_cnn", "simple_cnn", "cnn_32_64_64", "cnn_32_64_128"]
SEED = 0


def train_one(name, folder):
    """Run ``python -m minicnn train`` for ``name`` into ``folder``; returns (command, metrics, history)."""
    arguments = ["train", "--model", name, "--seed", str(SEED)]
    subprocess.run([sys.executable, "-m", "minicnn", *arguments, "--out", str(folder), "--verbose", "2"],
                   check=True)
    metrics = json.loads((folder / "metrics.json").read_text())
    history = json.loads((folder / "history.json").read_text())
    return " ".join(["python -m minicnn", *arguments]), metrics, history


def save_weights(name, model):
    """The model's weights as float16 arrays ``w00, w01, ...`` in ``PRETRAINED_DIR/name.npz``."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **{f"w{i:02d}": w.astype(np.float16) for i, w in enumerate(model.get_weights())})
    write_bytes(PRETRAINED_DIR / f"{name}.npz", buffer.getvalue())


def shipped_scores(name):
    """Test metrics of the float16 weights exactly as ``load_pretrained`` gives them."""
    model = load_pretrained(name)
    _, (x_test, y_test) = load_fashion_mnist()
    x_test = to_model_input(x_test)
    loss, _ = model.evaluate(x_test, targets_for(model, y_test), verbose=0)
    probabilities = class_probabilities(model, model.predict(x_test, verbose=0))
    scores = evaluate_predictions(y_test, probabilities, CLASS_NAMES)
    return {"test_loss": round(float(loss), 4),
            **{key: round(float(scores[key]), 4) for key in ("accuracy", "precision", "recall", "f1")}}


def record(name, command, trained, history):
    """Write ``name.json``: how the weights were made, the run's metrics and per-epoch history
    (loss, accuracy, val_loss, val_accuracy on the test set, seconds: the curves), the shipped
    weights' metrics."""
    info = {"command": command, "made_by": "python -m minicnn.runs.make_pretrained",
            "weights": "float16, Keras order (model.get_weights()), no optimizer state",
            "trained": trained,
            "history": {key: [round(value, 4) for value in values] for key, values in history.items()}}
    write_json(PRETRAINED_DIR / f"{name}.json", info)        # load_pretrained needs only the weights
    info["shipped_float16"] = shipped_scores(name)
    write_json(PRETRAINED_DIR / f"{name}.json", info)
    print(f"{name}: {info['shipped_float16']}", flush=True)


def make(name):
    # The run folder is removed only when everything worked: a run takes up to an hour,
    # and its model.minicnn and metrics.json must survive a failure after it.
    run = Path(tempfile.mkdtemp(prefix=f"minicnn-pretrained-{name}-")) / "run"
    command, metrics, history = train_one(name, run)
    save_weights(name, load_model(run / "model.minicnn"))
    keep = ["model", "seed", "epochs", "batch_size", "validation", "data_source", "params",
            "test_accuracy", "test_loss", "precision", "recall", "f1", "seconds_per_epoch_mean"]
    record(name, command, {key: metrics.get(key) for key in keep}, history)
    shutil.rmtree(run.parent)


def main(argv=None):
    for name in (argv if argv else MODELS):
        make(name)


if __name__ == "__main__":
    main(sys.argv[1:])
