"""``Sequential``: a stack of layers with Keras's ``compile`` / ``fit`` / ``evaluate`` / ``predict``.

Training one batch is ``train_step``, four steps in one place:

1. ``forward``: each layer's output is the next layer's input;
2. the loss compares the output with the targets and gives ``dL/doutput``;
3. ``backward``: each layer, last to first, turns ``dL/doutput`` into
   ``dL/dinput`` and fills its ``grads``;
4. the optimizer moves the weights along their gradients.

``compile`` chooses the loss and the optimizer; ``fit`` (``training.py``) loops
over the batches and calls ``train_step`` for each. What runs each layer, its
NumPy code or minicnn.fast's kernels, is the backend's ``plan`` (``plan.py``).
"""
import os
import warnings

import numpy as np

from . import backend, checks, losses, optimizers, regularizers, saving
from .layers import LAYER_CLASSES, Input, Softmax
from .layers.base import unique_name
from .metrics import METRICS, Metric
from .metrics import get as get_metric
from .plan import per_layer
from .summary import summary_text
from .training import Trainer


def plan_for(layers, per_layer_steps=False):
    """The plan that runs ``layers`` on the current backend (``minicnn.set_backend``).

    numpy: every layer runs its own code. numba: ``minicnn.fast`` runs the hot
    layers' compiled twins, and fused blocks unless ``per_layer_steps=True`` (one
    step per layer, for tools that need every layer's output).
    """
    if backend.get_backend() == "numba":
        from .fast import plan          # numba loads only when the fast backend runs
        return plan(layers, per_layer_steps)
    return per_layer(layers)


def build_or_keep(layer, input_shape):
    """Build ``layer`` for ``input_shape``, unless it is built already: then it keeps its
    weights (a layer of a trained model reused in a new one) and must fit the shape."""
    if not layer.built:
        layer.build(input_shape)
    elif tuple(layer.input_shape) != tuple(input_shape):
        raise ValueError(f"Layer {layer.name!r} was built for inputs of shape {tuple(layer.input_shape)} "
                         f"but now receives {tuple(input_shape)}. Reuse it where that shape reaches it, "
                         f"or make a new layer.")


