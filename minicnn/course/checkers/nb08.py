"""Checkers for ``08_all_five_seeds.ipynb``: recall on a balanced set, float16 bytes, softmax, CAM shape."""
import math

from . import check, close


def check_1(answer):
    """Macro recall of 9,100 right out of 10 x 1,000."""
    return check(1, answer, lambda a: close(a, 0.91, 1e-4),
                 "With the same number of images in every class, the mean of the per-class recalls "
                 "counts every image once.")


def check_2(answer):
    """Bytes of 421,642 float16 weights."""
    return check(2, answer, lambda a: a == 421_642 * 2,
                 "float16 is 16 bits per number; float32 would be twice as many bytes.")


def check_3(answer):
    """softmax([2, 0, 0])[0]."""
    return check(3, answer, lambda a: close(a, math.exp(2) / (math.exp(2) + 2), 1e-3),
                 "softmax(z)_i = exp(z_i) / sum_j exp(z_j); exp(0) = 1.")


def check_4(answer):
    """Shape of one class's raw CAM for one image of gap_cnn built for 56 x 56 images."""
    return check(4, answer, lambda a: tuple(a) == (14, 14),
                 "The raw map is a weighted sum of the last conv layer's maps, so it has their height and width: "
                 "follow the image's size through the layers, or build the model and read model.summary().")
