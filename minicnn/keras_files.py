"""Keras's own files, read and written without Keras or TensorFlow: ``.keras``, ``.h5`` and ``.weights.h5``.

    >>> import os, tempfile, numpy as np, minicnn
    >>> from minicnn.layers import Conv2D, Flatten, Dense
    >>> model = minicnn.Sequential([Conv2D(4, 3), Flatten(), Dense(3, activation="softmax")],
    ...                            input_shape=(8, 8, 1))
    >>> path = model.save(os.path.join(tempfile.mkdtemp(), "model.keras"))  # keras.models.load_model reads it
    >>> twin = minicnn.load_model(path)                                    # this module, through model.py
    >>> x = np.ones((2, 8, 8, 1), "float32")
    >>> bool(np.array_equal(twin.predict(x, verbose=0), model.predict(x, verbose=0)))
    True

The three formats, as Keras 3 writes them (the arrays' layout is :mod:`minicnn.keras_weights`):

``.keras`` (Keras 3's ``model.save``): a zip archive of three members::

    config.json        the architecture and compile settings (see minicnn.keras_config)
    metadata.json      which Keras version's format this is
    model.weights.h5   the weights and the optimizer's state, in Keras 3's HDF5 layout

``.weights.h5`` (``save_weights``): that HDF5 file on its own.

``.h5`` (Keras 2's format, which Keras 3 still reads and writes): one HDF5 file
whose attributes hold the architecture (``model_config``) and the compile settings
(``training_config``) as JSON, with the weights in Keras 2's layout.

Trust nothing: the reader builds the model from the JSON (refusing any class or
option minicnn does not have, by name), works out the shape of every array it
needs, and reads only arrays of exactly those shapes from plain datasets (see
:mod:`minicnn.io.hdf5`); the archive's members are checked as minicnn's own
model file's are (:mod:`minicnn.io.archive`): exactly the three names, each
size checked before it is read, and no more weights built than the file can hold.
"""
import io
import json
import os
import warnings
import zipfile

import h5py

from ._version import __version__
from .io import hdf5
from .io.archive import ModelFileError, check_member_names, explained, member_table, write_member
from .io.atomic import replacing
from .keras_config import (compile_from_keras, distinct_names, keras_compile_config, keras_model_config,
                           sequential_from_keras)
from .keras_weights import read_legacy_weights, read_weights, write_legacy_weights, write_weights
from .metrics import METRICS
from .saving import building_in

KERAS_VERSION = "3.15.1"           # the Keras release whose formats these are
CONFIG_MEMBER, METADATA_MEMBER, WEIGHTS_MEMBER = "config.json", "metadata.json", "model.weights.h5"
MAX_JSON_BYTES = 1 << 20           # an architecture is a few kB of JSON; 1 MiB is generous
ORIGIN = {"backend": "numpy", "keras_version": KERAS_VERSION}    # Keras's name for a NumPy backend


# ============================================================================ writing
def save_model(model, path):
    """``model.save(path)`` for a Keras name: a ``.keras`` archive, else a ``.h5`` model file."""
    return save_keras(model, path) if str(path).endswith(".keras") else save_h5(model, path)


def save_keras(model, path):
    """Write ``model`` as Keras 3's ``.keras`` archive, atomically; returns the path."""
    path = _writable(model, path, (".keras",))
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as file:
        write_weights(file, model)
    metadata = {"keras_version": KERAS_VERSION, "minicnn_version": __version__}
    with replacing(path) as temp, zipfile.ZipFile(temp, "w", zipfile.ZIP_STORED) as archive:
        write_member(archive, METADATA_MEMBER, json.dumps(metadata).encode("utf-8"))
        write_member(archive, CONFIG_MEMBER,
                     json.dumps(keras_model_config(model)).encode("utf-8"))
        write_member(archive, WEIGHTS_MEMBER, buffer.getvalue())
    return path


