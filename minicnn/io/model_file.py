"""The model file: its format, and :func:`save_model` (``model.save(path)``) that writes it.

>>> import os, tempfile, numpy as np, minicnn
>>> from minicnn.layers import Conv2D, Flatten, Dense
>>> model = minicnn.Sequential([Conv2D(4, 3), Flatten(), Dense(3, activation="softmax")],
...                            input_shape=(8, 8, 1))
>>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
>>> path = model.save(os.path.join(tempfile.mkdtemp(), "model"))   # ".minicnn" is added
>>> os.path.basename(path)
'model.minicnn'
>>> restored = minicnn.load_model(path)
>>> all(np.array_equal(a, b) for a, b in zip(model.get_weights(), restored.get_weights()))
True

The file format (version 1) is a zip archive whose members are *stored*, not
compressed::

    model.json                           what the arrays are and how to rebuild the model
    weights/00_conv2d/kernel.npy         one .npy per weight, in get_weights() order
    weights/00_conv2d/bias.npy
    optimizer/momentums/00_conv2d/kernel.npy    one .npy per optimizer slot and trainable weight
    ...

``model.json`` holds ``format`` ("minicnn"), ``format_version`` (1) and, for
people reading it, ``minicnn_version``; the ``dtype``; the ``architecture``
(``model.get_config()``); ``compile`` (optimizer and loss as class name +
config, and the metrics; null for an uncompiled model); the ``weights`` list
(member, layer, name, shape, dtype of each array); ``optimizer_state``
(``iterations`` and, per slot, a list of member, shape, dtype) and ``training``
(``epochs_completed``, ``fit_seed``). That is everything needed to go on
exactly where the saved run stopped::

    model = load_model("checkpoint.minicnn")
    model.fit(x, y, epochs=10, initial_epoch=model.epochs_completed, seed=model.fit_seed)

Why this design:

* **No pickle anywhere.** Unpickling runs whatever code the file names, so a
  model file from the internet would be a program. JSON and ``.npy`` (read
  with ``allow_pickle=False``) are plain data: the worst a hostile file can do
  is be refused with a ``ModelFileError``.
* **Everything is checked before it is trusted.** The loader rebuilds the
  architecture, works out itself which arrays it needs with which shapes and
  dtypes, and compares that with ``model.json`` and with the zip's member list
  (nothing missing, nothing extra) before it reads a single array.
* **No zip bombs.** A zip member's header declares its unpacked size, and
  Python's zip reader never unpacks more than that. The loader checks every
  declared size against the exact size ``np.save`` writes for the expected
  shape and dtype *before* reading, and caps ``model.json`` at 1 MiB.
* **Atomic saves.** The archive is written through :func:`minicnn.io.atomic.replacing`:
  a temporary file in the same folder, flushed to disk, then renamed over the
  target in one step. A crash while saving leaves the previous file as it was.

Why saving and loading live in two modules: ``Sequential.save`` calls
:func:`save_model`, so ``minicnn.model`` imports this module; loading rebuilds a
``Sequential``, so :mod:`minicnn.io.model_loader` imports ``minicnn.model``. This
module needs only what a model *has* (layers, weights, optimizer, loss), never the
``Sequential`` class, so the imports run one way: ``model -> model_file`` and
``model_loader -> model, model_file``, no cycle.

Limits, honestly: a process killed *during* a save cannot delete its
temporary file (see :mod:`minicnn.io.atomic`). The architecture in ``model.json`` is built
before the arrays are compared with it, but never larger than the file: every kernel
is counted against the file's size before its memory is taken (arrays are stored
uncompressed, so a genuine file always holds its weights). Loading switches the global float type while it builds, so do not load
models from several threads at once.
"""
import json
import os
import re
import zipfile

import numpy as np

from .. import losses, optimizers
from .._version import __version__
from .archive import ModelFileError, write_array, write_member  # noqa: F401  ModelFileError: this format's error
from .atomic import replacing

FORMAT_NAME = "minicnn"
FORMAT_VERSION = 1
EXTENSION = ".minicnn"
META_MEMBER = "model.json"
MAX_META_BYTES = 1 << 20      # an architecture is a few kB of JSON; 1 MiB is generous
DTYPES = ("float32", "float64")

OPTIMIZER_CLASSES = {cls.__name__: cls for cls in optimizers.OPTIMIZERS.values()}
LOSS_CLASSES = {cls.__name__: cls for cls in losses.LOSSES.values()}


