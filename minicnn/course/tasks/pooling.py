"""Tasks of notebook 04 on pooling: max pooling and average pooling, forward and backward.

Windows are ``pool x pool`` with a ``stride``, no padding, as ``MaxPooling2D(pool, stride)``.
Max-pool inputs have no ties (``distinct``), so every window has one clear winner.
"""
import numpy as np

from ...layers import AveragePooling2D, MaxPooling2D
from ...layers.conv import col2im
from .feedback import Task, distinct, draw
from .layer_check import LayerCase, LayerSpec, run_layer_task
from .reference import run_layer

NOTEBOOK = "04_layers_and_gradients"


def pool_cases(rng, values):
    """Batch 1 with 2 x 2 windows, overlapping 3 x 3 windows at stride 2, odd sizes at stride 1."""
    geometries = [(1, 4, 4, 1, 2, 2), (2, 7, 7, 3, 3, 2),
                  (int(rng.integers(2, 4)), int(rng.integers(4, 8)), int(rng.integers(4, 8)), 2, 2, 1)]
    return [LayerCase({"x": values(rng, (n, h, w, c))},
                      options=lambda pool=pool, stride=stride: {"pool": pool, "stride": stride},
                      label=f"On x {(n, h, w, c)}, pool {pool}, stride {stride}: ")
            for n, h, w, c, pool, stride in geometries]


def reference(layer_class):
    def run(arrays, options, grad_out):
        out, grads = run_layer(layer_class(options["pool"], options["stride"]), arrays["x"], grad_out=grad_out)
        return out, {}, grads
    return run


def to_every_cell(grad_windows, x, options):
    """Each window's gradient (N, OH, OW, C) sent whole to every cell of that window."""
    n, oh, ow, c = grad_windows.shape
    pool, stride = options["pool"], options["stride"]
    windows = np.broadcast_to(grad_windows[:, :, :, None, None, :], (n, oh, ow, pool, pool, c))
    return col2im(windows, x.shape, stride, stride)


def max_suspects(arrays, options, grad_out):
    if grad_out is None:
        return {}
    return {"x": [("each window's gradient went to every cell of the window: only the cell that was the "
                   "maximum moved the output.", to_every_cell(grad_out, arrays["x"], options))]}


def average_suspects(arrays, options, grad_out):
    if grad_out is None:
        return {}
    return {"x": [("every cell received the window's whole gradient: each of the pool*pool cells moved the "
                   "mean by only 1/(pool*pool) of its own change.", to_every_cell(grad_out, arrays["x"], options))]}


MAX = LayerSpec("max_pool_forward", "max_pool_backward", {"out": "NHWC", "x": "NHWC"},
                reference(MaxPooling2D), max_suspects)
AVERAGE = LayerSpec("avg_pool_forward", "avg_pool_backward", {"out": "NHWC", "x": "NHWC"},
                    reference(AveragePooling2D), average_suspects)


def tasks():
    return [
        Task("max_pool", NOTEBOOK, "max pooling, forward and backward", ("max_pool_forward", "max_pool_backward"),
             run=lambda answer, rng: run_layer_task(MAX, answer, pool_cases(rng, distinct)),
             cases=lambda rng: pool_cases(rng, distinct), seed=5),
        Task("avg_pool", NOTEBOOK, "average pooling, forward and backward", ("avg_pool_forward", "avg_pool_backward"),
             run=lambda answer, rng: run_layer_task(AVERAGE, answer, pool_cases(rng, draw)),
             cases=lambda rng: pool_cases(rng, draw), seed=6),
    ]
