"""Saving and loading a model: the model file's format, :func:`save_model` (``model.save(path)``)
and :func:`load_model` (``minicnn.load_model(path)``), which trusts nothing in the file.

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

Why ``load_model`` takes the model class: ``Sequential.save`` calls
:func:`save_model`, so ``minicnn.model`` imports this module, and this module never
imports ``minicnn.model`` (the imports run one way). It needs only what a model
*has* (layers, weights, optimizer, loss) to save it, and the class to rebuild it,
which ``minicnn.load_model(path)`` (in ``model.py``) passes in.

Limits, honestly: a process killed *during* a save cannot delete its
temporary file (see :mod:`minicnn.io.atomic`). The architecture in ``model.json`` is built
before the arrays are compared with it, but never larger than the file: every kernel
is counted against the file's size before its memory is taken (arrays are stored
uncompressed, so a genuine file always holds its weights). Loading switches the global float type while it builds, so do not load
models from several threads at once.
"""
import contextlib
import json
import os
import re
import zipfile

import numpy as np

from . import backend, losses, metrics, optimizers
from ._version import __version__
from .io.archive import (ModelFileError, check_member_names, explained, member_table, read_array,  # noqa: F401
                         refuse_other_formats, write_array, write_member)  # ModelFileError: this format's error
from .io.atomic import replacing

FORMAT_NAME = "minicnn"
FORMAT_VERSION = 1
EXTENSION = ".minicnn"
META_MEMBER = "model.json"
MAX_META_BYTES = 1 << 20      # an architecture is a few kB of JSON; 1 MiB is generous
DTYPES = ("float32", "float64")

OPTIMIZER_CLASSES = {cls.__name__: cls for cls in optimizers.OPTIMIZERS.values()}
LOSS_CLASSES = {cls.__name__: cls for cls in losses.LOSSES.values()}
METRIC_CLASSES = {cls.__name__: cls for cls in vars(metrics).values()
                  if isinstance(cls, type) and issubclass(cls, metrics.Metric) and cls is not metrics.Metric}


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
    return write_archive(path, META_MEMBER, meta, arrays)


