"""``minicnn.utils``: the helpers Keras keeps in ``keras.utils``, under the same names.

>>> from minicnn.utils import to_categorical
>>> to_categorical([0, 2], 3)
array([[1., 0., 0.],
       [0., 0., 1.]])
"""
from .datasets.fashion import to_categorical

__all__ = ["to_categorical"]
