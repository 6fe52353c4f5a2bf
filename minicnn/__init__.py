"""minicnn: convolutional networks from scratch in NumPy and numba, checked against Keras.

>>> import minicnn
>>> from minicnn.layers import Conv2D, MaxPooling2D, Flatten, Dense
>>> model = minicnn.Sequential([Conv2D(32, 3, activation="relu"), MaxPooling2D(2),
...                             Flatten(), Dense(10, activation="softmax")], input_shape=(28, 28, 1))
>>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
>>> (x_train, y_train), (x_test, y_test) = minicnn.load_fashion_mnist(sample=True)
>>> history = model.fit(minicnn.to_model_input(x_train), y_train, epochs=1, verbose=0)

The core (``layers``, ``model``, ``training``, ``losses``, ``optimizers``,
``callbacks``, ``gradcheck``) sits at the top; the other parts are folders:
``fast`` (numba kernels), ``io`` (files), ``datasets``, ``interpret`` (CAM,
feature maps, importance), ``runs`` (the command line and its reports) and
``zoo`` (the seed projects' networks). Every module is reachable from here
without importing it first (``minicnn.interpret.cam.grad_cam``, ``minicnn.zoo``):
it is imported the first time it is used (:mod:`minicnn._lazy`), so
``import minicnn`` does not load matplotlib, scikit-learn or Keras.
"""
from . import callbacks, datasets, layers, losses, optimizers
from ._lazy import attach
from ._version import __version__
from .backend import floatx, get_backend, set_backend, set_floatx, set_random_seed
from .datasets import CLASS_NAMES, load_fashion_mnist, to_categorical, to_model_input
from .gradcheck import gradcheck
from .layers import Input
from .model import Sequential, load_model
from .saving import ModelFileError

__getattr__, __dir__ = attach(__name__, __path__)

__all__ = ["Sequential", "Input", "load_model", "ModelFileError", "gradcheck", "layers", "losses", "optimizers",
           "callbacks", "datasets", "load_fashion_mnist", "to_model_input", "to_categorical", "CLASS_NAMES",
           "floatx", "set_floatx", "set_random_seed", "set_backend", "get_backend", "__version__"]
