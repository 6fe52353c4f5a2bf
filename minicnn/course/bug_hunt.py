"""Notebook 11's suspects: minicnn layers with one planted bug each, and the tools that find them.

    from minicnn.course import bug_hunt
    model = bug_hunt.suspect_network(["relu", "dropout"])      # two of the layers carry a bug
    bug_hunt.gradcheck_each_layer(model, x)                     # backward bugs: dx or a weight gradient off
    bug_hunt.compare_forward(model, x)                          # forward bugs: minicnn's own layer disagrees

Every bug is a subclass of the real layer that changes one line. Four break the backward
pass, so a numerical gradient check of that layer alone finds them; two keep forward and
backward consistent with each other, so gradient checks pass, and only a comparison with
a trusted layer (the forward check) or the loss at the start and the recorder show them.
The network runs on the NumPy backend (``minicnn.set_backend("numpy")``), so that the
layers' own code runs, not a fused twin.
"""
import numpy as np


from ..backend import floatx, set_random_seed
from ..gradcheck import gradcheck
from ..layers import Conv2D, Dense, Dropout, Flatten, MaxPooling2D, ReLU
from ..layers.base import glorot_uniform
from ..model import Sequential


class ReLUWithoutMask(ReLU):
    """Bug: the backward pass forgets the mask and lets every gradient through."""

    def backward(self, grad_out):
        return grad_out


class MaxPoolingToEveryCell(MaxPooling2D):
    """Bug: the backward pass gives the gradient to every cell of the window, not only the winner."""

    def backward(self, grad_out):
        x_padded_shape, _ = self.cache
        cells = self.pool_size[0] * self.pool_size[1]
        return self.windows_back(np.repeat(grad_out[:, :, :, None, :], cells, axis=3), x_padded_shape)


class DenseAveragingItsGradient(Dense):
    """Bug: dkernel is divided by the batch size (the loss has already averaged over the batch)."""

    def backward_preactivation(self, grad_z):
        dx = super().backward_preactivation(grad_z)
        self.grads["kernel"] = self.grads["kernel"] / len(grad_z)
        return dx


class ConvAveragingItsBias(Conv2D):
    """Bug: dbias is the mean over the output positions instead of their sum."""

    def backward(self, grad_out):
        dx = super().backward(grad_out)
        self.grads["bias"] = self.grads["bias"] / (grad_out.shape[1] * grad_out.shape[2])
        return dx


class DropoutWithoutRescaling(Dropout):
    """Bug: training mode drops values but forgets to scale the survivors by 1 / (1 - rate).

    Forward and backward agree with each other (both skip the scale), so gradient checks pass."""

    def forward(self, x, training=False):
        out = super().forward(x, training)
        return out if self.cache is None else out * (1 - self.rate)

    def backward(self, grad_out):
        dx = super().backward(grad_out)
        return dx if self.cache is None else dx * (1 - self.rate)


class DenseWithoutFanScaling(Dense):
    """Bug: the kernel is initialised with Glorot's limit times sqrt(fan_in + fan_out),
    sqrt(6) instead of sqrt(6 / (fan_in + fan_out)): weights about 20 times too large."""

    def build(self, input_shape):
        super().build(input_shape)
        fan_in = self.input_shape[0]
        self.params["kernel"][...] = glorot_uniform((fan_in, self.units), fan_in, self.units) * np.sqrt(fan_in + self.units)


# Which layer of suspect_network each bug replaces, and with what.
BUGS = {"relu": ("relu_1", ReLUWithoutMask), "pool": ("pool", MaxPoolingToEveryCell),
        "dense": ("dense", DenseAveragingItsGradient), "conv": ("conv", ConvAveragingItsBias),
        "dropout": ("dropout", DropoutWithoutRescaling), "init": ("output", DenseWithoutFanScaling)}
