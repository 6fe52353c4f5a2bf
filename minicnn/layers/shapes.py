"""What the layers share besides the protocol: argument checks and output-size arithmetic.

Along one axis, a window of size ``window`` moved by ``stride`` over ``size`` cells gives::

    "valid":  out = (size - window) // stride + 1        windows that fit entirely
    "same":   out = ceil(size / stride)                  zeros added so the last window fits

Errors quote what was received and say what to do, as Keras's do.
"""
import numbers

import numpy as np


def check_number(layer_name, argument, value, low=-np.inf, high=np.inf, low_included=True):
    """``value`` as a float if it is a real number in [low, high] (NumPy scalars too), or say what is wrong.

    ``low_included=False`` asks for more than ``low`` (an epsilon must be positive). A string such as
    ``"0.9"`` or a bool is refused rather than converted: it is almost always a slip.
    """
    is_real = isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
    if not is_real or not (low <= value if low_included else low < value) or not value <= high:
        bounds = f" in {'[' if low_included else '('}{low}, {high}]"
        raise ValueError(f"{layer_name}: {argument} must be a number{bounds}. Received {argument}={value!r} "
                         f"({type(value).__name__}).")
    return float(value)


def check_positive_ints(layer_name, argument, value, length=2):
    """Turn ``3`` or ``(3, 3)`` into a tuple of ``length`` positive ints, or say what is wrong."""
    if isinstance(value, (int, np.integer)):
        values = (value,) * length
    else:
        try:
            values = tuple(value)
        except TypeError:            # a float such as 2.5: not a count, reported below
            values = (value,)
    if len(values) != length or not all(isinstance(v, (int, np.integer)) and v > 0 for v in values):
        raise ValueError(
            f"{layer_name}: {argument} must be a positive int or a tuple of {length} positive ints. "
            f"Received {argument}={value!r}.")
    return tuple(int(v) for v in values)


def check_padding_mode(layer_name, padding):
    if padding not in ("valid", "same"):
        raise ValueError(f"{layer_name}: padding must be 'valid' or 'same'. Received padding={padding!r}.")
    return padding


def window_geometry(size, window, stride, padding):
    """Output length and padding before the first window along one axis.

    ``"valid"``: ``out = (size - window) // stride + 1``, no padding.
    ``"same"``:  ``out = ceil(size / stride)``; the padding needed to fit the last
    window, ``max((out - 1) * stride + window - size, 0)``, is split with the
    smaller half first (TensorFlow's convention, so weights match Keras).
    """
    if padding == "valid":
        return (size - window) // stride + 1, 0
    out = -(-size // stride)
    total = max((out - 1) * stride + window - size, 0)
    return out, total // 2


def window_padding(size, window, stride, padding):
    """``(out, (before, after))`` along one axis: ``window_geometry`` plus the padding after.

    The padding after is what the last window needs beyond the image (never
    negative: rows that no window reaches are simply never read).
    """
    out, before = window_geometry(size, window, stride, padding)
    return out, (before, max((out - 1) * stride + window - size - before, 0))


def check_image_shape(layer, input_shape):
    """Raise unless ``input_shape`` (no batch axis) is one image, (H, W, C)."""
    if len(input_shape) != 3:
        raise ValueError(f"{type(layer).__name__} '{layer.name}' expects inputs (H, W, C) per image. "
                         f"Received input shape {input_shape}.")


def check_window_fits(layer, input_shape, window):
    """Raise if a ``"valid"`` window is larger than the input: the output would be empty.

    ``window`` is what one window spans: a dilated kernel's ``(K - 1) * D + 1`` per axis.
    """
    height, width = input_shape[0], input_shape[1]
    if window[0] > height or window[1] > width:
        raise ValueError(
            f"{type(layer).__name__} '{layer.name}': window {window} is larger than its input "
            f"{(height, width)}, so the output would be empty. Use padding='same', a smaller "
            f"window, or less pooling before this layer.")