def save_model(model, path):
    """Write ``model`` to one file at ``path`` atomically; returns the path written.

    Path rule: a path without an extension gets ``.minicnn`` added
    (``"run/model"`` -> ``"run/model.minicnn"``); a path with any extension is
    used as given (``"model.ckpt"`` stays ``"model.ckpt"``). Missing parent
    folders are created. Exactly one file is left behind: the temporary file
    is renamed over the target, or removed if anything fails.
    """
    if not getattr(model, "built", False):
        raise ValueError("save_model: the model is not built yet, so it has no weights to save. "
                         "Pass input_shape=(28, 28, 1) to Sequential, or call the model on data first.")
    path = os.fspath(path)
    if not os.path.basename(path):
        raise ValueError(f"save_model: {path!r} names a folder, not a file. Give a file name, "
                         f"e.g. {os.path.join(path, 'model' + EXTENSION)!r}.")
    mixed = sorted({f"{layer.name} ({array.dtype})" for layer in model.layers for array in layer.weights
                    if array.dtype != np.dtype(model.dtype)})
    if mixed:
        # load_model rebuilds every layer in the model's one float type, so such a file could not be read.
        raise ValueError(f"save_model: the model computes in {np.dtype(model.dtype)} but these layers hold "
                         f"weights of another type: {', '.join(mixed)}. A layer takes the float type in force "
                         f"when it is built: build the whole model under one minicnn.set_floatx(...).")
    if not os.path.splitext(path)[1]:
        path += EXTENSION
    if os.path.isdir(path):
        raise IsADirectoryError(f"save_model: {path!r} is a folder. Give a file name, "
                                f"e.g. {os.path.join(path, 'model' + EXTENSION)!r}.")
    meta, arrays = describe(model)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with replacing(path) as temp, zipfile.ZipFile(temp, "w", zipfile.ZIP_STORED) as archive:
        write_member(archive, META_MEMBER, json.dumps(meta, indent=1).encode("utf-8"))
        for member, array in arrays.items():
            write_array(archive, member, array)
    return path


def describe(model):
    """``(meta, arrays)``: the JSON-ready ``model.json`` and ``{member name: array}``."""
    weight_entries, arrays = [], {}
    for member, layer, name, array in weight_members(model):
        weight_entries.append({"member": member, "layer": layer, "name": name, **layout(array)})
        arrays[member] = array
    meta = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, "minicnn_version": __version__,
            "dtype": str(np.dtype(model.dtype)), "architecture": model.get_config(),
            "compile": None, "weights": weight_entries, "optimizer_state": None,
            "training": {"epochs_completed": int(getattr(model, "epochs_completed", 0)),
                         "fit_seed": _int_or_none(getattr(model, "fit_seed", None))}}
    if model.optimizer is not None:
        meta["compile"] = {"optimizer": _class_and_config(model.optimizer, OPTIMIZER_CLASSES, "optimizer"),
                           "loss": _class_and_config(model.loss, LOSS_CLASSES, "loss"),
                           "metrics": list(model.metrics)}
        state = model.optimizer.get_state()
        slots = {}
        for slot in (key for key in state if key != "iterations"):
            slots[slot] = []
            for member, array in zip(slot_members(model), state[slot]):
                slot_member = f"optimizer/{slot}/{member[len('weights/'):]}"
                slots[slot].append({"member": slot_member, **layout(array)})
                arrays[slot_member] = array
        meta["optimizer_state"] = {"iterations": int(state["iterations"]), "slots": slots}
    return meta, arrays


def weight_members(model):
    """``(member, layer name, weight name, array)`` per weight, in ``get_weights()`` order:
    each layer's ``params`` (kernel, bias, gamma, beta), then its ``state`` (moving statistics).

    The member name starts with the layer's position, so two layers with the
    same name still get different members; characters that could look like
    folders in a zip are replaced.
    """
    for index, layer in enumerate(model.layers):
        folder = f"{index:02d}_" + re.sub(r"[^0-9A-Za-z_.-]", "_", layer.name)
        for name, array in [*layer.params.items(), *layer.state.items()]:
            yield f"weights/{folder}/{name}.npy", layer.name, name, array


def slot_members(model):
    """The members of the weights the optimizer keeps slots for: the ``params`` of every
    layer that is not frozen, in the order of ``model.trainable_weights``."""
    trainable = {id(array) for array in model.trainable_weights}
    return [member for member, _, _, array in weight_members(model) if id(array) in trainable]


def _int_or_none(value):
    return None if value is None else int(value)


def layout(array):
    return {"shape": [int(d) for d in array.shape], "dtype": str(array.dtype)}


def _class_and_config(obj, known, what):
    """``{"class_name", "config"}`` for a built-in optimizer or loss; the loader accepts only those."""
    name = type(obj).__name__
    if known.get(name) is not type(obj):
        raise ValueError(f"save_model: cannot save the {what} {obj!r}: the file format knows only "
                         f"minicnn's own {what}s {sorted(known)}. Compile with one of those.")
    return {"class_name": name, "config": obj.get_config()}
