"""Tasks of notebook 04 on the simplest layers: Dense, ReLU, global average pooling,
softmax with cross-entropy (the loss and its gradient)."""
import numpy as np

from ...gradcheck import numerical_gradient, relative_error
from ...layers import Dense, GlobalAveragePooling2D, ReLU
from ...losses import SparseCategoricalCrossentropy
from .feedback import Task, Wrong, call, compare, draw, unpack
from .layer_check import LayerCase, LayerSpec, run_layer_task
from .reference import run_layer

NOTEBOOK = "04_layers_and_gradients"


# ---------------------------------------------------------------- Dense
def dense_cases(rng):
    """Batch 1 with as many inputs as units (where a missing transpose still runs), then two others."""
    square = int(rng.integers(2, 6))
    shapes = [(1, square, square), (int(rng.integers(2, 5)), int(rng.integers(2, 7)), int(rng.integers(2, 7))),
              (int(rng.integers(2, 5)), 7, 3)]
    return [LayerCase({"x": draw(rng, (n, d)), "kernel": draw(rng, (d, u)), "bias": draw(rng, (u,))},
                      label=f"On x ({n}, {d}), kernel ({d}, {u}): ") for n, d, u in shapes]


def dense_reference(arrays, options, grad_out):
    out, grads = run_layer(Dense(arrays["kernel"].shape[1]), arrays["x"],
                           {"kernel": arrays["kernel"], "bias": arrays["bias"]}, grad_out)
    return out, {}, grads


def dense_suspects(arrays, options, grad_out):
    if grad_out is None:
        return {}
    x, kernel = arrays["x"], arrays["kernel"]
    suspects = {"bias": [("the mean over the batch; the bias was added to every row, so its gradient "
                          "is a sum over the batch.", grad_out.mean(axis=0))]}
    if kernel.shape[0] == kernel.shape[1]:
        suspects["x"] = [("grad_out times the kernel as it is: a missing transpose (forward maps D inputs "
                          "to U units through kernel (D, U); backward maps U back to D).", grad_out @ kernel)]
    return suspects


DENSE = LayerSpec("dense_forward", "dense_backward", {"out": "NU", "x": "ND", "kernel": "DU", "bias": "U"},
                  dense_reference, dense_suspects)


# ---------------------------------------------------------------- ReLU
def relu_cases(rng):
    shapes = [(1, int(rng.integers(3, 8))), (2, int(rng.integers(3, 6)), int(rng.integers(3, 6)), 2),
              (int(rng.integers(2, 5)), 9)]
    return [LayerCase({"x": draw(rng, shape)}, label=f"On x {shape}: ") for shape in shapes]


def relu_reference(arrays, options, grad_out):
    out, grads = run_layer(ReLU(), arrays["x"], grad_out=grad_out)
    return out, {}, grads


def relu_suspects(arrays, options, grad_out):
    if grad_out is None:
        return {}
    x = arrays["x"]
    return {"x": [("it does not depend on grad_out: the chain rule multiplies ReLU's local slope by the "
                   "gradient arriving from above.", (x > 0).astype(float)),
                  ("it lets the gradient through where grad_out is positive; what decides is the sign of "
                   "the layer's input.", grad_out * (grad_out > 0))]}


RELU = LayerSpec("relu_forward", "relu_backward", {"out": "NHWC", "x": "NHWC"}, relu_reference, relu_suspects)


# ---------------------------------------------------------------- GlobalAveragePooling2D
def gap_cases(rng):
    shapes = [(1, 3, 3, 2), (2, int(rng.integers(2, 6)), int(rng.integers(2, 6)), 3), (3, 5, 4, 1)]
    return [LayerCase({"x": draw(rng, shape)}, label=f"On x {shape}: ") for shape in shapes]


def gap_reference(arrays, options, grad_out):
    out, grads = run_layer(GlobalAveragePooling2D(), arrays["x"], grad_out=grad_out)
    return out, {}, grads


