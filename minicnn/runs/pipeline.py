"""What ``python -m minicnn train`` and ``evaluate`` do, as plain functions.

A training run, step by step (:func:`train`):

1. settle the run's settings: the command line, else the model's recipe in
   ``minicnn.zoo`` (on ``--resume``: the run's own ``config.json``);
2. load the data (:mod:`minicnn.runs.data`: Fashion-MNIST, MNIST, CIFAR-10 or a
   folder of images) as model inputs in [0, 1];
3. build the model for the data's image shape and number of classes
   (``set_random_seed(seed)`` first, so the starting weights are reproducible),
   or load ``checkpoint.minicnn`` when resuming;
4. ``fit``, saving ``checkpoint.minicnn`` and ``history.json`` after every epoch;
5. score the model on the test set and write every output file
   (:mod:`minicnn.runs.outputs`).

Why resuming gives exactly the weights of an uninterrupted run: epoch ``e``
draws its shuffling and dropout masks from ``default_rng([seed, e])`` alone,
and the checkpoint holds the weights *and* Adam's moments after the last
finished epoch. Starting ``fit`` again at ``initial_epoch`` with the saved seed
replays the same arithmetic. A half-finished epoch is never saved: its
weights could not be continued exactly.
"""
import time
from pathlib import Path

import numpy as np

from .. import backend, zoo
from ..callbacks import Callback, ModelCheckpoint
from ..datasets.fashion import to_categorical
from ..interpret.recorder import PROBE_IMAGES, RECORDER_FILE, TrainingRecorder
from ..io.atomic import read_json, write_json
from ..losses import SparseCategoricalCrossentropy
from ..model import load_model
from .data import load_run_data

CHECKPOINT = "checkpoint.minicnn"
MODEL_FILE = "model.minicnn"
CONFIG_FILE = "config.json"
HISTORY_FILE = "history.json"
DEFAULT_MODEL = "dropout_cnn"
DEFAULT_VALIDATION_SPLIT = 0.1
# Settings a resumed run must share with the run it continues, or it would not replay it.
FIXED_ON_RESUME = ("model", "batch_size", "seed", "validation", "dataset", "image_size")


class RunError(Exception):
    """A problem the user can fix (a wrong option, a missing checkpoint); shown without a traceback."""


class TrainingInterrupted(Exception):
    """Ctrl-C during ``fit``; the message says what was saved and how to resume."""


# ----------------------------------------------------------------------------- settings
def new_config(model=None, epochs=None, batch_size=None, seed=None, out=None, data=None,
               sample=False, validation_split=None, dataset=None, image_size=None):
    """The settings of a fresh run; every ``None`` falls back to the model's recipe."""
    name = model or DEFAULT_MODEL
    recipe = zoo.get(name).training
    if validation_split is not None:  # asked for: hold out training images, whatever the recipe
        validation = validation_split
    else:
        validation = "test" if recipe["validate_on_test"] else DEFAULT_VALIDATION_SPLIT
    return {"model": name, "seed_project": recipe["seed_project"],
            "epochs": epochs or recipe["epochs"], "batch_size": batch_size or recipe["batch_size"],
            "seed": _random_seed() if seed is None else int(seed), "validation": validation,
            "out": str(out or default_out(name)), "data": None if data is None else str(data),
            "sample": bool(sample), "dataset": None if dataset is None else str(dataset),
            "image_size": None if image_size is None else [int(n) for n in image_size]}


def resumed_config(out, **given):
    """``out/config.json`` with the options given on the command line laid over it."""
    path = Path(out) / CONFIG_FILE
    if not (Path(out) / CHECKPOINT).is_file() or not path.is_file():
        raise RunError(f"Nothing to resume in {out}: it lacks {CHECKPOINT} or {CONFIG_FILE}. "
                       "Start a new run without --resume.")
    config = read_json(path)
    # The run is where it is now: a copied or moved folder, or a relative path given from another
    # working directory, resumes itself and never the folder it was first written to.
    config["out"] = str(out)
    for key, value in given.items():
        if value is None or value is False:
            continue
        if key in FIXED_ON_RESUME and value != config.get(key):   # runs made before --dataset lack it
            raise RunError(f"--resume continues the run in {out}, which used {key}={config.get(key)!r}; "
                           f"received {key}={value!r}. Drop the option, or start a new run.")
        config[key] = value
    return config


def default_out(model_name):
    """``runs/<model>-<YYYYmmdd-HHMMSS>``, relative to the working directory."""
    return Path("runs") / f"{model_name}-{time.strftime('%Y%m%d-%H%M%S')}"


def _random_seed():
    """A fresh seed, used when none is given; it is recorded, so the run can be repeated."""
    return int(np.random.SeedSequence().entropy % 2**31)


