"""minicnn against Keras with the same weights: predictions, loss, every gradient, training.

The reference is Keras 3 on TensorFlow, on the CPU and deterministic. The networks are
the seed projects' (dropout_cnn = seed 001, cnn_32_64_64 = seed 004, gap_cnn = the GAP
head); the data are images of the bundled Fashion-MNIST sample.

Keras is an optional extra, so without it this module is skipped; but CI installs the
extra and sets ``MINICNN_REQUIRE_KERAS=1``, and then a missing Keras is an error.

What "equal" means here
-----------------------
- One forward or backward pass: equal up to float32 rounding (the two libraries add the
  same products in different orders), so ``atol`` 2e-5 on predictions, 1e-5 on the loss
  and on every gradient.
- Training: each optimizer step is bit-for-bit Keras's (``test_optimizer_steps_...``),
  but the gradients differ by float32 rounding, about 1e-7. Usually that stays 1e-7
  for a whole run; but when two weights of a max-pool window or a ReLU input are within
  1e-7 of a tie, the libraries may decide it differently and the runs drift apart
  (Adam turns even a small gradient difference into a step of about the learning rate).
  So training is compared in float32 on a short run (6 steps, weights within 2e-4), and
  in float64, where rounding is 1e-16 and 12 steps must agree to 1e-10: any difference
  in an update rule would show there at once.
"""
import os
import subprocess
import sys

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")      # quiet: no start-up banners
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")     # plain Eigen kernels: repeatable sums
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")     # CPU only

if os.environ.get("MINICNN_REQUIRE_KERAS", "") not in ("", "0"):
    try:
        import keras
        import tensorflow as tf
    except ImportError as error:
        raise ImportError('MINICNN_REQUIRE_KERAS is set, so the Keras parity tests must run, but '
                          'Keras/TensorFlow cannot be imported. Install them with: '
                          'pip install "minicnn[keras]"') from error
else:
    keras = pytest.importorskip("keras")
    tf = pytest.importorskip("tensorflow")

import minicnn                                              # noqa: E402
from minicnn import losses, optimizers, zoo                # noqa: E402
from minicnn.datasets import load_fashion_mnist, to_categorical  # noqa: E402
from minicnn.keras_bridge import from_keras, to_keras      # noqa: E402

tf.config.experimental.enable_op_determinism()
pytestmark = pytest.mark.usefixtures("each_backend")
ARCHITECTURES = ["dropout_cnn", "cnn_32_64_64", "gap_cnn"]


# ----------------------------------------------------------------------------- helpers
@pytest.fixture(scope="module")
def images():
    """512 sample images (N, 28, 28, 1) in [0, 1] as float64, and their labels."""
    (x, y), _ = load_fashion_mnist(sample=True)
    return (x[:512].reshape(-1, 28, 28, 1) / 255.0), y[:512].astype(np.int64)


@pytest.fixture(params=["float32", "float64"])
def floatx(request):
    """Both libraries compute in ``request.param`` for the test."""
    minicnn.set_floatx(request.param)
    keras.config.set_floatx(request.param)
    yield request.param
    minicnn.set_floatx("float32")
    keras.config.set_floatx("float32")


def variant(name, head="as built", optimizer=None, dropout=None, seed=0):
    """Zoo model ``name`` with initial weights from ``seed``, optionally changed:

    head "softmax": a softmax output and the cross-entropy on probabilities;
    head "logits": a linear output and ``from_logits=True``;
    dropout: a new rate for every Dropout layer; optimizer: a new optimizer.
    Biases are set to small random values so that they take part in the sums.
    """
    minicnn.set_random_seed(seed)
    built = zoo.get(name)()
    config = built.get_config()
    for layer in config["layers"]:
        if layer["class_name"] == "Dropout" and dropout is not None:
            layer["config"]["rate"] = dropout
    if head != "as built":
        config["layers"][-1]["config"]["activation"] = "softmax" if head == "softmax" else "linear"
    model = minicnn.Sequential.from_config(config)
    rng = np.random.default_rng(seed)
    model.set_weights([w if w.ndim > 1 else rng.normal(0, 0.05, w.shape) for w in built.get_weights()])
    loss = type(built.loss)(from_logits=head == "logits" or head == "as built" and built.loss.from_logits)
    model.compile(optimizer=optimizer or built.optimizer, loss=loss, metrics=["accuracy"])
    return model


