"""Layer by layer against Keras 3, with the same weights: activations, BatchNormalization,
dilated Conv2D, regularizers, frozen layers, augmentation, schedules, clipping, losses, the bridge.

One Keras import for the module and small shapes keep it quick. "Equal" means up to
float32 rounding (``atol`` below) for one forward or backward pass; training runs
are compared in float64, where they must agree to 1e-10. Gradients on the Keras side
come from ``tf.GradientTape`` on ``sum(output * R)`` for a fixed random ``R``.
"""
import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")
if os.environ.get("MINICNN_REQUIRE_KERAS", "") not in ("", "0"):
    import keras
    import tensorflow as tf
else:
    keras = pytest.importorskip("keras")
    tf = pytest.importorskip("tensorflow")

import minicnn                                                    # noqa: E402
from minicnn import regularizers                                  # noqa: E402
from minicnn.layers import (ELU, Activation, BatchNormalization, Conv2D, Dense, Flatten,  # noqa: E402
                            LeakyReLU, RandomFlip)
from minicnn.layers import activation_functions as functions     # noqa: E402
from minicnn.model import plan_for                               # noqa: E402

pytestmark = pytest.mark.usefixtures("each_backend")

ATOL = 2e-5
RNG = np.random.default_rng(0)


def keras_pass(layer, x, training, projection):
    """Keras's output and the gradients of ``sum(output * projection)`` for x and the layer's
    trainable weights, as NumPy arrays."""
    x = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = layer(x, training=training)
        objective = tf.reduce_sum(out * projection)
    grads = tape.gradient(objective, [x, *layer.trainable_weights])
    return out.numpy(), [g.numpy() for g in grads]


def minicnn_pass(layer, x, training, projection):
    out = layer(x, training=training)
    dx = layer.backward(projection)
    return out, [dx, *(layer.grads[name] for name in layer.params)]


def assert_same_pass(ours, theirs, x, training=False, atol=ATOL):
    """Forward and every gradient of the two layers agree; returns the largest difference."""
    projection = RNG.normal(size=(x.shape[0], *ours.compute_output_shape(x.shape[1:]))).astype(x.dtype)
    out, grads = minicnn_pass(ours, x, training, projection)
    keras_out, keras_grads = keras_pass(theirs, x, training, projection)
    differences = [np.abs(out - keras_out).max()] + [np.abs(a - b).max() for a, b in zip(grads, keras_grads)]
    assert len(grads) == len(keras_grads) and max(differences) < atol, differences
    return max(differences)


# ---------------------------------------------------------------- activations
@pytest.mark.parametrize("name", sorted(functions.ACTIVATIONS))
def test_every_activation_matches_keras(name):
    x = (RNG.normal(size=(4, 9)) * 3).astype("float32")
    assert_same_pass(Activation(name), keras.layers.Activation(name), x)


def test_gelu_approximate_and_the_layers_defaults_match_keras():
    x = (RNG.normal(size=(4, 9)) * 3).astype("float32")
    np.testing.assert_allclose(functions.gelu(x, approximate=True),
                               keras.activations.gelu(x, approximate=True).numpy(), atol=ATOL)
    assert_same_pass(LeakyReLU(), keras.layers.LeakyReLU(), x)           # slope 0.3 on both sides
    assert_same_pass(LeakyReLU(0.1), keras.layers.LeakyReLU(negative_slope=0.1), x)
    assert_same_pass(ELU(0.5), keras.layers.ELU(alpha=0.5), x)


# ---------------------------------------------------------------- BatchNormalization
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("center, scale", [(True, True), (False, True), (True, False)])
def test_batchnorm_matches_keras_in_both_modes(training, center, scale):
    x = (RNG.normal(size=(6, 5, 5, 3)) * 2 + 1).astype("float32")
    ours = BatchNormalization(center=center, scale=scale, momentum=0.9)
    theirs = keras.layers.BatchNormalization(center=center, scale=scale, momentum=0.9)
    ours.build(x.shape[1:])
    theirs.build(x.shape)
    weights = [RNG.uniform(0.5, 2, size=w.shape).astype("float32") for w in ours.weights]
    for w, value in zip(ours.weights, weights):
        w[...] = value
    theirs.set_weights(weights)
    assert_same_pass(ours, theirs, x, training)
    for ours_w, theirs_w in zip(ours.weights, theirs.get_weights()):       # moving statistics too
        np.testing.assert_allclose(ours_w, theirs_w, atol=1e-6)


