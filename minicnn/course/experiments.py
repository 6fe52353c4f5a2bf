"""Seed 002's questions as honest experiments: several seeds, a validation split, the test set last.

Each setting (more filters, more layers, dropout, batch normalisation, augmentation, L2, the
learning rate) changes one thing of ``lab.small_cnn`` and trains with several seeds. The
validation images are the *last* ones of the training set, never seen in training; the test
set is scored too, but a notebook quotes it only for the setting chosen on validation.

    python -m minicnn.course.experiments settings     # the full run (notebook 06 reads its file)
    python -m minicnn.course.experiments bn_cnn --decay 0.9 --seed 0   # one bn_cnn run, validation per epoch
    python -m minicnn.course.experiments bn_cnn_recipe  # bn_cnn's decay and epochs chosen on validation

Each writes JSON into ``minicnn/course/results/``: ``settings`` after every run, skipping the
runs its file already holds (a stopped job continues where it stopped); ``bn_cnn`` after
every epoch; ``bn_cnn_recipe`` reads the bn_cnn files and writes the choice.
"""
import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

RESULTS_DIR = Path(__file__).resolve().parent / "results"
SETTINGS_FILE = RESULTS_DIR / "settings.json"
BN_CNN_FILE = RESULTS_DIR / "bn_cnn_recipe.json"

# One change each against the baseline (lab.small_cnn(hidden=128), Adam 1e-3).
SETTINGS = {
    "baseline": {},
    "more filters (32, 64)": {"filters": (32, 64)},
    "more layers (16, 32, 64)": {"filters": (16, 32, 64)},
    "dropout 0.5": {"dropout": 0.5},
    "batch normalisation": {"batch_norm": True, "bn_momentum": 0.9},
    "augmentation": {"augment": True},
    "L2 0.001": {"l2": 1e-3},
    "learning rate 1e-4": {"learning_rate": 1e-4},
    "learning rate 1e-2": {"learning_rate": 1e-2},
}
# What the full run used (FAST mode: one seed, the bundled sample, 2 epochs).
FULL = {"n_train": 5000, "n_validation": 5000, "epochs": 15, "batch_size": 64, "hidden": 128, "seeds": [0, 1, 2]}


def validation_split(x, y, n_train, n_validation):
    """``(x_train, y_train), (x_val, y_val)``: the first ``n_train`` images and the last ``n_validation``."""
    if n_train + n_validation > len(x):
        raise ValueError(f"n_train + n_validation = {n_train + n_validation} exceeds the {len(x)} training images.")
    return (x[:n_train], y[:n_train]), (x[-n_validation:], y[-n_validation:])


def build(setting, seed, hidden):
    """``lab.small_cnn`` with ``setting``'s one change, initialised from ``seed``."""
    from ..layers import RandomFlip, RandomTranslation
    from ..optimizers import Adam
    from . import lab
    options = dict(setting)
    learning_rate = options.pop("learning_rate", 1e-3)
    extra = [RandomFlip("horizontal"), RandomTranslation(0.1, 0.1)] if options.pop("augment", False) else []
    return lab.small_cnn(optimizer=Adam(learning_rate), extra=extra, hidden=hidden, seed=seed, **options)


def run_one(setting, seed, train, validation, test, epochs, batch_size, hidden):
    """Train one setting with one seed; its curves, validation accuracy (last and best epoch), test accuracy."""
    model = build(setting, seed, hidden)
    start = time.perf_counter()
    history = model.fit(*train, epochs=epochs, batch_size=batch_size, validation_data=validation,
                        seed=seed, verbose=0).history
    seconds = time.perf_counter() - start
    curves = {key: [float(v) for v in history[key]] for key in ("loss", "accuracy", "val_loss", "val_accuracy")}
    return {"seed": seed, "seconds": round(seconds, 1), **curves,
            "val_accuracy_last": curves["val_accuracy"][-1], "val_accuracy_best": max(curves["val_accuracy"]),
            "test_accuracy": float(model.evaluate(*test, verbose=0)[1])}


