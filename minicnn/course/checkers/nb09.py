"""Checkers for ``09_looking_inside.ipynb``: receptive field, CAM vs Grad-CAM, deletion, faithfulness."""
import numpy as np

from . import check


def check_1(answer):
    """Receptive field (pixels) of a fourth 3 x 3 conv after gap_cnn's last conv layer."""
    return check(1, answer, lambda a: a == 18 + (3 - 1) * 4,
                 "Walk forward: a 3 x 3 conv adds (3 - 1) * jump pixels, a 2 x 2 pool adds (2 - 1) * jump "
                 "and doubles the jump (the input distance between neighbouring cells).")


def check_2(answer):
    """CAM / Grad-CAM of a GAP network with 14 x 14 last maps."""
    return check(2, answer, lambda a: a == 14 * 14,
                 "Write both maps for one channel k: CAM weighs A_k by w[k, c]; Grad-CAM by the mean over the "
                 "positions of dz_c/dA_ijk. Differentiate z_c through the global average pooling.")


def check_3(answer):
    """Pixels deleted per 28 x 28 image at fraction 0.1."""
    return check(3, answer, lambda a: a == round(0.1 * 28 * 28),
                 "k = round(fraction * H * W).")


def check_4(answer):
    """Is a map that does worse than random deletion faithful?"""
    return check(4, answer, lambda a: isinstance(a, (bool, np.bool_)) and not a,
                 "A faithful map points at pixels the model needs: deleting them should hurt more than "
                 "deleting pixels at random.")
