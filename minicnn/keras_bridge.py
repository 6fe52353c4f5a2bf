"""Move models between minicnn and Keras: ``to_keras(model)`` and ``from_keras(keras_model)``.

Both libraries keep images channels-last, ``x: (N, H, W, C)``, and store weights
in the same shapes and the same order (layer by layer, kernel then bias)::

    Conv2D kernel  (KH, KW, C, F)     bias (F,)
    Dense  kernel  (D, U)             bias (U,)

so no weight is ever transposed, and between two models of the same
architecture ``model.set_weights(keras_model.get_weights())`` (or the other way
round) also just works. What this module adds is the architecture: it builds the
twin model layer by layer, with the same names, activations, paddings, strides,
dilations and rates, copies the weights, and carries the compile settings across.

    >>> from minicnn import zoo
    >>> from minicnn.keras_bridge import to_keras, from_keras
    >>> model = zoo.dropout_cnn()
    >>> twin = to_keras(model)                      # a compiled keras.Sequential
    >>> back = from_keras(twin)                     # a compiled minicnn Sequential
    >>> back.get_config() == model.get_config()
    True

Keras is optional: minicnn never imports it at import time, only inside these
functions. Install it with ``pip install "minicnn[keras]"``.

A minicnn layer's constructor arguments are Keras's argument names, so a layer
moves as ``keras.layers.Conv2D(**layer.get_config())`` one way and
``Conv2D(**{argument: keras_config[argument]})`` the other. Regularizers,
frozen layers (``trainable=False``), BatchNormalization's moving statistics and
learning-rate schedules cross too. ``from_keras`` refuses whatever minicnn would
compute differently (``groups=2``, ``channels_first``, a layer minicnn does not
have ...) with an error that names the layer and the option.
"""
import inspect
import warnings

import numpy as np

from . import backend, losses, optimizers, regularizers, schedules
from .layers import LAYER_CLASSES
from .layers.activations import ACTIVATIONS
from .model import Sequential

INSTALL_HINT = 'pip install "minicnn[keras]"'

# Layers whose Keras twin takes ``data_format``; minicnn is always channels-last.
_SPATIAL = {"Conv2D", "ZeroPadding2D", "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D", "Flatten",
            "GlobalMaxPooling2D", "RandomFlip", "RandomTranslation", "RandomRotation", "RandomZoom"}

# Keras options minicnn implements only at one value (Keras's default): anything else is refused.
_ONLY_VALUE = {
    "data_format": "channels_last", "groups": 1, "keepdims": False,
    "noise_shape": None, "max_value": None, "negative_slope": 0.0, "threshold": 0.0, "axis": -1,
    "activity_regularizer": None,
    "kernel_constraint": None, "bias_constraint": None, "synchronized": False, "renorm": False,
    "lora_rank": None, "quantization_config": None,
}
# Keras options that do not change what the copied layer computes: the weights are
# copied, so their initialisers do not matter; Dropout's seed: minicnn draws its own masks.
_IGNORED = {"name", "trainable", "dtype", "kernel_initializer", "bias_initializer", "seed",
            "beta_initializer", "gamma_initializer", "moving_mean_initializer", "moving_variance_initializer",
            "renorm_momentum"}
_ACTIVATIONS = tuple(name for name in ACTIVATIONS if name is not None)
_ACCURACY_NAMES = {"accuracy", "acc", "categorical_accuracy", "sparse_categorical_accuracy",
                   "CategoricalAccuracy", "SparseCategoricalAccuracy"}


def import_keras():
    """``keras``, or an ImportError that says how to install it."""
    try:
        import keras
    except ImportError as error:
        raise ImportError(f"This needs Keras (with TensorFlow), which minicnn does not install by "
                          f"default. Install it with: {INSTALL_HINT}") from error
    return keras


