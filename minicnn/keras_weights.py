"""Where the arrays sit in Keras's HDF5 files, written and read with h5py (no Keras, no TensorFlow).

Keras 3's layout (``.weights.h5``, and ``model.weights.h5`` inside a ``.keras``)
names each layer's group after its *class*, numbered when a class repeats, because
layer names are not reproducible; inside, the arrays are numbered in the layer's
weight order (kernel, bias; BatchNormalization's gamma, beta, moving mean, moving
variance)::

    vars                              (the model: no arrays, its name as an attribute)
    layers/conv2d/vars/0, /1          Conv2D kernel (KH, KW, C, F), bias (F,)
    layers/conv2d_1/vars/0, /1        the second Conv2D
    layers/flatten/vars               (no arrays)
    layers/sequential/vars            a Sequential inside: no arrays of its own,
    layers/sequential/layers/dense/vars/0, /1     its layers' below it
    optimizer/vars/0, 1, 2 ...        step count, learning rate, then each trainable
                                      weight's slots in turn (Adam: momentum, velocity)

Keras 2's layout (the legacy ``.h5`` model file) names groups after the layers
and lists the names in attributes, in order::

    model_weights/                    attribute layer_names: conv2d, flatten, dense
    model_weights/conv2d/             attribute weight_names: sequential/conv2d/kernel, .../bias
    model_weights/conv2d/sequential/conv2d/kernel
    optimizer_weights/                attribute weight_names: adam/iteration, adam/learning_rate, ...

(a Sequential inside is one entry of ``layer_names``: its layers' arrays listed together,
the trainable ones first, as Keras 2 orders any layer's).

Reading trusts nothing: each array is read only if its shape and dtype are those the
architecture implies, from a plain dataset inside the file (:mod:`minicnn.io.hdf5`).
"""
import warnings

import numpy as np

from .io import hdf5
from .io.archive import ModelFileError
from .layers.base import snake_case

MAX_NAMES_BYTES = 1 << 16          # a list of layer or weight names


# ============================================================================ Keras 3's layout
def layer_groups(model, prefix="layers/"):
    """``(path, layer)`` for every layer: ``layers/<class in snake_case>[_n]``, numbered per class;
    a Sequential inside has its own group, and its layers sit below it in ``<path>/layers/``."""
    counts, found = {}, []
    for layer in model.layers:
        base = snake_case(type(layer).__name__)
        path = prefix + base + (f"_{counts[base]}" if base in counts else "")
        counts[base] = counts.get(base, 0) + 1
        found.append((path, layer))
        if _is_sequential(layer):
            found += layer_groups(layer, f"{path}/layers/")
    return found


def _is_sequential(layer):
    return type(layer).__name__ == "Sequential"


def _own_arrays(layer):
    """The arrays kept in a layer's own group: its weights; none for a Sequential (its layers keep them)."""
    return [] if _is_sequential(layer) else layer.weights


def write_weights(file, model):
    """Keras 3's layout (above) into an open, empty HDF5 file."""
    file.create_group("vars").attrs["name"] = model.name
    for path, layer in layer_groups(model):
        _write_numbered(file.create_group(path), layer.name, _own_arrays(layer))
    if model.optimizer is not None:
        _write_numbered(file.create_group("optimizer"), snake_case(type(model.optimizer).__name__),
                        optimizer_variables(model))


def _write_numbered(group, name, arrays):
    found = group.require_group("vars")
    found.attrs["name"] = name
    for index, array in enumerate(arrays):
        found.create_dataset(str(index), data=array)


