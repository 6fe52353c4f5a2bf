"""Save a model to one file and load it back: ``model.save(path)`` and ``minicnn.load_model(path)``.

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
    optimizer/momentums/00_conv2d/kernel.npy    one .npy per optimizer slot and weight
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
* **Atomic saves.** The archive is written to a temporary file in the same
  folder, flushed to disk, then renamed over the target in one step
  (``os.replace``). A crash while saving leaves the previous file as it was.

Limits, honestly: a process killed *during* a save cannot delete its
temporary file, so a hidden ``.NAME.xxxxxxxx.tmp`` may stay next to the model
(the loader never looks at it). The architecture in ``model.json`` is built
before the arrays are compared with it, so a crafted file can make the loader
allocate a large model; absurd sizes fail at once with a ``ModelFileError``.
Loading switches the global float type while it builds, so do not load
models from several threads at once.
"""
import contextlib
import io
import json
import os
import re
import secrets
import struct
import zipfile
import zlib

import numpy as np

from . import backend, losses, optimizers

FORMAT_NAME = "minicnn"
FORMAT_VERSION = 1
EXTENSION = ".minicnn"
META_MEMBER = "model.json"
MAX_META_BYTES = 1 << 20      # an architecture is a few kB of JSON; 1 MiB is generous
# A fixed timestamp: saving the same model twice gives byte-identical files.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
DTYPES = ("float32", "float64")

OPTIMIZER_CLASSES = {cls.__name__: cls for cls in optimizers.OPTIMIZERS.values()}
LOSS_CLASSES = {cls.__name__: cls for cls in losses.LOSSES.values()}

# What a damaged archive can raise from the zip, zlib, JSON and .npy readers;
# load_model turns each into a ModelFileError that names the file.
_READ_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, struct.error,
                NotImplementedError, RuntimeError, ValueError, TypeError, KeyError, SyntaxError,
                MemoryError)  # MemoryError: an architecture too large to build (numpy refuses at once)


class ModelFileError(ValueError):
    """A file that is not a valid minicnn model file; the message names the file and the problem."""


# ============================================================================ save
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
    if not os.path.splitext(path)[1]:
        path += EXTENSION
    if os.path.isdir(path):
        raise IsADirectoryError(f"save_model: {path!r} is a folder. Give a file name, "
                                f"e.g. {os.path.join(path, 'model' + EXTENSION)!r}.")
    meta, arrays = describe(model)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    _write_atomically(path, folder, meta, arrays)
    return path


def describe(model):
    """``(meta, arrays)``: the JSON-ready ``model.json`` and ``{member name: array}``."""
    weight_entries, arrays = [], {}
    for member, layer, name, array in _weight_members(model):
        weight_entries.append({"member": member, "layer": layer, "name": name, **_layout(array)})
        arrays[member] = array
    from . import __version__        # read at call time: minicnn/__init__ may import this module
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
            for (member, *_), array in zip(_weight_members(model), state[slot]):
                slot_member = f"optimizer/{slot}/{member[len('weights/'):]}"
                slots[slot].append({"member": slot_member, **_layout(array)})
                arrays[slot_member] = array
        meta["optimizer_state"] = {"iterations": int(state["iterations"]), "slots": slots}
    return meta, arrays


def _weight_members(model):
    """``(member, layer name, param name, array)`` per weight, in ``get_weights()`` order.

    The member name starts with the layer's position, so two layers with the
    same name still get different members; characters that could look like
    folders in a zip are replaced.
    """
    for index, layer in enumerate(model.layers):
        folder = f"{index:02d}_" + re.sub(r"[^0-9A-Za-z_.-]", "_", layer.name)
        for name, array in layer.params.items():
            yield f"weights/{folder}/{name}.npy", layer.name, name, array


def _int_or_none(value):
    return None if value is None else int(value)


def _layout(array):
    return {"shape": [int(d) for d in array.shape], "dtype": str(array.dtype)}


def _class_and_config(obj, known, what):
    """``{"class_name", "config"}`` for a built-in optimizer or loss; the loader accepts only those."""
    name = type(obj).__name__
    if known.get(name) is not type(obj):
        raise ValueError(f"save_model: cannot save the {what} {obj!r}: the file format knows only "
                         f"minicnn's own {what}s {sorted(known)}. Compile with one of those.")
    return {"class_name": name, "config": obj.get_config()}


