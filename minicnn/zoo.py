"""The model zoo: the architectures of the five seed projects, with their training settings.

Each builder returns a compiled ``Sequential`` for 28x28x1 inputs and carries
the seed project's settings in ``builder.training`` (epochs, batch size, whether
the test set served as validation data)::

    >>> from minicnn import zoo
    >>> zoo.list_models()
    ['bn_cnn', 'cnn_32_64_128', 'cnn_32_64_64', 'dropout_cnn', 'gap_cnn', 'simple_cnn']
    >>> builder = zoo.get("dropout_cnn")
    >>> builder.training["epochs"], builder.training["batch_size"]
    (5, 300)
    >>> builder().count_params()
    421642
"""
import json
from pathlib import Path

import numpy as np

from . import schedules
from .layers import (BatchNormalization, Conv2D, Dense, Dropout, Flatten, GlobalAveragePooling2D, MaxPooling2D,
                     RandomFlip, ZeroPadding2D)
from .io.archive import explained
from .losses import SparseCategoricalCrossentropy
from .model import Sequential
from .optimizers import Adam

INPUT_SHAPE = (28, 28, 1)
PRETRAINED_DIR = Path(__file__).resolve().parent / "pretrained"
_REGISTRY = {}


def recipe(epochs, batch_size, seed_project, validate_on_test=False):
    """Register a builder under its function name with the seed project's settings."""
    def register(builder):
        builder.training = {"epochs": epochs, "batch_size": batch_size,
                            "validate_on_test": validate_on_test, "seed_project": seed_project}
        _REGISTRY[builder.__name__] = builder
        return builder
    return register


@recipe(epochs=5, batch_size=300, seed_project="001", validate_on_test=True)
def dropout_cnn(input_shape=INPUT_SHAPE, num_classes=10):
    """Seed 001: zero padding + two 3x3 conv layers, dropout 0.5 after each, Adam, one-hot
    categorical cross-entropy; 5 epochs at batch 300 on all 60,000 training images (the
    test set only monitored) gave 89.36% test accuracy there."""
    model = Sequential([
        ZeroPadding2D(1), Conv2D(32, 3, activation="relu"), Dropout(0.5), MaxPooling2D(2),
        ZeroPadding2D(1), Conv2D(64, 3, activation="relu"), Dropout(0.5), MaxPooling2D(2),
        Flatten(), Dense(128, activation="relu"), Dropout(0.5), Dense(num_classes, activation="softmax"),
    ], input_shape=input_shape, name="dropout_cnn")
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


