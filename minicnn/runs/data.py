"""Which data a run uses: ``--dataset fashion_mnist|mnist|cifar10|FOLDER`` (with ``--data``, ``--sample``).

    >>> from minicnn.runs.data import load_run_data
    >>> data = load_run_data(sample=True)
    >>> data.x_train.shape, data.x_test.dtype, data.class_names[:2]
    ((1600, 28, 28, 1), dtype('float32'), ['T-shirt/top', 'Trouser'])

Whatever the source, a run gets model inputs ``(N, H, W, C)`` in [0, 1] (pixels / 255),
integer labels ``(N,)``, the class names and a line saying where the data came from:

- ``fashion_mnist`` (the default), ``mnist``, ``cifar10``: their own training and
  test sets; ``--data DIR`` names the folder that holds the files;
- a folder of images, one subfolder per class (:func:`minicnn.datasets.image_dataset_from_directory`):
  read at ``image_size`` (default 64 x 64, so a zoo model's Flatten-Dense head stays
  small), and split once, with the fixed seed ``FOLDER_SPLIT_SEED``, into the
  training images and ``FOLDER_TEST_SPLIT`` held out as the test set. The same
  folder therefore gives the same test images to ``train``, ``evaluate`` and ``explain``.
"""
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..backend import floatx
from ..datasets import cifar10, mnist
from ..datasets.fashion import CLASS_NAMES, load_files, to_model_input
from ..datasets.files import locate_data
from ..datasets.folder import image_dataset_from_directory
from ..datasets.sample import SAMPLE_PATH, load_sample

NAMED = {"fashion_mnist": "Fashion-MNIST", "mnist": "MNIST", "cifar10": "CIFAR-10"}
DEFAULT_IMAGE_SIZE = (64, 64)
FOLDER_TEST_SPLIT = 0.2
FOLDER_SPLIT_SEED = 0
COLOR_MODES = {1: "grayscale", 3: "rgb", 4: "rgba"}   # channels -> the folder loader's color_mode


@dataclass
class RunData:
    """The data of a run: model inputs in [0, 1], integer labels, class names, where it came from."""
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: list
    source: str
    title: str                     # "Fashion-MNIST", "CIFAR-10", or the folder's name

    @property
    def input_shape(self):
        return tuple(self.x_train.shape[1:])


class DataChoiceError(ValueError):
    """``--dataset``, ``--data`` and ``--sample`` do not fit together, or name nothing."""


def describe(dataset):
    """``(kind, value)``: ``("named", "mnist")``, ``("folder", Path)``, or ``("named", "fashion_mnist")`` for None."""
    if dataset is None or dataset in NAMED:
        return "named", dataset or "fashion_mnist"
    folder = Path(dataset)
    if not folder.is_dir():
        raise DataChoiceError(f"--dataset {dataset}: not one of {', '.join(NAMED)} and no such folder. "
                              "Give a data set's name or a folder with one subfolder of images per class.")
    return "folder", folder


def load_run_data(dataset=None, data=None, sample=False, image_size=None, channels=3):
    """The :class:`RunData` of ``--dataset``/``--data``/``--sample``.

    ``image_size`` and ``channels`` only matter for a folder (default 64 x 64, RGB); a saved
    model passes its own input shape.
    """
    kind, value = describe(dataset)
    if sample and (kind == "folder" or value != "fashion_mnist"):
        raise DataChoiceError("--sample is the bundled Fashion-MNIST sample; leave out --dataset, "
                              f"or --sample. Received --dataset {dataset}.")
    if kind == "folder":
        if data is not None:
            raise DataChoiceError(f"--data names the folder of a named data set; --dataset {dataset} is "
                                  "a folder already. Leave out --data.")
        return _folder_data(value, image_size or DEFAULT_IMAGE_SIZE, channels)
    if sample:
        (x_train, y_train), (x_test, y_test) = load_sample()
        source, names = f"bundled sample ({SAMPLE_PATH.name})", CLASS_NAMES
    elif value == "fashion_mnist":
        label, directory, files = locate_data(data)
        (x_train, y_train), (x_test, y_test) = load_files(files)
        source, names = f"{directory} ({label})", CLASS_NAMES
    else:
        module = {"mnist": mnist, "cifar10": cifar10}[value]
        (x_train, y_train), (x_test, y_test) = getattr(module, f"load_{value}")(data)
        source, names = f"{NAMED[value]}{f' in {data}' if data else ''}", module.CLASS_NAMES
    return RunData(to_model_input(x_train), _labels(y_train), to_model_input(x_test), _labels(y_test),
                   list(names), source, NAMED[value])


def _labels(y):
    """Integer labels ``(N,)``: CIFAR-10's ``(N, 1)`` flattened, uint8 widened."""
    return np.asarray(y).reshape(-1).astype(np.int64)


def _folder_data(folder, image_size, channels):
    if channels not in COLOR_MODES:
        raise DataChoiceError(f"A folder of images can be read with 1, 3 or 4 channels; the model "
                              f"expects {channels}.")
    train, test = image_dataset_from_directory(folder, color_mode=COLOR_MODES[channels], image_size=image_size,
                                               seed=FOLDER_SPLIT_SEED, validation_split=FOLDER_TEST_SPLIT,
                                               subset="both")
    source = (f"{folder} ({len(train.file_paths) + len(test.file_paths)} images, {FOLDER_TEST_SPLIT:.0%} "
              f"held out as the test set with seed {FOLDER_SPLIT_SEED}, read at {image_size[0]}x{image_size[1]})")
    return RunData(_unit_range(train[0]), _labels(train[1]), _unit_range(test[0]), _labels(test[1]),
                   list(train.class_names), source, Path(folder).name)


def _unit_range(images):
    """The folder loader's 0..255 floats (as Keras's) divided by 255: the [0, 1] a model wants."""
    return (images / 255).astype(floatx())
