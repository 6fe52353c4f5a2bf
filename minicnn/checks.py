"""Checks on what users pass to ``fit``, ``evaluate`` and ``predict``.

Each error names the problem, quotes what was received and says the fix, so a
learner never has to decode a traceback from deep inside NumPy.
"""
import numpy as np


def check_inputs(x, input_shape, argument="x"):
    """``x`` must be a non-empty numeric array of shape (N, *input_shape) with no NaN or inf."""
    x = np.asarray(x)
    if x.dtype == object or not (np.issubdtype(x.dtype, np.number) or x.dtype == bool) \
            or np.issubdtype(x.dtype, np.complexfloating):
        raise TypeError(f"{argument} must hold real numbers; received dtype {x.dtype}. "
                        f"Convert it, e.g. {argument}.astype('float32').")
    if x.ndim == 0 or x.shape[0] == 0:
        raise ValueError(f"{argument} is empty (shape {x.shape}); pass at least one sample.")
    if input_shape is not None and tuple(x.shape[1:]) != tuple(input_shape):
        raise ValueError(_shape_message(x.shape, input_shape, argument))
    if np.issubdtype(x.dtype, np.floating) and not np.isfinite(x).all():
        bad = int(np.size(x) - np.isfinite(x).sum())
        raise ValueError(f"{argument} contains {bad} NaN or inf values. Remove or replace them "
                         f"(e.g. np.nan_to_num) before training or predicting.")
    return x


def _shape_message(shape, input_shape, argument):
    wanted = f"(N, {', '.join(map(str, input_shape))})"
    message = f"{argument} has shape {shape} but the model expects {wanted}."
    if tuple(shape[1:]) + (1,) == tuple(input_shape):
        message += f" Add the channel axis: {argument}[..., None]."
    elif len(shape) == len(input_shape) + 1 and tuple(shape[1:-1]) == tuple(input_shape[:-1]):
        message += f" The images have {shape[-1]} channels, the model was built for {input_shape[-1]}."
    elif len(shape) == 2 and np.prod(shape[1:]) == np.prod(input_shape):
        message += f" Reshape the images: {argument}.reshape(-1, {', '.join(map(str, input_shape))})."
    return message


def check_targets(y, n_samples, num_classes, sparse, argument="y", loss_name="categorical_crossentropy"):
    """Integer labels in [0, num_classes) when ``sparse``, else rows of width num_classes
    (one-hot for a cross-entropy). With one output, targets ``(N,)`` become ``(N, 1)``, as
    Keras reads 0/1 labels for a sigmoid unit and numbers for a regression output."""
    y = np.asarray(y)
    if len(y) != n_samples:
        raise ValueError(f"x and {argument} have different lengths: {n_samples} samples in x but "
                         f"{len(y)} in {argument}. Pass one target per sample.")
    if sparse:
        return _check_labels(y, num_classes, argument)
    if y.ndim == 1 and num_classes == 1:
        y = y.reshape(-1, 1)
    if y.ndim != 2 or y.shape[1] != num_classes:
        one_hot = "one-hot " if "categorical" in loss_name else ""
        raise ValueError(f"{argument} has shape {y.shape}, but {loss_name} needs {one_hot}"
                         f"targets of shape (N, {num_classes}). Use minicnn.to_categorical({argument}, "
                         f"{num_classes}) or the loss 'sparse_categorical_crossentropy' for integer labels.")
    if not np.isfinite(y).all():
        raise ValueError(f"{argument} contains NaN or inf values.")
    return y


def as_labels(y, num_classes, argument="y"):
    """Integer labels ``(N,)`` from labels ``(N,)`` (or ``(N, 1)``) or from one-hot rows ``(N, K)``.

    The one place where targets in either form become class numbers. One-hot rows
    become labels through ``argmax``, which also accepts smoothed rows such as
    ``[0.05, 0.9, 0.05]``; labels must be whole numbers in ``[0, num_classes)``.
    """
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] != 1:
        if y.shape[1] != num_classes:
            raise ValueError(f"{argument} looks one-hot with {y.shape[1]} columns, but there are "
                             f"{num_classes} classes. Received {argument}.shape={y.shape}.")
        return y.argmax(axis=1)
    return _check_labels(y, num_classes, argument)


def model_input(model, x, argument="x"):
    """``x`` checked against ``model.input_shape`` and cast to the model's float type: what every
    tool that runs a model on a user's images (CAM, feature maps, importance) starts with.

    Images as loaded (uint8 in 0..255, no channel axis) need ``minicnn.to_model_input`` first.
    """
    return check_inputs(x, model.input_shape, argument).astype(model.dtype, copy=False)


def _check_labels(y, num_classes, argument):
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"{argument} has shape {y.shape}, but sparse_categorical_crossentropy needs "
                         f"integer labels of shape (N,). For one-hot targets use "
                         f"'categorical_crossentropy', or pass {argument}.argmax(axis=1).")
    if not np.issubdtype(y.dtype, np.integer):
        # Floats are fine when they are whole numbers (2.0); anything else is not a label.
        if np.issubdtype(y.dtype, np.floating):
            whole = np.isfinite(y) & (y == np.round(y))
        else:
            whole = np.zeros(y.shape, dtype=bool)
        if not whole.all():
            example = y[~whole][0]
            raise ValueError(f"{argument} must hold integer class labels; received dtype {y.dtype} "
                             f"with non-integer values such as {_plain(example)!r}.")
    outside = (y < 0) | (y >= num_classes)
    if outside.any():
        raise ValueError(f"label {_plain(y[outside][0])!r} is outside [0, {num_classes}): the model has "
                         f"{num_classes} outputs, so labels must be 0 ... {num_classes - 1}.")
    return y.astype(np.int64)


def _plain(value):
    """A NumPy scalar as the Python number it holds, so messages say 10, not np.int64(10)."""
    return value.item() if isinstance(value, np.generic) else value
