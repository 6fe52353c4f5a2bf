"""MNIST, the handwritten digits, as ``keras.datasets.mnist`` gives them.

    >>> from minicnn.datasets import mnist
    >>> (x_train, y_train), (x_test, y_test) = mnist.load_data()   # doctest: +SKIP
    >>> x_train.shape, x_train.dtype, y_train.shape                 # doctest: +SKIP
    ((60000, 28, 28), dtype('uint8'), (60000,))

MNIST ships as the same four IDX files as Fashion-MNIST (same names, same
layout), so they are read by the same code (:func:`minicnn.datasets.fashion.load_files`).
They are looked for in ``path``, then ``$MNIST_DIR``, then the user cache
(``~/.cache/minicnn/mnist``), and only then downloaded, checksum-verified
(:mod:`minicnn.datasets.download`).
"""
from . import download
from .fashion import load_files
from .files import NAMES, find_files

CLASS_NAMES = tuple(str(digit) for digit in range(10))
ENV_VAR = "MNIST_DIR"


def is_complete(folder):
    """True when ``folder`` holds the four files (each gzipped or not)."""
    return len(find_files(folder)) == len(NAMES)


def load_mnist(path=None, download_if_missing=True, base_url=None, registry=None, verbose=True):
    """``((x_train, y_train), (x_test, y_test))``: uint8 images ``(N, 28, 28)``, uint8 labels ``(N,)``.

    ``path``: a folder with the four files (gzipped or not); a folder that lacks them is an
    error. ``base_url`` and ``registry`` replace the mirrors and the hashes (tests use them).
    """
    _, folder = download.locate("mnist", is_complete, path, ENV_VAR,
                                download_if_missing, base_url, registry, verbose)
    return load_files(find_files(folder))


def load_data():
    """Keras's ``mnist.load_data()``: the same arrays as :func:`load_mnist`."""
    return load_mnist()
