"""``minicnn.models``: the model class and the loader under Keras's names (``keras.models``).

``from minicnn.models import Sequential, load_model`` is ``from keras.models import
Sequential, load_model`` with the package name changed.
"""
from .model import Sequential, load_model

__all__ = ["Sequential", "load_model"]
