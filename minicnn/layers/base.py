"""The layer protocol every minicnn layer follows (the shared checks and shape arithmetic are in ``shapes.py``).

A layer's life has three steps, as in Keras:

1. ``__init__`` checks the arguments (``filters``, ``pool_size`` ...);
2. ``build(input_shape)`` learns the input shape (without the batch axis), makes
   ``params`` (name -> array, Keras names and shapes) and the matching ``grads``;
3. ``forward(x, training)`` computes the output and keeps what ``backward``
   needs in ``self.cache``; ``backward(grad_out)`` reads the cache, returns
   ``dL/dx`` and fills ``grads``.

``params`` is read afresh on every pass, so assigning ``layer.params["kernel"]``
takes effect at the next forward pass.

Trainable and non-trainable weights
-----------------------------------
Two dicts hold a layer's arrays:

- ``params``: what gradient descent moves (kernel, bias, gamma, beta). Each has
  a gradient in ``grads``.
- ``state``: what the layer updates itself, without a gradient (BatchNormalization's
  ``moving_mean`` and ``moving_variance``). ``add_state`` registers one.

``layer.weights`` is ``params`` then ``state``, Keras's order, so ``get_weights`` /
``set_weights`` and the model file carry both. ``layer.trainable = False``
freezes a layer: its ``trainable_weights`` is then empty, so the optimizer,
``compute_gradients``, ``gradcheck`` and the regularizers' penalty skip it (its
params count as non-trainable in ``summary()``). A frozen BatchNormalization
also normalises with its moving statistics while training, as in Keras 3.

Layers that end in an activation (``Dense(10, activation="softmax")``) hold it in
``self.activation``. ``backward_preactivation`` starts the backward pass below
that activation: the model uses it for the fused softmax + cross-entropy
gradient, and Grad-CAM uses it to start from class scores.
"""
import collections
import re

import numpy as np

from .. import backend, regularizers


def snake_case(name):
    """``"ZeroPadding2D"`` -> ``"zero_padding2d"``: Keras's rule for layer names."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def unique_name(base):
    """``base`` the first time, then ``base_1``, ``base_2``...: Keras's automatic names."""
    count = Layer._name_counts[base]
    Layer._name_counts[base] += 1
    return base if count == 0 else f"{base}_{count}"


def glorot_uniform(shape, fan_in, fan_out):
    """Keras's default kernel initialiser: U(-limit, limit), limit = sqrt(6 / (fan_in + fan_out)).

    The limit keeps the variance of activations and of gradients roughly equal
    from layer to layer (Glorot & Bengio, 2010).
    """
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return backend.init_rng().uniform(-limit, limit, size=shape).astype(backend.floatx())


class Layer:
    """Base class: holds ``params``/``grads`` dicts, the shapes, the name and the cache.

    ``input_shape=(28, 28, 1)`` (no batch axis) lets the first layer of a model
    say what it receives, as in Keras; the model then builds at once.
    """

    _name_counts = collections.Counter()
    activation = None

    def __init__(self, name=None, input_shape=None, trainable=True):
        self.name = name or self._unique_name()
        self.params = {}                  # trainable arrays, each with a gradient in grads
        self.grads = {}
        self.state = {}                   # non-trainable arrays the layer updates itself
        self.trainable = bool(trainable)
        self.regularizers = {}            # param name -> penalty on it (minicnn.regularizers)
        self.declared_input_shape = None if input_shape is None else tuple(int(d) for d in input_shape)
        self.input_shape = None
        self.output_shape = None
        self.built = False
        self.cache = None                 # what forward keeps for backward
        # Only layers with randomness (Dropout) read it; the model reseeds it per epoch.
        self.rng = np.random.default_rng()

    def _unique_name(self):
        return unique_name(snake_case(type(self).__name__))

    def build(self, input_shape):
        """Record the input shape (no batch axis) and compute the output shape."""
        self.input_shape = tuple(int(d) for d in input_shape)
        self.output_shape = self.compute_output_shape(self.input_shape)
        self.built = True

    def compute_output_shape(self, input_shape):
        """Output shape (no batch axis) for ``input_shape``; layers that change the shape override it."""
        return input_shape

    def add_param(self, name, value):
        """Register a trainable array and a zero gradient of the same shape."""
        self.params[name] = value
        self.grads[name] = np.zeros_like(value)

    def add_state(self, name, value):
        """Register a non-trainable array (no gradient): a moving statistic, say."""
        self.state[name] = value

    @property
    def weights(self):
        """Every array, in Keras's order: the trainable ones, then the non-trainable ones."""
        return [*self.params.values(), *self.state.values()]

    @property
    def trainable_weights(self):
        """The arrays gradient descent moves: ``params``, unless the layer is frozen."""
        return list(self.params.values()) if self.trainable else []

    def forward(self, x, training=False):
        raise NotImplementedError

    def backward(self, grad_out):
        raise NotImplementedError

    def backward_preactivation(self, grad_z):
        """Backward from the output before the activation; without one, that is the output."""
        return self.backward(grad_z)

    def __call__(self, x, training=None):
        """Build on first use (from ``x.shape[1:]``), then run ``forward``.

        ``training=None`` leaves the choice to the layer, as in Keras: Dropout and
        BatchNormalization take it as inference, the augmentation layers as training.
        """
        if not self.built:
            self.build(np.shape(x)[1:])
        return self.forward(x, training=training)

    def count_params(self):
        return int(sum(w.size for w in self.weights))

    def get_config(self):
        """The constructor arguments, JSON-ready, so ``type(layer)(**config)`` rebuilds it."""
        return {"name": self.name, **({} if self.trainable else {"trainable": False})}

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} output_shape={self.output_shape}>"


def weight_regularizers(kernel_regularizer, bias_regularizer):
    """``{"kernel": L2(...), ...}`` for the regularizers given (None: no penalty)."""
    given = {"kernel": regularizers.get(kernel_regularizer), "bias": regularizers.get(bias_regularizer)}
    return {name: regularizer for name, regularizer in given.items() if regularizer is not None}


def regularizer_config(layer):
    """The ``kernel_regularizer`` / ``bias_regularizer`` entries of a layer's config."""
    return {f"{name}_regularizer": regularizers.serialize(layer.regularizers.get(name)) for name in ("kernel", "bias")}


class Input:
    """``minicnn.Input(shape=(28, 28, 1))`` opens a layer list, as ``keras.Input`` does in Keras 3.

    It is not a layer: it only tells the model the shape of one sample (no batch axis).
    """

    def __init__(self, shape, name=None):
        self.shape = tuple(int(d) for d in shape)
        self.name = name

    def __repr__(self):
        return f"<Input shape={self.shape}>"