# ----------------------------------------------------------------------------- data
def load_data(dataset=None, data=None, sample=False, image_size=None, channels=3):
    """:func:`minicnn.runs.data.load_run_data`, with damaged files and wrong choices as ``RunError``.

    A missing data set raises the loader's ``DataNotFoundError``, which lists every place it looked.
    """
    try:
        return load_run_data(dataset, data, sample, image_size, channels)
    except ValueError as err:  # damaged files, an unreadable image, options that do not fit
        raise RunError(str(err)) from err


def targets_for(model, labels):
    """Labels as the model's loss wants them: integers for a sparse loss, else one-hot rows."""
    if isinstance(model.loss, SparseCategoricalCrossentropy):
        return labels.astype(np.int64)
    return to_categorical(labels, model.output_shape[-1])


# ----------------------------------------------------------------------------- files
class HistoryFile(Callback):
    """Keeps ``history.json`` up to date after every epoch, starting from ``previous`` on resume:
    the epoch's logs (Keras's keys) and ``seconds``, the epoch's time, which the run folder keeps."""

    def __init__(self, path, previous=None):
        self.path = Path(path)
        self.history = {key: list(values) for key, values in (previous or {}).items()}

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        for key, value in {**(logs or {}), "seconds": time.perf_counter() - self.started}.items():
            self.history.setdefault(key, []).append(float(value))
        write_json(self.path, self.history)


class Checkpoint(ModelCheckpoint):
    """``ModelCheckpoint`` that remembers how many epochs its file holds.

    ``between_epochs`` is False while an epoch is under way: the weights are then
    half-updated and must not be saved (see the module docstring).
    """

    def on_train_begin(self, logs=None):
        self.saved_epochs = getattr(self.model, "epochs_completed", 0)
        self.between_epochs = True

    def on_epoch_begin(self, epoch, logs=None):
        self.between_epochs = False

    def on_epoch_end(self, epoch, logs=None):
        self.between_epochs = True
        super().on_epoch_end(epoch, logs)
        self.saved_epochs = epoch + 1

    def save_if_behind(self):
        """After Ctrl-C: save a finished epoch that was not saved yet (Ctrl-C hit during its save)."""
        done = getattr(self.model, "epochs_completed", 0)
        if self.between_epochs and done > self.saved_epochs:
            self.model.save(self.filepath)
            self.saved_epochs = done
        return self.saved_epochs


# ----------------------------------------------------------------------------- training
def start_model(config, resume, input_shape=zoo.INPUT_SHAPE, num_classes=10):
    """``(model, previous_history)``: a fresh model from the zoo for this data, or the checkpoint's."""
    out = Path(config["out"])
    if not resume:
        backend.set_random_seed(config["seed"])
        return zoo.get(config["model"])(input_shape=tuple(input_shape), num_classes=num_classes), {}
    model = load_model(out / CHECKPOINT)
    history_path = out / HISTORY_FILE
    history = read_json(history_path) if history_path.is_file() else {}
    # history.json is written just before the checkpoint: it may hold one epoch more.
    return model, {key: values[:model.epochs_completed] for key, values in history.items()}


def fit_model(model, config, train_data, test_data, history_file, verbose=1, recorder=None):
    """Train up to ``config["epochs"]``, checkpointing every epoch; Ctrl-C -> TrainingInterrupted."""
    out = Path(config["out"])
    checkpoint = Checkpoint(out / CHECKPOINT)
    x, y = train_data
    validation = {"validation_data": test_data} if config["validation"] == "test" \
        else {"validation_split": config["validation"]}
    try:
        model.fit(x, y, epochs=config["epochs"], batch_size=config["batch_size"], seed=config["seed"],
                  initial_epoch=getattr(model, "epochs_completed", 0), shuffle=True,
                  callbacks=[history_file, checkpoint, *filter(None, [recorder])], verbose=verbose, **validation)
    except KeyboardInterrupt:
        raise TrainingInterrupted(interrupted_message(out, checkpoint.save_if_behind(), config)) from None


def interrupted_message(out, saved_epochs, config):
    """What Ctrl-C saved and the command that continues the run."""
    if saved_epochs == 0:
        return (f"Interrupted during epoch 1 of {config['epochs']}: no epoch was finished, "
                "so there is nothing to resume. Run the same command again to start over.")
    epochs = "epoch 1" if saved_epochs == 1 else f"epochs 1-{saved_epochs}"
    return (f"Interrupted. {out / CHECKPOINT} holds {epochs} of {config['epochs']}.\n"
            f"Resume with: python -m minicnn train --out {out} --resume")


