"""``Sequential``: a stack of layers with Keras's ``compile`` / ``fit`` / ``evaluate`` / ``predict``.

Training one batch is three steps:

1. ``forward``: each layer's output is the next layer's input;
2. the loss compares the output with the targets and gives ``dL/doutput``;
3. ``backward``: each layer, last to first, turns ``dL/doutput`` into
   ``dL/dinput`` and fills its ``grads``; the optimizer then updates the weights.

Step 2 and the optimizer are chosen by ``compile`` (``compiling.py``); the
loop over batches is ``fit`` (``training.py``). This file holds the structure:
the layers, the two passes, the weights and the architecture's config.
"""
import os

import numpy as np

from . import backend, checks, losses, saving
from .compiling import CompileMixin
from .layers import LAYER_CLASSES, Input
from .layers.base import unique_name
from .summary import summary_text
from .training import TrainingMixin


def layer_steps(layers, per_layer=False):
    """What runs ``layers``: ``[(number of layers, step), ...]``.

    On the numpy backend every layer runs its own code. On the numba backend
    ``minicnn.fast`` swaps in the compiled twin of each hot layer, and fused
    blocks that cover several layers unless ``per_layer=True`` (one step per
    layer, for tools that need every layer's output).
    """
    if backend.get_backend() == "numba":
        from .fast import plan          # numba loads only when the fast backend runs
        return plan(layers, per_layer)
    return [(1, layer) for layer in layers]


def build_or_keep(layer, input_shape):
    """Build ``layer`` for ``input_shape``, unless it is built already: then it keeps its
    weights (a layer of a trained model reused in a new one) and must fit the shape."""
    if not layer.built:
        layer.build(input_shape)
    elif tuple(layer.input_shape) != tuple(input_shape):
        raise ValueError(f"Layer {layer.name!r} was built for inputs of shape {tuple(layer.input_shape)} "
                         f"but now receives {tuple(input_shape)}. Reuse it where that shape reaches it, "
                         f"or make a new layer.")