def save_weights_h5(model, path):
    """Write the weights (and optimizer state) in Keras 3's ``.weights.h5`` layout; returns the path."""
    path = _writable(model, path, (".weights.h5",))
    with replacing(path) as temp, h5py.File(temp, "w") as file:
        write_weights(file, model)
    return path


def save_h5(model, path):
    """Write ``model`` as Keras's legacy ``.h5`` model file, atomically; returns the path."""
    path = _writable(model, path, (".h5", ".hdf5"))
    with replacing(path) as temp, h5py.File(temp, "w") as file:
        file.attrs.update(ORIGIN)
        file.attrs["model_config"] = json.dumps(keras_model_config(model, legacy=True))
        if model.optimizer is not None:
            file.attrs["training_config"] = json.dumps(keras_compile_config(model, legacy=True))
        write_legacy_weights(file, model, distinct_names(model.layers), ORIGIN)
    return path


def _writable(model, path, extensions):
    if not getattr(model, "built", False):
        raise ValueError("save: the model is not built yet, so it has no weights to save. "
                         "Pass input_shape=(28, 28, 1) to Sequential, or call the model on data first.")
    path = os.fspath(path)
    if not path.endswith(extensions):
        raise ValueError(f"save: a Keras {extensions[0]} file needs a name ending in {' or '.join(extensions)}. "
                         f"Received {path!r}.")
    if os.path.isdir(path):
        raise IsADirectoryError(f"save: {path!r} is a folder. Give a file name, e.g. 'model{extensions[0]}'.")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    return path


# ============================================================================ reading
def load_model(path, model_class):
    """``minicnn.load_model(path)`` for a Keras name: a ``.keras`` archive, else a ``.h5`` model file."""
    return load_keras(path, model_class) if str(path).endswith(".keras") else load_h5(path, model_class)


def load_keras(path, model_class):
    """The model in a ``.keras`` archive (Keras 3's ``model.save``), compiled as saved when
    minicnn has its optimizer and loss. Raises ModelFileError for anything minicnn cannot
    load exactly; nothing in the file runs."""
    path = _readable(path, b"PK", "a .keras file is a zip archive")
    with explained(path, "cannot be read as a Keras .keras file", "It may be truncated or corrupted."):
        with zipfile.ZipFile(path) as archive:
            infos = member_table(archive, path)
            check_member_names(infos, [CONFIG_MEMBER, METADATA_MEMBER, WEIGHTS_MEMBER], path)
            _json_member(archive, infos[METADATA_MEMBER], path)
            config = _json_member(archive, infos[CONFIG_MEMBER], path)
            model = build_model(config, config.get("compile_config"), path, model_class)
            data = _weights_member(archive, model, path)
        with h5py.File(io.BytesIO(data), "r") as file:
            read_weights(file, model, path)
    return model


def load_weights(model, path):
    """``model.load_weights(path)`` for a Keras name: a ``.weights.h5`` file, or the weights
    inside a ``.keras`` archive (as Keras 3 allows); the optimizer's state too, if both have one."""
    if str(path).endswith(".keras"):
        model._require_built("load_weights")
        path = _readable(path, b"PK", "a .keras file is a zip archive")
        with explained(path, "cannot be read as a Keras .keras file", "It may be truncated or corrupted."):
            with zipfile.ZipFile(path) as archive:
                data = _weights_member(archive, model, path)
            with h5py.File(io.BytesIO(data), "r") as file:
                read_weights(file, model, path)
        return model
    return load_weights_h5(model, path)


def load_weights_h5(model, path):
    """Put the weights in a ``.weights.h5`` file (Keras 3's ``save_weights``) into ``model``,
    which must have the same architecture; the optimizer's state too, if both have one."""
    path = _readable(path, hdf5.HDF5_SIGNATURE, "a .weights.h5 file is an HDF5 file")
    model._require_built("load_weights")
    with explained(path, "cannot be read as a Keras .weights.h5 file", "It may be truncated or corrupted."):
        with h5py.File(path, "r") as file:
            read_weights(file, model, path)
    return model