def write_archive(path, meta_member, meta, arrays):
    """The zip at ``path`` (atomically, parent folders made): ``meta`` as JSON, then each array as .npy."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with replacing(path) as temp, zipfile.ZipFile(temp, "w", zipfile.ZIP_STORED) as archive:
        write_member(archive, meta_member, json.dumps(meta, indent=1).encode("utf-8"))
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
                           "metrics": [m if isinstance(m, str) else _class_and_config(m, METRIC_CLASSES, "metric")
                                       for m in model.metrics]}
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
        for name, array in named_weights(layer):
            yield f"weights/{folder}/{name}.npy", layer.name, name, array


def named_weights(layer):
    """``[(name, array), ...]`` in ``layer.weights`` order; a model used as a layer names its
    layers' arrays ``"inner_layer/kernel"``, layer by layer (each one's params, then its state)."""
    if hasattr(layer, "layers"):
        return [(f"{inner.name}/{name}", array) for inner in layer.layers for name, array in named_weights(inner)]
    return [*layer.params.items(), *layer.state.items()]


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


# ---------------------------------------------------------------- loading
def load_model(path, model_class):
    """The model saved at ``path`` by ``model.save``: architecture, weights, compile
    settings, optimizer state, ``epochs_completed`` and ``fit_seed``; ``model_class``
    (``Sequential``) rebuilds the architecture with its ``from_config``.

    Raises ``FileNotFoundError`` or ``IsADirectoryError`` for a wrong path, and
    ``ModelFileError`` (a ``ValueError``) for a file that is not a valid minicnn
    model file. Nothing in the file is ever executed.
    """
    path = _checked_path(path)
    refuse_other_formats(path)
    with explained(path, "cannot be read as a minicnn model file", "It may be truncated or corrupted."):
        with zipfile.ZipFile(path) as archive:
            infos = member_table(archive, path)
            meta = _read_meta(archive, infos, path)
            model, expected = _rebuild(meta, path, model_class)
            check_member_names(infos, [*expected, META_MEMBER], path)
            arrays = {member: read_array(archive, infos[member], shape, dtype, path)
                      for member, (shape, dtype) in expected.items()}
        _restore(model, meta, arrays)
    return model


def _checked_path(path):
    path = os.fspath(path)
    if os.path.isdir(path):
        inside = sorted(name for name in os.listdir(path) if name.endswith(EXTENSION))
        hint = f" It holds {', '.join(inside)}." if inside else ""
        raise IsADirectoryError(f"load_model: {path!r} is a folder; give the model file that "
                                f"model.save wrote, e.g. 'checkpoints/model{EXTENSION}'.{hint}")
    if not os.path.exists(path):
        guess = path + EXTENSION
        hint = f" Did you mean {guess!r}?" if os.path.isfile(guess) else ""
        raise FileNotFoundError(f"load_model: no file at {path!r}.{hint}")
    return path


def _read_meta(archive, infos, path):
    """Read and parse ``model.json``, checking its size first and its format and version after."""
    if META_MEMBER not in infos:
        names = sorted(infos)[:5]
        kind = " It looks like a NumPy .npz archive." if names and all(n.endswith(".npy") for n in names) else ""
        if "config.json" in infos and "model.weights.h5" in infos:
            kind = " It is a Keras .keras archive: give it a name ending in .keras and load it again."
        raise ModelFileError(f"{path}: not a minicnn model file: it has no {META_MEMBER} "
                             f"(members: {names}{' ...' if len(infos) > 5 else ''}).{kind} "
                             f"Load files written by model.save.")
    size = infos[META_MEMBER].file_size
    if size > MAX_META_BYTES:
        raise ModelFileError(f"{path}: {META_MEMBER} declares {size} bytes, more than the "
                             f"{MAX_META_BYTES} a model description can need; the file is not trusted.")
    meta = json.loads(archive.read(META_MEMBER).decode("utf-8"))
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
        raise ModelFileError(f"{path}: {META_MEMBER} does not say format={FORMAT_NAME!r}.")
    version = meta.get("format_version")
    if type(version) is not int or version < 1:
        raise ModelFileError(f"{path}: format_version must be a positive int. Received {version!r}.")
    if version > FORMAT_VERSION:
        raise ModelFileError(f"{path}: written in format version {version} by a newer minicnn; this "
                             f"minicnn reads version {FORMAT_VERSION}. Upgrade minicnn to load it.")
    return meta


class WeightBudget:
    """Stands in for the weight-init generator while a file's architecture is built.

    Every kernel a layer asks for is counted against what the file can hold *before*
    its memory is taken: a file of a few kB that describes a Dense layer of 40 million
    units is refused at once instead of filling the machine's memory. (Arrays are stored
    uncompressed, so a genuine file is at least as large as its weights.)
    """

    def __init__(self, values, path):
        self.values, self.path = values, path
        self.bit_generator = np.random.default_rng(0).bit_generator    # the draws are overwritten anyway

    def uniform(self, low, high, size):
        self.values -= int(np.prod(size, dtype=np.float64))
        if self.values < 0:
            raise ModelFileError(f"{self.path}: the architecture it describes needs more weights than the "
                                 f"file holds (a weight of shape {tuple(size)} among them); the file is not "
                                 f"trusted and nothing was built.")
        return np.random.default_rng(0).uniform(low, high, size=size)


@contextlib.contextmanager
def building_in(dtype, path):
    """Build layers in ``dtype`` without touching the caller's float type or weight-init stream,
    drawing at most as many initial weights as the file at ``path`` could hold.

    Building draws random initial weights (about to be overwritten); leaving the caller's
    generator alone means loading a model never changes which weights
    ``set_random_seed(s)`` gives the next model built.
    """
    old_floatx = backend.floatx()
    backend.set_floatx(dtype)
    try:
        with backend.drawing_weights_from(WeightBudget(os.path.getsize(path) // np.dtype(dtype).itemsize, path)):
            yield
    finally:
        backend.set_floatx(old_floatx)


def _rebuild(meta, path, model_class):
    """``(model, expected)``: the model with fresh weights, compiled as saved, and
    ``{member: (shape, dtype)}`` for every array it needs, checked against ``model.json``."""
    dtype = meta.get("dtype")
    if dtype not in DTYPES:
        raise ModelFileError(f"{path}: dtype must be one of {DTYPES}. Received {dtype!r}.")
    with explained(path, "model.json holds an architecture minicnn cannot build"), building_in(dtype, path):
        model = model_class.from_config(meta["architecture"])
    if not model.built:
        raise ModelFileError(f"{path}: the architecture has no input_shape, so it has no weights.")
    own = [{"member": member, "layer": layer, "name": name, **layout(array)}
           for member, layer, name, array in weight_members(model)]
    _compare_lists(path, "weights", meta["weights"], own)
    expected = {entry["member"]: (tuple(entry["shape"]), entry["dtype"]) for entry in own}
    if meta["compile"] is not None:
        _compile(model, meta["compile"], path)
        expected.update(_expected_state(model, meta["optimizer_state"], own, path))
    _check_training(meta["training"], path)
    return model, expected


def _compile(model, settings, path):
    with explained(path, "model.json holds compile settings minicnn cannot use"):
        model.compile(optimizer=_instance(settings["optimizer"], OPTIMIZER_CLASSES, "optimizer", path),
                      loss=_instance(settings["loss"], LOSS_CLASSES, "loss", path),
                      metrics=[m if isinstance(m, str) else _instance(m, METRIC_CLASSES, "metric", path)
                               for m in settings["metrics"]])


def _check_training(training, path):
    epochs, seed = training["epochs_completed"], training["fit_seed"]
    if type(epochs) is not int or epochs < 0 or (seed is not None and (type(seed) is not int or seed < 0)):
        raise ModelFileError(f"{path}: training must hold an int epochs_completed >= 0 and a fit_seed "
                             f"that is an int >= 0 or null. Received {training!r}.")


def _instance(entry, known, what, path):
    """An optimizer or loss object from ``{"class_name", "config"}``, for known classes only."""
    cls = known.get(entry["class_name"])
    if cls is None:
        raise ModelFileError(f"{path}: unknown {what} class {entry['class_name']!r}; known: {sorted(known)}.")
    return cls(**entry["config"])


def _expected_state(model, state, own, path):
    """``{member: (shape, dtype)}`` of the optimizer slots, after checking the saved layout.

    Slots are either all absent (the optimizer never stepped) or exactly the
    optimizer's ``slot_names``, each with one array per trainable weight (``slot_members``).
    """
    slots, slot_names = state["slots"], tuple(model.optimizer.slot_names)
    iterations = state["iterations"]
    if type(iterations) is not int or iterations < 0:
        raise ModelFileError(f"{path}: optimizer iterations must be an int >= 0. Received {iterations!r}.")
    allowed = [set(slot_names)] if iterations > 0 else [set(), set(slot_names)]
    if set(slots) not in allowed:
        raise ModelFileError(f"{path}: the optimizer {type(model.optimizer).__name__} keeps the slots "
                             f"{list(slot_names)} but the file has {sorted(slots)} "
                             f"(after {iterations} steps).")
    expected, trainable = {}, set(slot_members(model))
    for slot in slots:
        own_slot = [{"member": f"optimizer/{slot}/{e['member'][len('weights/'):]}", "shape": e["shape"],
                     "dtype": e["dtype"]} for e in own if e["member"] in trainable]
        _compare_lists(path, f"optimizer slot {slot!r}", slots[slot], own_slot)
        expected.update((e["member"], (tuple(e["shape"]), e["dtype"])) for e in own_slot)
    return expected


def _compare_lists(path, what, declared, own):
    """Each entry the file declares must equal the one the rebuilt model implies."""
    if not isinstance(declared, list) or len(declared) != len(own):
        count = len(declared) if isinstance(declared, list) else declared
        raise ModelFileError(f"{path}: model.json lists {count} {what} arrays; the architecture has {len(own)}.")
    for theirs, ours in zip(declared, own):
        if theirs != ours:
            raise ModelFileError(f"{path}: {what}: model.json declares {theirs} but the architecture "
                                 f"needs {ours}.")


def _restore(model, meta, arrays):
    """Put the arrays into the rebuilt model and its optimizer; record epoch and seed."""
    model.set_weights([arrays[entry["member"]] for entry in meta["weights"]])
    state = meta["optimizer_state"]
    if model.optimizer is not None:
        model.optimizer.set_state({"iterations": state["iterations"],
                                   **{slot: [arrays[e["member"]] for e in entries]
                                      for slot, entries in state["slots"].items()}})
    model.epochs_completed = meta["training"]["epochs_completed"]
    model.fit_seed = meta["training"]["fit_seed"]


# ---------------------------------------------------------------- weights only
# ``model.save_weights(path)`` writes a zip like the model file's, holding only the weights:
#     weights.json      format "minicnn-weights", version 1, and per array: member, layer, name, shape, dtype
#     weights/000.npy   one array per weight, in get_weights() order
# As in Keras, weights are matched to a model by position, not by name: a new model built by
# the same code (whose layers are called dense_2 instead of dense) loads them.
WEIGHTS_FORMAT_NAME = "minicnn-weights"
WEIGHTS_META_MEMBER = "weights.json"
KERAS_WEIGHTS_SUFFIX = ".weights.h5"


def save_weights(model, path):
    """Write the model's weights to ``path`` (any name but Keras's; atomically); returns the path."""
    path = _weights_path(path, "save_weights")
    if not getattr(model, "built", False):
        raise ValueError("save_weights: the model is not built yet, so it has no weights. Pass "
                         "input_shape=... to Sequential, or call the model on data first.")
    entries, arrays = [], {}
    for index, (_, layer, name, array) in enumerate(weight_members(model)):
        member = f"weights/{index:03d}.npy"
        entries.append({"member": member, "layer": layer, "name": name, **layout(array)})
        arrays[member] = array
    meta = {"format": WEIGHTS_FORMAT_NAME, "format_version": 1, "weights": entries}
    return write_archive(path, WEIGHTS_META_MEMBER, meta, arrays)


def load_weights(model, path):
    """Set the model's weights from a file ``save_weights`` wrote: the count and every shape are
    checked, and each member's declared size, before anything is read (no pickle, no zip bombs)."""
    path = _weights_path(path, "load_weights")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"load_weights: no file at {path!r}.")
    refuse_other_formats(path)
    if not model.built:
        raise ValueError("load_weights: build the model first (input_shape=... or call it on data), so "
                         "that it has weights to load into.")
    own = [tuple(array.shape) for *_, array in weight_members(model)]
    with explained(path, "cannot be read as a minicnn weights file", "It may be truncated or corrupted."):
        with zipfile.ZipFile(path) as archive:
            infos = member_table(archive, path)
            entries = _weight_entries(archive, infos, path)
            if [tuple(e["shape"]) for e in entries] != own:       # the dtype may differ: set_weights casts
                raise ModelFileError(f"{path}: the file holds {len(entries)} arrays of shapes "
                                     f"{[tuple(e['shape']) for e in entries]}, but the model has {len(own)} "
                                     f"weights of shapes {own}. Load it into a model with the architecture "
                                     f"that saved it.")
            check_member_names(infos, [*(e["member"] for e in entries), WEIGHTS_META_MEMBER], path)
            arrays = [read_array(archive, infos[e["member"]], tuple(e["shape"]), e["dtype"], path) for e in entries]
    model.set_weights(arrays)