def _write_atomically(path, folder, meta, arrays):
    """Write the archive to a temporary file in ``folder``, fsync it, then rename it over ``path``.

    ``os.replace`` swaps a whole directory entry in one step, so a reader (or a
    crash) sees either the old file or the new one, never half of each. The
    temporary file must sit in the same folder: a rename across file systems
    would be a copy. ``O_EXCL`` makes sure we never write into someone's file.
    """
    temp = os.path.join(folder, f".{os.path.basename(path)}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(descriptor, "wb") as file:
            with zipfile.ZipFile(file, "w", zipfile.ZIP_STORED) as archive:
                _write_member(archive, META_MEMBER, json.dumps(meta, indent=1).encode("utf-8"))
                for member, array in arrays.items():
                    buffer = io.BytesIO()
                    np.save(buffer, array, allow_pickle=False)
                    _write_member(archive, member, buffer.getvalue())
            file.flush()
            os.fsync(file.fileno())          # the bytes are on disk before the name points at them
        os.replace(temp, path)
    except BaseException:                    # also KeyboardInterrupt: never leave the temp file
        with contextlib.suppress(OSError):
            os.remove(temp)
        raise
    _fsync_folder(folder)


def _write_member(archive, name, data):
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    info.external_attr = 0o644 << 16         # rw-r--r-- for anyone who unzips the file
    archive.writestr(info, data)


def _fsync_folder(folder):
    """Make the rename itself durable (POSIX); Windows cannot open folders, and needs not."""
    with contextlib.suppress(OSError, AttributeError):
        descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


# ============================================================================ load
def load_model(path):
    """The model saved at ``path`` by ``model.save``: architecture, weights, compile
    settings, optimizer state, ``epochs_completed`` and ``fit_seed``.

    Raises ``FileNotFoundError`` or ``IsADirectoryError`` for a wrong path, and
    ``ModelFileError`` (a ``ValueError``) for a file that is not a valid minicnn
    model file. Nothing in the file is ever executed.
    """
    path = _checked_path(path)
    _refuse_other_formats(path)
    with _explained(path, "cannot be read as a minicnn model file", "It may be truncated or corrupted."):
        with zipfile.ZipFile(path) as archive:
            infos = _member_table(archive, path)
            meta = _read_meta(archive, infos, path)
            model, expected = _rebuild(meta, path)
            _check_member_names(infos, expected, path)
            arrays = {member: _read_array(archive, infos[member], shape, dtype, path)
                      for member, (shape, dtype) in expected.items()}
        _restore(model, meta, arrays)
    return model


@contextlib.contextmanager
def _explained(path, problem, advice=""):
    """Turn any error a damaged file can cause in the readers below into a ModelFileError
    that names the file; ModelFileErrors raised on purpose pass through unchanged."""
    try:
        yield
    except ModelFileError:
        raise
    except _READ_ERRORS as exc:
        raise ModelFileError(f"{path}: {problem} ({type(exc).__name__}: {exc}). {advice}".rstrip()) from exc


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


def _refuse_other_formats(path):
    """Name the format of files that are clearly not ours, from their first bytes."""
    with open(path, "rb") as file:
        head = file.read(8)
    if head.startswith(b"PK"):            # a zip archive: the checks below take over
        return
    if not head:
        problem = "the file is empty"
    elif head.startswith(b"\x80"):
        problem = ("it is a Python pickle (pickle.dump, joblib, torch.save ...); minicnn never unpickles, "
                   "because unpickling runs code named by the file")
    elif head.startswith(b"\x89HDF"):
        problem = "it is an HDF5 file, such as a Keras .h5 model; minicnn cannot read those"
    elif head.startswith(b"\x93NUMPY"):
        problem = "it is a single NumPy .npy array, not a saved model"
    else:
        problem = f"it is not a zip archive (it starts with {head!r})"
    raise ModelFileError(f"{path}: not a minicnn model file: {problem}. Load files written by model.save.")


def _member_table(archive, path):
    """``{name: ZipInfo}``, refusing duplicate names (a zip may repeat a name; which one wins is unclear)."""
    infos = {}
    for info in archive.infolist():
        if info.filename in infos:
            raise ModelFileError(f"{path}: the member {info.filename!r} appears twice in the archive.")
        infos[info.filename] = info
    return infos


def _read_meta(archive, infos, path):
    """Read and parse ``model.json``, checking its size first and its format and version after."""
    if META_MEMBER not in infos:
        names = sorted(infos)[:5]
        kind = " It looks like a NumPy .npz archive." if names and all(n.endswith(".npy") for n in names) else ""
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


@contextlib.contextmanager
def _building_in(dtype):
    """Build layers in ``dtype`` without touching the caller's float type or weight-init stream.

    Building draws random initial weights (about to be overwritten); putting the
    generator's state back means loading a model never changes which weights
    ``set_random_seed(s)`` gives the next model built.
    """
    old_floatx, rng_state = backend.floatx(), backend.init_rng().bit_generator.state
    backend.set_floatx(dtype)
    try:
        yield
    finally:
        backend.set_floatx(old_floatx)
        backend.init_rng().bit_generator.state = rng_state


def _rebuild(meta, path):
    """``(model, expected)``: the model with fresh weights, compiled as saved, and
    ``{member: (shape, dtype)}`` for every array it needs, checked against ``model.json``."""
    from .model import Sequential    # model.py imports this module lazily; keep the cycle open

    dtype = meta.get("dtype")
    if dtype not in DTYPES:
        raise ModelFileError(f"{path}: dtype must be one of {DTYPES}. Received {dtype!r}.")
    with _explained(path, "model.json holds an architecture minicnn cannot build"), _building_in(dtype):
        model = Sequential.from_config(meta["architecture"])
    if not model.built:
        raise ModelFileError(f"{path}: the architecture has no input_shape, so it has no weights.")
    own = [{"member": member, "layer": layer, "name": name, **_layout(array)}
           for member, layer, name, array in _weight_members(model)]
    _compare_lists(path, "weights", meta["weights"], own)
    expected = {entry["member"]: (tuple(entry["shape"]), entry["dtype"]) for entry in own}
    if meta["compile"] is not None:
        _compile(model, meta["compile"], path)
        expected.update(_expected_state(model, meta["optimizer_state"], own, path))
    _check_training(meta["training"], path)
    return model, expected


def _compile(model, settings, path):
    with _explained(path, "model.json holds compile settings minicnn cannot use"):
        model.compile(optimizer=_instance(settings["optimizer"], OPTIMIZER_CLASSES, "optimizer", path),
                      loss=_instance(settings["loss"], LOSS_CLASSES, "loss", path),
                      metrics=settings["metrics"])


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
    optimizer's ``slot_names``, each with one array per weight.
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
    expected = {}
    for slot in slots:
        own_slot = [{"member": f"optimizer/{slot}/{e['member'][len('weights/'):]}", "shape": e["shape"],
                     "dtype": e["dtype"]} for e in own]
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


def _check_member_names(infos, expected, path):
    """The archive must hold exactly model.json and the expected arrays."""
    missing = sorted(set(expected) - set(infos))
    extra = sorted(set(infos) - set(expected) - {META_MEMBER})
    if missing or extra:
        raise ModelFileError(f"{path}: the archive does not match model.json: missing members "
                             f"{missing}, unexpected members {extra}.")


def npy_size(shape, dtype):
    """Bytes ``np.save`` writes for a C-ordered array: its header (numpy's own writer tells
    the exact length: the header is padded to a multiple of 64 bytes) plus the data."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)),
                                                  "fortran_order": False, "shape": tuple(shape)})
    return len(header.getvalue()) + int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize


def _read_array(archive, info, shape, dtype, path):
    """One ``.npy`` member, checked: declared size first (no zip bombs), then magic, shape, dtype."""
    size = npy_size(shape, dtype)
    if info.file_size != size:
        raise ModelFileError(f"{path}: member {info.filename!r} declares {info.file_size} bytes, but a "
                             f"{dtype} array of shape {shape} takes {size} bytes as .npy.")
    raw = archive.read(info)                      # also checks the CRC: flipped bytes are caught here
    if not raw.startswith(b"\x93NUMPY"):
        kind = " (a Python pickle, which minicnn never loads)" if raw.startswith(b"\x80") else ""
        raise ModelFileError(f"{path}: member {info.filename!r} is not a NumPy .npy array{kind}.")
    buffer = io.BytesIO(raw)
    array = np.load(buffer, allow_pickle=False)
    if array.shape != shape or array.dtype != np.dtype(dtype) or buffer.tell() != len(raw):
        raise ModelFileError(f"{path}: member {info.filename!r} holds a {array.dtype} array of shape "
                             f"{array.shape} (and {len(raw) - buffer.tell()} trailing bytes); model.json "
                             f"says {dtype} {shape}.")
    return array


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