def load_h5(path, model_class):
    """The model in a legacy ``.h5`` model file (Keras 2's format, Keras 3's ``save("x.h5")``)."""
    path = _readable(path, hdf5.HDF5_SIGNATURE, "a .h5 model file is an HDF5 file")
    with explained(path, "cannot be read as a Keras .h5 model file", "It may be truncated or corrupted."):
        with h5py.File(path, "r") as file:
            config = hdf5.text(file, "model_config", MAX_JSON_BYTES, path)
            if config is None:
                raise ModelFileError(f"{path}: the HDF5 file has no model_config, so it holds weights only "
                                     f"(save_weights wrote it?). Build the model, then model.load_weights(path).")
            config = _json(config, "model_config", path)
            training = hdf5.text(file, "training_config", MAX_JSON_BYTES, path)
            model = build_model(config, training and _json(training, "training_config", path), path, model_class)
            read_legacy_weights(file, model, path)
    return model


def _readable(path, magic, what):
    path = os.fspath(path)
    if os.path.isdir(path):
        raise IsADirectoryError(f"load: {path!r} is a folder; give the file itself.")
    if not os.path.exists(path):
        raise FileNotFoundError(f"load: no file at {path!r}.")
    with open(path, "rb") as file:
        head = file.read(8)
    if not head.startswith(magic):
        raise ModelFileError(f"{path}: {what}, but this file starts with {head!r}.")
    return path


def _json_member(archive, info, path):
    if info.file_size > MAX_JSON_BYTES:
        raise ModelFileError(f"{path}: {info.filename} declares {info.file_size} bytes, more than the "
                             f"{MAX_JSON_BYTES} a model description can need; the file is not trusted.")
    return _json(archive.read(info).decode("utf-8"), info.filename, path)


def _json(text, what, path):
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ModelFileError(f"{path}: {what} is not a JSON object.")
    return value


def build_model(config, compile_config, path, model_class):
    """The ``model_class`` (Sequential) the Keras config describes, compiled as saved when minicnn can;
    a ModelFileError quoting the layer and option when minicnn cannot build it exactly."""
    try:
        dtype, arguments = sequential_from_keras(config, str(path), model_class)
        with building_in(dtype, path):
            model = model_class(**arguments)
    except ModelFileError:
        raise
    except ValueError as error:
        raise ModelFileError(str(error)) from error
    if compile_config:
        try:
            settings, dropped = compile_from_keras(compile_config)
        except (ValueError, TypeError, KeyError) as error:
            warnings.warn(f"{path}: the model was loaded but not compiled: {error}", UserWarning)
            return model
        if dropped:
            warnings.warn(f"{path}: metrics {dropped} left out; minicnn has {sorted(METRICS)} and their "
                          f"classes (see minicnn.runs.metrics for precision, recall and F1).", UserWarning)
        model.compile(**settings)
    return model


def _weights_member(archive, model, path):
    """The bytes of ``model.weights.h5``, read only if the archive holds exactly the three members
    and this one is no larger than ``model``'s weights and optimizer state can take."""
    infos = member_table(archive, path)
    check_member_names(infos, [CONFIG_MEMBER, METADATA_MEMBER, WEIGHTS_MEMBER], path)
    size, limit = infos[WEIGHTS_MEMBER].file_size, weights_file_limit(model)
    if size > limit:
        raise ModelFileError(f"{path}: {WEIGHTS_MEMBER} declares {size} bytes, more than the {limit} "
                             f"this architecture's weights and optimizer state can take.")
    return archive.read(WEIGHTS_MEMBER)


def weights_file_limit(model):
    """The most bytes a weights file for ``model`` can need: each weight, up to three optimizer
    slots per weight (Adam with amsgrad keeps three), and HDF5's headers (a few kB per group and array)."""
    arrays = model.weights
    return 4 * sum(a.nbytes for a in arrays) + 8192 * (4 * len(arrays) + 2 * len(model.layers) + 16)
