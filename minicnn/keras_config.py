"""Keras's description of a model, read and written without Keras: the JSON in Keras's files.

A Keras ``Sequential`` describes itself as plain JSON (``config.json`` inside a
``.keras`` archive, the ``model_config`` attribute of a ``.h5`` file)::

    {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
        {"class_name": "InputLayer", "config": {"batch_shape": [null, 28, 28, 1], ...}},
        {"class_name": "Conv2D", "config": {"filters": 32, "kernel_size": [3, 3], "groups": 1,
                                            "data_format": "channels_last", ...}}, ...]},
     "compile_config": {"optimizer": {"class_name": "Adam", "config": {...}}, "loss": ..., ...}}

A minicnn layer's constructor arguments carry Keras's names, so a layer crosses
as its config: ``Conv2D(**{argument: config[argument]})`` one way,
``layer.get_config()`` plus what Keras always writes (``dtype``,
``data_format``) the other. The work here is the checking: every option Keras
writes is either one minicnn takes, one that does not change what the layer
computes (initialisers: the weights come with the file), or one minicnn has at
Keras's default value only. Anything else (``groups=2``, ``channels_first``, a
constraint, a layer class minicnn does not have, a custom class) is refused with
an error that names the layer and the option; nothing is dropped silently.
Reading JSON runs no code: class names are looked up in minicnn's own tables.

Both :mod:`minicnn.keras_bridge` (models in memory, with TensorFlow) and
:mod:`minicnn.keras_files` (Keras's files, without it) use these functions.
"""
import inspect

import numpy as np

from . import losses, metrics, optimizers, regularizers, schedules
from .layers import LAYER_CLASSES
from .layers.activations import ACTIVATIONS

# Layers whose Keras twin takes ``data_format``; minicnn is always channels-last.
SPATIAL = {"Conv2D", "ZeroPadding2D", "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D", "Flatten",
           "GlobalMaxPooling2D", "RandomFlip", "RandomTranslation", "RandomRotation", "RandomZoom"}

# Keras options minicnn implements only at one value (Keras's default): anything else is refused.
ONLY_VALUE = {
    "data_format": "channels_last", "groups": 1, "keepdims": False,
    "noise_shape": None, "max_value": None, "negative_slope": 0.0, "threshold": 0.0, "axis": -1,
    "activity_regularizer": None,
    "kernel_constraint": None, "bias_constraint": None, "synchronized": False, "renorm": False,
    "lora_rank": None, "quantization_config": None,
}
# Keras options that do not change what the copied layer computes: the weights are
# copied, so their initialisers do not matter; Dropout's seed: minicnn draws its own masks.
IGNORED = {"name", "trainable", "dtype", "kernel_initializer", "bias_initializer", "seed",
           "beta_initializer", "gamma_initializer", "moving_mean_initializer", "moving_variance_initializer",
           "renorm_momentum"}
_ACTIVATIONS = tuple(name for name in ACTIVATIONS if name is not None)
METRIC_CLASSES = {cls.__name__: cls for cls in set(metrics.METRICS.values()) | {metrics.Accuracy}
                  if cls is not metrics.MatchedAccuracy}       # the classes Keras has too
OPTIMIZER_CLASSES = {cls.__name__: cls for cls in optimizers.OPTIMIZERS.values()}
LOSS_CLASSES = {cls.__name__: cls for cls in set(losses.LOSSES.values())}


