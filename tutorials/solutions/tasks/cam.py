import numpy as np


def cam_from_weights(feature_maps, dense_kernel, classes):
    """CAM (Zhou et al., 2016) of a network ending in GlobalAveragePooling2D -> Dense.

    feature_maps: (N, h, w, K), what GAP averages; dense_kernel: (K, classes) the Dense layer's kernel;
    classes: (N,) the class each image's map explains.
    Returns the raw maps (N, h, w): for image n, sum over k of dense_kernel[k, classes[n]] * feature_maps[n, :, :, k]
    (no ReLU, no resizing, no scaling).
    """
    weights = dense_kernel[:, classes].T                              # (N, K): each image's class column
    return (feature_maps * weights[:, None, None, :]).sum(axis=-1)