def train(config, resume=False, verbose=1):
    """Run a whole training job, as the module docstring describes; returns the metrics dict."""
    out = Path(config["out"])
    if not resume and (out / CHECKPOINT).exists():
        raise RunError(f"{out} already holds a run ({CHECKPOINT}). Continue it with --resume, "
                       "or choose another --out.")
    data = load_data(config.get("dataset"), config["data"], config["sample"], config.get("image_size"))
    model, previous = start_model(config, resume, data.input_shape, len(data.class_names))
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / CONFIG_FILE, config)
    train_data = (data.x_train, targets_for(model, data.y_train))
    test_data = (data.x_test, targets_for(model, data.y_test))
    history_file = HistoryFile(out / HISTORY_FILE, previous)
    _say(verbose, f"Training {config['model']} on {len(data.x_train):,} images from {data.source}: "
                  f"epochs {getattr(model, 'epochs_completed', 0) + 1}-{config['epochs']}, "
                  f"batch {config['batch_size']}, seed {config['seed']}; writing to {out}")
    # What each layer did, per epoch (recorder.json; the report and `minicnn explain` show it).
    recorder = TrainingRecorder.continuing(train_data[0][:PROBE_IMAGES], out / RECORDER_FILE,
                                           getattr(model, "epochs_completed", 0))
    fit_model(model, config, train_data, test_data, history_file, verbose, recorder)
    model.save(out / MODEL_FILE)
    from .outputs import score_model, write_outputs  # imports matplotlib: only when needed
    _say(verbose, f"Evaluating on {len(data.x_test):,} test images")
    scores = score_model(model, *test_data, verbose=verbose)
    info = run_info(config, model, data, history_file.history)
    return write_outputs(out, model, scores, data, info, history_file.history, recorder=recorder.records)


def run_info(config, model, data, history):
    """The facts about the run that ``metrics.json`` and the report carry besides the scores."""
    seconds = history.get("seconds", [])
    return {"model": config["model"], "seed_project": config["seed_project"], "seed": config["seed"],
            "epochs": int(getattr(model, "epochs_completed", 0)), "batch_size": config["batch_size"],
            "validation": config["validation"], "data_source": data.source, "dataset": data.title,
            "params": int(model.count_params()), "seconds_per_epoch": seconds,
            "seconds_per_epoch_mean": float(np.mean(seconds)) if seconds else None}


def evaluate_file(model_file, out=None, data=None, sample=False, verbose=1, dataset=None):
    """Score a saved model on the test set and write the same files a training run ends with.

    Without ``dataset``, a run folder's own data set (its ``config.json``) is used, else Fashion-MNIST.
    """
    if Path(model_file).is_dir():  # a run folder: take its final model
        model_file = Path(model_file) / MODEL_FILE
    if not Path(model_file).is_file():
        raise RunError(f"No model file at {model_file}. Pass the model.minicnn of a run, "
                       "e.g. runs/dropout_cnn-.../model.minicnn.")
    model = load_model(model_file)
    data = data_for_model(model, model_file, dataset, data, sample)
    out = Path(out or Path("runs") / f"{model.name}-evaluate-{time.strftime('%Y%m%d-%H%M%S')}")
    out.mkdir(parents=True, exist_ok=True)
    _say(verbose, f"Evaluating {model_file} on {len(data.x_test):,} test images from {data.source}")
    from .outputs import score_model, write_outputs
    scores = score_model(model, data.x_test, targets_for(model, data.y_test), verbose=verbose)
    info = {"model": model.name, "model_file": str(model_file), "data_source": data.source,
            "dataset": data.title, "epochs": int(getattr(model, "epochs_completed", 0)),
            "params": int(model.count_params()), "seed": getattr(model, "fit_seed", None)}
    return write_outputs(out, model, scores, data, info, history=None)


def data_for_model(model, model_file, dataset=None, data=None, sample=False):
    """The test data for a saved model: ``dataset`` if given, else the data set its run folder trained
    on (``config.json`` beside the model), else Fashion-MNIST; a folder is read at the model's input size."""
    config_path = Path(model_file).parent / CONFIG_FILE
    if dataset is None and data is None and not sample and config_path.is_file():
        dataset = read_json(config_path).get("dataset")   # MNIST, CIFAR-10, a folder
    height, width, channels = model.input_shape
    data = load_data(dataset, data, sample, (height, width), channels)
    if data.input_shape != tuple(model.input_shape):
        raise RunError(f"The model takes images of shape {tuple(model.input_shape)}; {data.title} has "
                       f"{data.input_shape}. Pass the data set it was trained on with --dataset.")
    return data


def _say(verbose, message):
    if verbose:
        print(message, flush=True)