class Sequential(Trainer):
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
        self.stop_training = self.diverged = False
        self._plan = None               # what the last forward pass ran; backward walks it back
        self.reset_metrics()
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
    def forward(self, x, training=False, start=0, stop=None, return_outputs=False):
        """Run layers ``start`` ... ``stop - 1`` on ``x``: each step's output is the next one's input.

        With ``return_outputs`` the list of every one of those layers' outputs
        is returned instead of the last one: feature maps and CAM read it.
        """
        if not self.built:
            self.build(np.shape(x)[1:])
        self._plan = plan_for(self.layers[start:stop], per_layer_steps=return_outputs)
        outputs = []
        with self._plan.running():
            for step in self._plan.steps:
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

    def backward(self, grad_out, from_logits=False, input_gradient=True):
        """Backpropagate ``grad_out`` through the last forward pass, last step first;
        returns the gradient with respect to that pass's input. Every layer passed fills its ``grads``.

        ``from_logits=True``: ``grad_out`` is the gradient with respect to the last
        layer's pre-activation (its logits), not its output. ``input_gradient=False``
        (training) returns None and skips what only the input gradient needs (``plan.py``).
        """
        if self._plan is None:
            raise ValueError("backward: run a forward pass first.")
        grad = grad_out
        with self._plan.running():
            for backward_pass in self._plan.backward_passes(from_logits, input_gradient):
                grad = backward_pass(grad)
        return grad if input_gradient else None

    # ---------------------------------------------------------------- one batch of training
    def compile(self, optimizer="rmsprop", loss="categorical_crossentropy", metrics=("accuracy",)):
        """Choose the optimizer, the loss and the metrics: Keras's names (``"accuracy"``,
        ``"sparse_categorical_accuracy"``...) or objects from ``minicnn.metrics``."""
        self.optimizer = optimizers.get(optimizer)
        self.loss = losses.get(loss)
        self.metrics = list(metrics or [])
        unknown = [m for m in self.metrics if not isinstance(m, Metric) and m not in METRICS]
        if unknown:
            raise ValueError(f"Unknown metrics {unknown}; minicnn knows {sorted(METRICS)} and the classes in "
                             f"minicnn.metrics. For precision, recall and F1 use minicnn.runs.metrics on "
                             f"model.predict(x).")
        self.compiled_metrics = [get_metric(m) for m in self.metrics]      # "acc" -> a fresh object named "acc"
        self.reset_metrics()

    def train_step(self, data):
        """One batch of training, as Keras's ``train_step``: ``fit`` calls it for every batch.

        ``data`` is ``(x, y)`` or ``(x, y, sample_weight)``, already checked (``fit``
        checks the whole arrays once). Returns the logs: the mean loss and the compiled
        metrics of the batches since ``reset_metrics`` (``fit`` resets them at each epoch).
        Override it in a subclass to change what a batch of training does.

        The divergence guard: a batch whose loss, gradients or update are not finite
        moves no weight, warns, and sets ``stop_training`` and ``diverged``; its logs carry the loss.
        """
        x, y, sample_weight = unpack_data(data)
        x = np.asarray(x).astype(self.dtype, copy=False)
        output = self.forward(x, training=True)                              # 1
        loss, grad, from_logits = self.compute_loss(y, output, sample_weight)  # 2
        finite = np.isfinite(loss)
        if finite:
            self.backward(grad, from_logits=from_logits, input_gradient=False)  # 3
            for layer in self.layers:
                regularizers.add_gradients(layer)
            finite = self.apply_gradients()                                  # 4
        if not finite:
            self._diverged(loss)
        return self.update_metrics(loss, output, y, sample_weight)

    def compute_loss(self, y, output, sample_weight=None, with_gradient=True):
        """``(loss, dL/doutput, from_logits)`` for the last forward pass's ``output``.

        The loss includes the regularizers' penalties. When the network ends in a
        softmax and the loss is a cross-entropy on probabilities, the gradient is
        the fused ``(softmax(z) - y) / N`` on the logits ``z`` (as Keras computes it),
        not a division by tiny probabilities: then ``from_logits`` is True. With
        ``sample_weight`` (N,) the loss is Keras's ``sum_i w_i loss_i / N``; sample i's
        loss depends only on row i of the output, so its gradient is row i's, times ``w_i``.
        """
        fused = self._fused_softmax()
        if fused:
            logits = self.layers[-1].activation.logits
            target = self.loss.target(y, logits)
            if sample_weight is None:
                value = self.loss.value_from_logits(target, logits)
            else:
                value = float((self.loss.per_sample_from_logits(target, logits) * sample_weight).mean())
            grad = self.loss.logit_gradient(target, logits) if with_gradient else None
        else:
            value = self.loss(y, output) if sample_weight is None else \
                float((self.loss.per_sample(y, output) * sample_weight).mean())
            grad = self.loss.gradient(y, output) if with_gradient else None
        if grad is not None and sample_weight is not None:
            grad = grad * sample_weight.reshape(-1, *[1] * (grad.ndim - 1)).astype(grad.dtype)
        return value + self.penalty(), grad, fused

    def _fused_softmax(self):
        """True when the fused softmax + cross-entropy gradient applies to this model's head."""
        return (isinstance(self.loss, (losses.CategoricalCrossentropy, losses.SparseCategoricalCrossentropy))
                and not self.loss.from_logits and isinstance(self.layers[-1].activation, Softmax))

    def penalty(self):
        """The regularizers' penalties, part of the loss (``minicnn.regularizers``); 0 without any."""
        return sum(regularizers.penalty(layer) for layer in self.layers)

    def apply_gradients(self):
        """The optimizer's step from the gradients of the last backward pass.

        Returns False, and moves no weight, when a gradient or a step is NaN/inf.
        """
        gradients = self.gradients
        if not all(np.isfinite(g).all() for g in gradients):
            return False
        return self.optimizer.apply(self.trainable_weights, gradients)

    def _diverged(self, loss):
        self.diverged = True
        where = f"optimizer step {self.optimizer.iterations + 1}"
        if getattr(self, "fit_position", None) is not None:        # fit sets it before each batch
            epoch, batch = self.fit_position
            where += f", epoch {epoch + 1}, batch {batch + 1}"
        warnings.warn(f"Training diverged at {where}: the loss, a gradient or an update is NaN/inf (loss={loss}). "
                      f"Training stopped; the weights are those of the last finite step. Try a lower "
                      f"learning rate or check the inputs.", RuntimeWarning, stacklevel=3)
        self.stop_training = True

    def reset_metrics(self):
        """Start the running loss and metrics afresh (``fit`` does at each epoch, ``evaluate`` at its start)."""
        self._seen, self._loss_sum = 0, 0.0
        for metric in getattr(self, "compiled_metrics", []):
            metric.reset_state()

    def update_metrics(self, loss, output, y, sample_weight=None):
        """Add one batch; returns the logs as Keras names and orders them: ``loss`` (the mean over
        the batches so far, each weighted by its size) and each metric, sorted by name."""
        self._seen += len(output)
        self._loss_sum += float(loss) * len(output)
        for metric in self.compiled_metrics:
            metric.update_state(y, output, sample_weight)
        logs = {"loss": self._loss_sum / self._seen, **{m.name: m.result() for m in self.compiled_metrics}}
        return dict(sorted(logs.items()))

    def test_step(self, data):
        """One batch of evaluation: the forward pass and the loss, no update; returns the logs."""
        x, y, sample_weight = unpack_data(data)
        output = self.forward(np.asarray(x).astype(self.dtype, copy=False), training=False)
        loss = self.compute_loss(y, output, sample_weight, with_gradient=False)[0]
        return self.update_metrics(loss, output, y, sample_weight)

    def compute_gradients(self, x, y, training=False):
        """``(loss, grads)`` for one batch, grads in ``trainable_weights`` order; nothing is updated."""
        self._require_compiled("compute_gradients")
        x, y = self._checked(x, y)
        loss, grad, from_logits = self.compute_loss(y, self.forward(x.astype(self.dtype, copy=False), training))
        if np.isfinite(loss):
            self.backward(grad, from_logits=from_logits, input_gradient=False)
            for layer in self.layers:
                regularizers.add_gradients(layer)
        return loss, [g.copy() for g in self.gradients]

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

    def _require_compiled(self, what):
        if self.loss is None:
            raise ValueError(f"{what}: call model.compile(optimizer=..., loss=...) first.")

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


def unpack_data(data):
    """``(x, y, sample_weight)`` from ``(x, y)`` or ``(x, y, sample_weight)``, as Keras unpacks ``data``."""
    if not isinstance(data, (tuple, list)) or len(data) not in (2, 3):
        raise ValueError(f"train_step expects data as (x, y) or (x, y, sample_weight). Received "
                         f"{type(data).__name__} of length {len(data) if hasattr(data, '__len__') else '?'}.")
    return (*data, None) if len(data) == 2 else tuple(data)

