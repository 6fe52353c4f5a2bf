"""Checkers for ``10_minicnn_beside_keras.ipynb``: shapes, weight lists, float32, steps."""
import numbers

from . import check


def check_1(answer):
    """The kernel shape of Conv2D(16, 5) on 3 channels."""
    return check(1, answer, lambda a: tuple(a) == (5, 5, 3, 16),
                 "Channels-last kernels are (KH, KW, C_in, F): the filters come last.")


def check_2(answer):
    """How many arrays get_weights() returns for Conv2D(32, 3), BatchNormalization, MaxPooling2D, Flatten, Dense(10)."""
    hint = ("Count each layer's arrays: build the model (minicnn.Sequential([...], input_shape=(28, 28, 1))) and "
            "list [w.shape for w in model.get_weights()].")
    if isinstance(answer, numbers.Integral) and answer == 6:
        hint = ("Conv2D and Dense hold a kernel and a bias each, but BatchNormalization holds more than "
                "its γ and β: get_weights() also returns the arrays a layer keeps without training them.")
    return check(2, answer, lambda a: a == 8, hint)


def check_3(answer):
    """log2 of float32's machine epsilon."""
    return check(3, answer, lambda a: a == -23,
                 "np.finfo(np.float32).eps is an exact power of 2, so np.log2 of it is the whole number asked for.")


def check_4(answer):
    """Adam steps in one epoch of 60,000 images at batch 32."""
    return check(4, answer, lambda a: a == 60000 // 32,
                 "One step per batch: how many batches of 32 in 60,000 images?")
