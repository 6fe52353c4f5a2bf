"""The layers beyond the first CNN: more activations, BatchNormalization,
frozen layers, regularizers, the shape layers and augmentation.

Each backward pass is checked against central differences in float64 (as in
``test_gradients.py``: relative error below 1e-6), and the key numbers are worked by hand.
Keras parity is in ``test_keras_parity_layers.py``.
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minicnn
from minicnn import Sequential, regularizers
from minicnn.gradcheck import gradcheck
from minicnn.layers import ELU, Activation, BatchNormalization, Conv2D, Dense, Flatten, LeakyReLU, ReLU
from minicnn.layers import activation_functions as functions

BOUND = 1e-6
SEEDS = st.integers(0, 2**32 - 1)
CHECKS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def assert_gradcheck(target, x, y=None, training=False):
    errors = gradcheck(target, x, y, training=training)
    worst = max(errors, key=errors.get)
    assert errors[worst] < BOUND, f"gradient of {worst} is off: {errors}"
    return errors


def off_kinks(rng, shape):
    """Values at least 0.05 away from 0, where leaky_relu and elu have their corner."""
    x = rng.normal(size=shape)
    return np.where(np.abs(x) < 0.05, 0.05 * np.sign(x + 1e-12), x)


# ---------------------------------------------------------------- activations
@pytest.mark.parametrize("name", sorted(functions.ACTIVATIONS))
@CHECKS
@given(seed=SEEDS)
def test_every_activation_passes_the_gradient_check(float64, name, seed):
    assert_gradcheck(Activation(name), off_kinks(np.random.default_rng(seed), (3, 4, 5)))


@pytest.mark.parametrize("approximate", [False, True])
def test_gelu_derivative_matches_central_differences_in_both_forms(approximate):
    x = np.linspace(-4, 4, 81)
    h = 1e-5
    numeric = (functions.gelu(x + h, approximate) - functions.gelu(x - h, approximate)) / (2 * h)
    analytic = functions.gelu_derivative(x, functions.gelu(x, approximate), approximate)
    np.testing.assert_allclose(analytic, numeric, atol=1e-9)


def test_activations_by_hand():
    x = np.array([-2.0, 0.5])
    # leaky_relu, the function: slope 0.2 -> [-0.4, 0.5]; the LeakyReLU layer: slope 0.3 -> [-0.6, 0.5]
    np.testing.assert_allclose(Activation("leaky_relu").forward(x), [-0.4, 0.5])
    np.testing.assert_allclose(LeakyReLU().forward(x), [-0.6, 0.5])
    # elu: alpha (e^-2 - 1) = -0.864665, 0.5 stays; its slope below 0 is e^-2 = 0.135335
    layer = ELU()
    np.testing.assert_allclose(layer.forward(x), [np.expm1(-2), 0.5])
    np.testing.assert_allclose(layer.backward(np.ones(2)), [np.exp(-2), 1.0])
    # sigmoid(0) = 1/2 with slope 1/4; gelu(0) = 0 with slope Phi(0) = 1/2; softplus(0) = log 2
    zero = np.zeros(1)
    assert functions.sigmoid(zero) == 0.5 and functions.sigmoid_derivative(zero, 0.5) == 0.25
    assert functions.gelu_derivative(zero, zero) == 0.5
    np.testing.assert_allclose(functions.softplus(zero), np.log(2))
    # silu(1) = 1 * sigmoid(1) = 0.731059; swish is the same function
    np.testing.assert_allclose(Activation("swish").forward(np.ones(1)), 1 / (1 + np.exp(-1)))


def test_activation_names_reach_dense_and_conv_and_back():
    for name in functions.ACTIVATIONS:
        assert Dense(2, activation=name).get_config()["activation"] == name
        assert Conv2D(2, 3, activation=name).get_config()["activation"] == name
    with pytest.raises(ValueError, match="Unknown activation 'mish'"):
        Dense(2, activation="mish")


# ---------------------------------------------------------------- BatchNormalization
def test_batchnorm_by_hand():
    """One channel, four values: mean 2.5, variance 1.25, std sqrt(1.25 + 1e-3) = 1.118481."""
    bn = BatchNormalization()
    x = np.array([1.0, 2.0, 3.0, 4.0])[:, None]
    out = bn(x, training=True)
    std = np.sqrt(1.25 + 1e-3)
    np.testing.assert_allclose(out[:, 0], (x[:, 0] - 2.5) / std, rtol=1e-6)
    # moving statistics take 1% of the batch's: 0.99 * 0 + 0.01 * 2.5, 0.99 * 1 + 0.01 * 1.25
    np.testing.assert_allclose(bn.state["moving_mean"], [0.025], rtol=1e-6)
    np.testing.assert_allclose(bn.state["moving_variance"], [1.0025], rtol=1e-6)
    # A gradient equal for every sample cannot change a normalised output (its mean
    # is subtracted away): dx = 0, dbeta = 4 (four samples), dgamma = sum(x_hat) = 0.
    dx = bn.backward(np.ones((4, 1)))
    np.testing.assert_allclose(dx, 0, atol=1e-6)
    np.testing.assert_allclose(bn.grads["beta"], [4.0])
    np.testing.assert_allclose(bn.grads["gamma"], [0.0], atol=1e-6)
    # at inference: (x - 0.025) / sqrt(1.0025 + 0.001)
    np.testing.assert_allclose(bn(x)[:, 0], (x[:, 0] - 0.025) / np.sqrt(1.0035), rtol=1e-6)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("shape", [(6, 3, 3, 2), (5, 4)])
@CHECKS
@given(seed=SEEDS)
def test_batchnorm_passes_the_gradient_check(float64, each_backend, training, shape, seed):
    rng = np.random.default_rng(seed)
    bn = BatchNormalization(momentum=0.5)
    bn.build(shape[1:])
    for name in ("gamma", "beta", "moving_mean"):
        bn.weights[["gamma", "beta", "moving_mean"].index(name)][...] = rng.normal(size=shape[-1])
    bn.state["moving_variance"][...] = rng.uniform(0.5, 2, size=shape[-1])
    assert_gradcheck(bn, rng.normal(size=shape) * 3 + 1, training=training)


def test_batchnorm_weights_are_in_keras_order_and_moving_ones_have_no_gradient(float64):
    # (no conv bias: a bias before BatchNormalization is subtracted away, its gradient is exactly 0)
    model = Sequential([Conv2D(2, 3, use_bias=False), BatchNormalization(), Flatten(), Dense(3, activation="softmax")],
                       input_shape=(5, 5, 1))
    model.compile("sgd", "sparse_categorical_crossentropy")
    assert [w.shape for w in model.get_weights()] == [(3, 3, 1, 2), (2,), (2,), (2,), (2,), (18, 3), (3,)]
    x, y = np.random.default_rng(0).normal(size=(4, 5, 5, 1)), np.array([0, 1, 2, 0])
    _, grads = model.compute_gradients(x, y, training=True)
    assert [g.shape for g in grads] == [(3, 3, 1, 2), (2,), (2,), (18, 3), (3,)]
    errors = assert_gradcheck(model, x, y, training=True)
    bn = model.layers[1].name
    assert f"{bn}/moving_mean" not in errors and f"{bn}/gamma" in errors


# ---------------------------------------------------------------- frozen layers
def test_a_frozen_layer_never_moves_and_frozen_batchnorm_uses_moving_statistics():
    model = Sequential([Conv2D(3, 3), BatchNormalization(), ReLU(), Flatten(), Dense(2, activation="softmax")],
                       input_shape=(6, 6, 1))
    model.layers[0].trainable = model.layers[1].trainable = False
    model.compile("adam", "sparse_categorical_crossentropy")
    before = model.get_weights()
    x = np.random.default_rng(1).normal(size=(16, 6, 6, 1)).astype("float32")
    model.fit(x, np.arange(16) % 2, epochs=2, batch_size=4, verbose=0, seed=0)
    after = model.get_weights()
    for i in range(6):                            # conv kernel, bias; gamma, beta, moving mean, variance
        np.testing.assert_array_equal(before[i], after[i])
    assert not np.array_equal(before[6], after[6])     # the head learned
    lines = []
    model.summary(print_fn=lines.append)
    # frozen: 30 (conv) + 12 (BN) = 42; trainable: the head's (4*4*3) * 2 + 2 = 98
    assert " Trainable params: 98 (392.00 B)" in lines[0] and " Non-trainable params: 42 (168.00 B)" in lines[0]
    assert model.layers[1].get_config()["trainable"] is False


# ---------------------------------------------------------------- regularizers
def test_regularizers_by_hand_and_by_name():
    w = np.array([[-2.0, 0.0], [1.0, 3.0]])
    # L1: 0.01 * (2 + 0 + 1 + 3) = 0.06, gradient 0.01 * sign(w) (0 at 0)
    assert np.isclose(regularizers.L1()(w), 0.06)
    np.testing.assert_allclose(regularizers.L1().gradient(w), [[-0.01, 0.0], [0.01, 0.01]])
    # L2: 0.01 * (4 + 0 + 1 + 9) = 0.14, gradient 2 * 0.01 * w
    assert np.isclose(regularizers.get("l2")(w), 0.14)
    np.testing.assert_allclose(regularizers.l2(0.5).gradient(w), w)
    assert regularizers.get("l1_l2").get_config() == {"l1": 0.01, "l2": 0.01}
    assert regularizers.get("l1l2").get_config() == {"l1": 0.0, "l2": 0.0}       # Keras 3's L1L2()
    layer = Dense(2, kernel_regularizer="l2", bias_regularizer=regularizers.L1(0.1))
    assert Dense(**layer.get_config()).get_config() == layer.get_config()
    with pytest.raises(ValueError, match="Unknown regularizer 'l3'"):
        Dense(2, kernel_regularizer="l3")


@CHECKS
@given(seed=SEEDS)
def test_a_regularized_model_passes_the_gradient_check(float64, seed):
    minicnn.set_random_seed(seed)
    model = Sequential([Conv2D(2, 2, activation="tanh", kernel_regularizer=regularizers.L2(0.3),
                               bias_regularizer=regularizers.L1L2(0.2, 0.1)),
                        Flatten(), Dense(3, activation="softmax", kernel_regularizer="l1")], input_shape=(4, 4, 1))
    model.compile("sgd", "sparse_categorical_crossentropy")
    rng = np.random.default_rng(seed)
    for w in model.weights:                      # every weight away from 0, where L1 has its corner
        w[...] = rng.uniform(0.1, 1, size=w.shape) * rng.choice([-1, 1], size=w.shape)
    x = np.random.default_rng(seed).normal(size=(3, 4, 4, 1))
    y = np.array([0, 1, 2])
    assert_gradcheck(model, x, y)
    assert model.penalty() > 0


# ---------------------------------------------------------------- shape layers and augmentation
def shape_and_augmentation_layers():
    from minicnn.layers import (GlobalMaxPooling2D, RandomFlip, RandomRotation, RandomTranslation, RandomZoom,
                                Rescaling, Reshape)
    return [GlobalMaxPooling2D(), Rescaling(0.5, offset=-1.0), Reshape((-1, 2)), RandomFlip(),
            RandomTranslation(0.3, 0.4), RandomRotation(0.2, fill_mode="wrap"),
            RandomZoom(0.3, fill_mode="constant", fill_value=0.7), RandomTranslation(0.5, 0.5, fill_mode="nearest")]


@pytest.mark.parametrize("index", range(8))
@CHECKS
@given(seed=SEEDS)
def test_shape_and_augmentation_layers_pass_the_gradient_check(float64, index, seed):
    """Training mode: gradcheck reseeds the layer's rng on every call, so the draws stay fixed
    and the layer is a fixed linear map of its input (GlobalMaxPooling2D: distinct values)."""
    layer = shape_and_augmentation_layers()[index]
    x = np.random.default_rng(seed).permutation(60).reshape(1, 5, 4, 3) / 7.0 - 4
    x = np.concatenate([x, -x[:, ::-1]])
    assert_gradcheck(layer, x, training=True)


def test_augmentation_is_the_identity_at_inference_and_reproducible_in_training():
    for layer in shape_and_augmentation_layers()[3:]:
        x = np.random.default_rng(0).normal(size=(4, 6, 5, 2))
        np.testing.assert_array_equal(layer(x, training=False), x)   # called directly it augments, as in Keras 3
        outputs = []
        for _ in range(2):
            layer.rng = np.random.default_rng([7, 2])                       # what fit does at each epoch
            outputs.append(layer(x, training=True))
        np.testing.assert_array_equal(*outputs)
        assert not np.array_equal(outputs[0], x)


def test_global_max_pooling_and_translation_by_hand():
    from minicnn.layers import GlobalMaxPooling2D
    from minicnn.layers.image_transform import affine_transform
    from minicnn.layers.augmentation import translation_transforms
    x = np.array([[1.0, 5.0], [3.0, 2.0]]).reshape(1, 2, 2, 1)
    pool = GlobalMaxPooling2D()
    assert pool(x)[0, 0] == 5.0
    np.testing.assert_array_equal(pool.backward(np.array([[2.0]]))[0, :, :, 0], [[0, 2], [0, 0]])   # to the winner
    # a shift of one pixel right: each row reads one column to the left; "nearest" repeats the edge
    row = np.arange(4.0).reshape(1, 1, 4, 1)
    out, _ = affine_transform(row, translation_transforms(np.array([1.0]), np.array([0.0])), fill_mode="nearest")
    np.testing.assert_array_equal(out.ravel(), [0, 0, 1, 2])
    out, _ = affine_transform(row, translation_transforms(np.array([0.5]), np.array([0.0])), fill_mode="constant")
    np.testing.assert_array_equal(out.ravel(), [0, 0.5, 1.5, 2.5])           # halfway: the mean of two pixels


# ---------------------------------------------------------------- the model file and resuming
def new_pieces_model():
    from minicnn.layers import MaxPooling2D, RandomFlip, RandomTranslation
    from minicnn.optimizers import Adam, schedules
    model = Sequential([RandomFlip("horizontal"), RandomTranslation(0.2, 0.2), Conv2D(3, 3, activation="elu",
                        kernel_regularizer="l2"), MaxPooling2D(2), BatchNormalization(), Flatten(),
                        Dense(3, activation="softmax", bias_regularizer=regularizers.L1(0.01))],
                       input_shape=(8, 8, 1))
    model.layers[2].trainable = False
    model.compile(Adam(schedules.ExponentialDecay(0.01, decay_steps=2, decay_rate=0.5), clipnorm=1.0),
                  "sparse_categorical_crossentropy")
    return model


def test_save_load_and_resume_carry_every_new_piece(tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(12, 8, 8, 1)).astype("float32"), np.arange(12) % 3
    minicnn.set_random_seed(0)
    straight = new_pieces_model()
    straight.fit(x, y, epochs=2, batch_size=4, verbose=0, seed=5)
    minicnn.set_random_seed(0)
    first = new_pieces_model()
    first.fit(x, y, epochs=1, batch_size=4, verbose=0, seed=5)
    resumed = minicnn.load_model(first.save(tmp_path / "half"))
    assert resumed.get_config() == first.get_config() and not resumed.layers[2].trainable
    assert resumed.optimizer.get_config() == first.optimizer.get_config()       # the schedule, clipnorm
    assert resumed.optimizer.learning_rate == 0.01 * 0.5 ** 1.5                 # 3 steps into the schedule
    np.testing.assert_array_equal(resumed.layers[4].state["moving_mean"], first.layers[4].state["moving_mean"])
    resumed.fit(x, y, epochs=2, batch_size=4, verbose=0, initial_epoch=1)
    for a, b in zip(resumed.get_weights(), straight.get_weights()):            # augmentation stream included
        np.testing.assert_array_equal(a, b)
