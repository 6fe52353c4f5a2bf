"""``minicnn.datasets.fashion_mnist.load_data()``: Fashion-MNIST as ``keras.datasets.fashion_mnist`` gives it.

>>> from minicnn.datasets import fashion_mnist
>>> (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()   # doctest: +SKIP
>>> x_train.shape, x_train.dtype                                        # doctest: +SKIP
((60000, 28, 28), dtype('uint8'))

The files are found as :func:`minicnn.datasets.load_fashion_mnist` finds them (an explicit
folder, ``$FASHION_MNIST_DIR``, Debian's copy, the user cache, then the download).
"""
from .fashion import load_fashion_mnist


def load_data():
    """``((x_train, y_train), (x_test, y_test))``: uint8 images (N, 28, 28) and uint8 labels (N,)."""
    return load_fashion_mnist()
