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
import warnings

from . import backend
from .keras_config import (SPATIAL, check_options, constructor_arguments, layer_from_keras, loss_from_keras,
                           loss_from_keras_entry, metrics_from_keras, optimizer_from_keras)
from .metrics import METRICS
from .model import Sequential

INSTALL_HINT = 'pip install "minicnn[keras]"'


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
    twin = keras.Sequential([keras.Input(model.input_shape, dtype=model.dtype), *_keras_layers(keras, model)],
                            name=model.name)
    for layer, keras_layer in zip(model.layers, twin.layers):
        keras_layer.set_weights([w.copy() for w in layer.weights])
    if model.loss is not None:
        twin.compile(optimizer=_keras_optimizer(keras, model.optimizer),
                     loss=getattr(keras.losses, type(model.loss).__name__)(**model.loss.get_config()),
                     metrics=[m if isinstance(m, str) else getattr(keras.metrics, type(m).__name__)(**m.get_config())
                              for m in model.metrics])
    return twin


def _keras_layers(keras, model):
    """The Keras layers of ``model``'s layers, in order; a nested Sequential becomes a nested
    ``keras.Sequential`` (its weights are set with the outer model's, as one flat list)."""
    used, layers = set(), []
    for layer in model.layers:
        if isinstance(layer, Sequential):
            layers.append(keras.Sequential(_keras_layers(keras, layer),
                                           name=None if layer.name in used else layer.name))
            layers[-1].trainable = layer.trainable
            used.add(layer.name)
            continue
        config = layer.get_config()
        if config["name"] in used:
            del config["name"]                      # let Keras number the duplicate
        used.add(config.get("name"))
        if type(layer).__name__ in SPATIAL:
            config["data_format"] = "channels_last"
        for key in ("kernel_regularizer", "bias_regularizer"):
            if config.get(key) is not None:
                config[key] = getattr(keras.regularizers, config[key]["class_name"])(**config[key]["config"])
        # Keras fixes its default float type when it makes its first layer; ask explicitly.
        layers.append(getattr(keras.layers, type(layer).__name__)(**config, dtype=model.dtype))
    return layers


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
    model = Sequential(_minicnn_layers(keras, keras_model), input_shape=_input_shape(keras_model),
                       name=keras_model.name)
    _copy_weights(model, keras_model)
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


def _minicnn_layers(keras, keras_model):
    """The minicnn layers of a Keras Sequential's layers; a nested one becomes a nested Sequential."""
    layers = []
    for keras_layer in keras_model.layers:
        if isinstance(keras_layer, keras.Sequential):
            layers.append(Sequential(_minicnn_layers(keras, keras_layer), name=keras_layer.name))
            layers[-1].trainable = keras_layer.trainable
        else:
            layers.append(_minicnn_layer(keras_layer))
    return layers


def _copy_weights(model, keras_model):
    """Each minicnn layer's arrays from its Keras twin, shapes checked (nested models layer by layer)."""
    for layer, keras_layer in zip(model.layers, keras_model.layers):
        if isinstance(layer, Sequential):
            _copy_weights(layer, keras_layer)
            continue
        names = [*layer.params, *layer.state]                # Keras's order: trainable, then moving statistics
        for key, target, value in zip(names, layer.weights, keras_layer.get_weights()):
            if value.shape != target.shape:
                raise ValueError(f"from_keras: layer '{layer.name}' weight {key!r} has shape {value.shape} "
                                 f"in Keras but {target.shape} in minicnn.")
            target[...] = value


def _minicnn_layer(keras_layer):
    """The minicnn layer equal to ``keras_layer``, or a ValueError naming what differs.

    The config says almost everything, dtype policy included (:mod:`minicnn.keras_config`
    checks it); a live layer can also carry what its config does not show, checked here.
    """
    kind = type(keras_layer).__name__
    layer = layer_from_keras(kind, keras_layer.get_config(), backend.floatx())
    prefix = f"from_keras: layer '{keras_layer.name}' ({kind}) has"
    check_options(prefix, {"activity_regularizer": getattr(keras_layer, "activity_regularizer", None),
                           "lora_enabled": getattr(keras_layer, "lora_enabled", False) or None,
                           "quantization_mode": getattr(keras_layer, "quantization_mode", None)},
                  constructor_arguments(type(layer)), backend.floatx())
    layer.trainable = keras_layer.trainable
    return layer


# ============================================================================ compile settings
def _compile_like(model, keras_model):
    """Compile ``model`` as ``keras_model`` is, or warn and leave it uncompiled."""
    try:
        optimizer = optimizer_from_keras(type(keras_model.optimizer).__name__, keras_model.optimizer.get_config())
        loss = _minicnn_loss(keras_model.loss)
    except ValueError as error:
        warnings.warn(f"from_keras: the model was converted but not compiled: {error}", UserWarning)
        return
    metrics, dropped = metrics_from_keras(keras_model.get_compile_config().get("metrics"))
    if dropped:
        warnings.warn(f"from_keras: metrics {dropped} left out; minicnn has {sorted(METRICS)} "
                      f"(see minicnn.runs.metrics for precision, recall and F1).", UserWarning)
    model.compile(optimizer=optimizer, loss=loss, metrics=metrics)


def _minicnn_loss(keras_loss):
    """The minicnn cross-entropy for a Keras loss given as a name, a function or an object."""
    if isinstance(keras_loss, str) or (callable(keras_loss) and not hasattr(keras_loss, "get_config")):
        return loss_from_keras_entry(keras_loss if isinstance(keras_loss, str)
                                     else getattr(keras_loss, "__name__", repr(keras_loss)))
    return loss_from_keras(type(keras_loss).__name__, keras_loss.get_config())
