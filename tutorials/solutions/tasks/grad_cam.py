import numpy as np


def grad_cam_from_gradients(feature_maps, gradients):
    """Grad-CAM (Selvaraju et al., 2017) from a conv layer's output and the class score's gradient.

    feature_maps: (N, h, w, K), the layer's output A; gradients: (N, h, w, K), d(class score)/dA.
    Each channel's weight is its gradient averaged over space; the map is the ReLU of the
    weighted sum of the channels. Returns (N, h, w), not resized or scaled.
    """
    weights = gradients.mean(axis=(1, 2))                             # (N, K)
    return np.maximum((feature_maps * weights[:, None, None, :]).sum(axis=-1), 0)
