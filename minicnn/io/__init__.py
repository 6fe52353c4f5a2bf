"""Files, knowing nothing of models: one atomic write for every writer in minicnn, and a safe archive.

- ``atomic``: :func:`~minicnn.io.atomic.replacing` and the ``write_*`` helpers built on it;
- ``archive``: the checks that let a zip archive of ``.npy`` arrays be read safely.

The model file built on them (its format, saving and loading) is ``minicnn.saving``.
"""
from .._lazy import attach

__getattr__, __dir__ = attach(__name__, __path__, {
    "replacing": "atomic", "write_bytes": "atomic", "write_json": "atomic", "write_text": "atomic"})
