"""CIFAR-10: 60,000 colour images of 32 x 32 pixels in 10 classes, as ``keras.datasets.cifar10`` gives them.

    >>> from minicnn.datasets import cifar10
    >>> (x_train, y_train), (x_test, y_test) = cifar10.load_data()   # doctest: +SKIP
    >>> x_train.shape, y_train.shape, y_train.dtype                   # doctest: +SKIP
    ((50000, 32, 32, 3), (50000, 1), dtype('uint8'))

The labels are shaped (N, 1), as Keras returns them; minicnn's sparse losses and
metrics accept them as Keras's do.

We read CIFAR-10's *binary* version (``cifar-10-binary.tar.gz``), which holds no
pickles (Keras reads the Python version, and unpickling a file can run code). Each
of its six files ``data_batch_1.bin`` ... ``data_batch_5.bin``, ``test_batch.bin`` is
a run of 3,073-byte records::

    byte 0        the label, 0..9
    bytes 1-1024  the red plane, 32 rows of 32 pixels
    the next 1024 green, then 1024 blue

so one file is an array (N, 3073): column 0 the labels, the rest reshaped to
(N, 3, 32, 32) and moved to channels-last (N, 32, 32, 3). The files are read
straight from the archive (nothing is extracted), or from an extracted
``cifar-10-batches-bin`` folder. They are looked for in ``path``, ``$CIFAR10_DIR``
and the user cache (``~/.cache/minicnn/cifar10``), then downloaded, checksum-verified.
"""
import tarfile
import zlib
from pathlib import Path

import numpy as np

from . import download

CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
ARCHIVE = "cifar-10-binary.tar.gz"
FOLDER = "cifar-10-batches-bin"
TRAIN_FILES = tuple(f"data_batch_{i}.bin" for i in range(1, 6))
TEST_FILES = ("test_batch.bin",)
RECORD = 1 + 3 * 32 * 32
ENV_VAR = "CIFAR10_DIR"


def is_complete(folder):
    """True when ``folder`` holds the archive or the extracted ``cifar-10-batches-bin`` folder."""
    folder = Path(folder)
    extracted = folder / FOLDER
    return (folder / ARCHIVE).is_file() or all((extracted / name).is_file() for name in TRAIN_FILES + TEST_FILES)


def parse_batch(data, name):
    """``(images (N, 32, 32, 3) uint8, labels (N, 1) uint8)`` from the bytes of one ``.bin`` file."""
    if len(data) == 0 or len(data) % RECORD:
        raise ValueError(f"{name} is truncated or not a CIFAR-10 batch: {len(data)} bytes is not a whole "
                         f"number of {RECORD}-byte records. Delete it and fetch it again "
                         "(python datasets.py fetch --dataset cifar10).")
    records = np.frombuffer(data, dtype=np.uint8).reshape(-1, RECORD)
    images = records[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)      # (N, C, H, W) -> (N, H, W, C)
    labels = records[:, :1].copy()                                             # (N, 1), as Keras
    if labels.max() >= len(CLASS_NAMES):
        raise ValueError(f"{name} holds label {labels.max()}; CIFAR-10's labels are 0..9. Is it the right file?")
    return np.ascontiguousarray(images), labels


def read_batches(folder):
    """``{file name: bytes}`` of the six batch files, from the archive or the extracted folder."""
    folder = Path(folder)
    if not (folder / ARCHIVE).is_file():
        return {name: (folder / FOLDER / name).read_bytes() for name in TRAIN_FILES + TEST_FILES}
    archive = folder / ARCHIVE
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = {Path(member.name).name: member for member in tar.getmembers() if member.isfile()}
            missing = [name for name in TRAIN_FILES + TEST_FILES if name not in members]
            if missing:
                raise ValueError(f"{archive} lacks {', '.join(missing)}. Is it cifar-10-binary.tar.gz?")
            return {name: tar.extractfile(members[name]).read() for name in TRAIN_FILES + TEST_FILES}
    except (tarfile.TarError, EOFError, zlib.error, OSError) as err:
        raise ValueError(f"{archive} is truncated or damaged ({err}). Delete it and fetch it again "
                         "(python datasets.py fetch --dataset cifar10).") from err


def load_cifar10(path=None, download_if_missing=True, base_url=None, registry=None, verbose=True):
    """``((x_train, y_train), (x_test, y_test))``: uint8 images ``(N, 32, 32, 3)``, uint8 labels ``(N, 1)``.

    ``path``: a folder holding ``cifar-10-binary.tar.gz`` or the extracted ``cifar-10-batches-bin``;
    a folder that holds neither is an error. ``base_url``, ``registry``: see
    :func:`minicnn.datasets.download.fetch`.
    """
    _, folder = download.locate("cifar10", is_complete, path, ENV_VAR, download_if_missing, base_url,
                                registry, verbose)
    batches = read_batches(folder)
    splits = []
    for names in (TRAIN_FILES, TEST_FILES):
        parts = [parse_batch(batches[name], f"{name} of {folder}") for name in names]
        splits.append((np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])))
    return tuple(splits)


def load_data():
    """Keras's ``cifar10.load_data()``: the same arrays as :func:`load_cifar10`."""
    return load_cifar10()
