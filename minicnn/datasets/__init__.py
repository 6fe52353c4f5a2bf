"""Fashion-MNIST for minicnn: find or download it, read it, and shape it for a model.

The pieces, one module each:

- ``idx``: the IDX file format (read and write, with checks);
- ``files``: where the four files are looked for, the download, the checksums;
- ``fashion``: :func:`load_fashion_mnist` and the ``to_model_input`` /
  ``to_categorical`` helpers;
- ``sample``: the small sample bundled with the package;
- ``cli``: what ``python datasets.py fetch|verify|info`` runs.
"""
from .fashion import (CLASS_NAMES, load_fashion_mnist, load_files, to_categorical,
                      to_model_input)
from .files import DataNotFoundError, find_files, locate_data
from .idx import read_idx, write_idx
from .sample import load_sample

__all__ = ["CLASS_NAMES", "DataNotFoundError", "find_files", "load_fashion_mnist",
           "load_files", "load_sample", "locate_data", "read_idx", "to_categorical",
           "to_model_input", "write_idx"]