# ============================================================================ Keras -> minicnn
def layer_from_keras(class_name, config, dtype, where="from_keras", module="keras.layers"):
    """The minicnn layer a Keras layer entry describes, or a ValueError naming what differs.

    ``dtype`` is the float type the model computes in ("float32"): a layer whose
    dtype policy says otherwise (``mixed_float16``) is refused.
    """
    name = config.get("name")
    if class_name not in LAYER_CLASSES or module not in (None, "keras.layers"):
        origin = "" if module in (None, "keras.layers") else f" (a custom class from {module!r})"
        raise ValueError(f"{where}: layer {name!r} is a {class_name}{origin}, which minicnn does not have. "
                         f"minicnn has: {', '.join(sorted(LAYER_CLASSES))}.")
    cls = LAYER_CLASSES[class_name]
    arguments = constructor_arguments(cls)
    check_options(f"{where}: layer {name!r} ({class_name}) has", config, arguments, dtype)
    config = dict(config)
    for key in ("kernel_regularizer", "bias_regularizer"):
        if config.get(key) is not None:
            config[key] = regularizer_from_keras(config[key], f"{where}: layer {name!r} ({class_name})")
    return cls(**{argument: config[argument] for argument in arguments if argument in config})


def constructor_arguments(cls):
    """The named constructor arguments of a layer class and of the classes it extends."""
    names = []
    for klass in cls.__mro__:
        if "__init__" in vars(klass):
            names += [name for name, p in inspect.signature(klass.__init__).parameters.items()
                      if name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL) and name not in names]
    return names


def check_options(prefix, config, arguments, dtype):
    """Raise if an option in a Keras layer config makes it compute something minicnn would not."""
    def refuse(option, value, supported):
        raise ValueError(f"{prefix} {option}={value!r}; minicnn supports only {option}={supported}.")

    for option, value in config.items():
        if option in ONLY_VALUE and option not in arguments and not _same(value, ONLY_VALUE[option]):
            refuse(option, value, repr(ONLY_VALUE[option]))
        # An option minicnn has never heard of is accepted only at None (Keras's "off").
        if option not in ONLY_VALUE and option not in IGNORED and option not in arguments and value is not None:
            refuse(option, value, "None (minicnn does not have this option)")
    if "activation" in config and config["activation"] not in _ACTIVATIONS:
        refuse("activation", config["activation"], " or ".join(map(repr, _ACTIVATIONS)))
    policy = policy_name(config.get("dtype"))
    if policy not in (None, dtype):
        refuse("dtype", policy, f"{dtype!r}, the model's float type")


def policy_name(dtype):
    """``"float32"`` from a Keras dtype policy: a name, or ``{"class_name": "DTypePolicy", "config": {"name": ...}}``."""
    if isinstance(dtype, dict):
        return (dtype.get("config") or {}).get("name")
    return dtype


def regularizer_from_keras(entry, prefix):
    """A minicnn regularizer from Keras's serialized ``{"class_name": "L2", "config": {"l2": 0.01}}``."""
    if not isinstance(entry, dict) or entry.get("class_name") not in regularizers.CLASSES \
            or entry.get("module") not in (None, "keras.regularizers"):
        raise ValueError(f"{prefix} the regularizer {entry!r}; minicnn has {sorted(regularizers.CLASSES)}.")
    factors = {k: float32_spelling(v) for k, v in (entry.get("config") or {}).items()}
    return regularizers.get({"class_name": entry["class_name"], "config": factors})


def _same(value, expected):
    """Equal after Keras's shorthands: a list is a tuple, ``1`` means ``(1, 1)``."""
    if isinstance(value, list):
        value = tuple(value)
    if isinstance(expected, tuple) and isinstance(value, (int, np.integer)):
        value = (value,) * len(expected)
    return value == expected


def float32_spelling(value):
    """Keras keeps learning rates and penalty factors as float32 (0.001 reads back as
    0.0010000000474974513); the shortest float32 spelling is the number typed in."""
    return float(str(np.float32(value)))