# ============================================================================ minicnn -> Keras
def to_keras(model):
    """The ``keras.Sequential`` twin of a built minicnn ``model``, with identical weights.

    Layer names are kept (unless two minicnn layers share a name, which Keras
    forbids). If ``model`` is compiled, the twin is compiled with the same
    optimizer class and configuration, loss and metrics; the optimizer's state
    (step count, moments) starts fresh, as after ``compile`` in Keras.
    """
    keras = import_keras()
    model._require_built("to_keras")
    used, layers = set(), []
    for layer in model.layers:
        config = layer.get_config()
        if config["name"] in used:
            del config["name"]                      # let Keras number the duplicate
        used.add(config.get("name"))
        if type(layer).__name__ in _SPATIAL:
            config["data_format"] = "channels_last"
        for key in ("kernel_regularizer", "bias_regularizer"):
            if config.get(key) is not None:
                config[key] = getattr(keras.regularizers, config[key]["class_name"])(**config[key]["config"])
        # Keras fixes its default float type when it makes its first layer; ask explicitly.
        layers.append(getattr(keras.layers, type(layer).__name__)(**config, dtype=model.dtype))
    twin = keras.Sequential([keras.Input(model.input_shape, dtype=model.dtype), *layers], name=model.name)
    for layer, keras_layer in zip(model.layers, twin.layers):
        keras_layer.set_weights([w.copy() for w in layer.weights])
    if model.loss is not None:
        twin.compile(optimizer=_keras_optimizer(keras, model.optimizer),
                     loss=getattr(keras.losses, type(model.loss).__name__)(**model.loss.get_config()),
                     metrics=[m if isinstance(m, str) else getattr(keras.metrics, type(m).__name__)(**m.get_config())
                              for m in model.metrics])
    return twin


def _keras_optimizer(keras, optimizer):
    """minicnn's optimizer classes, schedules and their arguments carry Keras's names."""
    config = optimizer.get_config()
    rate = config["learning_rate"]
    if isinstance(rate, dict):
        config["learning_rate"] = getattr(keras.optimizers.schedules, rate["class_name"])(**rate["config"])
    return getattr(keras.optimizers, type(optimizer).__name__)(**config)


# ============================================================================ Keras -> minicnn
def from_keras(keras_model):
    """A minicnn ``Sequential`` with the architecture and weights of a Keras Sequential.

    Raises ``ValueError`` naming the layer and the option when a layer, or one
    of its options, has no minicnn equivalent. If the Keras model is compiled
    with an optimizer and loss minicnn has, the result is compiled the same way;
    otherwise a warning says what was left out and the result is not compiled.
    """
    keras = import_keras()
    if not isinstance(keras_model, keras.Sequential):
        raise TypeError(f"from_keras expects a keras.Sequential model. Received {type(keras_model).__name__}.")
    layers = [_minicnn_layer(layer) for layer in keras_model.layers]
    model = Sequential(layers, input_shape=_input_shape(keras_model), name=keras_model.name)
    for layer, keras_layer in zip(model.layers, keras_model.layers):
        names = [*layer.params, *layer.state]                # Keras's order: trainable, then moving statistics
        for key, target, value in zip(names, layer.weights, keras_layer.get_weights()):
            if value.shape != target.shape:
                raise ValueError(f"from_keras: layer '{layer.name}' weight {key!r} has shape {value.shape} "
                                 f"in Keras but {target.shape} in minicnn.")
            target[...] = value
    if getattr(keras_model, "compiled", False):
        _compile_like(model, keras_model)
    return model


def _input_shape(keras_model):
    """The per-image input shape, e.g. (28, 28, 1); Keras's has a batch axis in front."""
    try:
        shape = keras_model.input_shape
    except (AttributeError, ValueError) as error:
        raise ValueError(f"from_keras: Keras model '{keras_model.name}' has no input shape yet. Start it "
                         f"with keras.Input(shape=(28, 28, 1)).") from error
    if any(d is None for d in shape[1:]):
        raise ValueError(f"from_keras: minicnn needs a fixed input shape; Keras model '{keras_model.name}' "
                         f"has input_shape={shape}.")
    return tuple(shape[1:])