def read_weights(file, model, path):
    """Fill ``model`` (and its optimizer) from Keras 3's layout: every layer's group must hold
    exactly its arrays, with the shapes the architecture implies, and no group more."""
    _refuse_other_layers(file, model, "layers", path)
    pairs = []                          # (the model's array, the file's): assigned once all are read
    for group_path, layer in layer_groups(model):
        if _is_sequential(layer):
            _refuse_other_layers(file, layer, f"{group_path}/layers", path)
        arrays = _own_arrays(layer)
        group = hdf5.group(file, f"{group_path}/vars", path) if arrays or group_path in file else {}
        if len(group) != len(arrays):
            raise ModelFileError(f"{path}: {group_path} holds {len(group)} arrays; layer {layer.name!r} "
                                 f"({type(layer).__name__}) has {len(arrays)}.")
        pairs += [(target, hdf5.array(group, str(index), target.shape, target.dtype, path))
                  for index, target in enumerate(arrays)]
    _assign(pairs)
    if model.optimizer is not None and "optimizer" in file:
        group = hdf5.group(file, "optimizer/vars", path)
        restore_optimizer(model, len(group), lambda i, expected: hdf5.array(
            group, str(i), expected.shape, expected.dtype, path), path)


def _assign(pairs):
    """Copy every value read into the model's arrays, only after the whole file was read and checked."""
    for target, value in pairs:
        target[...] = value


def _refuse_other_layers(file, model, folder, path):
    """A group of layers in the file must name exactly the model's layers (checked before reading)."""
    if folder not in file:
        return
    own = {group_path.rsplit("/", 1)[1] for group_path, _ in layer_groups(model, f"{folder}/")
           if group_path.count("/") == folder.count("/") + 1}
    extra = sorted(set(hdf5.group(file, folder, path)) - own)
    if extra:
        raise ModelFileError(f"{path}: the weights file has layers {extra} in {folder} that the architecture "
                             f"does not have (it has {sorted(own)}).")


# ============================================================================ Keras 2's layout
def legacy_order(layer):
    """``[(name, array)]`` in Keras 2's order: the trainable arrays, then the others (a moving
    statistic, a frozen layer's); for a Sequential inside, its layers' arrays named ``conv2d/kernel``."""
    named = [*layer.params.items(), *layer.state.items()]
    trainable = {id(array) for array in layer.trainable_weights}
    return [pair for pair in named if id(pair[1]) in trainable] + [pair for pair in named if id(pair[1]) not in trainable]


def write_legacy_weights(file, model, names, origin):
    """Keras 2's layout (above) into an open HDF5 file; ``names`` are the layer names written,
    ``origin`` the attributes Keras puts on ``model_weights`` (backend, keras_version)."""
    group = file.create_group("model_weights")
    group.attrs.update(origin)
    group.attrs["layer_names"] = np.array([name.encode("utf-8") for name in names])
    labels = {}
    for name, layer in sorted(zip(names, model.layers), key=lambda pair: pair[0]):
        weights = legacy_order(layer)
        labels.update((id(array), f"{model.name}_{name}_{weight}".replace("/", "_")) for weight, array in weights)
        _write_named(group.create_group(name), [f"{model.name}/{name}/{weight}" for weight, _ in weights],
                     [array for _, array in weights])
    _write_named(group.create_group("top_level_model_weights"), [], [])
    if model.optimizer is not None:
        prefix = snake_case(type(model.optimizer).__name__)
        weights = [labels[id(array)] for array in model.trainable_weights]
        _write_named(file.create_group("optimizer_weights"),
                     [f"{prefix}/{label}" for label in _optimizer_labels(model, weights)], optimizer_variables(model))


def _write_named(group, labels, arrays):
    group.attrs["weight_names"] = np.array([label.encode("utf-8") for label in labels]) if labels else np.zeros(0)
    for label, array in zip(labels, arrays):
        group.create_dataset(label, data=array)


