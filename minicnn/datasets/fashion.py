"""Fashion-MNIST as NumPy arrays, in the same layout ``keras.datasets.fashion_mnist`` gives.

    >>> from minicnn.datasets import load_fashion_mnist, to_model_input, to_categorical
    >>> (x_train, y_train), (x_test, y_test) = load_fashion_mnist()   # doctest: +SKIP
    >>> x_train.shape, x_train.dtype, y_train.shape                   # doctest: +SKIP
    ((60000, 28, 28), dtype('uint8'), (60000,))
    >>> to_model_input(x_train).shape                                 # doctest: +SKIP
    (60000, 28, 28, 1)
"""
import numpy as np

from ..backend import floatx
from .files import NAMES, locate_data
from .idx import read_idx
from .sample import load_sample

CLASS_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


def load_fashion_mnist(path=None, sample=False, download=True, base_url=None,
                       checksums=None):
    """Load Fashion-MNIST, finding (or, as a last resort, downloading) the files.

    Parameters
    ----------
    path : str or Path, optional
        Folder holding the four IDX files; searched before ``$FASHION_MNIST_DIR``,
        the Debian folder and the user cache (see ``minicnn.datasets.files``).
    sample : bool
        Return the small class-balanced sample bundled with minicnn instead
        (1,600 training and 400 test images). Never used unless asked for.
    download : bool
        Allow downloading into the user cache when no local copy is found.
    base_url, checksums
        Passed to :func:`~minicnn.datasets.files.locate_data` (tests use them).

    Returns
    -------
    ((x_train, y_train), (x_test, y_test))
        ``x_*: (N, 28, 28)`` uint8 in 0..255, ``y_*: (N,)`` uint8 in 0..9;
        N is 60,000 and 10,000 for the full data.
    """
    if sample:
        return load_sample()
    _, _, files = locate_data(path, download=download, base_url=base_url,
                              checksums=checksums)
    return load_files(files)


def load_files(files):
    """Read the four files of a ``find_files`` mapping and check they fit together."""
    missing = [name for name in NAMES if name not in files]
    if missing:
        raise FileNotFoundError(f"Missing Fashion-MNIST files: {', '.join(missing)} "
                                "(each may be gzipped or not). Fetch them with "
                                "python datasets.py fetch.")
    result = []
    for split in ("train", "t10k"):
        images_path, labels_path = files[f"{split}-images-idx3-ubyte"], files[f"{split}-labels-idx1-ubyte"]
        images, labels = read_idx(images_path), read_idx(labels_path)
        if images.ndim != 3 or images.dtype != np.uint8:
            raise ValueError(f"{images_path} should hold uint8 images (N, 28, 28); "
                             f"it holds {images.dtype} of shape {images.shape}.")
        if labels.shape != images.shape[:1] or labels.dtype != np.uint8:
            raise ValueError(f"{labels_path} should hold {len(images)} uint8 labels, one per "
                             f"image in {images_path}; it holds {labels.dtype} of shape {labels.shape}.")
        result.append((images, labels))
    return tuple(result)


def to_model_input(x):
    """Scale uint8 images to floats in [0, 1], with the channel axis our layers expect.

    Parameters
    ----------
    x : ndarray, uint8, (N, H, W) (grey, as Fashion-MNIST and MNIST load) or (N, H, W, C)
        (C = 1, or 3 for colour as CIFAR-10 loads)

    Returns
    -------
    ndarray, (N, H, W, C), dtype ``minicnn.backend.floatx()``
        ``x / 255``: dividing by the largest pixel value puts every input in
        [0, 1], the range the weight initialisers are designed for.
    """
    x = np.asarray(x)
    if x.dtype != np.uint8 or x.ndim not in (3, 4):
        raise ValueError("to_model_input expects uint8 images of shape (N, H, W) or (N, H, W, C), as "
                         f"the loaders return them. Received {x.dtype} of shape "
                         f"{x.shape}; if they are already floats, they are already converted.")
    return to_unit_range(x.reshape(*x.shape[:3], -1)).astype(floatx())


def to_unit_range(images):
    """Pixel values on the [0, 1] scale, as float64: the one place uint8 becomes [0, 1].

    uint8 images (0..255) are divided by 255, the largest pixel value; images in
    any other dtype are taken to be on the [0, 1] scale already. Any shape.
    """
    images = np.asarray(images)
    return images / 255.0 if images.dtype == np.uint8 else images.astype(np.float64)


def to_categorical(y, num_classes=None):
    """One-hot encode integer labels, like ``keras.utils.to_categorical``.

    Parameters
    ----------
    y : array_like, (N,) or (N, 1), integers in ``0 .. num_classes - 1``
    num_classes : int, optional
        Defaults to ``max(y) + 1``.

    Returns
    -------
    ndarray, (N, num_classes), float64 as Keras's (a model casts targets to its own float type)
        Row i is all zeros except a one in column ``y[i]``.

    Examples
    --------
    >>> to_categorical([0, 2], num_classes=3)
    array([[1., 0., 0.],
           [0., 0., 1.]])
    """
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"to_categorical expects labels of shape (N,). Received shape {y.shape}.")
    if y.dtype.kind == "f":  # 3.0 is a fine label; 3.5 (or NaN) is not
        fractional = np.flatnonzero(np.mod(y, 1) != 0)
        if fractional.size:
            i = fractional[0]
            raise ValueError(f"Labels must be whole numbers. Received {y[i]} at index {i}.")
        y = y.astype(np.int64)
    if y.dtype.kind not in "iu":
        raise ValueError(f"Labels must be integers. Received dtype {y.dtype}.")
    if num_classes is None:
        num_classes = int(y.max()) + 1 if y.size else 0
    outside = np.flatnonzero((y < 0) | (y >= num_classes))
    if outside.size:
        i = outside[0]
        raise ValueError(f"Label {y[i]} (at index {i}) is outside 0..{num_classes - 1}. "
                         f"Check the labels, or pass num_classes > {y[i]}.")
    one_hot = np.zeros((len(y), num_classes))
    one_hot[np.arange(len(y)), y] = 1
    return one_hot


def as_unit_images(x):
    """``x`` as float64 images ``(N, H, W)`` in [0, 1], whichever of the two layouts it came in:
    as loaded, ``(N, H, W)`` uint8, or as fed to a model, ``(N, H, W, 1)`` floats in [0, 1]."""
    x = np.asarray(x)
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim != 3:
        raise ValueError("Expected images of shape (N, H, W) or (N, H, W, 1). "
                         f"Received shape {x.shape}.")
    if x.dtype != np.uint8 and x.size and (x.min() < 0 or x.max() > 1):
        raise ValueError(f"Float images must be in [0, 1]; received values in [{x.min()}, "
                         f"{x.max()}]. Pass the uint8 images, or divide by 255 first.")
    return to_unit_range(x)
