"""Wrong input gets a clear ValueError/TypeError that quotes what was received and says what to do.

Each test names one mistake a learner makes and checks the message with
``pytest.raises(..., match=...)``, so a vaguer message fails the test.
"""
import re

import numpy as np
import pytest

import minicnn
from minicnn import Sequential, losses, optimizers
from minicnn import schedules
from minicnn.callbacks import EarlyStopping, LearningRateScheduler, ModelCheckpoint, ReduceLROnPlateau
from minicnn.layers import (AveragePooling2D, BatchNormalization, Conv2D, Dense, Dropout, Flatten,
                            MaxPooling2D, RandomRotation, Rescaling, Reshape, ZeroPadding2D)

pytestmark = pytest.mark.usefixtures("each_backend")


def mnist_model(loss="sparse_categorical_crossentropy"):
    """A small compiled model for 28x28x1 images and 10 classes."""
    model = Sequential([Conv2D(2, 3, activation="relu"), MaxPooling2D(2), Flatten(),
                        Dense(10, activation="softmax")], input_shape=(28, 28, 1))
    model.compile(optimizer="adam", loss=loss)
    return model


def images(n=4, shape=(28, 28, 1)):
    return np.random.default_rng(0).random((n, *shape)).astype(np.float32)


LABELS = np.array([0, 1, 2, 3])


def each_entry_point(model, x, y=LABELS):
    """The calls that take user data: every one must check it the same way."""
    return {"fit": lambda: model.fit(x, y, epochs=1, verbose=0),
            "evaluate": lambda: model.evaluate(x, y, verbose=0),
            "predict": lambda: model.predict(x, verbose=0),
            "compute_gradients": lambda: model.compute_gradients(x, y)}


# ---------------------------------------------------------------- input shapes
@pytest.mark.parametrize("call", ["fit", "evaluate", "predict", "compute_gradients"])
def test_missing_channel_axis_suggests_adding_it(call):
    model = mnist_model()
    x = images()[..., 0]                                  # (4, 28, 28): the channel axis is missing
    with pytest.raises(ValueError, match=re.escape("x has shape (4, 28, 28) but the model expects (N, 28, 28, 1)")):
        each_entry_point(model, x)[call]()
    with pytest.raises(ValueError, match=re.escape("x[..., None]")):
        each_entry_point(model, x)[call]()


def test_wrong_channel_count_says_both_counts():
    with pytest.raises(ValueError, match=r"\(4, 28, 28, 3\).*\(N, 28, 28, 1\).*3 channels.*built for 1"):
        mnist_model().predict(images(shape=(28, 28, 3)), verbose=0)


def test_flat_images_suggest_a_reshape():
    with pytest.raises(ValueError, match=re.escape("x.reshape(-1, 28, 28, 1)")):
        mnist_model().fit(images().reshape(4, 784), LABELS, verbose=0)


def test_wrong_image_size():
    with pytest.raises(ValueError, match=re.escape("x has shape (4, 32, 32, 1) but the model expects (N, 28, 28, 1)")):
        mnist_model().evaluate(images(shape=(32, 32, 1)), LABELS, verbose=0)