def targets(model, labels):
    """Labels as the model's loss wants them: integers (sparse) or one-hot rows."""
    if isinstance(model.loss, losses.SparseCategoricalCrossentropy):
        return labels
    return to_categorical(labels, 10).astype(minicnn.floatx())


def largest_difference(a_list, b_list):
    return max(float(np.abs(np.asarray(a) - np.asarray(b)).max()) for a, b in zip(a_list, b_list))


# ----------------------------------------------------------------------------- one pass
@pytest.mark.parametrize("name", ARCHITECTURES)
def test_predictions_match_keras(name, images):
    model = variant(name)
    twin = to_keras(model)
    x = images[0][:256].astype("float32")
    mine, theirs = model.predict(x, verbose=0), twin.predict(x, verbose=0)
    assert mine.dtype == theirs.dtype == np.float32
    np.testing.assert_allclose(mine, theirs, rtol=0, atol=2e-5)


@pytest.mark.parametrize("head", ["softmax", "logits"])
@pytest.mark.parametrize("name", ARCHITECTURES)
def test_loss_and_every_gradient_match_gradient_tape(name, head, images):
    model = variant(name, head)
    twin = to_keras(model)
    x = images[0][:128].astype("float32")
    y = targets(model, images[1][:128])
    loss, grads = model.compute_gradients(x, y, training=False)
    with tf.GradientTape() as tape:
        output = twin(x, training=False)                     # dropout off in both
        keras_loss = twin.compute_loss(x=x, y=y, y_pred=output, training=False)
    keras_grads = tape.gradient(keras_loss, twin.trainable_weights)
    assert loss == pytest.approx(float(keras_loss), abs=1e-5)
    assert len(grads) == len(keras_grads)
    for weight, mine, theirs in zip(twin.trainable_weights, grads, keras_grads):
        np.testing.assert_allclose(mine, theirs.numpy(), rtol=0, atol=1e-5, err_msg=weight.path)


def test_optimizer_steps_are_bit_for_bit_keras():
    # 40 steps on gradients spanning 1e-8 .. 1: every update rule equals Keras's to the last bit
    # in float32. (In float64 Keras rounds beta_1, beta_2 and momentum to float32 first; the
    # float64 training test below therefore uses constants that float32 holds exactly.)
    rng = np.random.default_rng(0)
    pairs = [(optimizers.SGD(0.05), keras.optimizers.SGD(0.05)),
             (optimizers.SGD(0.05, momentum=0.9), keras.optimizers.SGD(0.05, momentum=0.9)),
             (optimizers.SGD(0.05, 0.9, nesterov=True), keras.optimizers.SGD(0.05, 0.9, nesterov=True)),
             (optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3)),
             (optimizers.AdamW(1e-3, weight_decay=0.01), keras.optimizers.AdamW(1e-3, weight_decay=0.01)),
             (optimizers.RMSprop(1e-3), keras.optimizers.RMSprop(1e-3))]
    for mine, theirs in pairs:
        start = rng.normal(size=500).astype("float32")
        weight, variable = start.copy(), keras.Variable(start.copy())
        for _ in range(40):
            grad = (rng.normal(size=500) * 10.0 ** rng.integers(-8, 1, 500)).astype("float32")
            mine.apply([weight], [grad])
            theirs.apply_gradients([(grad, variable)])
        np.testing.assert_array_equal(weight, variable.numpy(), err_msg=type(mine).__name__)


# ----------------------------------------------------------------------------- training
# Dropout masks come from different generators in the two libraries, so training runs
# use rate 0 (Keras's Dropout is then the identity, as ours is).
def exactly_float32(value):
    """``value`` rounded to float32: Keras rounds its optimizer constants so even in float64."""
    return float(np.float32(value))