# ---------------------------------------------------------------- dilated Conv2D
@pytest.mark.parametrize("dilation", [(2, 2), (2, 1)])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_dilated_conv2d_matches_keras(padding, dilation):
    # Halved inputs: a kernel gradient sums up to 2*9*8 = 144 products, and at full scale
    # its float32 rounding (sums near 30) comes close to ATOL.
    x = (RNG.normal(size=(2, 9, 8, 3)) * 0.5).astype("float32")
    ours = Conv2D(4, 3, padding=padding, dilation_rate=dilation)
    theirs = keras.layers.Conv2D(4, 3, padding=padding, dilation_rate=dilation)
    ours.build(x.shape[1:])
    theirs.build(x.shape)
    ours.params["bias"][...] = RNG.normal(size=4)              # so that the bias takes part
    theirs.set_weights(ours.weights)
    # Both backends run the layer's own NumPy code: the numba kernels have no dilation.
    assert plan_for([ours]).spans == [(1, ours)]
    assert_same_pass(ours, theirs, x)


@pytest.fixture
def float64():
    """Both libraries in float64 for the whole test (Keras builds its compiled loss at the first fit)."""
    minicnn.set_floatx("float64")
    keras.config.set_floatx("float64")
    yield
    minicnn.set_floatx("float32")
    keras.config.set_floatx("float32")


def small_models(regularized=False, frozen=False):
    """The same Conv2D-BN-Dense network in minicnn and Keras, same weights, compiled with SGD."""
    reg = dict(kernel_regularizer=regularizers.L2(0.05), bias_regularizer=regularizers.L1(0.02)) \
        if regularized else {}
    ours = minicnn.Sequential([Conv2D(3, 3, use_bias=False), BatchNormalization(momentum=0.8),
                               Flatten(), Dense(4, activation="softmax", **reg)], input_shape=(6, 6, 1))
    keras_reg = dict(kernel_regularizer=keras.regularizers.L2(0.05),
                     bias_regularizer=keras.regularizers.L1(0.02)) if regularized else {}
    # Keras fixes its float type when it makes its first layer, so each layer is told.
    theirs = keras.Sequential([keras.Input((6, 6, 1), dtype="float64"),
                               keras.layers.Conv2D(3, 3, use_bias=False, dtype="float64"),
                               keras.layers.BatchNormalization(momentum=0.8, dtype="float64"),
                               keras.layers.Flatten(dtype="float64"),
                               keras.layers.Dense(4, activation="softmax", dtype="float64", **keras_reg)])
    theirs.set_weights(ours.get_weights())
    if frozen:
        ours.layers[0].trainable = ours.layers[1].trainable = False
        theirs.layers[0].trainable = theirs.layers[1].trainable = False
    # 0.125 is exact in float32, the type of Keras's learning-rate variable
    ours.compile(minicnn.optimizers.SGD(0.125), "sparse_categorical_crossentropy")
    theirs.compile(keras.optimizers.SGD(0.125), "sparse_categorical_crossentropy")
    return ours, theirs


@pytest.mark.parametrize("regularized, frozen", [(False, False), (True, False), (True, True)])
def test_training_steps_match_keras_with_batchnorm_regularizers_and_frozen_layers(float64, regularized, frozen):
    """Five SGD steps in float64: every weight, moving statistics included, and the reported
    losses (which include the penalties) agree to 1e-10."""
    ours, theirs = small_models(regularized, frozen)
    x = RNG.normal(size=(20, 6, 6, 1))
    y = RNG.integers(0, 4, size=20)
    history = ours.fit(x, y, epochs=1, batch_size=4, shuffle=False, verbose=0, seed=0)
    keras_history = theirs.fit(x, y, epochs=1, batch_size=4, shuffle=False, verbose=0)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-10)
    np.testing.assert_allclose(history.history["loss"], keras_history.history["loss"], atol=1e-10)
    np.testing.assert_allclose(ours.evaluate(x, y, verbose=0)[0], theirs.evaluate(x, y, verbose=0), atol=1e-10)
    if frozen:
        assert len(theirs.trainable_weights) == len(ours.trainable_weights) == 2
        assert len(theirs.non_trainable_weights) == len(ours.weights) - 2 == 5


# ---------------------------------------------------------------- augmentation
def test_random_flip_matches_keras_for_the_same_draws_and_is_the_identity_at_inference():
    x = RNG.normal(size=(4, 3, 5, 2)).astype("float32")
    flips = np.array([True, False, True, False])
    for mode in ("horizontal", "vertical", "horizontal_and_vertical"):
        ours, theirs = RandomFlip(mode), keras.layers.RandomFlip(mode)
        keras_out = theirs.transform_images(x, {"flips": flips[:, None, None, None], "input_shape": x.shape})
        np.testing.assert_array_equal(ours.apply(x, flips)[0], keras_out.numpy())
        np.testing.assert_array_equal(ours(x, training=False), x)


