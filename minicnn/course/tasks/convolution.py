"""Tasks of notebook 04 on convolution: with loops, im2col, col2im, and the layer's backward pass.

The learner's convolution takes ``stride`` and ``pad`` (zeros added on every
side), as CS231n's does; minicnn's Conv2D runs with ``padding="valid"`` on the
same zero-padded input, which is the same thing.
"""
import numpy as np

from ...layers import Conv2D
from ...layers.conv import col2im as minicnn_col2im, im2col as minicnn_im2col
from .feedback import Task, call, compare, describe, draw
from .layer_check import LayerCase, LayerSpec, run_layer_task
from .reference import run_layer

NOTEBOOK = "04_layers_and_gradients"


def pad_images(x, pad):
    return np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))


def conv_geometries(rng):
    """(N, H, W, C, F, KH, KW, stride, pad): batch 1 first, then strides 2 and 3, padding, odd sizes."""
    geometries = [(1, 5, 5, 1, 2, 3, 3, 1, 0)]
    for stride, pad in [(2, 1), (int(rng.integers(1, 4)), 2)]:
        kh, kw = int(rng.integers(2, 4)), int(rng.integers(2, 4))
        h, w = int(rng.integers(kh + 2, 9)), int(rng.integers(kw + 2, 9))
        geometries.append((int(rng.integers(2, 4)), h, w, int(rng.integers(1, 4)), int(rng.integers(2, 5)),
                           kh, kw, stride, pad))
    return geometries


def conv_arrays(rng, n, h, w, c, f, kh, kw):
    return {"x": draw(rng, (n, h, w, c)), "kernel": draw(rng, (kh, kw, c, f)), "bias": draw(rng, (f,))}


def conv_reference_out(x, kernel, bias, stride, pad):
    layer = Conv2D(kernel.shape[3], kernel.shape[:2], strides=stride)
    return run_layer(layer, pad_images(x, pad), {"kernel": kernel, "bias": bias})[0]


def padding_suspects(x, kernel, bias, stride, pad):
    """The convolution of x padded one zero more, or one less, on each side: whole, and cut to the
    right output size (the output-size formula right, the padding not)."""
    right_shape = conv_reference_out(x, kernel, bias, stride, pad).shape
    suspects = []
    for wrong in (pad + 1, pad - 1):
        if wrong < 0 or any(x.shape[1 + axis] + 2 * wrong < kernel.shape[axis] for axis in (0, 1)):
            continue
        out = conv_reference_out(x, kernel, bias, stride, wrong)
        message = f"it is the convolution of x zero-padded by {wrong} on each side, not {pad}: padding off by one."
        suspects += [(message, out), (message, out[:, :right_shape[1], :right_shape[2]])]
    return suspects


# ---------------------------------------------------------------- convolution with loops
def naive_cases(rng):
    cases = []
    for n, h, w, c, f, kh, kw, stride, pad in conv_geometries(rng):
        arrays = conv_arrays(rng, n, h, w, c, f, kh, kw)
        cases.append((arrays, stride, pad, describe(**arrays, stride=stride, pad=pad)))
    return cases


def run_naive(answer, rng):
    for arrays, stride, pad, label in naive_cases(rng):
        out = call(answer, "conv_forward_naive", **{k: v.copy() for k, v in arrays.items()}, stride=stride, pad=pad)
        flipped = dict(arrays, kernel=arrays["kernel"][::-1, ::-1])
        suspects = padding_suspects(**arrays, stride=stride, pad=pad) + [
            ("it is the convolution with the kernel flipped: a CNN's 'convolution' slides the kernel as it is "
             "(a cross-correlation).", conv_reference_out(**flipped, stride=stride, pad=pad))]
        compare("out", out, conv_reference_out(**arrays, stride=stride, pad=pad), "NHWF", suspects, label)
    return "out equals minicnn's Conv2D on 3 drawn geometries (batch 1, strides 1-3, padding 0-2, odd sizes)."


# ---------------------------------------------------------------- im2col
def window_cases(rng):
    """(x, KH, KW, stride) with overlapping windows (stride < kernel) in every case."""
    cases = []
    for n, h, w, c, stride, kh, kw in [(1, 4, 4, 1, 1, 2, 2), (2, 7, 6, 3, 2, 3, 3),
                                       (int(rng.integers(1, 4)), int(rng.integers(5, 9)), int(rng.integers(5, 9)),
                                        2, 1, int(rng.integers(2, 4)), int(rng.integers(2, 4)))]:
        cases.append((draw(rng, (n, h, w, c)), kh, kw, stride))
    return cases


def windows_of(x, kh, kw, stride):
    return minicnn_im2col(x, kh, kw, stride, stride)          # (N, OH, OW, KH, KW, C)


