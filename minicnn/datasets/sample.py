"""The small Fashion-MNIST sample bundled inside minicnn.

``minicnn/datasets/fashion_mnist_sample.npz`` holds 160 training and 40 test images
of each class, drawn with a fixed seed from the real data by
``python -m minicnn.datasets.make_sample``. It is for tutorials, doctests and quick
experiments on machines without the full data; it is only ever used when
asked for (``load_fashion_mnist(sample=True)``).
"""
from pathlib import Path

import numpy as np

SAMPLE_PATH = Path(__file__).resolve().parent / "fashion_mnist_sample.npz"
SAMPLE_KEYS = ("x_train", "y_train", "x_test", "y_test")


def load_sample(path=None):
    """The bundled sample as ``((x_train, y_train), (x_test, y_test))``.

    Returns
    -------
    ``x_train: (1600, 28, 28)``, ``x_test: (400, 28, 28)`` uint8 images and
    their uint8 labels, in the same layout as the full data.
    """
    path = SAMPLE_PATH if path is None else Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"The bundled sample {path} is missing; recreate it with "
                                "python -m minicnn.datasets.make_sample (needs the full data).")
    # allow_pickle=False: an .npz must never be able to run code when loaded.
    with np.load(path, allow_pickle=False) as archive:
        missing = [k for k in SAMPLE_KEYS if k not in archive.files]
        if missing:
            raise ValueError(f"{path} lacks the arrays {missing}; it holds {archive.files}.")
        x_train, y_train, x_test, y_test = (archive[k] for k in SAMPLE_KEYS)
    return (x_train, y_train), (x_test, y_test)