def test_validation_data_is_checked_too():
    x_val = images()[..., 0]
    with pytest.raises(ValueError, match=re.escape("(N, 28, 28, 1)")):
        mnist_model().fit(images(), LABELS, validation_data=(x_val, LABELS), verbose=0)
    x_val = images()
    x_val[0, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        mnist_model().fit(images(), LABELS, validation_data=(x_val, LABELS), verbose=0)


# ---------------------------------------------------------------- targets
@pytest.mark.parametrize("call", ["fit", "evaluate", "compute_gradients"])
def test_x_and_y_lengths_differ(call):
    with pytest.raises(ValueError, match="4 samples in x but 3 in y"):
        each_entry_point(mnist_model(), images(), LABELS[:3])[call]()


@pytest.mark.parametrize("bad", [10, -1, 12])
def test_label_outside_the_classes(bad):
    y = np.array([0, 1, bad, 3])
    # The message quotes the number itself ("label 10"), not NumPy's repr ("np.int64(10)").
    with pytest.raises(ValueError, match=rf"^label {bad} is outside \[0, 10\): the model has 10 outputs"):
        mnist_model().fit(images(), y, verbose=0)


def test_non_integer_labels_quote_the_offending_value():
    with pytest.raises(ValueError, match=r"integer class labels; received dtype float64 with non-integer values such as 1\.5\."):
        mnist_model().fit(images(), np.array([0, 1.5, 1, 2]), verbose=0)
    with pytest.raises(ValueError, match="such as nan"):
        mnist_model().fit(images(), np.array([0, 1, np.nan, 2]), verbose=0)
    with pytest.raises(ValueError, match="dtype <U3 with non-integer values such as 'cat'"):
        mnist_model().fit(images(), np.array(["cat", "dog", "cat", "dog"]), verbose=0)


def test_whole_float_labels_are_accepted():
    # 2.0 is a label; Keras accepts float labels that are whole numbers.
    loss, _ = mnist_model().compute_gradients(images(), np.array([0.0, 1.0, 2.0, 3.0]))
    assert np.isfinite(loss)


def test_integer_labels_with_a_one_hot_loss_point_to_to_categorical():
    with pytest.raises(ValueError, match=r"one-hot targets of shape \(N, 10\).*to_categorical"):
        mnist_model("categorical_crossentropy").fit(images(), LABELS, verbose=0)


def test_one_hot_labels_with_a_sparse_loss_point_to_argmax():
    with pytest.raises(ValueError, match=r"integer labels of shape \(N,\).*argmax"):
        mnist_model().fit(images(), np.eye(10)[LABELS], verbose=0)


def test_nan_in_one_hot_targets():
    y = np.eye(10)[LABELS]
    y[1, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        mnist_model("categorical_crossentropy").fit(images(), y, verbose=0)


# ---------------------------------------------------------------- values and types
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("call", ["fit", "evaluate", "predict"])
def test_nan_or_inf_in_x(bad, call):
    x = images()
    x[2, 5, 5, 0] = bad
    with pytest.raises(ValueError, match="x contains 1 NaN or inf values"):
        each_entry_point(mnist_model(), x)[call]()


@pytest.mark.parametrize("x", [np.full((4, 28, 28, 1), "a"), np.empty((4, 28, 28, 1), dtype=object),
                               np.zeros((4, 28, 28, 1), dtype=complex)])
def test_non_numeric_x_is_a_type_error(x):
    with pytest.raises(TypeError, match=f"x must hold real numbers; received dtype {re.escape(str(x.dtype))}"):
        mnist_model().predict(x, verbose=0)


@pytest.mark.parametrize("call", ["fit", "evaluate", "predict"])
def test_empty_x(call):
    x = np.zeros((0, 28, 28, 1), dtype=np.float32)
    with pytest.raises(ValueError, match=re.escape("x is empty (shape (0, 28, 28, 1))")):
        each_entry_point(mnist_model(), x, LABELS[:0])[call]()


def test_integer_images_are_fine():
    # uint8 pixels (as Fashion-MNIST ships) are numbers: they are converted, not refused.
    x = (images() * 255).astype(np.uint8)
    assert mnist_model().predict(x, verbose=0).dtype == np.float32


# ---------------------------------------------------------------- impossible layers
def test_conv_kernel_larger_than_its_input():
    with pytest.raises(ValueError, match=r"Conv2D 'conv.*': window \(5, 5\) is larger than its input \(3, 3\)"):
        Sequential([Conv2D(4, 5)], input_shape=(3, 3, 1))
    # Found when the model is built on first call, too.
    model = Sequential([Conv2D(4, 5)])
    with pytest.raises(ValueError, match=r"larger than its input \(4, 4\).*padding='same'"):
        model(np.zeros((1, 4, 4, 1)))


def test_a_dilated_kernel_spans_more_than_its_size():
    # A 3x3 kernel with dilation_rate=2 spans (3 - 1) * 2 + 1 = 5 pixels: a 4x4 input is too small.
    with pytest.raises(ValueError, match=r"window \(5, 3\) is larger than its input \(4, 4\)"):
        Sequential([Conv2D(4, 3, dilation_rate=(2, 1))], input_shape=(4, 4, 1))


def test_too_much_pooling():
    # 4 -> 2 -> 1, and a third 2x2 window cannot fit in 1x1.
    with pytest.raises(ValueError, match=r"MaxPooling2D .*window \(2, 2\) is larger than its input \(1, 1\).*less pooling"):
        Sequential([MaxPooling2D(2), MaxPooling2D(2), MaxPooling2D(2)], input_shape=(4, 4, 1))


def test_dense_on_images_asks_for_flatten():
    with pytest.raises(ValueError, match=r"Received input shape \(26, 26, 2\).*Flatten\(\)"):
        Sequential([Conv2D(2, 3), Dense(10)], input_shape=(28, 28, 1))


def test_conv_on_flat_input():
    with pytest.raises(ValueError, match=r"expects inputs \(H, W, C\).*\(784,\)"):
        Sequential([Conv2D(2, 3)], input_shape=(784,))


# ---------------------------------------------------------------- constructor arguments
@pytest.mark.parametrize("make, message", [
    (lambda: Dropout(1.5), "rate=1.5"),
    (lambda: Dropout(-0.1), "rate=-0.1"),
    (lambda: Dropout(1), "must be in \\[0, 1\\)"),
    (lambda: Conv2D(0, 3), "filters=0"),
    (lambda: Conv2D(8, 0), "kernel_size=0"),
    (lambda: Conv2D(8, 2.5), "kernel_size=2.5"),
    (lambda: Conv2D(8, (3, 3, 3)), re.escape("kernel_size=(3, 3, 3)")),
    (lambda: Conv2D(8, 3, strides=-1), "strides=-1"),
    (lambda: Conv2D(8, 3, dilation_rate=0), "dilation_rate=0"),
    (lambda: Conv2D(8, 3, dilation_rate=(2, -1)), re.escape("dilation_rate=(2, -1)")),
    # Keras refuses a stride and a dilation both above 1, on any axes; so does minicnn.
    (lambda: Conv2D(8, 3, strides=2, dilation_rate=2),
     re.escape("strides > 1 cannot be combined with dilation_rate > 1. Received strides=(2, 2) and "
               "dilation_rate=(2, 2). Use strides=1")),
    (lambda: Conv2D(8, 3, strides=(1, 2), dilation_rate=(2, 1)), re.escape("dilation_rate=(2, 1)")),
    (lambda: Conv2D(8, 3, padding="full"), "padding must be 'valid' or 'same'. Received padding='full'"),
    (lambda: Conv2D(8, 3, activation="mish"), "Unknown activation 'mish'"),
    (lambda: MaxPooling2D(0), "pool_size=0"),
    (lambda: AveragePooling2D(2, padding="causal"), "padding='causal'"),
    (lambda: ZeroPadding2D(-1), "padding=-1"),
    (lambda: ZeroPadding2D((1, 2, 3)), re.escape("padding=(1, 2, 3)")),
    (lambda: Dense(0), "units=0"),
    (lambda: Dense(2.5), "units=2.5"),
    # Strings and odd shapes are refused where they arrive, not in the first forward pass.
    (lambda: BatchNormalization(momentum="0.9"), "momentum='0.9' \\(str\\)"),
    (lambda: BatchNormalization(epsilon=0), re.escape("epsilon must be a number in (0, inf]")),
    (lambda: Dropout("0.5"), "rate='0.5'"),
    (lambda: Rescaling("1/255"), "scale='1/255'"),
    (lambda: Reshape((0, -1)), re.escape("target_shape=(0, -1)")),
    (lambda: Reshape((-1, -1)), re.escape("one of them may be -1")),
    (lambda: RandomRotation("0.1"), "factor='0.1'"),
])
def test_bad_layer_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize("make, message", [
    (lambda: optimizers.Adam(learning_rate=0), "learning_rate=0"),
    (lambda: optimizers.SGD(learning_rate=-0.1), "learning_rate=-0.1"),
    (lambda: optimizers.SGD(momentum=1.5), "momentum=1.5"),
    (lambda: EarlyStopping(mode="maximum"), "mode='maximum'"),
    (lambda: minicnn.set_floatx("float16"), "float16"),
    # A schedule is checked when it is made (Keras refuses decay_steps=0 there too), not in fit.
    (lambda: schedules.ExponentialDecay(-0.5, 10, 0.9), "initial_learning_rate=-0.5"),
    (lambda: schedules.ExponentialDecay(0.1, 10, -0.9), "decay_rate=-0.9"),
    (lambda: schedules.CosineDecay(1e-3, 0), "decay_steps=0"),
    (lambda: schedules.PiecewiseConstantDecay([10], [0.1, -0.01]), "values=-0.01"),
    (lambda: ReduceLROnPlateau(factor=1.5), re.escape("factor=1.5")),
    (lambda: ReduceLROnPlateau(factor=-0.1), re.escape("factor=-0.1")),
])
def test_bad_training_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_bad_fit_arguments():
    model = mnist_model()
    with pytest.raises(ValueError, match="batch_size=0"):
        model.fit(images(), LABELS, batch_size=0, verbose=0)
    with pytest.raises(ValueError, match="validation_split must be in \\(0, 1\\). Received 1.5"):
        model.fit(images(), LABELS, validation_split=1.5, verbose=0)
    # 4 samples, 10% held out: Keras's rule trains on floor(3.6) = 3 and validates on 1; but
    # with 1 sample there is nothing left to train on.
    with pytest.raises(ValueError, match="cannot split 1 samples"):
        model.fit(images(1), LABELS[:1], validation_split=0.5, verbose=0)


def test_not_a_layer():
    with pytest.raises(TypeError, match="expects a minicnn layer"):
        Sequential([Conv2D(2, 3), "dense"])


# ---------------------------------------------------------------- compile
@pytest.mark.parametrize("call", ["fit", "evaluate", "compute_gradients"])
def test_compile_not_called(call):
    model = Sequential([Flatten(), Dense(10, activation="softmax")], input_shape=(28, 28, 1))
    with pytest.raises(ValueError, match=rf"{call}: call model.compile\(optimizer=..., loss=...\) first"):
        each_entry_point(model, images())[call]()


def test_model_not_built():
    model = Sequential([Flatten(), Dense(10)])
    with pytest.raises(ValueError, match="set_weights: the model is not built yet.*input_shape"):
        model.set_weights([])


@pytest.mark.parametrize("kwargs, message", [
    ({"optimizer": "adamax"}, "Unknown optimizer 'adamax'. Use one of \\['adam', 'adamw', 'rmsprop', 'sgd'\\]"),
    ({"loss": "hinge"}, "Unknown loss 'hinge'. Use one of \\['binary_crossentropy', 'categorical_crossentropy', "
                        "'mean_squared_error', 'mse', 'sparse_categorical_crossentropy'\\]"),
    ({"metrics": ["accuracy", "precision"]}, "Unknown metrics \\['precision'\\].*minicnn.runs.metrics"),
])
def test_unknown_names_in_compile(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Sequential([Flatten(), Dense(10)], input_shape=(28, 28, 1)).compile(**kwargs)


def test_unknown_names_in_get():
    with pytest.raises(ValueError, match="Unknown loss 'hinge'"):
        losses.get("hinge")
    with pytest.raises(ValueError, match="Unknown optimizer 'nadam'"):
        optimizers.get("nadam")


# ---------------------------------------------------------------- layer arguments that are fine
def test_numpy_scalars_are_numbers():
    """``np.float32(0.1)`` is what a NumPy computation hands over; Keras takes it, so does minicnn."""
    layer = RandomRotation(np.float32(0.1))
    assert layer.get_config()["factor"] == pytest.approx((-0.1, 0.1))
    assert BatchNormalization(momentum=np.float64(0.9)).momentum == 0.9


# ---------------------------------------------------------------- callbacks and schedules in fit
def test_a_callback_never_replaces_a_schedule_silently():
    for callback in (ReduceLROnPlateau(monitor="loss"), LearningRateScheduler(lambda epoch, lr: lr)):
        model = mnist_model()
        model.compile(optimizer=optimizers.SGD(schedules.ExponentialDecay(0.1, 10, 0.9)),
                      loss="sparse_categorical_crossentropy")
        with pytest.raises(TypeError, match=f"{type(callback).__name__} sets the learning rate.*schedule"):
            model.fit(images(), LABELS, epochs=1, verbose=0, callbacks=[callback])
        assert model.optimizer.iterations == 0                # refused before the first batch


def test_reduce_lr_on_plateau_with_factor_zero_sets_the_rate_to_zero():
    """Keras allows factor=0: the rate drops to 0 (and training stands still) at the first plateau."""
    model = mnist_model()
    model.compile(optimizer=optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    model.fit(images(), LABELS, epochs=2, verbose=0, callbacks=[ReduceLROnPlateau("loss", factor=0, patience=0,
                                                                                   min_delta=1e9)])
    assert model.optimizer.learning_rate == 0


def test_a_schedule_function_keeps_its_own_error():
    """A TypeError inside the user's function is theirs, not "missing argument 'lr'"."""
    def schedule(epoch, lr):
        return lr * "0.5"                                     # the user's bug
    with pytest.raises(TypeError, match="can't multiply sequence"):
        mnist_model().fit(images(), LABELS, epochs=1, verbose=0, callbacks=[LearningRateScheduler(schedule)])
    # The one-argument form of older Keras still works.
    model = mnist_model()
    model.fit(images(), LABELS, epochs=1, verbose=0, callbacks=[LearningRateScheduler(lambda epoch: 0.02)])
    assert model.optimizer.learning_rate == 0.02


def test_checkpoint_naming_a_missing_log_says_what_to_do(tmp_path):
    with pytest.raises(KeyError, match="'val_loss'.*Give fit validation data"):
        mnist_model().fit(images(), LABELS, epochs=1, verbose=0,
                          callbacks=[ModelCheckpoint(str(tmp_path / "m-{val_loss:.2f}.minicnn"))])