FILL_MODES = ["reflect", "wrap", "nearest", "constant"]


@pytest.mark.parametrize("fill_mode", FILL_MODES)
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_resampling_layers_match_keras_for_the_same_draws(fill_mode, interpolation):
    """Translation (shifts past the border), rotation and zoom: for the same drawn shift,
    angle or scale, the same image as Keras's ``transform_images`` within float32 rounding."""
    from minicnn.layers import RandomRotation, RandomTranslation, RandomZoom
    from minicnn.layers.augmentation import rotation_transforms, translation_transforms, zoom_transforms
    x = RNG.normal(size=(3, 7, 6, 2)).astype("float32")
    options = dict(fill_mode=fill_mode, interpolation=interpolation, fill_value=0.5)
    shifts = np.array([[2.6, -1.3], [-7.4, 9.2], [0.0, 3.0]], dtype="float32")           # (dx, dy) pixels
    angles = np.array([30.0, -100.0, 181.0], dtype="float32")
    # (x, y) scales; none lands a point on a half pixel, where "nearest" would hang on float32 rounding
    zooms = np.array([[0.7, 1.3], [1.55, 0.8], [1.0, 1.0]], dtype="float32")
    cases = [
        (RandomTranslation(0.5, 0.5, **options), keras.layers.RandomTranslation(0.5, 0.5, **options),
         translation_transforms(shifts[:, 0], shifts[:, 1]), {"translations": shifts, "input_shape": x.shape}),
        (RandomRotation(0.5, **options), keras.layers.RandomRotation(0.5, **options),
         rotation_transforms(angles, 7, 6), None),
        (RandomZoom(0.5, 0.5, **options), keras.layers.RandomZoom(0.5, 0.5, **options),
         zoom_transforms(zooms[:, 0], zooms[:, 1], 7, 6),
         {"width_zoom": zooms[:, :1], "height_zoom": zooms[:, 1:], "input_shape": x.shape}),
    ]
    for ours, theirs, transforms, draws in cases:
        ours.build(x.shape[1:])
        if draws is None:                                           # rotation: Keras's own matrix
            draws = {"rotation_matrix": theirs._compute_affine_matrix(
                0.5, 0.5, tf.constant(angles), *[tf.zeros(3)] * 2, tf.ones(3), *[tf.zeros(3)] * 2, 7, 6)}
        keras_out = theirs.transform_images(tf.constant(x), draws, training=True).numpy()
        np.testing.assert_allclose(ours.apply(x, transforms)[0], keras_out, atol=1e-5, err_msg=type(ours).__name__)
        np.testing.assert_array_equal(ours(x, training=False), x)


def test_global_max_pooling_rescaling_and_reshape_match_keras():
    from minicnn.layers import GlobalMaxPooling2D, Rescaling, Reshape
    x = RNG.normal(size=(3, 4, 5, 2)).astype("float32")
    assert_same_pass(GlobalMaxPooling2D(), keras.layers.GlobalMaxPooling2D(), x)
    assert_same_pass(Rescaling(1 / 255, offset=-0.5), keras.layers.Rescaling(1 / 255, offset=-0.5), x)
    ours = Reshape((5, -1))
    ours.build(x.shape[1:])
    assert_same_pass(ours, keras.layers.Reshape((5, -1)), x)


# ---------------------------------------------------------------- schedules, clipping, losses
def test_schedules_match_keras():
    from minicnn.optimizers import schedules
    pairs = [(schedules.ExponentialDecay(0.1, 7, 0.5), keras.optimizers.schedules.ExponentialDecay(0.1, 7, 0.5)),
             (schedules.ExponentialDecay(0.1, 7, 0.5, staircase=True),
              keras.optimizers.schedules.ExponentialDecay(0.1, 7, 0.5, staircase=True)),
             (schedules.CosineDecay(0.1, 20, alpha=0.2), keras.optimizers.schedules.CosineDecay(0.1, 20, alpha=0.2)),
             (schedules.CosineDecay(0.0, 20, warmup_target=0.1, warmup_steps=5),
              keras.optimizers.schedules.CosineDecay(0.0, 20, warmup_target=0.1, warmup_steps=5)),
             (schedules.PiecewiseConstantDecay([3, 9], [0.3, 0.2, 0.1]),
              keras.optimizers.schedules.PiecewiseConstantDecay([3, 9], [0.3, 0.2, 0.1]))]
    for ours, theirs in pairs:
        steps = range(0, 40, 3)
        np.testing.assert_allclose([ours(t) for t in steps], [float(theirs(t)) for t in steps], rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("clipping", [{"clipnorm": 0.05}, {"clipvalue": 0.01}])
def test_clipped_training_matches_keras(float64, clipping):
    ours, theirs = small_models()
    ours.compile(minicnn.optimizers.SGD(0.125, **clipping), "sparse_categorical_crossentropy")
    theirs.compile(keras.optimizers.SGD(0.125, **clipping), "sparse_categorical_crossentropy")
    x, y = RNG.normal(size=(12, 6, 6, 1)), RNG.integers(0, 4, size=12)
    ours.fit(x, y, epochs=1, batch_size=4, shuffle=False, verbose=0, seed=0)
    theirs.fit(x, y, epochs=1, batch_size=4, shuffle=False, verbose=0)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-10)