def sequential_from_keras(model_config, where, model_class):
    """``(dtype, arguments)``: the float type and the ``model_class(**arguments)`` (layers,
    input_shape, name, trainable) of the Keras Sequential ``model_config`` describes.

    The input shape comes from the ``InputLayer`` entry (Keras 3) or from the first
    layer's ``batch_input_shape`` (Keras 2); minicnn needs it fixed. A Sequential
    inside it becomes a ``model_class`` inside, as Keras nests them.
    """
    if not isinstance(model_config, dict) or model_config.get("class_name") != "Sequential":
        kind = model_config.get("class_name") if isinstance(model_config, dict) else type(model_config).__name__
        raise ValueError(f"{where}: the file holds a {kind!r} model; minicnn loads Keras Sequential models.")
    config, entries, batch_shape, dtype = _unpacked(model_config)
    if dtype not in ("float32", "float64"):
        raise ValueError(f"{where}: the model computes in {dtype!r}; minicnn computes in float32 or float64.")
    if not isinstance(batch_shape, list) or len(batch_shape) < 2 or \
            any(type(d) is not int or d < 1 for d in batch_shape[1:]):
        raise ValueError(f"{where}: minicnn needs a fixed input shape such as [null, 28, 28, 1]; "
                         f"the file has {batch_shape!r}.")
    return dtype, {"layers": _layers_from_keras(entries, dtype, where, model_class),
                   "input_shape": tuple(batch_shape[1:]), "name": config.get("name", "sequential"),
                   "trainable": config.get("trainable", True) is not False}


def _unpacked(model_config):
    """``(config, layer entries, batch shape, dtype)`` of a Sequential's entry, the input taken out."""
    config = model_config.get("config") or {}
    entries = [dict(entry) for entry in config.get("layers") or []]
    batch_shape = config.get("build_input_shape")
    dtype = policy_name(config.get("dtype")) or "float32"
    if entries and entries[0].get("class_name") == "InputLayer":
        first = entries.pop(0).get("config") or {}
        batch_shape = first.get("batch_shape", first.get("batch_input_shape"))
        dtype = policy_name(first.get("dtype")) or dtype
    elif entries and "batch_input_shape" in (entries[0].get("config") or {}):
        entries[0]["config"] = dict(entries[0]["config"])
        batch_shape = entries[0]["config"].pop("batch_input_shape")
    return config, entries, batch_shape, dtype


def _layers_from_keras(entries, dtype, where, model_class):
    layers = []
    for entry in entries:
        if entry.get("class_name") == "Sequential" and entry.get("module") in (None, "keras", "keras.models"):
            config, inner, _, inner_dtype = _unpacked(entry)
            if inner_dtype != dtype:
                raise ValueError(f"{where}: the Sequential {config.get('name')!r} inside computes in "
                                 f"{inner_dtype!r}, the model in {dtype!r}; minicnn needs one float type.")
            layers.append(model_class(_layers_from_keras(inner, dtype, where, model_class), name=config.get("name"),
                                      trainable=config.get("trainable", True) is not False))
        else:
            layers.append(layer_from_keras(entry.get("class_name"), entry.get("config") or {}, dtype, where,
                                           entry.get("module")))
    return layers


def optimizer_from_keras(kind, config):
    """The minicnn optimizer with the same class and settings, or ValueError."""
    cls = OPTIMIZER_CLASSES.get(kind)
    if cls is None:
        raise ValueError(f"optimizer {kind} has no minicnn equivalent (minicnn has "
                         f"{', '.join(sorted(OPTIMIZER_CLASSES))}).")
    config = dict(config)
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
        config["learning_rate"] = float32_spelling(config["learning_rate"])
    return cls(**{argument: config[argument] for argument in arguments if config.get(argument) is not None})


def loss_from_keras(kind, config):
    """The minicnn loss for a Keras loss class name and config, or ValueError."""
    cls = LOSS_CLASSES.get(kind)
    if cls is None:
        raise ValueError(f"loss {kind} has no minicnn equivalent (minicnn has "
                         f"{', '.join(sorted(LOSS_CLASSES))}).")
    off = {"reduction": "sum_over_batch_size", "label_smoothing": 0.0, "axis": -1, "ignore_class": None}
    for option, value in config.items():
        if option in off and value != off[option]:
            raise ValueError(f"{kind} has {option}={value!r}; minicnn supports only {option}={off[option]!r}.")
    return cls(from_logits=config.get("from_logits", False)) if "from_logits" in config else cls()


