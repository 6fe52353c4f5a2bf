"""Tasks on the layers that regularise: inverted dropout (notebook 04) and batch
normalisation in training and at inference (notebook 06)."""
import numpy as np

from ...layers import BatchNormalization
from ...layers.dropout import dropout_backward, dropout_forward, keep_mask
from ...layers.normalization import normalize
from .feedback import Task, draw
from .layer_check import LayerCase, LayerSpec, run_layer_task
from .reference import run_layer


# ---------------------------------------------------------------- inverted dropout
def dropout_cases(rng):
    """Training at rates 0.5 and 0.25 (batch 1 first), then inference; each call gets a generator from one seed."""
    cases = []
    for shape, rate, training in [((1, 8), 0.5, True), ((2, 4, 4, 3), 0.25, True), ((3, 6), 0.5, False)]:
        seed = int(rng.integers(1_000_000))
        cases.append(LayerCase({"x": draw(rng, shape)},
                               options=lambda rate=rate, training=training, seed=seed: {
                                   "rate": rate, "training": training, "rng": np.random.default_rng(seed)},
                               label=f"On x {shape}, rate {rate}, training={training}: "))
    return cases


def dropout_reference(arrays, options, grad_out):
    x, rate = arrays["x"], options["rate"]
    if not options["training"]:
        return x, {}, {} if grad_out is None else {"x": grad_out}
    keep = keep_mask(options["rng"], x.shape, rate)
    return dropout_forward(x, keep, rate), {}, {} if grad_out is None else {"x": dropout_backward(grad_out, keep, rate)}


def dropout_suspects(arrays, options, grad_out):
    x, rate = arrays["x"], options["rate"]
    keep = keep_mask(options["rng"], x.shape, rate)
    if not options["training"]:
        return {"out": [("at inference (training=False) inverted dropout is the identity: no mask, no scaling.",
                         dropout_forward(x, keep, rate)), ("at inference nothing is dropped.", x * keep)]}
    unscaled = "the survivors are not scaled by 1 / (1 - rate), so the expected output is smaller than x."
    suspects = {"out": [(unscaled, x * keep),
                        ("scaled by (1 - rate); inverted dropout divides by it, so that E[out] = x.",
                         x * keep * (1 - rate)),
                        ("the dropped and kept units are swapped: a unit survives when its uniform number is "
                         ">= rate (probability 1 - rate).", dropout_forward(x, ~keep, rate))]}
    if grad_out is not None:
        suspects["x"] = [(unscaled, grad_out * keep)]
    return suspects


DROPOUT = LayerSpec("dropout_forward", "dropout_backward", {"out": "NHWC", "x": "NHWC"},
                    dropout_reference, dropout_suspects)


# ---------------------------------------------------------------- batch normalisation
def batchnorm_cases(rng):
    cases = []
    for shape, training in [((4, 3), True), ((2, 3, 3, 2), True), ((int(rng.integers(2, 5)), 2, 3, 3), False)]:
        c = shape[-1]
        arrays = {"x": rng.normal(0.5, 2.0, size=shape), "gamma": draw(rng, (c,)) * 2, "beta": draw(rng, (c,))}
        moving = (rng.normal(size=c), rng.uniform(0.5, 2.0, size=c))
        cases.append(LayerCase(arrays, options=lambda moving=moving, training=training: {
            "moving_mean": moving[0].copy(), "moving_var": moving[1].copy(), "training": training,
            "momentum": 0.9, "epsilon": 1e-3}, label=f"On x {shape}, training={training}: "))
    return cases


def batchnorm_reference(arrays, options, grad_out):
    layer = BatchNormalization(momentum=options["momentum"], epsilon=options["epsilon"])
    state = {"moving_mean": options["moving_mean"], "moving_variance": options["moving_var"]}
    out, grads = run_layer(layer, arrays["x"], {"gamma": arrays["gamma"], "beta": arrays["beta"]}, grad_out,
                           training=options["training"], state=state)
    moving = {"moving_mean": layer.state["moving_mean"], "moving_var": layer.state["moving_variance"]}
    return out, moving, grads


def batchnorm_suspects(arrays, options, grad_out):
    x, gamma, beta = arrays["x"], arrays["gamma"], arrays["beta"]
    axes, m = tuple(range(x.ndim - 1)), x.size // x.shape[-1]
    mean, var = x.mean(axis=axes), x.var(axis=axes)
    eps, momentum = options["epsilon"], options["momentum"]
    if not options["training"]:
        x_hat, _ = normalize(x, mean, var, eps)
        return {"out": [("at inference normalise with the moving statistics, not the batch's.", gamma * x_hat + beta)]}
    unbiased, _ = normalize(x, mean, var * m / (m - 1), eps)
    suspects = {"out": [("the variance divides by m - 1; batch normalisation uses the biased variance "
                         "(divide by m = N*H*W).", gamma * unbiased + beta)],
                "moving_mean": [("momentum weights the old moving value: moving = momentum * moving + "
                                 "(1 - momentum) * batch.", momentum * mean + (1 - momentum) * options["moving_mean"])],
                "moving_var": [("momentum weights the old moving value: moving = momentum * moving + "
                                "(1 - momentum) * batch.", momentum * var + (1 - momentum) * options["moving_var"])]}
    if grad_out is not None:
        x_hat, std = normalize(x, mean, var, eps)
        g = grad_out * gamma
        direct, through_mean = g / std, -g.mean(axis=axes) / std
        through_variance = -x_hat * (g * x_hat).mean(axis=axes) / std
        suspects["x"] = [
            ("the path through the variance is missing (every x moves the variance, which moves every x_hat).",
             direct + through_mean),
            ("the path through the mean is missing (every x moves the mean, which moves every x_hat).",
             direct + through_variance),
            ("only the direct path x -> x_hat is there; x also moves the batch's mean and variance.", direct)]
    return suspects


BATCHNORM = LayerSpec("batchnorm_forward", "batchnorm_backward",
                      {"out": "NHWC", "x": "NHWC", "gamma": "C", "beta": "C"}, batchnorm_reference,
                      batchnorm_suspects, extras=("moving_mean", "moving_var"))


def tasks():
    return [
        Task("dropout", "04_layers_and_gradients", "inverted dropout, forward and backward",
             ("dropout_forward", "dropout_backward"),
             run=lambda answer, rng: run_layer_task(DROPOUT, answer, dropout_cases(rng)), cases=dropout_cases, seed=7),
        Task("batchnorm", "06_overfitting_and_regularisation",
             "batch normalisation, forward (training and inference) and backward",
             ("batchnorm_forward", "batchnorm_backward"),
             run=lambda answer, rng: run_layer_task(BATCHNORM, answer, batchnorm_cases(rng)), cases=batchnorm_cases,
             seed=14),
    ]