@pytest.mark.parametrize("ours, theirs, logits", [
    (minicnn.losses.MeanSquaredError(), keras.losses.MeanSquaredError(), False),
    (minicnn.losses.BinaryCrossentropy(), keras.losses.BinaryCrossentropy(), False),
    (minicnn.losses.BinaryCrossentropy(from_logits=True), keras.losses.BinaryCrossentropy(from_logits=True), True)])
@pytest.mark.parametrize("seed", range(4))
def test_mse_and_binary_crossentropy_match_keras(ours, theirs, logits, seed):
    # Keras's loss objects compute in float32 (floatx when they are made), so the
    # predictions are float32, as a float32 model's are.
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=(5, 3)).astype("float32")
    p = rng.normal(size=(5, 3)) * 3 if logits else rng.uniform(0, 1, size=(5, 3))
    p[0, 0] = 1.0 if not logits else p[0, 0]                    # a clipped probability
    p = tf.constant(p.astype("float32"))
    with tf.GradientTape() as tape:
        tape.watch(p)
        value = theirs(tf.constant(y), p)
    np.testing.assert_allclose(ours(y, p.numpy()), float(value), rtol=1e-6)
    np.testing.assert_allclose(ours.gradient(y, p.numpy()), tape.gradient(value, p).numpy(), rtol=2e-5, atol=1e-7)


# ---------------------------------------------------------------- the bridge
def test_every_new_piece_crosses_the_bridge_both_ways():
    """A model with every new layer, regularizers, a frozen layer, moving statistics and a
    schedule goes to Keras and back: same config, same weights, same predictions."""
    from minicnn.keras_bridge import from_keras, to_keras
    from minicnn.layers import (GlobalMaxPooling2D, RandomRotation, RandomTranslation, RandomZoom, ReLU,
                                Rescaling, Reshape)
    from minicnn.optimizers import schedules
    model = minicnn.Sequential([
        Rescaling(1 / 255), RandomFlip("horizontal"), RandomTranslation(0.1, 0.1), RandomRotation(0.05),
        RandomZoom(0.1, fill_mode="constant"),
        Conv2D(4, 3, activation="gelu", kernel_regularizer="l2", bias_regularizer=regularizers.L1(0.001)),
        BatchNormalization(momentum=0.9, trainable=False), LeakyReLU(), Reshape((6, 6, 4)), ELU(), ReLU(),
        GlobalMaxPooling2D(), Dense(5, activation="silu", kernel_regularizer=regularizers.L1L2(0.1, 0.2)),
        Activation("tanh"), Dense(3, activation="softmax")], input_shape=(8, 8, 1))
    model.compile(minicnn.optimizers.Adam(schedules.CosineDecay(1e-3, 100), clipnorm=1.0),
                  minicnn.losses.BinaryCrossentropy())
    for w in model.weights:
        w[...] = RNG.uniform(0.5, 1.5, size=w.shape)
    twin = to_keras(model)
    back = from_keras(twin)
    assert back.get_config() == model.get_config()
    assert back.optimizer.get_config() == model.optimizer.get_config()
    assert type(back.loss) is minicnn.losses.BinaryCrossentropy and not back.layers[6].trainable
    assert len(twin.non_trainable_weights) == 4 and twin.layers[6].trainable is False
    for a, b in zip(back.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    x = RNG.uniform(0, 255, size=(2, 8, 8, 1)).astype("float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), twin.predict(x, verbose=0), atol=1e-6)
    assert np.isclose(model.penalty(), float(sum(twin.losses)), rtol=1e-6)     # Keras's model.losses
