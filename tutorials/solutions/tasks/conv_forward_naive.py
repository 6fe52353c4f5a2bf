import numpy as np


def conv_forward_naive(x, kernel, bias, stride=1, pad=0):
    """A convolution (as CNNs mean it: a cross-correlation), written with loops.

    x: (N, H, W, C), kernel: (KH, KW, C, F), bias: (F,).
    pad: how many zeros to add on every side of each image; stride: the step between windows.
    Returns out: (N, OH, OW, F) with OH = (H + 2*pad - KH) // stride + 1 (likewise OW), and
    out[n, i, j, f] = sum over (a, b, c) of x_padded[n, i*stride + a, j*stride + b, c] * kernel[a, b, c, f] + bias[f].
    """
    n, h, w, c = x.shape
    kh, kw, _, f = kernel.shape
    oh, ow = (h + 2 * pad - kh) // stride + 1, (w + 2 * pad - kw) // stride + 1
    x_padded = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    out = np.zeros((n, oh, ow, f))
    for i in range(oh):
        for j in range(ow):
            window = x_padded[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :]   # (N, KH, KW, C)
            for filt in range(f):
                out[:, i, j, filt] = (window * kernel[:, :, :, filt]).sum(axis=(1, 2, 3)) + bias[filt]
    return out
