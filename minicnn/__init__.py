"""minicnn: convolutional networks from scratch in NumPy and numba, checked against Keras.

>>> import minicnn
>>> from minicnn.layers import Conv2D, MaxPooling2D, Flatten, Dense
>>> model = minicnn.Sequential([Conv2D(32, 3, activation="relu"), MaxPooling2D(2),
...                             Flatten(), Dense(10, activation="softmax")], input_shape=(28, 28, 1))
>>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
"""
from . import callbacks, layers, losses, optimizers
from .backend import floatx, set_floatx, set_random_seed
from .model import Sequential

__version__ = "0.1.0"

__all__ = ["Sequential", "layers", "losses", "optimizers", "callbacks",
           "floatx", "set_floatx", "set_random_seed"]
