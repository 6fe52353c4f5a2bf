"""Class Activation Maps and Grad-CAM in one import, as earlier versions of minicnn offered them.

    >>> import minicnn
    >>> heatmaps = minicnn.cam.grad_cam(model, x)        # doctest: +SKIP

The code lives in :mod:`minicnn.interpret`: the maps and both methods in
``interpret.cam``, the deletion score in ``interpret.faithfulness``, the
pictures in ``interpret.pictures``. This module only gathers their names.
"""
from .interpret.cam import (METHODS, cam_weights, class_activation_map, compute_heatmaps, grad_cam,
                            grad_cam_weights, normalize, raw_heatmaps, upsample)
from .interpret.faithfulness import delete_pixels, deletion_score, probabilities
from .interpret.pictures import overlay, plot_cam
from .interpret.targets import gap_head_index, last_conv_index

__all__ = ["METHODS", "cam_weights", "class_activation_map", "compute_heatmaps", "delete_pixels", "deletion_score",
           "gap_head_index", "grad_cam", "grad_cam_weights", "last_conv_index", "normalize", "overlay", "plot_cam",
           "probabilities", "raw_heatmaps", "upsample"]
