"""Checkers for ``03_convolution_arithmetic.ipynb``: sizes, 'same', receptive fields, sharing, pooling."""
from . import check, close


def check_1(answer):
    """Output size of a 5 x 5 convolution, padding 2 on each side, stride 2, on 28 x 28."""
    return check(1, answer, lambda a: a == (28 + 2 * 2 - 5) // 2 + 1,
                 "OH = (H + 2P - K) // S + 1, with P the padding on one side.")


def check_2(answer):
    """Output sizes of padding='same' with stride 3 on a 28- and a 9-pixel input."""
    return check(2, answer, lambda a: tuple(a) == (10, 3),
                 "'same' pads so that every input position where a window starts, one every S pixels, gives an "
                 "output. Count those starting positions on 28 and on 9 pixels (the last window may overhang).")


def check_3(answer):
    """Receptive field of Conv 5x5 -> MaxPool 2x2 (stride 2) -> Conv 5x5."""
    return check(3, answer, lambda a: a == 14,
                 "Each layer adds (K - 1) times the jump of its input, and the pooling doubles the jump.")


def check_4(answer):
    """Parameters of a Dense layer that maps 14x14x32 to 14x14x64, as Conv2D(64, 3, 'same') does."""
    inputs, outputs = 14 * 14 * 32, 14 * 14 * 64
    return check(4, answer, lambda a: a == inputs * outputs + outputs,
                 "A dense layer connects every input value to every output value, each output with a bias.")


def check_5(answer):
    """(max, average) of the 2 x 2 window [[1, 6], [3, 0]]."""
    return check(5, answer, lambda a: close(a, (6.0, 2.5)),
                 "Give two numbers: the largest of the four, then their mean.")