class Sequential(CompileMixin, TrainingMixin):
    """A linear stack of layers; itself usable as a layer of another ``Sequential``.

    As a layer (``Sequential([model, Softmax()])``, ``Sequential([data_augmentation, ...])``)
    it keeps its weights, runs its own layers forward and backward, and offers what a layer
    offers: ``params``/``grads``/``state`` named ``"inner_layer/kernel"``, ``trainable``
    (setting it sets every inner layer's, as in Keras), and its config.

    >>> from minicnn.layers import Conv2D, Flatten, Dense
    >>> model = Sequential([Conv2D(8, 3, activation="relu"), Flatten(), Dense(10, activation="softmax")],
    ...                    input_shape=(28, 28, 1))
    >>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    >>> model.count_params()
    54170
    """

    activation = None             # as a layer: no activation of its own to fuse with a loss

    def __init__(self, layers=None, input_shape=None, name=None, trainable=True):
        self.name = name or unique_name("sequential")
        self.layers = []
        self._trainable = bool(trainable)
        self.input_shape = None
        self.optimizer = self.loss = None
        self.metrics, self.compiled_metrics = [], []
        self.stop_training = False
        self._last_pass = None
        for layer in layers or []:
            self.add(layer)
        if input_shape is not None:
            self.build(input_shape)
        if not trainable:
            self.trainable = False

    # ---------------------------------------------------------------- structure
    def add(self, layer):
        """Append a layer; if the model is built, build the layer on the last output shape.

        ``Input(shape=...)`` as the first entry, or ``input_shape=`` on the first
        layer, builds the model at once, as in Keras.
        """
        if isinstance(layer, Input):
            if self.layers or self.built:
                raise ValueError("Input(shape=...) can only open a model, before any layer.")
            self.build(layer.shape)
            return
        if not hasattr(layer, "forward") or not hasattr(layer, "backward"):
            raise TypeError(f"Sequential.add expects a minicnn layer; received {layer!r}.")
        self.layers.append(layer)
        if self.built:
            build_or_keep(layer, self.layers[-2].output_shape if len(self.layers) > 1 else self.input_shape)
        elif len(self.layers) == 1 and layer.declared_input_shape is not None:
            self.build(layer.declared_input_shape)

    def build(self, input_shape):
        """Build every layer in turn; ``input_shape`` has no batch axis, e.g. (28, 28, 1).

        A layer built before (taken from a trained model) keeps its weights, as in Keras;
        it must receive the shape it was built for.
        """
        shape = tuple(int(d) for d in input_shape)
        self.input_shape = shape
        self.dtype = backend.floatx()
        for layer in self.layers:
            build_or_keep(layer, shape)
            shape = layer.output_shape

    @property
    def built(self):
        return self.input_shape is not None

    @property
    def declared_input_shape(self):
        """As a layer: a built model says what it receives, so an outer model can build at once."""
        return self.input_shape

    @property
    def output_shape(self):
        return self.layers[-1].output_shape if self.layers else self.input_shape

    def get_layer(self, name=None, index=None):
        """The layer called ``name``, or at position ``index``."""
        if index is not None:
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No layer named {name!r}. The layers are {[l.name for l in self.layers]}.")

    def layer_index(self, layer):
        """Position of a layer given as an index, a name or the layer object."""
        if isinstance(layer, (int, np.integer)):
            return int(layer) % len(self.layers)
        if isinstance(layer, str):
            layer = self.get_layer(layer)
        return self.layers.index(layer)

    # ---------------------------------------------------------------- passes
    def steps(self, layers, per_layer=False):
        """What runs ``layers`` on the current backend (see ``layer_steps``)."""
        return layer_steps(layers, per_layer)

    def forward(self, x, training=False, start=0, stop=None, return_outputs=False):
        """Run layers ``start`` ... ``stop - 1`` on ``x``.

        With ``return_outputs`` the list of every one of those layers' outputs
        is returned instead of the last one: feature maps and CAM read it.
        """
        if not self.built:
            self.build(np.shape(x)[1:])
        steps = self.steps(self.layers[start:stop], per_layer=return_outputs)
        self._last_pass = (start, steps)            # backward walks the same steps back
        outputs = []
        for _, step in steps:
            x = step.forward(x, training)
            if return_outputs:
                outputs.append(x)
        return outputs if return_outputs else x

    def __call__(self, x, training=None):
        """Forward pass on ``x`` converted to the model's float type (building it if needed).

        ``training=None`` lets each layer choose, as in Keras: Dropout and BatchNormalization
        infer, augmentation layers augment (``data_augmentation(images)``).
        """
        x = np.asarray(x)
        if not self.built:
            self.build(x.shape[1:])
        return self.forward(x.astype(self.dtype, copy=False), training)

    def backward_preactivation(self, grad):
        """As a layer: a model has no activation of its own, so this is ``backward``."""
        return self.backward(grad)

    def backward(self, grad_out, from_logits=False, down_to=0, input_gradient=True):
        """Backpropagate from the output of the last forward pass down to the input of layer ``down_to``.

        ``from_logits=True``: ``grad_out`` is the gradient with respect to the last
        layer's pre-activation (its logits), not its output. Returns the gradient
        with respect to the input of layer ``down_to``; every layer passed fills
        its ``grads``. ``input_gradient=False`` (training) stops at the lowest layer
        with weights and returns None: the input is data, nothing below learns from it.
        """
        if self._last_pass is None:
            raise ValueError("backward: run a forward pass first.")
        start, steps = self._last_pass
        lowest = down_to
        if not input_gradient:
            lowest = next((i for i in range(down_to, len(self.layers)) if self.layers[i].trainable_weights),
                          down_to)
        position = start + sum(count for count, _ in steps)        # one past the last layer that ran
        grad = grad_out
        for number, (count, step) in enumerate(reversed(steps)):
            position -= count
            if position < down_to:
                raise ValueError(f"backward: layer {down_to} lies inside a fused block; run "
                                 f"forward(..., return_outputs=True) to get one step per layer.")
            if number == 0 and from_logits:
                grad = step.backward_preactivation(grad)
            elif position <= lowest and not input_gradient:
                # A fast step can skip the input gradient that nobody needs.
                getattr(step, "backward_parameters", step.backward)(grad)
                return None
            else:
                grad = step.backward(grad)
            if position <= lowest:
                break
        return grad if input_gradient else None

    # ---------------------------------------------------------------- weights
    @property
    def weights(self):
        """The model's own weight arrays (not copies), in Keras order: layer by layer, each
        layer's trainable arrays (kernel, bias, gamma, beta) then its non-trainable ones (moving statistics)."""
        return [w for layer in self.layers for w in layer.weights]

    @property
    def trainable_weights(self):
        """The arrays the optimizer moves: the ``params`` of every layer not frozen."""
        if not self.trainable:
            return []
        return [w for layer in self.layers for w in layer.trainable_weights]

    @property
    def gradients(self):
        """The gradient arrays from the last backward pass, in the order of ``trainable_weights``."""
        if not self.trainable:
            return []
        return [grad for layer in self.layers for grad in
                (layer.gradients if isinstance(layer, Sequential) else
                 [layer.grads[k] for k in layer.params] if layer.trainable else [])]

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        """``model.trainable = False`` freezes the model and every layer in it, as in Keras."""
        self._trainable = bool(value)
        for layer in self.layers:
            layer.trainable = bool(value)

    # As a layer of another model: its layers' arrays under "inner_layer/name".
    @property
    def params(self):
        return {f"{layer.name}/{k}": w for layer in self.layers for k, w in layer.params.items()}

    @property
    def grads(self):
        return {f"{layer.name}/{k}": g for layer in self.layers for k, g in layer.grads.items()}

    @property
    def state(self):
        return {f"{layer.name}/{k}": w for layer in self.layers for k, w in layer.state.items()}

    @property
    def rng(self):
        return self.layers[0].rng if self.layers else None

    @rng.setter
    def rng(self, generator):
        """The training loop reseeds every layer's generator per epoch; a model passes it on."""
        for layer in self.layers:
            layer.rng = generator

    def get_weights(self):
        """Copies of all weights, a flat list in Keras order (``keras_model.get_weights()`` fits)."""
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        """Overwrite all weights from a flat list in Keras order, checking count and shapes."""
        self._require_built("set_weights")
        own = self.weights
        if len(weights) != len(own):
            raise ValueError(f"set_weights got {len(weights)} arrays but the model has {len(own)} weights "
                             f"(shapes {[w.shape for w in own]}).")
        for i, (target, value) in enumerate(zip(own, weights)):
            value = np.asarray(value)
            if value.shape != target.shape:
                raise ValueError(f"set_weights: array {i} has shape {value.shape}, the model's weight "
                                 f"there has shape {target.shape}.")
            target[...] = value

    def count_params(self):
        return sum(layer.count_params() for layer in self.layers)

    def summary(self, print_fn=print):
        """Print the layers, output shapes and parameter counts as Keras does."""
        self._require_built("summary")
        print_fn(summary_text(self))

    # ---------------------------------------------------------------- checks
    def _require_built(self, what):
        if not self.built:
            raise ValueError(f"{what}: the model is not built yet. Pass input_shape=(28, 28, 1) to "
                             f"Sequential, or call the model on data first.")

    def _checked(self, x, y=None):
        """Validate ``x`` (and ``y``) against the model; build from ``x`` if needed."""
        x = checks.check_inputs(x, self.input_shape)
        if not self.built:
            self.build(x.shape[1:])
        if y is None:
            return x
        sparse = isinstance(self.loss, losses.SparseCategoricalCrossentropy)
        y = checks.check_targets(y, len(x), self.output_shape[-1], sparse, loss_name=self.loss.name)
        return x, y if sparse else y.astype(self.dtype, copy=False)     # one-hot float64 (Keras's) -> ours

    # ---------------------------------------------------------------- config
    def get_config(self):
        """Architecture as JSON-ready data: ``Sequential.from_config`` rebuilds it."""
        return {"name": self.name, "input_shape": self.input_shape,
                **({} if self.trainable else {"trainable": False}),
                "layers": [{"class_name": type(l).__name__, "config": l.get_config()} for l in self.layers]}

    @classmethod
    def from_config(cls, config):
        layers = []
        for entry in config["layers"]:
            if entry["class_name"] == "Sequential":
                layers.append(cls.from_config(entry["config"]))
                continue
            if entry["class_name"] not in LAYER_CLASSES:
                raise ValueError(f"Unknown layer class {entry['class_name']!r}; known: {sorted(LAYER_CLASSES)}.")
            layers.append(LAYER_CLASSES[entry["class_name"]](**entry["config"]))
        return cls(layers, input_shape=config["input_shape"], name=config.get("name", "sequential"),
                   trainable=config.get("trainable", True))

    # ---------------------------------------------------------------- files
    def save(self, path):
        """Write the model to one file (atomically); returns its path. The name picks the format,
        as in Keras 3: ``.keras`` is Keras 3's archive, ``.h5`` Keras's older HDF5 model file (both
        open in ``keras.models.load_model``); any other name is minicnn's own file, which also keeps
        the epoch and seed to resume ``fit`` (``.minicnn`` is added when there is no extension).
        ``minicnn.load_model`` reads all three."""
        if str(path).endswith(KERAS_EXTENSIONS):
            from . import keras_files           # h5py loads only when a Keras file is used
            return keras_files.save_model(self, path)
        return saving.save_model(self, path)

    def save_weights(self, filepath, overwrite=True):
        """Write the weights only (atomically); ``load_weights`` puts them into a model built
        the same way. A name ending in ``.weights.h5`` is Keras 3's format (Keras's ``load_weights``
        reads it), any other minicnn's. ``overwrite=False`` refuses to replace a file (Keras asks
        at a prompt)."""
        if not overwrite and os.path.exists(filepath):
            raise FileExistsError(f"save_weights: {os.fspath(filepath)!r} exists and overwrite=False.")
        if str(filepath).endswith(KERAS_WEIGHTS_EXTENSION):
            from . import keras_files
            keras_files.save_weights_h5(self, filepath)
        else:
            saving.save_weights(self, filepath)

    def load_weights(self, filepath):
        """Set the weights from a file ``save_weights`` wrote (matched by position and shape, as in
        Keras), from Keras's ``.weights.h5``, or from the weights inside a ``.keras`` archive."""
        if str(filepath).endswith((KERAS_WEIGHTS_EXTENSION, ".keras")):
            from . import keras_files
            keras_files.load_weights(self, filepath)
        else:
            saving.load_weights(self, filepath)


KERAS_EXTENSIONS = (".keras", ".h5", ".hdf5")    # Keras's own files, in keras_files.py
KERAS_WEIGHTS_EXTENSION = ".weights.h5"


def load_model(path):
    """The model saved at ``path``, ready to predict or to go on training: a file that
    ``model.save`` wrote, or one Keras wrote (``.keras``, ``.h5``). Nothing in the file runs.

    ``saving.py`` holds minicnn's format, ``keras_files.py`` Keras's, each with the checks
    that make loading safe.
    """
    if str(path).endswith(KERAS_EXTENSIONS):
        from . import keras_files
        return keras_files.load_model(path, Sequential)
    return saving.load_model(path, Sequential)
