"""What the layers share besides the protocol: argument checks and a sliding window's geometry.

Along one axis, a window spanning ``span`` cells moved by ``stride`` over ``size`` cells gives::

    "valid":  out = (size - span) // stride + 1          windows that fit entirely
    "same":   out = ceil(size / stride)                  zeros added so the last window fits

Errors quote what was received and say what to do, as Keras's do.
"""
import numbers
from typing import NamedTuple

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


class Window(NamedTuple):
    """Where a sliding-window layer (Conv2D, MaxPooling2D, AveragePooling2D) reads its input.

    Made once, by :func:`sliding_window` when the layer is built (``layer.window``), and
    read by the layer, the fast kernels, the model card and the explain page. Each
    field is a pair, (rows, columns)::

        kernel    (KH, KW)   taps of one window (pool_size for a pool)
        strides   (SH, SW)   rows and columns between two windows
        dilation  (DH, DW)   rows and columns between two taps (1 but for a dilated Conv2D)
        input     (H, W)
        output    (OH, OW)
        pads      ((top, bottom), (left, right))   zeros around the input ("same")

    Output pixel (i, j) reads input pixels ``(i*SH - top + a*DH, j*SW - left + b*DW)``
    for taps ``a < KH, b < KW``.
    """
    kernel: tuple
    strides: tuple
    dilation: tuple
    input: tuple
    output: tuple
    pads: tuple

    @property
    def span(self):
        """``(EH, EW)``: the rows and columns one window covers, ``(K - 1) * D + 1``."""
        return tuple((k - 1) * d + 1 for k, d in zip(self.kernel, self.dilation))

    def kernel_args(self):
        """``(KH, KW, SH, SW, top, left, OH, OW)``: what the fast kernels take after their input."""
        (top, _), (left, _) = self.pads
        return (*self.kernel, *self.strides, top, left, *self.output)

    def as_json(self):
        """The fields and the span as lists: what the explain page reads."""
        fields = {**self._asdict(), "span": self.span}
        return {name: [list(p) if isinstance(p, tuple) else p for p in value] for name, value in fields.items()}


def sliding_window(input_shape, kernel, strides, padding, dilation=(1, 1)):
    """The :class:`Window` of a layer with these arguments on inputs ``(H, W, ...)``.

    ``"valid"``: ``out = (size - span) // stride + 1``, no padding.
    ``"same"``:  ``out = ceil(size / stride)``; the padding needed to fit the last
    window, ``max((out - 1) * stride + span - size, 0)``, is split with the smaller
    half first (TensorFlow's convention, so weights match Keras). Rows that no
    window reaches are never read, so no padding is added for them.
    """
    span = [(k - 1) * d + 1 for k, d in zip(kernel, dilation)]
    output, pads = [], []
    for size, window, stride in zip(input_shape[:2], span, strides):
        if padding == "valid":
            out, before, total = (size - window) // stride + 1, 0, 0
        else:
            out = -(-size // stride)
            total = max((out - 1) * stride + window - size, 0)
            before = total // 2
        output.append(out)
        pads.append((before, total - before))
    return Window(tuple(kernel), tuple(strides), tuple(dilation), tuple(input_shape[:2]), tuple(output), tuple(pads))


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