OPTIMIZERS = {
    "adam": lambda: optimizers.Adam(1e-3, beta_1=exactly_float32(0.9), beta_2=exactly_float32(0.999)),
    "sgd_momentum": lambda: optimizers.SGD(0.01, momentum=exactly_float32(0.9)),
}
TRAINING = {"float32": dict(n=256, batch_size=128, epochs=3, atol=2e-4),
            "float64": dict(n=128, batch_size=32, epochs=3, atol=1e-10)}


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
@pytest.mark.parametrize("name", ARCHITECTURES)
def test_fit_ends_at_keras_weights(name, optimizer, floatx, images):
    settings = TRAINING[floatx]
    model = variant(name, optimizer=OPTIMIZERS[optimizer](), dropout=0.0)
    twin = to_keras(model)
    assert type(twin.optimizer).__name__ == type(model.optimizer).__name__
    x = images[0][:settings["n"]].astype(floatx)
    y = targets(model, images[1][:settings["n"]])
    fit = dict(epochs=settings["epochs"], batch_size=settings["batch_size"], shuffle=False, verbose=0)
    mine, theirs = model.fit(x, y, **fit), twin.fit(x, y, **fit)
    assert model.get_weights()[0].dtype == twin.get_weights()[0].dtype == np.dtype(floatx)
    moved = largest_difference(model.get_weights(), variant(name).get_weights())
    assert moved > 10 * settings["atol"], "the weights should have moved well beyond the tolerance"
    # Adam divides by sqrt(v) + epsilon: a weight whose gradients stay near zero takes steps whose
    # size and sign hang on the last bits of v, so float32 rounding in either library may move a
    # few such weights apart (about 0.1% of cnn_32_64_64's, by up to 2.3e-4, on an AMD EPYC whose
    # BLAS runs the Haswell kernels). The others agree to the tolerance; a wrong update rule
    # would move most weights apart, so the 99.9th percentile is the real check.
    differences = np.concatenate([np.abs(a - b).ravel() for a, b in zip(model.get_weights(), twin.get_weights())])
    assert np.quantile(differences, 0.999) < settings["atol"]
    assert np.median(differences) < settings["atol"] / 100
    assert differences.max() < settings["atol"] * (10 if optimizer == "adam" else 1)
    np.testing.assert_allclose(mine.history["loss"], theirs.history["loss"], rtol=1e-4)
    np.testing.assert_allclose(mine.history["accuracy"], theirs.history["accuracy"], atol=1e-6)


