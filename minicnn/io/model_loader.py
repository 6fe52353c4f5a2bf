"""``load_model(path)``: rebuild the ``Sequential`` saved in a model file, trusting nothing in it.

The file format and the reasons behind it are described in :mod:`minicnn.io.model_file`;
the archive checks (no zip bombs, no pickle, exact member list) in :mod:`minicnn.io.archive`.
This module adds what needs the ``Sequential`` class: the loader rebuilds the
architecture, works out itself which arrays it needs with which shapes and
dtypes, and compares that with ``model.json`` and with the archive's member
list before it reads a single array.
"""
import contextlib
import json
import os
import zipfile

import numpy as np

from .. import backend
from ..model import Sequential
from .archive import ModelFileError, check_member_names, explained, member_table, read_array, refuse_other_formats
from .model_file import (DTYPES, EXTENSION, FORMAT_NAME, FORMAT_VERSION, LOSS_CLASSES, MAX_META_BYTES, META_MEMBER,
                         OPTIMIZER_CLASSES, layout, slot_members, weight_members)


def load_model(path):
    """The model saved at ``path`` by ``model.save``: architecture, weights, compile
    settings, optimizer state, ``epochs_completed`` and ``fit_seed``.

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
            model, expected = _rebuild(meta, path)
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
            raise ModelFileError(f"{self.path}: the architecture in model.json needs more weights than the "
                                 f"file holds (a weight of shape {tuple(size)} among them); the file is not "
                                 f"trusted and nothing was built.")
        return np.random.default_rng(0).uniform(low, high, size=size)


@contextlib.contextmanager
def _building_in(dtype, path):
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


def _rebuild(meta, path):
    """``(model, expected)``: the model with fresh weights, compiled as saved, and
    ``{member: (shape, dtype)}`` for every array it needs, checked against ``model.json``."""
    dtype = meta.get("dtype")
    if dtype not in DTYPES:
        raise ModelFileError(f"{path}: dtype must be one of {DTYPES}. Received {dtype!r}.")
    with explained(path, "model.json holds an architecture minicnn cannot build"), _building_in(dtype, path):
        model = Sequential.from_config(meta["architecture"])
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
