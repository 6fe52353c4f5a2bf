"""minicnn: convolutional networks from scratch in NumPy and numba, checked against Keras.

>>> import minicnn
>>> from minicnn.layers import Conv2D, MaxPooling2D, Flatten, Dense
>>> model = minicnn.Sequential([Conv2D(32, 3, activation="relu"), MaxPooling2D(2),
...                             Flatten(), Dense(10, activation="softmax")], input_shape=(28, 28, 1))
>>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
>>> (x_train, y_train), (x_test, y_test) = minicnn.load_fashion_mnist(sample=True)
>>> history = model.fit(minicnn.to_model_input(x_train), y_train, epochs=1, verbose=0)

Modules loaded on demand (they pull in matplotlib or scikit-learn):
``minicnn.evaluation``, ``minicnn.report``, ``minicnn.explore``, ``minicnn.cam``,
``minicnn.inspect``, ``minicnn.keras_bridge`` (needs ``pip install "minicnn[keras]"``).
"""
from . import callbacks, datasets, layers, losses, models, optimizers
from .backend import floatx, set_floatx, set_random_seed
from .datasets import CLASS_NAMES, load_fashion_mnist, to_categorical, to_model_input
from .gradcheck import gradcheck
from .model import Sequential
from .saving import ModelFileError, load_model

__version__ = "0.1.0"

__all__ = ["Sequential", "load_model", "ModelFileError", "gradcheck", "layers", "losses", "optimizers", "callbacks",
           "models", "datasets", "load_fashion_mnist", "to_model_input", "to_categorical",
           "CLASS_NAMES", "floatx", "set_floatx", "set_random_seed"]
