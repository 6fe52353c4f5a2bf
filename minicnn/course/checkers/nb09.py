"""Checkers for ``09_looking_inside.ipynb``: receptive field, CAM vs Grad-CAM, deletion, CAM and the logit."""
from . import check, close


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
                 "help(deletion_score) says how the fraction becomes a number of pixels; section 4b's "
                 "20 % is an example.")


def check_4(answer):
    """How much z_c grows when one cell of gap_cnn's 7 x 7 CAM_c grows by 4.9."""
    return check(4, answer, lambda a: close(a, 4.9 / 49),
                 "Section 2 writes z_c with CAM_c: which operation over the 7 x 7 cells turns the map into "
                 "the logit, and how much does one changed cell move its result?")