def _weights_path(path, action):
    """``path`` as a string; Keras's own names are refused rather than written in another format."""
    path = os.fspath(path)
    name = path.lower()
    if name.endswith(KERAS_WEIGHTS_SUFFIX):
        raise ValueError(f"{action}: {path!r} names Keras's {KERAS_WEIGHTS_SUFFIX} format, which "
                         f"model.{action} writes and reads with minicnn.keras_files; this function "
                         f"holds minicnn's own weights format (e.g. 'cp.weights.minicnn').")
    if name.endswith((".keras", ".h5")):
        raise ValueError(f"{action}: {path!r} names a whole-model format; as in Keras 3, weights go to a "
                         f"name ending in '{KERAS_WEIGHTS_SUFFIX}' (or any name that is not Keras's, for "
                         f"minicnn's own format). model.save writes a whole model.")
    return path


def _weight_entries(archive, infos, path):
    """The ``weights`` list of ``weights.json``, checked: format, version, member/shape/dtype of each."""
    if WEIGHTS_META_MEMBER not in infos:
        hint = " It is a minicnn model file: load it with minicnn.load_model." if META_MEMBER in infos else ""
        raise ModelFileError(f"{path}: not a minicnn weights file (no {WEIGHTS_META_MEMBER}).{hint}")
    if infos[WEIGHTS_META_MEMBER].file_size > MAX_META_BYTES:
        raise ModelFileError(f"{path}: {WEIGHTS_META_MEMBER} is larger than {MAX_META_BYTES} bytes; "
                             f"the file is not trusted.")
    meta = json.loads(archive.read(WEIGHTS_META_MEMBER).decode("utf-8"))
    if not isinstance(meta, dict) or meta.get("format") != WEIGHTS_FORMAT_NAME or meta.get("format_version") != 1:
        raise ModelFileError(f"{path}: {WEIGHTS_META_MEMBER} does not say format={WEIGHTS_FORMAT_NAME!r}, "
                             f"format_version=1.")
    entries = meta.get("weights")
    if not isinstance(entries, list) or not all(
            isinstance(e, dict) and isinstance(e.get("member"), str) and e.get("dtype") in DTYPES
            and isinstance(e.get("shape"), list) and all(type(d) is int and d >= 0 for d in e["shape"])
            for e in entries):
        raise ModelFileError(f"{path}: {WEIGHTS_META_MEMBER} must list each array's member, shape and "
                             f"dtype (one of {DTYPES}).")
    return entries