def _minicnn_layer(keras_layer):
    """The minicnn layer equal to ``keras_layer``, or a ValueError naming what differs."""
    kind, name = type(keras_layer).__name__, keras_layer.name
    if kind not in LAYER_CLASSES:
        raise ValueError(f"from_keras: layer '{name}' is a {kind}, which minicnn does not have. "
                         f"minicnn has: {', '.join(sorted(LAYER_CLASSES))}.")
    cls = LAYER_CLASSES[kind]
    config = keras_layer.get_config()
    arguments = _arguments(cls)
    _check_layer(keras_layer, config, arguments)
    for key in ("kernel_regularizer", "bias_regularizer"):
        if config.get(key) is not None:
            regularizer = getattr(keras_layer, key)
            factors = {k: _float32_spelling(v) for k, v in regularizer.get_config().items()}
            config[key] = regularizers.get({"class_name": type(regularizer).__name__, "config": factors})
    layer = cls(**{argument: config[argument] for argument in arguments if argument in config})
    layer.trainable = keras_layer.trainable
    return layer


def _arguments(cls):
    """The named constructor arguments of a layer class and of the classes it extends."""
    names = []
    for klass in cls.__mro__:
        if "__init__" in vars(klass):
            names += [name for name, p in inspect.signature(klass.__init__).parameters.items()
                      if name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL) and name not in names]
    return names


def _check_layer(keras_layer, config, arguments):
    """Raise if an option of ``keras_layer`` makes it compute something minicnn would not."""
    def refuse(option, value, supported):
        raise ValueError(f"from_keras: layer '{keras_layer.name}' ({type(keras_layer).__name__}) has "
                         f"{option}={value!r}; minicnn supports only {option}={supported}.")

    for option, value in config.items():
        if option in _ONLY_VALUE and option not in arguments and not _same(value, _ONLY_VALUE[option]):
            refuse(option, value, repr(_ONLY_VALUE[option]))
        # An option minicnn has never heard of is accepted only at None (Keras's "off").
        if option not in _ONLY_VALUE and option not in _IGNORED and option not in arguments and value is not None:
            refuse(option, value, "None (minicnn does not have this option)")
    if "activation" in config and config["activation"] not in _ACTIVATIONS:
        refuse("activation", config["activation"], " or ".join(map(repr, _ACTIVATIONS)))
    if getattr(keras_layer, "activity_regularizer", None) is not None:
        refuse("activity_regularizer", keras_layer.activity_regularizer, "None")
    if getattr(keras_layer, "lora_enabled", False):
        refuse("lora_enabled", True, "False")
    if getattr(keras_layer, "quantization_mode", None) is not None:
        refuse("quantization_mode", keras_layer.quantization_mode, "None")
    policy = keras_layer.dtype_policy
    if not policy.compute_dtype == policy.variable_dtype == backend.floatx():
        refuse("dtype", policy.name, f"{backend.floatx()!r}, minicnn's floatx (see minicnn.set_floatx)")


def _same(value, expected):
    """Equal after Keras's shorthands: a list is a tuple, ``1`` means ``(1, 1)``."""
    if isinstance(value, list):
        value = tuple(value)
    if isinstance(expected, tuple) and isinstance(value, (int, np.integer)):
        value = (value,) * len(expected)
    return value == expected


# ============================================================================ compile settings
def _compile_like(model, keras_model):
    """Compile ``model`` as ``keras_model`` is, or warn and leave it uncompiled."""
    try:
        optimizer = _minicnn_optimizer(keras_model.optimizer)
        loss = _minicnn_loss(keras_model.loss)
    except ValueError as error:
        warnings.warn(f"from_keras: the model was converted but not compiled: {error}", UserWarning)
        return
    metrics = keras_model.get_compile_config().get("metrics") or []
    names = [m if isinstance(m, str) else m.get("class_name") if isinstance(m, dict) else type(m).__name__
             for m in metrics]
    dropped = [n for n in names if n not in _ACCURACY_NAMES]
    if dropped:
        warnings.warn(f"from_keras: metrics {dropped} left out; minicnn tracks only accuracy "
                      f"(see minicnn.runs.metrics for the others).", UserWarning)
    model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"] if len(dropped) < len(names) else [])


