"""Make ``fashion_mnist_sample.npz``, the small class-balanced sample shipped with minicnn.

Run it from anywhere the full data can be found::

    python -m minicnn.datasets.make_sample            # 160 train + 40 test per class
    python -m minicnn.datasets.make_sample --help

The draw is seeded, so the same data gives the same sample byte for byte. The
file also stores which rows of the real data were taken (``train_indices``,
``test_indices``), so anyone can check the sample against the original.
"""
import argparse

import numpy as np

from ..io.atomic import replacing
from .fashion import load_fashion_mnist
from .sample import SAMPLE_PATH

SEED = 3


def balanced_indices(y, per_class, rng):
    """``per_class`` row numbers of each class, drawn without replacement, in shuffled order.

    Parameters
    ----------
    y : ndarray, (N,), integer labels
    per_class : int
    rng : numpy.random.Generator

    Returns
    -------
    ndarray, (num_classes * per_class,)
        Shuffled so that, as in the real data, classes are interleaved.
    """
    chosen = []
    for label in np.unique(y):
        rows = np.flatnonzero(y == label)
        if len(rows) < per_class:
            raise ValueError(f"Class {label} has only {len(rows)} examples; "
                             f"cannot draw per_class={per_class}.")
        chosen.append(rng.choice(rows, size=per_class, replace=False))
    return rng.permutation(np.concatenate(chosen))


def make_sample(out=SAMPLE_PATH, train_per_class=160, test_per_class=40, seed=SEED, path=None):
    """Draw the sample from the full data and save it with ``np.savez_compressed``."""
    (x_train, y_train), (x_test, y_test) = load_fashion_mnist(path, download=False)
    rng = np.random.default_rng(seed)
    train_rows = balanced_indices(y_train, train_per_class, rng)
    test_rows = balanced_indices(y_test, test_per_class, rng)
    with replacing(out) as temp, open(temp, "wb") as file:   # a file object: savez adds no ".npz"
        np.savez_compressed(file, x_train=x_train[train_rows], y_train=y_train[train_rows],
                            x_test=x_test[test_rows], y_test=y_test[test_rows],
                            train_indices=train_rows.astype(np.uint16),
                            test_indices=test_rows.astype(np.uint16), seed=np.int64(seed))
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(SAMPLE_PATH), help="where to write the .npz")
    parser.add_argument("--train-per-class", type=int, default=160)
    parser.add_argument("--test-per-class", type=int, default=40)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--path", help="folder with the full data (default: the usual search)")
    args = parser.parse_args(argv)
    out = make_sample(args.out, args.train_per_class, args.test_per_class, args.seed, args.path)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