REFERENCE = {ReLUWithoutMask: ReLU, MaxPoolingToEveryCell: MaxPooling2D, DenseAveragingItsGradient: Dense,
             ConvAveragingItsBias: Conv2D, DropoutWithoutRescaling: Dropout, DenseWithoutFanScaling: Dense}


def suspect_network(bugs=(), seed=0, input_shape=(28, 28, 1)):
    """conv - relu_1 - pool - flatten - dense - relu_2 - dropout - output (softmax), compiled with
    Adam; each name in ``bugs`` (keys of :data:`BUGS`) swaps one layer for its buggy twin."""
    unknown = sorted(set(bugs) - set(BUGS))
    if unknown:
        raise ValueError(f"Unknown bugs {unknown}. Known: {', '.join(BUGS)}.")
    swap = {BUGS[bug][0]: BUGS[bug][1] for bug in bugs}
    kind = {name: swap.get(name, default) for name, default in [
        ("conv", Conv2D), ("relu_1", ReLU), ("pool", MaxPooling2D), ("dense", Dense), ("relu_2", ReLU),
        ("dropout", Dropout), ("output", Dense)]}
    set_random_seed(seed)
    model = Sequential([kind["conv"](8, 3, name="conv"), kind["relu_1"](name="relu_1"), kind["pool"](2, name="pool"),
                        Flatten(name="flatten"), kind["dense"](32, name="dense"), kind["relu_2"](name="relu_2"),
                        kind["dropout"](0.3, name="dropout"), kind["output"](10, activation="softmax", name="output")],
                       input_shape=input_shape)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def mystery_network(seed, input_shape=(28, 28, 1)):
    """A network with two bugs drawn by ``seed`` (which ones is what the exercise asks)."""
    return suspect_network(mystery_bugs(seed), seed=seed, input_shape=input_shape)


def mystery_bugs(seed):
    """The two bugs ``mystery_network(seed)`` carries, one that a gradient check finds and one that
    it cannot (for the checker; peeking spoils the hunt)."""
    rng = np.random.default_rng([11, seed])
    return sorted([str(rng.choice(["relu", "pool", "dense", "conv"])), str(rng.choice(["dropout", "init"]))])


def buggy_layers(bugs):
    """The names of the layers the bugs in ``bugs`` sit in."""
    return sorted(BUGS[bug][0] for bug in bugs)


def gradcheck_each_layer(model, x, seed=0):
    """``{layer name: largest relative error}``: each layer alone, on random normal inputs of
    the shape the layers before give it (real activations hold ties and zeros, the kinks of
    max-pooling and ReLU, where a numerical gradient is meaningless).

    Needs float64 (``minicnn.set_floatx("float64")`` before building the model) and small
    images: every entry is nudged twice."""
    rng = np.random.default_rng(seed)
    return {layer.name: max(gradcheck(layer, rng.normal(size=inputs.shape)).values())
            for layer, inputs in zip(model.layers, layer_inputs(model, x))}


def compare_forward(model, x, training=True, seed=0):
    """``{layer name: largest |difference|}`` between each layer and minicnn's own layer of its
    kind with the same weights, on the same input (dropout masks drawn from one seed)."""
    differences = {}
    for layer, inputs in zip(model.layers, layer_inputs(model, x)):
        trusted = REFERENCE.get(type(layer), type(layer))(**layer.get_config())
        trusted.build(inputs.shape[1:])
        for name, value in layer.params.items():
            trusted.params[name][...] = value
        outputs = []
        for candidate in (layer, trusted):
            candidate.rng = np.random.default_rng(seed)
            outputs.append(candidate.forward(inputs, training=training))
        differences[layer.name] = float(np.max(np.abs(outputs[0] - outputs[1])))
    return differences


def layer_inputs(model, x):
    """What each layer of ``model`` receives for the input ``x`` (inference mode)."""
    inputs = [np.asarray(x, dtype=floatx())]
    for layer in model.layers[:-1]:
        inputs.append(layer.forward(inputs[-1], training=False))
    return inputs