# ----------------------------------------------------------------------------- the bridge
@pytest.mark.parametrize("name", zoo.list_models())
def test_round_trip_keeps_config_weights_and_compile_settings(name):
    model = zoo.get(name)()
    twin = to_keras(model)
    assert [layer.name for layer in twin.layers] == [layer.name for layer in model.layers]
    assert twin.name == model.name and twin.input_shape == (None, *model.input_shape)
    assert twin.get_compile_config()["metrics"] == ["accuracy"]
    back = from_keras(twin)
    assert back.get_config() == model.get_config()
    for a, b in zip(back.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert type(back.optimizer) is type(model.optimizer)
    assert back.optimizer.get_config() == model.optimizer.get_config()
    assert type(back.loss) is type(model.loss) and back.loss.get_config() == model.loss.get_config()
    assert back.metrics == model.metrics == ["accuracy"]


def test_every_layer_kind_round_trips():
    from minicnn.layers import (Activation, AveragePooling2D, Conv2D, Dense, GlobalAveragePooling2D,
                                MaxPooling2D, ReLU, Softmax, ZeroPadding2D)
    model = minicnn.Sequential([
        ZeroPadding2D(((1, 2), (0, 1))), Conv2D(4, (3, 2), strides=(2, 1), padding="same"), ReLU(),
        AveragePooling2D(2, strides=1, padding="same"), MaxPooling2D(3, strides=2),
        Activation("relu"), Conv2D(3, 1, use_bias=False), GlobalAveragePooling2D(), Dense(5), Softmax(),
    ], input_shape=(9, 8, 2))
    model.compile(optimizer=optimizers.RMSprop(0.01), loss="categorical_crossentropy")
    twin = to_keras(model)
    x = np.random.default_rng(3).random((6, 9, 8, 2), dtype=np.float32)
    np.testing.assert_allclose(model.predict(x, verbose=0), twin.predict(x, verbose=0), atol=2e-6)
    back = from_keras(twin)
    assert back.get_config() == model.get_config()
    assert back.optimizer.get_config() == model.optimizer.get_config()


def test_a_nested_sequential_crosses_the_bridge_both_ways():
    from minicnn.layers import BatchNormalization, Conv2D, Dense, Flatten, MaxPooling2D, RandomFlip
    augmentation = minicnn.Sequential([RandomFlip("horizontal")], name="augmentation")
    block = minicnn.Sequential([Conv2D(3, 3, activation="relu"), BatchNormalization(), MaxPooling2D(2)],
                               name="block")
    block.trainable = False
    model = minicnn.Sequential([augmentation, block, Flatten(), Dense(4, activation="softmax")],
                               input_shape=(8, 8, 1))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(5)
    model.set_weights([rng.normal(size=w.shape).astype(w.dtype) for w in model.weights])
    variance = block.layers[1].state["moving_variance"]
    variance[...] = np.abs(variance) + 0.5
    twin = to_keras(model)
    assert [type(layer).__name__ for layer in twin.layers] == ["Sequential", "Sequential", "Flatten", "Dense"]
    assert twin.layers[1].trainable is False
    x = rng.random((5, 8, 8, 1), dtype=np.float32)
    mine = model.predict(x, verbose=0)
    assert np.isfinite(mine).all()
    np.testing.assert_allclose(mine, twin.predict(x, verbose=0), atol=2e-6)
    back = from_keras(twin)
    assert back.get_config() == model.get_config()
    for a, b in zip(back.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)

def test_dilation_rate_crosses_the_bridge_both_ways():
    from minicnn.layers import Conv2D, Dense, Flatten, MaxPooling2D
    # A dilated Conv2D(relu) + MaxPooling2D is not fused: on the fast backend the conv runs its NumPy code.
    model = minicnn.Sequential([Conv2D(4, 3, padding="same", dilation_rate=(2, 1), activation="relu"),
                                MaxPooling2D(2), Conv2D(3, 2, dilation_rate=3), Flatten(),
                                Dense(3, activation="softmax")], input_shape=(12, 10, 1))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    twin = to_keras(model)
    assert [twin.layers[i].dilation_rate for i in (0, 2)] == [(2, 1), (3, 3)]
    rng = np.random.default_rng(5)
    x, y = rng.random((8, 12, 10, 1), dtype=np.float32), rng.integers(0, 3, 8)
    np.testing.assert_allclose(model.predict(x, verbose=0), twin.predict(x, verbose=0), atol=2e-6)
    loss, grads = model.compute_gradients(x, y, training=False)
    with tf.GradientTape() as tape:
        keras_loss = twin.compute_loss(x=x, y=y, y_pred=twin(x, training=False), training=False)
    keras_grads = tape.gradient(keras_loss, twin.trainable_weights)
    assert loss == pytest.approx(float(keras_loss), abs=1e-5)
    for weight, mine, theirs in zip(twin.trainable_weights, grads, keras_grads):
        np.testing.assert_allclose(mine, theirs.numpy(), rtol=0, atol=1e-5, err_msg=weight.path)
    back = from_keras(twin)
    assert back.get_config() == model.get_config()
    assert [back.layers[i].dilation_rate for i in (0, 2)] == [(2, 1), (3, 3)]
    # A Keras model written by hand converts too (from_keras refused dilation_rate before).
    net = keras.Sequential([keras.Input((7, 7, 2)), keras.layers.Conv2D(2, 2, dilation_rate=2)])
    copy = from_keras(net)
    assert copy.layers[0].dilation_rate == (2, 2)
    x = rng.random((3, 7, 7, 2), dtype=np.float32)
    np.testing.assert_allclose(copy.predict(x, verbose=0), net.predict(x, verbose=0), atol=2e-6)


def test_set_weights_alone_moves_weights_between_the_libraries():
    # Same layouts, same order: no transposing anywhere.
    model = variant("dropout_cnn")
    hand_written = keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.ZeroPadding2D(1), keras.layers.Conv2D(32, 3, activation="relu"), keras.layers.Dropout(0.5),
        keras.layers.MaxPooling2D(2),
        keras.layers.ZeroPadding2D(1), keras.layers.Conv2D(64, 3, activation="relu"), keras.layers.Dropout(0.5),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(), keras.layers.Dense(128, activation="relu"), keras.layers.Dropout(0.5),
        keras.layers.Dense(10, activation="softmax")])
    hand_written.set_weights(model.get_weights())
    x = np.random.default_rng(1).random((16, 28, 28, 1), dtype=np.float32)
    np.testing.assert_allclose(model.predict(x, verbose=0), hand_written.predict(x, verbose=0), atol=2e-5)
    copy = from_keras(hand_written)               # not compiled in Keras, so not compiled here
    assert copy.loss is None and copy.count_params() == model.count_params()


def test_from_keras_copies_compile_settings():
    net = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(3)])
    net.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.5, nesterov=True),
                loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["acc"])
    model = from_keras(net)
    assert isinstance(model.optimizer, optimizers.SGD)
    assert model.optimizer.get_config() == {"learning_rate": 0.05, "momentum": 0.5, "nesterov": True}
    assert isinstance(model.loss, losses.SparseCategoricalCrossentropy) and model.loss.from_logits
    assert model.metrics == ["acc"]                        # Keras's name, kept