def run_settings(data, settings=SETTINGS, seeds=(0,), n_train=4000, n_validation=5000, epochs=15, batch_size=64,
                 hidden=128, out=None, say=print):
    """Every setting with every seed: ``{"config": ..., "runs": {name: [run, ...]}}``.

    ``data`` is ``course.load_data()``'s ``((x_train, y_train), (x_test, y_test))``. With
    ``out``, the results are written after each run and runs already in the file are skipped.
    """
    (x, y), test = data
    train, validation = validation_split(x, y, n_train, n_validation)
    config = {"n_train": n_train, "n_validation": n_validation, "epochs": epochs, "batch_size": batch_size,
              "hidden": hidden, "seeds": list(seeds), "settings": {k: _jsonable(v) for k, v in settings.items()}}
    results = {"config": config, "runs": {}}
    if out is not None and Path(out).is_file():
        previous = json.loads(Path(out).read_text())
        if previous["config"] == config:
            results = previous
    for name, setting in settings.items():
        done = {run["seed"] for run in results["runs"].get(name, [])}
        for seed in seeds:
            if seed in done:
                continue
            run = run_one(setting, seed, train, validation, test, epochs, batch_size, hidden)
            results["runs"].setdefault(name, []).append(run)
            say(f"{name:26s} seed {seed}: validation {run['val_accuracy_last']:.2%} (best {run['val_accuracy_best']:.2%}),"
                f" {run['seconds']:.0f} s")
            if out is not None:
                _write(out, results)
    return results


def summary(results, key="val_accuracy_last"):
    """One row per setting: ``(name, mean, standard deviation, lowest, highest, seeds)`` of ``key``."""
    rows = []
    for name, runs in results["runs"].items():
        values = np.array([run[key] for run in runs])
        spread = float(values.std(ddof=1)) if len(values) > 1 else float("nan")
        rows.append((name, float(values.mean()), spread, float(values.min()), float(values.max()),
                     [run["seed"] for run in runs]))
    return rows


def plot_summary(results, key="val_accuracy_last", ax=None):
    """Mean over seeds with error bars (one standard deviation) and every seed's dot; returns the Figure."""
    from matplotlib.figure import Figure
    fig = None
    if ax is None:
        fig = Figure(figsize=(8, 4), layout="constrained")
        ax = fig.add_subplot()
    rows = summary(results, key)
    positions = np.arange(len(rows))
    means = np.array([row[1] for row in rows])
    spreads = np.nan_to_num(np.array([row[2] for row in rows]))
    ax.errorbar(means, positions, xerr=spreads, fmt="o", color="C0", capsize=4, label="mean ± 1 std over seeds")
    for position, (name, *_rest) in zip(positions, rows):
        values = [run[key] for run in results["runs"][name]]
        ax.plot(values, [position] * len(values), "x", color="C1", markersize=5,
                label="one seed" if position == 0 else None)
    ax.axvline(means[0], color="0.6", linestyle="--", linewidth=1)
    ax.set_yticks(positions, [row[0] for row in rows])
    ax.invert_yaxis()
    ax.set_xlabel(key.replace("_", " "))
    ax.grid(True, axis="x", alpha=0.3)
    ax.legend(fontsize=8)
    return fig if fig is not None else ax.figure


