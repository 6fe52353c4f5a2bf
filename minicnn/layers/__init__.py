"""Layers, channels-last, with Keras's names, arguments and weight shapes."""
from .activations import ELU, Activation, LeakyReLU, ReLU, Softmax
from .augmentation import RandomFlip, RandomRotation, RandomTranslation, RandomZoom
from .base import Input, Layer
from .conv import Conv2D
from .core import Dense, Flatten
from .dropout import Dropout
from .normalization import BatchNormalization
from .padding import ZeroPadding2D
from .pooling import AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D, MaxPooling2D
from .reshaping import Rescaling, Reshape

__all__ = ["Input", "Layer", "Conv2D", "ZeroPadding2D", "MaxPooling2D", "AveragePooling2D", "Dropout",
           "GlobalAveragePooling2D", "Flatten", "Dense", "ReLU", "Softmax", "Activation",
           "LeakyReLU", "ELU", "BatchNormalization", "RandomFlip",
           "GlobalMaxPooling2D", "Rescaling", "Reshape", "RandomTranslation", "RandomRotation", "RandomZoom"]

LAYER_CLASSES = {cls.__name__: cls for cls in
                 (Conv2D, ZeroPadding2D, MaxPooling2D, AveragePooling2D, Dropout,
                  GlobalAveragePooling2D, Flatten, Dense, ReLU, Softmax, Activation,
                  LeakyReLU, ELU, BatchNormalization, RandomFlip,
                  GlobalMaxPooling2D, Rescaling, Reshape, RandomTranslation, RandomRotation, RandomZoom)}
