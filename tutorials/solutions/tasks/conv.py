import numpy as np


def conv_forward(x, kernel, bias, stride=1, pad=0):
    """The convolution of conv_forward_naive, as one matrix product on im2col's rows.

    x: (N, H, W, C), kernel: (KH, KW, C, F), bias: (F,) -> out: (N, OH, OW, F).
    Use your im2col_matrix. Returns (out, cache).
    """
    n = x.shape[0]
    kh, kw, c, f = kernel.shape
    x_padded = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    oh, ow = (x_padded.shape[1] - kh) // stride + 1, (x_padded.shape[2] - kw) // stride + 1
    cols = im2col_matrix(x_padded, kh, kw, stride)                    # (N*OH*OW, KH*KW*C)
    out = cols @ kernel.reshape(kh * kw * c, f) + bias                  # (N*OH*OW, F)
    cache = (x_padded.shape, cols, kernel, stride, pad)
    return out.reshape(n, oh, ow, f), cache


def conv_backward(grad_out, cache):
    """grad_out: (N, OH, OW, F) -> (dx (N, H, W, C), dkernel (KH, KW, C, F), dbias (F,)). Use your col2im_matrix."""
    x_padded_shape, cols, kernel, stride, pad = cache
    kh, kw, c, f = kernel.shape
    dz = grad_out.reshape(-1, f)                                        # (N*OH*OW, F)
    dkernel = (cols.T @ dz).reshape(kernel.shape)                       # each weight met every patch it multiplied
    dbias = dz.sum(axis=0)
    dcols = dz @ kernel.reshape(kh * kw * c, f).T                       # each patch entry's share
    dx_padded = col2im_matrix(dcols, x_padded_shape, kh, kw, stride)
    _, h, w, _ = x_padded_shape
    return dx_padded[:, pad:h - pad, pad:w - pad, :], dkernel, dbias
