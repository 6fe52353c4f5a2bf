"""Global settings: the float type, the weight-initialisation seed, and which code runs the layers.

float32 is the default, as in Keras. Gradient checks switch to float64 because
central differences need the extra digits::

    >>> import minicnn
    >>> minicnn.set_floatx("float64")
    >>> minicnn.floatx()
    'float64'
    >>> minicnn.set_floatx("float32")

Two backends compute the same numbers:

- ``"numpy"``: every layer runs its own NumPy code in ``minicnn/layers/``, the
  code a learner reads;
- ``"numba"`` (the default): hot layers run compiled kernels from ``minicnn/fast/``.

Choose with ``minicnn.set_backend("numpy")`` or the environment variable
``MINICNN_BACKEND=numpy`` (read at import). Every model, built, loaded or new,
uses the backend in force at its next forward pass.
"""
import contextlib
import importlib.util
import os
import warnings

import numpy as np

_FLOATX = "float32"
_ALLOWED = ("float32", "float64")
BACKENDS = ("numpy", "numba")


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


@contextlib.contextmanager
def drawing_weights_from(generator):
    """Layers built inside the block draw their initial weights from ``generator``; afterwards the
    generator in use before, in the state it had, is back (the model loader counts every draw)."""
    global _INIT_RNG
    previous, state = _INIT_RNG, _INIT_RNG.bit_generator.state
    _INIT_RNG = generator
    try:
        yield
    finally:
        _INIT_RNG = previous
        previous.bit_generator.state = state


def _checked_backend(name, source):
    if name not in BACKENDS:
        raise ValueError(f"{source} must be one of {BACKENDS}. Received {name!r}.")
    if name == "numba" and importlib.util.find_spec("numba") is None:
        warnings.warn("numba is not installed, so minicnn runs its NumPy layers (slower); "
                      "`pip install numba` for the fast backend.", RuntimeWarning, stacklevel=3)
        return "numpy"
    return name


def set_backend(name):
    """Run layers with ``"numpy"`` (the readable code) or ``"numba"`` (the fast kernels)."""
    global _BACKEND
    _BACKEND = _checked_backend(name, "set_backend's name")


def get_backend():
    """``"numba"`` or ``"numpy"``: which code runs the layers at the next forward pass."""
    return _BACKEND


_BACKEND = _checked_backend(os.environ.get("MINICNN_BACKEND", "numba"), "MINICNN_BACKEND")
