"""The one global setting: the float type every layer computes in.

float32 is the default, as in Keras. Gradient checks switch to float64 because
central differences need the extra digits::

    >>> import minicnn
    >>> minicnn.set_floatx("float64")
    >>> minicnn.floatx()
    'float64'
    >>> minicnn.set_floatx("float32")
"""
import ctypes
import os

import numba
import numpy as np

# numba's kernels and NumPy's BLAS take turns on the same cores. With numba's
# OpenMP threading layer, idle OpenMP threads keep spinning and steal the cores
# BLAS needs (a batch took 1.6x to 2x longer on a busy 2-core machine); numba's
# own "workqueue" layer sleeps instead. A user's NUMBA_THREADING_LAYER wins.
if "NUMBA_THREADING_LAYER" not in os.environ:
    numba.config.THREADING_LAYER = "workqueue"


def _keep_freed_arrays_mapped():
    """Let glibc reuse the memory of freed arrays up to 32 MB instead of unmapping it.

    By default a freed 30 MB activation goes back to the operating system, and the
    next batch's array gets fresh pages that numba's threads then fault in at the
    same time, one after another: about 13 ms per such array per batch. Keeping
    freed blocks in the heap (up to 1 GB spare) makes the next batch reuse pages
    already mapped. Only glibc (Linux) has ``mallopt``; elsewhere nothing changes.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return
    m_trim_threshold, m_top_pad, m_mmap_threshold = -1, -2, -3
    mallopt(m_mmap_threshold, 32 * 2**20)     # glibc's largest allowed value
    mallopt(m_trim_threshold, 2**30)
    mallopt(m_top_pad, 256 * 2**20)           # grow the heap in large steps, fewer new pages


_keep_freed_arrays_mapped()

_FLOATX = "float32"
_ALLOWED = ("float32", "float64")


def floatx():
    """Name of the float type new weights and activations use (``"float32"`` by default)."""
    return _FLOATX


def set_floatx(name):
    """Make every new weight, input conversion and buffer use ``name`` (float32 or float64)."""
    global _FLOATX
    if name not in _ALLOWED:
        raise ValueError(f"floatx must be one of {_ALLOWED}. Received {name!r}.")
    _FLOATX = name


_INIT_RNG = np.random.default_rng()


def set_random_seed(seed):
    """Make weight initialisation reproducible, like ``keras.utils.set_random_seed``.

    Layers draw their initial weights from one generator; seeding it makes two
    models built after the same ``set_random_seed(s)`` start from equal weights.
    """
    global _INIT_RNG
    _INIT_RNG = np.random.default_rng(seed)


def init_rng():
    """The generator that layers draw initial weights from."""
    return _INIT_RNG