def _minicnn_optimizer(keras_optimizer):
    """The minicnn optimizer with the same class and settings, or ValueError."""
    kind, config = type(keras_optimizer).__name__, keras_optimizer.get_config()
    cls = {c.__name__: c for c in optimizers.OPTIMIZERS.values()}.get(kind)
    if cls is None:
        raise ValueError(f"optimizer {kind} has no minicnn equivalent (minicnn has "
                         f"{', '.join(sorted(c.__name__ for c in optimizers.OPTIMIZERS.values()))}).")
    rate = config["learning_rate"]
    if isinstance(rate, dict):                      # a schedule, serialized by Keras
        if rate.get("class_name") not in schedules.SCHEDULES:
            raise ValueError(f"{kind} has the learning-rate schedule {rate.get('class_name')}; minicnn has "
                             f"{', '.join(schedules.SCHEDULES)}.")
        keys = inspect.signature(schedules.SCHEDULES[rate["class_name"]]).parameters
        config["learning_rate"] = {"class_name": rate["class_name"],
                                   "config": {k: v for k, v in rate["config"].items() if k in keys}}
    arguments = [p for p in inspect.signature(cls.__init__).parameters if p not in ("self", "clipping")]
    arguments += ["clipnorm", "clipvalue"]
    off = {"weight_decay": None, "clipnorm": None, "global_clipnorm": None, "clipvalue": None,
           "use_ema": False, "loss_scale_factor": None, "gradient_accumulation_steps": None,
           "amsgrad": False, "centered": False, "momentum": 0.0}
    for option, value in config.items():
        if option in off and option not in arguments and value != off[option]:
            raise ValueError(f"{kind} has {option}={value!r}; minicnn supports only {option}={off[option]!r}.")
    if not isinstance(config["learning_rate"], dict):
        config["learning_rate"] = _float32_spelling(config["learning_rate"])
    return cls(**{argument: config[argument] for argument in arguments if config.get(argument) is not None})


def _float32_spelling(value):
    """Keras keeps learning rates and penalty factors as float32 (0.001 reads back as
    0.0010000000474974513); the shortest float32 spelling is the number typed in."""
    return float(str(np.float32(value)))


def _minicnn_loss(keras_loss):
    """The minicnn cross-entropy for a Keras loss given as a name, a function or an object."""
    if isinstance(keras_loss, str) or (callable(keras_loss) and not hasattr(keras_loss, "get_config")):
        name = keras_loss if isinstance(keras_loss, str) else getattr(keras_loss, "__name__", repr(keras_loss))
        if name in losses.LOSSES:
            return losses.get(name)
        raise ValueError(f"loss {name!r} has no minicnn equivalent (minicnn has {sorted(losses.LOSSES)}).")
    kind = type(keras_loss).__name__
    cls = getattr(losses, kind, None)
    known = set(losses.LOSSES.values())
    if cls not in known:
        raise ValueError(f"loss {kind} has no minicnn equivalent (minicnn has "
                         f"{', '.join(sorted(c.__name__ for c in known))}).")
    config = keras_loss.get_config()
    off = {"reduction": "sum_over_batch_size", "label_smoothing": 0.0, "axis": -1, "ignore_class": None}
    for option, value in config.items():
        if option in off and value != off[option]:
            raise ValueError(f"{kind} has {option}={value!r}; minicnn supports only {option}={off[option]!r}.")
    return cls(from_logits=config.get("from_logits", False)) if "from_logits" in config else cls()
