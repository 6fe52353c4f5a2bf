"""Keras's own files both ways: what Keras writes minicnn loads, what minicnn writes Keras loads.

Two small models cover every layer class minicnn has; a third nests Sequentials. Each is trained one step in
one library (so the optimizer has state), saved in the three formats (``.keras``,
``.h5``, ``.weights.h5``) and loaded in the other; the predictions must agree within
1e-6 (float32), the optimizer state and the layer configs must be the same. A
subprocess in which ``import tensorflow`` and ``import keras`` fail loads a ``.keras``
file Keras wrote. The refusals (hostile files) are ``test_keras_file_checks.py``.
"""
import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")
if os.environ.get("MINICNN_REQUIRE_KERAS", "") not in ("", "0"):
    import keras
else:
    keras = pytest.importorskip("keras")

import minicnn                                            # noqa: E402
from minicnn.layers import LAYER_CLASSES                  # noqa: E402

TOLERANCE = 1e-6
FORMATS = [".keras", ".h5", ".weights.h5"]


def keras_models():
    """Two Keras Sequentials that together use every layer class minicnn has."""
    L = keras.layers
    first = keras.Sequential([
        keras.Input((12, 12, 1)), L.Rescaling(1 / 255, offset=0.1), L.RandomFlip(), L.RandomTranslation(0.1, 0.1),
        L.RandomRotation(0.1), L.RandomZoom(0.1), L.ZeroPadding2D(1),
        L.Conv2D(4, 3, activation="relu", kernel_regularizer=keras.regularizers.L2(1e-3)), L.BatchNormalization(),
        L.MaxPooling2D(), L.Conv2D(6, 3, dilation_rate=2, padding="same", use_bias=False), L.LeakyReLU(0.2),
        L.AveragePooling2D(2), L.Dropout(0.2), L.Flatten(), L.Dense(8), L.ELU(), L.Dense(5), L.Softmax()],
        name="every_layer_a")
    second = keras.Sequential([
        keras.Input((10, 10, 3)), L.Conv2D(4, 3, strides=2), L.ReLU(), L.GlobalMaxPooling2D(), L.Reshape((2, 2, 1)),
        L.GlobalAveragePooling2D(), L.Activation("tanh"), L.Dense(5, activation="softmax")], name="every_layer_b")
    nested = keras.Sequential([
        keras.Input((6, 6, 1)), keras.Sequential([L.RandomFlip()], name="augment"),
        keras.Sequential([L.Conv2D(3, 3), L.BatchNormalization()], name="block"), L.Flatten(),
        L.Dense(5, activation="softmax")],
        name="nested")
    return [first, second, nested]


def classes(layers):
    return {name for layer in layers for name in
            (classes(layer.layers) if isinstance(layer, keras.Sequential) else {type(layer).__name__})}


def test_the_models_cover_every_layer_class_and_a_sequential_inside_a_sequential():
    models = keras_models()
    assert classes(layer for model in models for layer in model.layers) == set(LAYER_CLASSES)
    assert any(isinstance(layer, keras.Sequential) for layer in models[2].layers)


def train_one_step(model, x):
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, np.arange(len(x)) % 5, epochs=1, batch_size=len(x), verbose=0)
    return model


def slots_of(optimizer):
    """minicnn's optimizer state as Keras lists it: iterations, then each weight's slots in turn."""
    state = optimizer.get_state()
    return [state["iterations"]] + [a for pair in zip(state["momentums"], state["velocities"]) for a in pair]


def keras_slots(optimizer):
    return [v.numpy() for v in optimizer.variables if "learning_rate" not in v.path]


def assert_same_state(keras_optimizer, optimizer):
    theirs, mine = keras_slots(keras_optimizer), slots_of(optimizer)
    assert len(theirs) == len(mine)
    for a, b in zip(theirs, mine):
        np.testing.assert_array_equal(a, b)


def without_names(config):
    """A config with every ``name`` left out (Keras numbers names per session), at every depth."""
    if isinstance(config, dict):
        return {k: without_names(v) for k, v in config.items() if k != "name"}
    return [without_names(v) for v in config] if isinstance(config, list) else config


def layer_configs(keras_model):
    """Each layer's config as JSON would read it (Keras gives a tuple here, a list there)."""
    return [without_names(json.loads(json.dumps(layer.get_config()))) for layer in keras_model.layers]


@pytest.fixture(scope="module")
def written_by_keras(tmp_path_factory):
    """Per model: the Keras model, input images, its predictions, the folder of its three files."""
    folder, cases = tmp_path_factory.mktemp("written_by_keras"), []
    keras.utils.set_random_seed(0)
    for number, model in enumerate(keras_models()):
        x = np.random.default_rng(number).random((8, *model.input_shape[1:]), dtype=np.float32) * 255
        train_one_step(model, x)
        for layer in model.layers:              # moving statistics away from 0 and 1, so they are tested
            if isinstance(layer, keras.layers.BatchNormalization):
                layer.moving_mean.assign(np.linspace(-1, 1, layer.moving_mean.shape[0]))
                layer.moving_variance.assign(np.linspace(0.5, 2, layer.moving_variance.shape[0]))
        for extension in FORMATS:
            path = folder / f"{model.name}{extension}"
            model.save_weights(path) if extension == ".weights.h5" else model.save(path)
        cases.append((model, x, model.predict(x, verbose=0), folder))
    return cases


