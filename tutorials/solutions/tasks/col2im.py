import numpy as np


def col2im_matrix(cols, x_shape, kh, kw, stride):
    """The adjoint of im2col_matrix: put each row's gradients back onto the pixels they came from.

    cols: (N*OH*OW, KH*KW*C), laid out as im2col_matrix returns it; x_shape: (N, H, W, C).
    Returns dx: (N, H, W, C). A pixel that lies in several windows gets the sum of their shares.
    """
    n, h, w, c = x_shape
    oh, ow = (h - kh) // stride + 1, (w - kw) // stride + 1
    windows = cols.reshape(n, oh, ow, kh, kw, c)
    dx = np.zeros(x_shape, dtype=cols.dtype)
    for a in range(kh):
        for b in range(kw):
            dx[:, a:a + stride * (oh - 1) + 1:stride, b:b + stride * (ow - 1) + 1:stride, :] += windows[:, :, :, a, b, :]
    return dx
