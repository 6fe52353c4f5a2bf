"""The data: Fashion-MNIST, MNIST, CIFAR-10 and your own folder of images; find or download them,
read them, shape them for a model, look at them.

The pieces, one module each:

- ``idx``: the IDX file format (read and write, with checks);
- ``download``: the one fetcher (pooch) with every data set's mirrors and published hashes;
- ``files``: where the four Fashion-MNIST files are looked for, their checksums;
- ``fashion``: :func:`load_fashion_mnist` and the ``to_model_input`` /
  ``to_categorical`` helpers;
- ``mnist``, ``cifar10``: :func:`load_mnist`, :func:`load_cifar10`, and Keras's
  ``mnist.load_data()``, ``cifar10.load_data()``;
- ``folder``: :func:`image_dataset_from_directory`, a folder of your own images;
- ``sample``: the small sample bundled with the package (``fashion_mnist_sample.npz``),
  made by ``make_sample``;
- ``explore`` (with ``correlation``): class balance, pixel statistics, mean images,
  pixel correlations, PCA (they need matplotlib and scikit-learn);
- ``cli``: what ``python datasets.py fetch|verify|info [--dataset NAME]`` runs.

Each module is imported when first used, so ``import minicnn.datasets`` stays light.
"""
from .._lazy import attach

__getattr__, __dir__ = attach(__name__, __path__, {
    "CLASS_NAMES": "fashion", "load_fashion_mnist": "fashion", "load_files": "fashion",
    "to_categorical": "fashion", "to_model_input": "fashion", "to_unit_range": "fashion", "as_unit_images": "fashion",
    "DataNotFoundError": "files", "find_files": "files", "locate_data": "files",
    "read_idx": "idx", "write_idx": "idx", "load_sample": "sample",
    "image_dataset_from_directory": "folder", "load_mnist": "mnist", "load_cifar10": "cifar10"})

__all__ = ["as_unit_images", "CLASS_NAMES", "DataNotFoundError", "find_files", "image_dataset_from_directory",
           "load_cifar10", "load_fashion_mnist", "load_files", "load_mnist", "load_sample", "locate_data", "read_idx", "to_categorical", "to_model_input", "to_unit_range", "write_idx"]