def loss_from_keras_entry(entry):
    """A minicnn loss from what Keras writes for one: a name, or a serialized class or function."""
    if isinstance(entry, dict) and entry.get("class_name") == "function":
        entry = entry.get("config")
    if isinstance(entry, str):
        if entry in losses.LOSSES:
            return losses.get(entry)
        raise ValueError(f"loss {entry!r} has no minicnn equivalent (minicnn has {sorted(losses.LOSSES)}).")
    if isinstance(entry, dict) and entry.get("module") in (None, "keras.losses"):
        return loss_from_keras(entry.get("class_name"), entry.get("config") or {})
    raise ValueError(f"loss {entry!r} has no minicnn equivalent (minicnn has {sorted(losses.LOSSES)}).")


def metrics_from_keras(entries):
    """``(metrics, dropped)``: the minicnn metrics for Keras's metric names and serialized metric
    classes, and the names of those minicnn does not have (left out with a warning by the callers)."""
    found, dropped = [], []
    for entry in entries or []:
        if isinstance(entry, str) and entry in metrics.METRICS:
            found.append(entry)
        elif isinstance(entry, dict) and entry.get("class_name") in METRIC_CLASSES \
                and entry.get("module") in (None, "keras.metrics"):
            cls = METRIC_CLASSES[entry["class_name"]]
            keys = inspect.signature(cls).parameters
            found.append(cls(**{k: v for k, v in (entry.get("config") or {}).items() if k in keys}))
        else:
            dropped.append(entry.get("class_name") if isinstance(entry, dict) else getattr(entry, "__name__", entry))
    return found, dropped


def compile_from_keras(compile_config):
    """``{"optimizer", "loss", "metrics"}`` for ``model.compile`` from Keras's compile config
    (``.keras``) or training config (``.h5``), or ValueError; and the dropped metric names."""
    optimizer = compile_config.get("optimizer", compile_config.get("optimizer_config"))
    if not isinstance(optimizer, dict) or optimizer.get("module") not in (None, "keras.optimizers"):
        raise ValueError(f"optimizer {optimizer!r} has no minicnn equivalent.")
    found, dropped = metrics_from_keras(compile_config.get("metrics"))
    return {"optimizer": optimizer_from_keras(optimizer.get("class_name"), optimizer.get("config") or {}),
            "loss": loss_from_keras_entry(compile_config.get("loss")), "metrics": found}, dropped


# ============================================================================ minicnn -> Keras
def _serialized(module, class_name, config, legacy):
    """Keras's form of an object: ``{"module", "class_name", "config", "registered_name"}``."""
    if legacy:
        return {"class_name": class_name, "config": config}
    return {"module": module, "class_name": class_name, "config": config, "registered_name": None}


def keras_dtype_policy(dtype):
    return _serialized("keras", "DTypePolicy", {"name": str(np.dtype(dtype))}, legacy=False)


def keras_layer_config(layer, dtype, name=None):
    """The config Keras's twin of ``layer`` has: minicnn's config plus ``dtype`` (and
    ``data_format`` for image layers), with regularizers in Keras's serialized form."""
    config = {**layer.get_config(), "name": name or layer.name, "trainable": layer.trainable,
              "dtype": keras_dtype_policy(dtype)}
    if type(layer).__name__ in SPATIAL:
        config["data_format"] = "channels_last"
    for key in ("kernel_regularizer", "bias_regularizer"):
        if config.get(key) is not None:
            config[key] = _serialized("keras.regularizers", config[key]["class_name"], config[key]["config"],
                                      legacy=False)
    return config


def distinct_names(layers):
    """The layers' names, made distinct as Keras requires (``dense``, ``dense`` -> ``dense``, ``dense_1``)."""
    names, used = [], set()
    for layer in layers:
        name, number = layer.name, 0
        while name in used:
            number += 1
            name = f"{layer.name}_{number}"
        used.add(name)
        names.append(name)
    return names