# ----------------------------------------------------------------------------- bn_cnn's recipe
def run_bn_cnn(data, decay_rate, epochs=30, seed=0, n_validation=10000, batch_size=128, out=None, say=print):
    """``zoo.bn_cnn`` trained on all but the last ``n_validation`` training images, Adam 1e-3 times
    ``decay_rate`` per epoch; validation and test accuracy after every epoch (the choice of
    epochs and decay uses only the validation column)."""
    from .. import zoo
    from ..callbacks import Callback
    from ..optimizers import Adam
    from ..schedules import ExponentialDecay
    (x, y), test = data
    train, validation = validation_split(x, y, len(x) - n_validation, n_validation)
    model = zoo.bn_cnn()
    steps_per_epoch = -(-len(train[0]) // batch_size)
    model.compile(optimizer=Adam(ExponentialDecay(1e-3, decay_steps=steps_per_epoch, decay_rate=decay_rate,
                                                  staircase=True)),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    record = {"decay_rate": decay_rate, "seed": seed, "n_train": len(train[0]), "n_validation": n_validation,
              "batch_size": batch_size, "epochs": [], "val_accuracy": [], "test_accuracy": [], "seconds": []}

    class Scores(Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            record["seconds"].append(round(time.perf_counter() - self.start, 1))
            record["epochs"].append(epoch + 1)
            record["val_accuracy"].append(float(logs["val_accuracy"]))
            record["test_accuracy"].append(float(model.evaluate(*test, verbose=0)[1]))
            say(f"decay {decay_rate} seed {seed} epoch {epoch + 1}: validation {record['val_accuracy'][-1]:.2%}")
            if out is not None:
                _write(out, record)

    model.fit(*train, epochs=epochs, batch_size=batch_size, validation_data=validation, seed=seed, verbose=0,
              callbacks=[Scores()])
    return record


def choose_bn_cnn_recipe(records):
    """The decay rate and number of epochs with the highest validation accuracy, averaged over seeds.

    ``records`` are ``run_bn_cnn``'s, one per (decay rate, seed). For each decay rate, every
    epoch that all its seeds reached is a candidate; the choice reads only the validation
    accuracies, and the test accuracy of the chosen epoch is looked up afterwards, once.
    Returns ``{"decay_rate", "epochs", "seeds", "val_mean", "val_std", "test_mean", "test_std",
    "candidates": {decay: [mean validation accuracy per epoch]}}``.
    """
    by_decay = {}
    for record in records:
        by_decay.setdefault(record["decay_rate"], []).append(record)
    candidates, best = {}, None
    for decay, runs in sorted(by_decay.items()):
        reached = min(len(run["val_accuracy"]) for run in runs)
        means = [float(np.mean([run["val_accuracy"][epoch] for run in runs])) for epoch in range(reached)]
        candidates[decay] = means
        epoch = int(np.argmax(means))
        if best is None or means[epoch] > best[2]:
            best = (decay, epoch, means[epoch])
    if best is None:
        raise ValueError("no bn_cnn runs to choose from: run python -m minicnn.course.experiments bn_cnn first.")
    decay, epoch, _ = best
    runs = by_decay[decay]
    val = [run["val_accuracy"][epoch] for run in runs]
    test = [run["test_accuracy"][epoch] for run in runs]
    spread = (lambda values: float(np.std(values, ddof=1)) if len(values) > 1 else None)
    return {"decay_rate": decay, "epochs": epoch + 1, "seeds": sorted(run["seed"] for run in runs),
            "val_mean": float(np.mean(val)), "val_std": spread(val),
            "test_mean": float(np.mean(test)), "test_std": spread(test), "candidates": candidates}


def _jsonable(setting):
    return {key: list(value) if isinstance(value, tuple) else value for key, value in setting.items()}


def _write(path, payload):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(payload, indent=1))
    os.replace(temporary, path)


def main(argv=None):
    from . import load_data
    parser = argparse.ArgumentParser(prog="python -m minicnn.course.experiments", description=__doc__.split("\n")[0])
    parser.add_argument("job", choices=["settings", "bn_cnn", "bn_cnn_recipe"],
                        help="bn_cnn_recipe: choose decay and epochs from the bn_cnn runs in results/")
    parser.add_argument("--decay", type=float, default=0.9, help="bn_cnn: learning-rate factor per epoch")
    parser.add_argument("--epochs", type=int, default=30, help="bn_cnn: epochs")
    parser.add_argument("--seed", type=int, default=0, help="bn_cnn: seed")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.job == "bn_cnn_recipe":
        records = [json.loads(path.read_text()) for path in sorted(RESULTS_DIR.glob("bn_cnn_decay*_seed*.json"))]
        chosen = choose_bn_cnn_recipe(records)
        for decay, means in chosen["candidates"].items():
            print(f"decay {decay}: mean validation accuracy by epoch " + " ".join(f"{m:.2%}" for m in means))
        print(f"chosen on validation: decay {chosen['decay_rate']}, {chosen['epochs']} epochs, seeds {chosen['seeds']}:"
              f" validation {chosen['val_mean']:.2%}, test {chosen['test_mean']:.2%}"
              + (f" ± {chosen['test_std']:.2%}" if chosen["test_std"] is not None else ""))
        _write(args.out or BN_CNN_FILE, chosen)
    elif args.job == "settings":
        run_settings(load_data(), out=args.out or SETTINGS_FILE, **FULL)
    else:
        out = args.out or RESULTS_DIR / f"bn_cnn_decay{args.decay}_seed{args.seed}.json"
        run_bn_cnn(load_data(), args.decay, epochs=args.epochs, seed=args.seed, out=out)

if __name__ == "__main__":
    main()