def gap_suspects(arrays, options, grad_out):
    if grad_out is None:
        return {}
    n, h, w, c = arrays["x"].shape
    return {"x": [("every cell received the whole grad_out: each of the H*W cells moved the mean by only "
                   "1/(H*W) of its own change.", np.broadcast_to(grad_out[:, None, None, :], (n, h, w, c)))]}


GAP = LayerSpec("gap_forward", "gap_backward", {"out": "NC", "x": "NHWC"}, gap_reference, gap_suspects)


# ---------------------------------------------------------------- softmax + cross-entropy
OVERFLOW = ("the loss or dscores is inf or NaN on large scores (up to 1000): exp overflows there. Softmax "
            "does not change when the same number is subtracted from every score of a row; choose it so "
            "that exp never sees a large number.")


def softmax_cases(rng):
    """(scores, labels): small scores, batch 1, then scores in the hundreds (where a naive exp overflows)."""
    cases = []
    for n, k, scale in [(1, 3, 2.0), (int(rng.integers(3, 6)), 10, 3.0), (4, 5, 1000.0)]:
        cases.append((rng.uniform(-scale, scale, size=(n, k)), rng.integers(0, k, size=n)))
    return cases


def run_softmax(answer, rng):
    loss_fn = SparseCategoricalCrossentropy(from_logits=True)
    for scores, labels in softmax_cases(rng):
        label = f"On scores {scores.shape} up to {np.abs(scores).max():.0f}: "
        result = unpack(call(answer, "softmax_cross_entropy", scores.copy(), labels.copy()), 2,
                        "softmax_cross_entropy", "(loss, dscores)")
        loss, dscores = (np.asarray(value, dtype=np.float64) for value in result)
        if not (np.all(np.isfinite(loss)) and np.all(np.isfinite(dscores))):
            raise Wrong(label + OVERFLOW)
        target = loss_fn.target(labels, scores)
        n = len(labels)
        compare("loss", loss, loss_fn(labels, scores), "", [
            ("the sum over the batch; the loss is the mean over the N images.", loss_fn(labels, scores) * n)], label)
        expected = loss_fn.logit_gradient(target, scores)
        compare("dscores", dscores, expected, "NK", [
            ("N times too large: the loss is a mean over the N images, so each image's gradient carries 1/N.",
             expected * n)], label)
    scores, labels = softmax_cases(np.random.default_rng(0))[1]
    dscores = np.asarray(call(answer, "softmax_cross_entropy", scores.copy(), labels)[1], dtype=np.float64)
    numeric = numerical_gradient(lambda: float(call(answer, "softmax_cross_entropy", scores, labels)[0]), scores)
    return (f"The loss and dscores equal minicnn's (SparseCategoricalCrossentropy(from_logits=True)) on 3 drawn "
            f"cases, large scores included; gradient check: relative error "
            f"{relative_error(dscores, numeric):.0e}.")


TASKS = [
    ("dense", "the Dense layer, forward and backward", ("dense_forward", "dense_backward"), DENSE, dense_cases),
    ("relu", "ReLU, forward and backward", ("relu_forward", "relu_backward"), RELU, relu_cases),
    ("global_average_pooling", "global average pooling, forward and backward", ("gap_forward", "gap_backward"),
     GAP, gap_cases),
]


def tasks():
    made = [Task(name, NOTEBOOK, title, functions,
                 run=lambda answer, rng, spec=spec, cases=cases: run_layer_task(spec, answer, cases(rng)),
                 cases=cases, seed=number)
            for number, (name, title, functions, spec, cases) in enumerate(TASKS, start=10)]
    made.append(Task("softmax_cross_entropy", NOTEBOOK, "softmax + cross-entropy, the loss and its gradient",
                     ("softmax_cross_entropy",), run=run_softmax, cases=softmax_cases, seed=13))
    return made