def keras_model_config(model, legacy=False):
    """The JSON Keras writes for ``model`` as a Sequential: the ``config.json`` of a ``.keras``
    archive, or (``legacy``) the ``model_config`` of a ``.h5`` file."""
    entry = _sequential_entry(model, model.name, model.dtype, legacy)
    if model.optimizer is not None and not legacy:
        entry["compile_config"] = keras_compile_config(model)
    return entry


def _sequential_entry(model, name, dtype, legacy):
    """A Sequential's entry: an ``InputLayer``, then each layer's (a Sequential inside is nested)."""
    batch_shape = [None, *model.input_shape]
    layers = [_serialized("keras.layers", "InputLayer",
                          {"batch_shape": batch_shape, "dtype": str(np.dtype(dtype)), "sparse": False,
                           "ragged": False, "name": f"{name}_input", "optional": False}, legacy)]
    for layer, layer_name in zip(model.layers, distinct_names(model.layers)):
        if type(layer).__name__ == "Sequential":
            entry = _sequential_entry(layer, layer_name, dtype, legacy)
        else:
            entry = _serialized("keras.layers", type(layer).__name__, keras_layer_config(layer, dtype, layer_name),
                                legacy)
        if not legacy:
            entry["build_config"] = {"input_shape": [None, *layer.input_shape]}
        layers.append(entry)
    config = {"name": name, "trainable": model.trainable, "dtype": keras_dtype_policy(dtype), "layers": layers}
    if legacy:
        return {"class_name": "Sequential", "config": config}
    entry = _serialized("keras", "Sequential", {**config, "build_input_shape": batch_shape}, legacy)
    entry["build_config"] = {"input_shape": batch_shape}
    return entry


def keras_compile_config(model, legacy=False):
    """Keras's ``compile_config`` (``.keras``) or ``training_config`` (``legacy``, ``.h5``)."""
    config = model.optimizer.get_config()
    name = type(model.optimizer).__name__
    if OPTIMIZER_CLASSES.get(name) is not type(model.optimizer):
        raise ValueError(f"cannot save the optimizer {model.optimizer!r} in a Keras file: Keras knows only "
                         f"{sorted(OPTIMIZER_CLASSES)}.")
    if isinstance(config["learning_rate"], dict):
        rate = config["learning_rate"]
        config["learning_rate"] = _serialized("keras.optimizers.schedules", rate["class_name"], rate["config"],
                                              legacy)
    optimizer = _serialized("keras.optimizers", name, config, legacy)
    loss_name = type(model.loss).__name__
    if LOSS_CLASSES.get(loss_name) is not type(model.loss):
        raise ValueError(f"cannot save the loss {model.loss!r} in a Keras file: Keras knows only "
                         f"{sorted(LOSS_CLASSES)}.")
    loss = _serialized("keras.losses", loss_name, model.loss.get_config(), legacy)
    compile_config = {"loss": loss, "loss_weights": None, "metrics": [_keras_metric(m, legacy) for m in model.metrics],
                      "weighted_metrics": None, "run_eagerly": False, "steps_per_execution": 1, "jit_compile": False}
    if legacy:
        return {**compile_config, "optimizer_config": optimizer}
    return {"optimizer": optimizer, **compile_config}


def _keras_metric(metric, legacy):
    """A metric as Keras writes it: its name, or its class and config."""
    if isinstance(metric, str) or type(metric) is metrics.MatchedAccuracy:
        return metric if isinstance(metric, str) else metric.name
    if METRIC_CLASSES.get(type(metric).__name__) is not type(metric):
        raise ValueError(f"cannot save the metric {metric!r} in a Keras file: Keras knows only "
                         f"{sorted(METRIC_CLASSES)} (or their names).")
    return _serialized("keras.metrics", type(metric).__name__, metric.get_config(), legacy)
