"""Checkers for ``10_minicnn_beside_keras.ipynb``: shapes, weight lists, float32, steps."""
from . import check


def check_1(answer):
    """The kernel shape of Conv2D(16, 5) on 3 channels."""
    return check(1, answer, lambda a: tuple(a) == (5, 5, 3, 16),
                 "Channels-last kernels are (KH, KW, C_in, F): the filters come last.")


def check_2(answer):
    """How many arrays get_weights() returns for cnn_32_64_64."""
    return check(2, answer, lambda a: a == 10,
                 "Every Conv2D and Dense layer contributes a kernel and a bias; pooling and Flatten nothing.")


def check_3(answer):
    """log2 of float32's machine epsilon."""
    return check(3, answer, lambda a: a == -23,
                 "Print np.finfo(np.float32).eps and take its log2, or count the mantissa bits float32 stores "
                 "after the leading 1 (np.finfo(np.float32).nmant); the exponent is negative.")


def check_4(answer):
    """Adam steps in one epoch of 60,000 images at batch 32."""
    return check(4, answer, lambda a: a == 60000 // 32,
                 "One step per batch: how many batches of 32 in 60,000 images?")