@pytest.mark.parametrize("optimizer, option", [
    (lambda: keras.optimizers.Adam(amsgrad=True), "amsgrad=True"),
    (lambda: keras.optimizers.Adam(global_clipnorm=1.0), "global_clipnorm=1.0"),
    (lambda: keras.optimizers.Adagrad(), "Adagrad"),
    (lambda: keras.optimizers.SGD(keras.optimizers.schedules.InverseTimeDecay(0.1, 10, 0.9)), "InverseTimeDecay"),
])
def test_unsupported_compile_settings_warn_and_leave_the_model_uncompiled(optimizer, option):
    net = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    net.compile(optimizer=optimizer(), loss="categorical_crossentropy")
    with pytest.warns(UserWarning, match=option):
        model = from_keras(net)
    assert model.loss is None and model.count_params() == 15


def test_unsupported_loss_warns():
    net = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    net.compile(optimizer="adam", loss=keras.losses.CategoricalCrossentropy(label_smoothing=0.1))
    with pytest.warns(UserWarning, match="label_smoothing=0.1"):
        assert from_keras(net).loss is None


@pytest.mark.parametrize("layer, message", [
    (lambda: keras.layers.LayerNormalization(name="ln"), "layer 'ln' is a LayerNormalization"),
    (lambda: keras.layers.Conv2D(4, 3, kernel_constraint="non_neg", name="pos"), "'pos' (Conv2D) has kernel_constraint"),
    (lambda: keras.layers.Conv2D(4, 3, groups=2, name="grouped"), "'grouped' (Conv2D) has groups=2"),
    (lambda: keras.layers.Conv2D(4, 3, activity_regularizer="l2", name="reg"),
     "'reg' (Conv2D) has activity_regularizer"),
    (lambda: keras.layers.Conv2D(4, 3, activation="hard_sigmoid", name="g"),
     "'g' (Conv2D) has activation='hard_sigmoid'"),
    (lambda: keras.layers.Dropout(0.5, noise_shape=(None, 1, 1, 2), name="d"), "'d' (Dropout) has noise_shape"),
    (lambda: keras.layers.MaxPooling2D(2, data_format="channels_first", name="cf"),
     "'cf' (MaxPooling2D) has data_format='channels_first'"),
    (lambda: keras.layers.ReLU(max_value=6.0, name="relu6"), "'relu6' (ReLU) has max_value=6.0"),
    (lambda: keras.layers.GlobalAveragePooling2D(keepdims=True, name="gk"), "'gk' (GlobalAveragePooling2D) has keepdims=True"),
])
def test_unsupported_layers_and_options_are_named(layer, message):
    net = keras.Sequential([keras.Input((8, 8, 2)), layer()])
    with pytest.raises(ValueError) as error:
        from_keras(net)
    assert message in str(error.value)


def test_frozen_layers_cross_and_a_missing_input_shape_is_refused():
    dense = keras.layers.Dense(3, name="frozen")
    net = keras.Sequential([keras.Input((4,)), dense])
    dense.trainable = False
    assert from_keras(net).layers[0].trainable is False
    with pytest.raises(ValueError, match="keras.Input"):
        from_keras(keras.Sequential([keras.layers.Dense(3)]))


def test_use_bias_false_round_trips():
    net = keras.Sequential([keras.Input((6, 6, 1)), keras.layers.Conv2D(2, 3, use_bias=False, name="nobias"),
                            keras.layers.Flatten(), keras.layers.Dense(3, use_bias=False)])
    model = from_keras(net)
    assert [layer.count_params() for layer in model.layers] == [18, 0, 96]
    x = np.random.default_rng(2).random((4, 6, 6, 1), dtype=np.float32)
    np.testing.assert_allclose(model.predict(x, verbose=0), net.predict(x, verbose=0), atol=2e-6)


def test_missing_keras_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "keras", None)          # "import keras" now raises ImportError
    with pytest.raises(ImportError, match=r'pip install "minicnn\[keras\]"'):
        to_keras(zoo.simple_cnn())


def test_importing_minicnn_does_not_import_keras():
    code = ("import sys, minicnn, minicnn.keras_bridge, minicnn.runs.compare; "
            "print(sorted(m for m in ('keras', 'tensorflow') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
