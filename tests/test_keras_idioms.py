"""Keras's everyday idioms work as a Keras user expects."""
import numpy as np
import pytest

import minicnn
from minicnn.layers import Conv2D, Dense, Flatten, MaxPooling2D, ReLU

pytestmark = pytest.mark.usefixtures("each_backend")


def test_input_shape_on_the_first_layer_builds_the_model():
    model = minicnn.Sequential()
    model.add(Conv2D(4, 3, activation="relu", input_shape=(10, 10, 1)))
    assert model.built and model.output_shape == (8, 8, 4)
    model.add(Flatten())                       # later layers are built as they arrive
    model.add(Dense(3))
    assert model.layers[-1].params["kernel"].shape == (8 * 8 * 4, 3)
    assert model.predict(np.zeros((2, 10, 10, 1)), verbose=0).shape == (2, 3)


def test_input_opens_a_layer_list():
    model = minicnn.Sequential([minicnn.Input(shape=(6, 6, 2)), Conv2D(3, 3), Flatten(), Dense(2)])
    assert model.input_shape == (6, 6, 2) and model.count_params() == 3 * 3 * 2 * 3 + 3 + 4 * 4 * 3 * 2 + 2
    with pytest.raises(ValueError, match="can only open a model"):
        model.add(minicnn.Input(shape=(6, 6, 2)))


def test_one_activation_object_given_to_two_layers_is_not_shared():
    # An activation keeps its forward output for backward; two layers sharing one
    # object would overwrite each other's. Each layer gets its own copy, so the
    # gradients equal those of a model built with the name "relu".
    relu = ReLU()
    x = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    y = np.array([0, 1, 2, 0, 1])
    results = []
    for activation in (relu, "relu"):
        minicnn.set_random_seed(7)
        model = minicnn.Sequential([Dense(6, activation=activation), Dense(6, activation=activation),
                                    Dense(3, activation="softmax")], input_shape=(4,))
        model.compile("sgd", "sparse_categorical_crossentropy")
        results.append(model.compute_gradients(x, y)[1])
    assert model.layers[0].activation is not model.layers[1].activation
    for shared, named in zip(*results):
        np.testing.assert_array_equal(shared, named)


def test_output_shape_questions_change_nothing():
    pool = MaxPooling2D(3, strides=2, padding="same")
    pool.build((9, 9, 2))
    before = dict(vars(pool))
    assert pool.compute_output_shape((4, 4, 2)) == (2, 2, 2)     # asking about another input
    assert {k: v for k, v in vars(pool).items() if k != "rng"} == {k: v for k, v in before.items() if k != "rng"}
    assert pool.forward(np.zeros((1, 9, 9, 2), "float32")).shape == (1, 5, 5, 2)