def run_im2col(answer, rng):
    for x, kh, kw, stride in window_cases(rng):
        label = describe(x=x, kernel=f"{kh}x{kw}", stride=stride)
        windows = windows_of(x, kh, kw, stride)
        rows = int(np.prod(windows.shape[:3]))
        suspects = [("each row holds the right numbers in the wrong order: the columns must follow "
                     "kernel.reshape(KH*KW*C, F)'s rows (kernel row, then kernel column, then channel).",
                     windows.transpose(order).reshape(rows, -1)) for order in [(0, 1, 2, 5, 3, 4), (0, 1, 2, 4, 3, 5)]]
        suspects.append(("the rows are ordered by column before row: row r of cols must be output pixel "
                         "(n, i, j) in row-major order.", windows.transpose(0, 2, 1, 3, 4, 5).reshape(rows, -1)))
        cols = call(answer, "im2col_matrix", x.copy(), kh, kw, stride)
        compare("cols", cols, windows.reshape(rows, -1), "RP", suspects, label)
    return "cols equals minicnn's im2col on 3 drawn geometries (batch 1, strides 1 and 2, non-square kernels)."


# ---------------------------------------------------------------- col2im
def run_col2im(answer, rng):
    for x, kh, kw, stride in window_cases(rng):
        label = describe(x=x, kernel=f"{kh}x{kw}", stride=stride)
        windows = windows_of(x, kh, kw, stride)
        dwindows = draw(rng, windows.shape)
        assigned = np.zeros(x.shape)             # the mistake: each window overwrites the one before
        n, oh, ow = windows.shape[:3]
        for a in range(kh):
            for b in range(kw):
                rows, columns = slice(a, a + stride * (oh - 1) + 1, stride), slice(b, b + stride * (ow - 1) + 1, stride)
                assigned[:, rows, columns] = dwindows[:, :, :, a, b]
        suspects = [("pixels that lie in several windows kept only one window's gradient: every window a pixel "
                     "belongs to adds its share (+=, not =).", assigned)]
        dx = call(answer, "col2im_matrix", dwindows.reshape(n * oh * ow, -1).copy(), x.shape, kh, kw, stride)
        compare("dx", dx, minicnn_col2im(dwindows, x.shape, stride, stride), "NHWC", suspects, label)
    return "dx equals minicnn's col2im on 3 drawn geometries with overlapping windows."


# ---------------------------------------------------------------- Conv2D forward and backward
def conv_cases(rng):
    cases = []
    for n, h, w, c, f, kh, kw, stride, pad in conv_geometries(rng):
        cases.append(LayerCase(conv_arrays(rng, n, h, w, c, f, kh, kw),
                               options=lambda stride=stride, pad=pad: {"stride": stride, "pad": pad},
                               label=f"On x {(n, h, w, c)}, kernel {(kh, kw, c, f)}, stride {stride}, pad {pad}: "))
    return cases


def conv_reference(arrays, options, grad_out):
    x, pad = arrays["x"], options["pad"]
    layer = Conv2D(arrays["kernel"].shape[3], arrays["kernel"].shape[:2], strides=options["stride"])
    out, grads = run_layer(layer, pad_images(x, pad), {"kernel": arrays["kernel"], "bias": arrays["bias"]},
                           grad_out)
    if grads:
        grads["x"] = grads["x"][:, pad:pad + x.shape[1], pad:pad + x.shape[2]]
        grads = {name: grads[name] for name in ("x", "kernel", "bias")}
    return out, {}, grads


def conv_suspects(arrays, options, grad_out):
    suspects = {"out": padding_suspects(**arrays, **options)}
    if grad_out is not None:
        _, _, grads = conv_reference({**arrays, "x": pad_images(arrays["x"], options["pad"])},
                                     {**options, "pad": 0}, grad_out)
        suspects["x"] = [("it still has the padding: it should have x's shape (drop the pad rows and columns "
                          "on each side; nothing flows back into the zeros).", grads["x"])] if options["pad"] else []
    return suspects


CONV = LayerSpec("conv_forward", "conv_backward", {"out": "NHWF", "x": "NHWC", "kernel": "ABCF", "bias": "F"},
                 conv_reference, conv_suspects)


def tasks():
    return [
        Task("conv_forward_naive", NOTEBOOK, "a convolution with loops", ("conv_forward_naive",),
             run=run_naive, cases=naive_cases, seed=1),
        Task("im2col", NOTEBOOK, "im2col, every window a row", ("im2col_matrix",), run=run_im2col,
             cases=window_cases, seed=2),
        Task("col2im", NOTEBOOK, "col2im, the windows' gradients back into place", ("col2im_matrix",), run=run_col2im,
             cases=window_cases, seed=3),
        Task("conv", NOTEBOOK, "Conv2D by im2col, forward and backward (dx, dkernel, dbias)",
             ("conv_forward", "conv_backward"),
             run=lambda answer, rng: run_layer_task(CONV, answer, conv_cases(rng)), cases=conv_cases, seed=4,
             needs=("im2col", "col2im")),
    ]