def read_legacy_weights(file, model, path):
    """Fill ``model`` from Keras 2's layout. As Keras does, the layers that have weights are
    matched in order with the saved layers that list weight names."""
    group = hdf5.group(file, "model_weights", path)
    saved = [name for name in hdf5.names(group, "layer_names", MAX_NAMES_BYTES, path)
             if hdf5.names(hdf5.group(group, name, path), "weight_names", MAX_NAMES_BYTES, path)]
    layers = [layer for layer in model.layers if layer.weights]
    if len(saved) != len(layers):
        raise ModelFileError(f"{path}: the file has weights for {len(saved)} layers {saved}; the architecture "
                             f"has {len(layers)} layers with weights.")
    pairs = []
    for name, layer in zip(saved, layers):
        layer_group = hdf5.group(group, name, path)
        labels = hdf5.names(layer_group, "weight_names", MAX_NAMES_BYTES, path)
        targets = [array for _, array in legacy_order(layer)]
        if len(labels) != len(targets):
            raise ModelFileError(f"{path}: layer {name!r} has {len(labels)} weights in the file; "
                                 f"{layer.name!r} ({type(layer).__name__}) has {len(targets)}.")
        pairs += [(t, _labelled_array(layer_group, label, t.shape, t.dtype, path)) for label, t in zip(labels, targets)]
    _assign(pairs)
    if model.optimizer is not None and "optimizer_weights" in file:
        group = hdf5.group(file, "optimizer_weights", path)
        labels = hdf5.names(group, "weight_names", MAX_NAMES_BYTES, path)
        restore_optimizer(model, len(labels), lambda i, expected: _labelled_array(
            group, labels[i], expected.shape, expected.dtype, path), path)


def _labelled_array(group, label, shape, dtype, path):
    """The dataset at the ``/``-separated ``label`` below ``group`` (Keras 2 wrote ``conv2d/kernel:0``)."""
    folder, _, name = label.rpartition("/")
    return hdf5.array(hdf5.group(group, folder, path) if folder else group, name, shape, dtype, path)


# ============================================================================ the optimizer's state
def optimizer_variables(model):
    """Keras's list of optimizer variables: the step count, the learning rate (a variable, unless
    a schedule computes it from the step), then each trainable weight's slots in turn (zeros
    before the first step)."""
    optimizer = model.optimizer
    state = optimizer.get_state()
    found = [np.array(state["iterations"], dtype=np.int64)]
    if not optimizer.has_schedule:
        found.append(np.array(optimizer.learning_rate, dtype=np.float32))
    for index, weight in enumerate(model.trainable_weights):
        found += [state[slot][index] if slot in state else np.zeros_like(weight) for slot in optimizer.slot_names]
    return found


def _optimizer_labels(model, weight_labels):
    """Keras 2's names for :func:`optimizer_variables`: ``iteration``, ``learning_rate``, ``<weight>_momentum`` ..."""
    labels = ["iteration"] + ([] if model.optimizer.has_schedule else ["learning_rate"])
    singular = {"momentums": "momentum", "velocities": "velocity"}
    return labels + [f"{label}_{singular[slot]}" for label in weight_labels for slot in model.optimizer.slot_names]


def restore_optimizer(model, count, read, path):
    """Set the optimizer's state from Keras's ``count`` saved variables (``read(index, expected
    array)`` reads one), or warn and leave it fresh, as Keras does, when the count does not fit.
    Keras saves only the step count and rate of an optimizer that has not stepped yet."""
    expected = optimizer_variables(model)
    before_first_step = 1 if model.optimizer.has_schedule else 2
    if count not in (len(expected), before_first_step):
        warnings.warn(f"{path}: the saved optimizer state has {count} arrays; "
                      f"{type(model.optimizer).__name__} here has {len(expected)}, so it starts fresh.",
                      UserWarning)
        return
    arrays = [read(index, array) for index, array in enumerate(expected[:count])]
    slot_names = model.optimizer.slot_names if count == len(expected) else ()
    slots = {slot: arrays[before_first_step + i::len(slot_names)] for i, slot in enumerate(slot_names)}
    model.optimizer.set_state({"iterations": int(arrays[0]), **slots})