@recipe(epochs=10, batch_size=32, seed_project="004", validate_on_test=True)
def cnn_32_64_64(input_shape=INPUT_SHAPE, num_classes=10):
    """Seed 004: conv 32-64-64 with max pooling, Dense(64), a logits head and sparse
    cross-entropy from logits; Adam, 10 epochs, the test set as validation data."""
    model = Sequential([
        Conv2D(32, 3, activation="relu"), MaxPooling2D(2),
        Conv2D(64, 3, activation="relu"), MaxPooling2D(2),
        Conv2D(64, 3, activation="relu"),
        Flatten(), Dense(64, activation="relu"), Dense(num_classes),
    ], input_shape=input_shape, name="cnn_32_64_64")
    model.compile(optimizer="adam", loss=SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    return model


@recipe(epochs=20, batch_size=128, seed_project="003", validate_on_test=True)
def cnn_32_64_128(input_shape=INPUT_SHAPE, num_classes=10):
    """Seed 003: three conv blocks of 32, 64 and 128 filters with pooling and dropout, then a
    dense head; seed 003 reports 91.03% test accuracy. 20 epochs at batch 128 with Adam
    (this much dropout still gains after 15 epochs: one full run gave 90.75% at 15, 91.42% at 20)."""
    model = Sequential([
        Conv2D(32, 3, activation="relu"), MaxPooling2D(2), Dropout(0.25),
        Conv2D(64, 3, activation="relu"), MaxPooling2D(2), Dropout(0.25),
        Conv2D(128, 3, activation="relu"), Dropout(0.25),
        Flatten(), Dense(128, activation="relu"), Dropout(0.5), Dense(num_classes, activation="softmax"),
    ], input_shape=input_shape, name="cnn_32_64_128")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


@recipe(epochs=10, batch_size=64, seed_project="002", validate_on_test=True)
def simple_cnn(input_shape=INPUT_SHAPE, num_classes=10):
    """Seed 002: two conv + max-pool blocks and a dense softmax head; Adam, categorical
    cross-entropy, validated on the test set (seed 002 reports about 89-91%)."""
    model = Sequential([
        Conv2D(32, 3, activation="relu"), MaxPooling2D(2),
        Conv2D(64, 3, activation="relu"), MaxPooling2D(2),
        Flatten(), Dense(128, activation="relu"), Dense(num_classes, activation="softmax"),
    ], input_shape=input_shape, name="simple_cnn")
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


@recipe(epochs=10, batch_size=128, seed_project="000", validate_on_test=True)
def gap_cnn(input_shape=INPUT_SHAPE, num_classes=10):
    """Seed 000: conv blocks ending in GlobalAveragePooling2D + Dense(softmax), the head that
    Class Activation Maps need: class c's map is sum_k w[k, c] * A_k over the last conv maps."""
    model = Sequential([
        Conv2D(32, 3, padding="same", activation="relu"), MaxPooling2D(2),
        Conv2D(64, 3, padding="same", activation="relu"), MaxPooling2D(2),
        Conv2D(128, 3, padding="same", activation="relu"),
        GlobalAveragePooling2D(), Dense(num_classes, activation="softmax"),
    ], input_shape=input_shape, name="gap_cnn")
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


@recipe(epochs=20, batch_size=128, seed_project="002")
def bn_cnn(input_shape=INPUT_SHAPE, num_classes=10):
    """Seed 002's "how would you improve it", answered: three conv blocks, each followed by
    BatchNormalization, random horizontal flips of the training images, dropout in the head,
    and Adam with a learning rate that shrinks by 10% per epoch (469 steps at batch 128), for
    20 epochs.

    BatchNormalization sits after each block's pooling, where the maps are 4x smaller (the
    conv + ReLU + max-pool stays one fused fast block).

    The rate's decay and the number of epochs were chosen on validation data
    (``python -m minicnn.course.experiments bn_cnn_recipe``, ``minicnn/course/results/``):
    trained on the first 50,000 training images with seeds 0 and 1, validated on the last
    10,000, decay x0.9 reached a mean validation accuracy of 93.25% after epoch 20 (the last
    one run; the curve still rose by about 0.05 points an epoch), x0.8 at most 93.10% (epoch 11);
    seed to seed, the runs differed by about 0.1 point, so the two are close. The chosen
    models' test accuracy, read once afterwards: 92.56% ± 0.09%. (An earlier recipe of 28
    epochs reached 93.62% on the test set trained on all 60,000 images, but it was chosen by
    watching that test set.) ``python -m minicnn train --model bn_cnn`` holds out 10% of the
    training images for validation, as it does for every recipe that is not a seed project's.
    """
    steps_per_epoch = -(-60000 // 128)
    model = Sequential([
        RandomFlip("horizontal"),
        Conv2D(32, 3, padding="same", activation="relu"), MaxPooling2D(2), BatchNormalization(),
        Conv2D(64, 3, padding="same", activation="relu"), MaxPooling2D(2), BatchNormalization(),
        Conv2D(128, 3, padding="same", activation="relu"), MaxPooling2D(2), BatchNormalization(),
        Flatten(), Dropout(0.3), Dense(128, activation="relu"), Dropout(0.3),
        Dense(num_classes, activation="softmax"),
    ], input_shape=input_shape, name="bn_cnn")
    rate = schedules.ExponentialDecay(1e-3, decay_steps=steps_per_epoch, decay_rate=0.9, staircase=True)
    model.compile(optimizer=Adam(rate), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def list_models():
    """Names of the zoo's architectures, sorted."""
    return sorted(_REGISTRY)


def get(name):
    """The builder called ``name``; its ``.training`` dict holds the seed's settings."""
    if name not in _REGISTRY:
        raise ValueError(f"Unknown model {name!r}. Known models: {', '.join(list_models())}.")
    return _REGISTRY[name]


def _shipped_file(name, suffix):
    path = PRETRAINED_DIR / f"{name}{suffix}"
    if not path.is_file():
        shipped = sorted(p.stem for p in PRETRAINED_DIR.glob("*.npz"))
        raise ValueError(f"No pretrained weights for {name!r}. Shipped: {', '.join(shipped) or 'none'} "
                         "(python -m minicnn.runs.make_pretrained makes them).")
    return path


def pretrained_info(name):
    """What ``name``'s shipped weights are: the command that trained them, data, epochs, metrics."""
    return json.loads(_shipped_file(name, ".json").read_text(encoding="utf-8"))


def load_pretrained(name):
    """The zoo model ``name``, compiled, with the weights that ship with minicnn.

    They were trained by ``python -m minicnn train --model NAME --seed 0`` on the full
    Fashion-MNIST and are stored as float16 (``pretrained_info(name)`` has the command and
    the test metrics of exactly these weights). The optimizer starts afresh: no state ships.
    """
    model = get(name)()
    path = _shipped_file(name, ".npz")
    with explained(path, "the shipped weights are damaged", "Reinstall minicnn (pip install --force-reinstall "
                   "minicnn) or, from a clone, restore the file with git."):
        with np.load(path, allow_pickle=False) as stored:
            model.set_weights([stored[key] for key in sorted(stored.files)])
    return model
