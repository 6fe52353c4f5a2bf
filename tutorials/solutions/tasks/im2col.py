import numpy as np


def im2col_matrix(x, kh, kw, stride):
    """Every KH x KW window of x (N, H, W, C), stepping by stride, as one row of a matrix.

    Returns cols: (N*OH*OW, KH*KW*C) with OH = (H - KH) // stride + 1 (likewise OW).
    Row r is output pixel (n, i, j) in row-major order (r = (n*OH + i)*OW + j); its columns
    are the window's values in the order of kernel.reshape(KH*KW*C, F): kernel row a, then
    kernel column b, then channel c. Then cols @ kernel.reshape(-1, F) is the convolution.
    """
    n, h, w, c = x.shape
    oh, ow = (h - kh) // stride + 1, (w - kw) // stride + 1
    windows = np.empty((n, oh, ow, kh, kw, c), dtype=x.dtype)
    for a in range(kh):
        for b in range(kw):
            # kernel offset (a, b) of every window at once: a strided slice of x
            windows[:, :, :, a, b, :] = x[:, a:a + stride * (oh - 1) + 1:stride, b:b + stride * (ow - 1) + 1:stride, :]
    return windows.reshape(n * oh * ow, kh * kw * c)
