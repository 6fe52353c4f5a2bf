"""Files, knowing nothing of models: one atomic write for every writer in minicnn, a safe archive, safe HDF5.

- ``atomic``: :func:`~minicnn.io.atomic.replacing` and the ``write_*`` helpers built on it;
- ``archive``: the checks that let a zip archive of ``.npy`` arrays be read safely;
- ``hdf5``: the checks that let an HDF5 file (Keras's ``.h5``) be read safely.

The model files built on them are ``minicnn.saving`` (minicnn's) and ``minicnn.keras_files`` (Keras's).
"""
from .._lazy import attach

__getattr__, __dir__ = attach(__name__, __path__, {
    "replacing": "atomic", "write_bytes": "atomic", "write_json": "atomic", "write_text": "atomic"})
