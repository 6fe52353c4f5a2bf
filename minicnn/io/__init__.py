"""Files: one atomic write for every writer in minicnn, and the safe model file.

- ``atomic``: :func:`~minicnn.io.atomic.replacing` and the ``write_*`` helpers built on it;
- ``archive``: the checks that let a zip archive of ``.npy`` arrays be read safely;
- ``model_file``: the model file format and :func:`save_model` (knows nothing of ``Sequential``);
- ``model_loader``: :func:`load_model`, which rebuilds a ``Sequential`` from a file.
"""
from .._lazy import attach

__getattr__, __dir__ = attach(__name__, __path__, {
    "replacing": "atomic", "write_bytes": "atomic", "write_json": "atomic", "write_text": "atomic",
    "ModelFileError": "model_file", "save_model": "model_file", "load_model": "model_loader"})