@pytest.mark.parametrize("case", [0, 1, 2])
@pytest.mark.parametrize("extension", FORMATS)
def test_files_keras_wrote_load_in_minicnn(written_by_keras, case, extension):
    model, x, expected, folder = written_by_keras[case]
    path = folder / f"{model.name}{extension}"
    if extension == ".weights.h5":
        loaded = minicnn.load_model(folder / f"{model.name}.keras")
        loaded.set_weights([np.zeros_like(w) for w in loaded.get_weights()])
        loaded.load_weights(path)
    else:
        loaded = minicnn.load_model(path)
    difference = np.abs(loaded.predict(x, verbose=0) - expected).max()
    print(f"Keras-written {extension} ({model.name}) in minicnn: largest prediction difference {difference:.2e}")
    assert difference <= TOLERANCE
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    assert_same_state(model.optimizer, loaded.optimizer)


@pytest.fixture(scope="module")
def written_by_minicnn(written_by_keras, tmp_path_factory):
    """Per model: minicnn's model (the Keras one, loaded, given new weights and trained one step
    in minicnn), the images, its predictions, the Keras original, the folder of its three files."""
    folder, cases = tmp_path_factory.mktemp("written_by_minicnn"), []
    rng = np.random.default_rng(2)
    for original, x, _, keras_folder in written_by_keras:
        model = minicnn.load_model(keras_folder / f"{original.name}.keras")
        model.set_weights([(w + rng.normal(0, 0.1, w.shape)).astype(w.dtype) for w in model.get_weights()])
        train_one_step(model, x)
        model.save(folder / f"{model.name}.keras")
        model.save(folder / f"{model.name}.h5")
        model.save_weights(folder / f"{model.name}.weights.h5")
        cases.append((model, x, model.predict(x, verbose=0), original, folder))
    return cases


@pytest.mark.parametrize("case", [0, 1, 2])
@pytest.mark.parametrize("extension", FORMATS)
def test_files_minicnn_wrote_open_in_keras(written_by_minicnn, case, extension):
    model, x, expected, original, folder = written_by_minicnn[case]
    path = folder / f"{model.name}{extension}"
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # Keras warns when a file's optimizer state does not fit
        if extension == ".weights.h5":
            loaded = keras.models.clone_model(original)
            loaded.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
            loaded.optimizer.build(loaded.trainable_variables)
            loaded.load_weights(path)
        else:
            loaded = keras.models.load_model(path)
    difference = np.abs(loaded.predict(x, verbose=0) - expected).max()
    print(f"minicnn-written {extension} ({model.name}) in Keras: largest prediction difference {difference:.2e}")
    assert difference <= TOLERANCE
    if extension != ".h5":          # Keras 3 does not read the optimizer state of a .h5 file, even its own
        assert_same_state(loaded.optimizer, model.optimizer)
    if extension != ".weights.h5":
        assert layer_configs(loaded) == layer_configs(original)
        assert loaded.loss == "sparse_categorical_crossentropy" or type(loaded.loss).__name__ == \
            "SparseCategoricalCrossentropy"


def test_a_compiled_model_that_never_trained_loads_without_warnings(tmp_path):
    """Keras saves only the step count and rate of an optimizer that has not stepped yet."""
    net = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    net.compile(optimizer="adam", loss="categorical_crossentropy")
    net.save(tmp_path / "fresh.keras")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = minicnn.load_model(tmp_path / "fresh.keras")
    assert model.optimizer.get_state() == {"iterations": 0}


# Blocks ``import tensorflow`` and ``import keras`` in the child process, then loads the file.
NO_TENSORFLOW = """
import sys, importlib.abc

class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("tensorflow", "keras", "tf_keras"):
            raise ImportError(f"{name} is blocked in this test")

sys.meta_path.insert(0, Refuse())
for name in ("tensorflow", "keras"):
    try:
        __import__(name)
        raise SystemExit(f"{name} imported")
    except ImportError:
        pass

import numpy as np
import minicnn
model = minicnn.load_model(sys.argv[1])
np.save(sys.argv[3], model.predict(np.load(sys.argv[2]), verbose=0))
assert not any(name.split(".")[0] in ("tensorflow", "keras") for name in sys.modules)
"""


def test_a_keras_file_loads_where_tensorflow_cannot_be_imported(written_by_keras, tmp_path):
    model, x, expected, folder = written_by_keras[0]
    np.save(tmp_path / "x.npy", x)
    result = subprocess.run([sys.executable, "-c", NO_TENSORFLOW, str(folder / f"{model.name}.keras"),
                             str(tmp_path / "x.npy"), str(tmp_path / "out.npy")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert np.abs(np.load(tmp_path / "out.npy") - expected).max() <= TOLERANCE
