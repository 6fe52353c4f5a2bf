"""Reading an HDF5 file (Keras's ``.h5`` and ``.weights.h5``) without trusting it.

HDF5 is a folder tree inside one file: *groups* (folders) hold *datasets*
(arrays) and both carry *attributes* (small named values). Reading one runs no
code, but a hostile file can still point elsewhere or ask for too much memory,
so every step here checks before it reads:

* **links**: a name in a group may be a *soft link* (another path in the file) or
  an *external link* (a path in another file on this machine); a dataset may
  keep its bytes in *external* files or be *virtual* (a view of other files).
  Only plain (hard-linked, self-contained) groups and datasets are accepted;
* **sizes**: a dataset is read only after its shape and dtype equal what the
  caller expects (what the model's architecture implies), so the file cannot
  choose how much memory is allocated; an attribute is read only after its
  stored size is checked against a limit;
* every error the HDF5 library raises on a damaged file becomes one
  :class:`~minicnn.io.archive.ModelFileError` that names the file
  (:func:`~minicnn.io.archive.explained`, used by the callers).

This module knows nothing of models: it hands out checked groups, arrays and text.
"""
import h5py
import numpy as np

from .archive import ModelFileError

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def is_hdf5(head):
    """Do these first bytes open an HDF5 file?"""
    return head.startswith(HDF5_SIGNATURE)


def child(parent, name, kind, path):
    """``parent[name]`` if it is a plain group or dataset (``kind``), else a ModelFileError."""
    if name not in parent:
        raise ModelFileError(f"{path}: the HDF5 file has no {parent.name.rstrip('/')}/{name}.")
    link = parent.get(name, getlink=True)
    if not isinstance(link, h5py.HardLink):
        raise ModelFileError(f"{path}: {parent.name.rstrip('/')}/{name} is a {type(link).__name__} "
                             f"(it points elsewhere, maybe into another file); minicnn reads only "
                             f"self-contained files.")
    found = parent[name]
    if not isinstance(found, kind):
        raise ModelFileError(f"{path}: {found.name} is a {type(found).__name__}, expected a {kind.__name__}.")
    return found


def group(parent, name, path):
    """The group at ``name`` (a ``/``-separated path below ``parent``), every step checked."""
    for part in name.split("/"):
        parent = child(parent, part, h5py.Group, path)
    return parent


def array(parent, name, shape, dtype, path):
    """The dataset ``parent[name]`` as a NumPy array, read only if its shape and dtype are
    the ``shape`` and ``dtype`` expected and its bytes live in this file."""
    dataset = child(parent, name, h5py.Dataset, path)
    if dataset.external or dataset.is_virtual:
        raise ModelFileError(f"{path}: {dataset.name} keeps its values in other files; minicnn reads "
                             f"only self-contained files.")
    if dataset.shape != tuple(shape) or dataset.dtype != np.dtype(dtype):
        raise ModelFileError(f"{path}: {dataset.name} holds a {dataset.dtype} array of shape {dataset.shape}; "
                             f"the architecture needs {np.dtype(dtype)} {tuple(shape)}.")
    return np.array(dataset[()], dtype=dtype)


def text(obj, name, limit, path):
    """The text attribute ``name`` of a group or file, refused above ``limit`` bytes."""
    if name not in obj.attrs:
        return None
    size = _stored_bytes(obj, name)
    if size > limit:
        raise ModelFileError(f"{path}: the attribute {name!r} of {obj.name} takes {size} bytes, more "
                             f"than the {limit} it can need; the file is not trusted.")
    value = obj.attrs[name]
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    if not isinstance(value, str):
        raise ModelFileError(f"{path}: the attribute {name!r} of {obj.name} is not text.")
    return value


def names(obj, name, limit, path):
    """A list-of-names attribute (``layer_names``, ``weight_names``), which Keras splits into
    ``name0``, ``name1`` ... when it is long; ``[]`` if absent. Refused above ``limit`` bytes."""
    keys = [name] if name in obj.attrs else []
    while name not in obj.attrs and f"{name}{len(keys)}" in obj.attrs:
        keys.append(f"{name}{len(keys)}")
    found = []
    for key in keys:
        size = _stored_bytes(obj, key)
        if size > limit:
            raise ModelFileError(f"{path}: the attribute {key!r} of {obj.name} takes {size} bytes, more "
                                 f"than the {limit} it can need; the file is not trusted.")
        values = np.atleast_1d(obj.attrs[key])
        if values.size and values.dtype.kind not in "SUO":
            raise ModelFileError(f"{path}: the attribute {key!r} of {obj.name} does not hold names.")
        found += [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in values]
    return found


def _stored_bytes(obj, name):
    """The bytes an attribute takes in the file, known before its value is read."""
    attribute = obj.attrs.get_id(name)
    if attribute.get_space().get_simple_extent_npoints() == 0:
        return 0                                  # HDF5 cannot size an empty attribute
    return attribute.get_storage_size()
