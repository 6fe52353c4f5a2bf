"""Keras's file formats without Keras: exact round trips, and every kind of hostile file refused by name.

The files are written by minicnn (``minicnn.keras_files``) and then tampered with;
that Keras itself reads and writes the same files is ``test_keras_file_parity.py``.
"""
import base64
import json
import marshal
import zipfile

import h5py
import numpy as np
import pytest

import minicnn
from minicnn.io.archive import ModelFileError
from minicnn.layers import BatchNormalization, Conv2D, Dense, Flatten, MaxPooling2D


def small_model():
    """Conv2D -> BatchNormalization -> MaxPooling2D -> Flatten -> Dense on 6x6x1, trained one step."""
    minicnn.set_random_seed(0)
    model = minicnn.Sequential([Conv2D(4, 3, activation="relu", name="conv"), BatchNormalization(name="bn"),
                                MaxPooling2D(name="pool"), Flatten(name="flat"),
                                Dense(3, activation="softmax", name="head")], input_shape=(6, 6, 1), name="small")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x = np.random.default_rng(1).random((8, 6, 6, 1)).astype("float32")
    model.fit(x, np.arange(8) % 3, epochs=1, batch_size=8, verbose=0)
    return model, x


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    folder = tmp_path_factory.mktemp("keras_files")
    model, x = small_model()
    model.save(folder / "model.keras")
    model.save(folder / "model.h5")
    model.save_weights(folder / "model.weights.h5")
    return model, x, folder


def rewrite(source, target, config=None, members=None):
    """A copy of the ``.keras`` archive ``source`` with ``config(dict)`` applied to config.json
    and ``members`` ({name: bytes}) added or replaced."""
    with zipfile.ZipFile(source) as archive:
        contents = {name: archive.read(name) for name in archive.namelist()}
    if config is not None:
        data = json.loads(contents["config.json"])
        config(data)
        contents["config.json"] = json.dumps(data).encode()
    contents.update(members or {})
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in contents.items():
            archive.writestr(name, data)
    return target


def layer_entry(config, name):
    return next(e for e in config["config"]["layers"] if e["config"].get("name") == name)


# ----------------------------------------------------------------------------- round trips
@pytest.mark.parametrize("extension", [".keras", ".h5"])
def test_model_files_round_trip_exactly(saved, extension):
    model, x, folder = saved
    loaded = minicnn.load_model(folder / f"model{extension}")
    assert [l.name for l in loaded.layers] == [l.name for l in model.layers] and loaded.name == "small"
    for mine, theirs in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(mine, theirs)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert type(loaded.optimizer) is type(model.optimizer) and loaded.metrics == ["accuracy"]
    state, saved_state = loaded.optimizer.get_state(), model.optimizer.get_state()
    assert state["iterations"] == saved_state["iterations"] == 1
    for slot in ("momentums", "velocities"):
        for mine, theirs in zip(state[slot], saved_state[slot]):
            np.testing.assert_array_equal(mine, theirs)


@pytest.mark.parametrize("name", ["model.weights.h5", "model.keras"])
def test_weights_file_fills_a_model_of_the_same_architecture(saved, name):
    model, x, folder = saved
    twin, _ = small_model()
    twin.set_weights([np.zeros_like(w) for w in twin.get_weights()])
    twin.compile(optimizer="adam", loss="sparse_categorical_crossentropy")     # a fresh optimizer
    assert twin.optimizer.get_state()["iterations"] == 0
    twin.load_weights(folder / name)
    np.testing.assert_array_equal(twin.predict(x, verbose=0), model.predict(x, verbose=0))
    assert twin.optimizer.get_state()["iterations"] == 1


@pytest.mark.parametrize("extension", [".keras", ".h5"])
def test_metric_objects_and_names_round_trip(saved, tmp_path, extension):
    twin = minicnn.load_model(saved[2] / "model.keras")
    twin.compile(optimizer="sgd", loss="sparse_categorical_crossentropy",
                 metrics=["acc", minicnn.metrics.SparseTopKCategoricalAccuracy(k=2), "sparse_categorical_accuracy"])
    loaded = minicnn.load_model(twin.save(tmp_path / f"metrics{extension}"))
    assert loaded.metrics[0] == "acc" and loaded.metrics[2] == "sparse_categorical_accuracy"
    assert type(loaded.metrics[1]).__name__ == "SparseTopKCategoricalAccuracy" and loaded.metrics[1].k == 2


def test_a_keras_2_h5_file_loads(saved, tmp_path):
    """Keras 2 wrote no InputLayer (the first layer's batch_input_shape), dtypes as names and
    weight names such as ``conv/kernel:0``; the same model in that form loads the same."""
    model, x, folder = saved
    path = tmp_path / "keras2.h5"
    path.write_bytes((folder / "model.h5").read_bytes())
    with h5py.File(path, "a") as file:
        config = json.loads(file.attrs["model_config"])
        layers = config["config"]["layers"]
        batch_shape = layers.pop(0)["config"]["batch_shape"]
        for entry in layers:
            entry["config"]["dtype"] = "float32"
        layers[0]["config"]["batch_input_shape"] = batch_shape
        file.attrs["model_config"] = json.dumps(config)
        for layer in model.layers:
            group = file["model_weights"][layer.name]
            old = [n.decode() for n in group.attrs["weight_names"]]
            new = [f"{layer.name}/{label.rsplit('/', 1)[1]}:0" for label in old]
            for before, after in zip(old, new):
                group[after] = group[before][()]
                del group[before]
            group.attrs["weight_names"] = np.array([n.encode() for n in new]) if new else np.zeros(0)
    loaded = minicnn.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_weights_file_refuses_another_architecture(saved):
    _, _, folder = saved
    other = minicnn.Sequential([Conv2D(5, 3), BatchNormalization(), MaxPooling2D(), Flatten(), Dense(3)],
                               input_shape=(6, 6, 1))
    with pytest.raises(ModelFileError, match=r"\(3, 3, 1, 5\)"):
        other.load_weights(folder / "model.weights.h5")


# ----------------------------------------------------------------------------- hostile archives
def lambda_layer(canary):
    """A Keras Lambda entry whose function, if anything ran it, would create ``canary``."""
    code = compile(f"open({str(canary)!r}, 'w')", "<lambda>", "exec")
    return {"module": "keras.layers", "class_name": "Lambda",
            "config": {"name": "lambda", "function": {"class_name": "__lambda__", "config": {
                "code": base64.b64encode(marshal.dumps(code)).decode(), "defaults": None, "closure": None}}},
            "registered_name": None}


def test_a_lambda_layer_is_refused_by_name_and_never_runs(saved, tmp_path):
    _, _, folder = saved
    canary = tmp_path / "canary"
    path = rewrite(folder / "model.keras", tmp_path / "lambda.keras",
                   config=lambda c: c["config"]["layers"].insert(2, lambda_layer(canary)))
    with pytest.raises(ModelFileError, match="'lambda' is a Lambda, which minicnn does not have"):
        minicnn.load_model(path)
    assert not canary.exists()


def test_a_custom_class_is_refused_by_name(saved, tmp_path):
    def custom(config):
        entry = layer_entry(config, "flat")
        entry.update(module="my_package.layers", class_name="Flatten", registered_name="Custom>Flatten")
    path = rewrite(saved[2] / "model.keras", tmp_path / "custom.keras", config=custom)
    with pytest.raises(ModelFileError, match="custom class from 'my_package.layers'"):
        minicnn.load_model(path)


@pytest.mark.parametrize("layer, option, value", [
    ("conv", "groups", 2),
    ("conv", "data_format", "channels_first"),
    ("conv", "kernel_constraint", {"module": "keras.constraints", "class_name": "NonNeg", "config": {}}),
    ("bn", "renorm", True),
    ("head", "activity_regularizer", {"module": "keras.regularizers", "class_name": "L2", "config": {"l2": 0.1}}),
    ("head", "dtype", "mixed_float16"),
    ("pool", "padding_mode", "reflect"),          # an option minicnn has never heard of
])
def test_unsupported_options_are_refused_by_name_never_dropped(saved, tmp_path, layer, option, value):
    path = rewrite(saved[2] / "model.keras", tmp_path / "option.keras",
                   config=lambda c: layer_entry(c, layer)["config"].update({option: value}))
    with pytest.raises(ModelFileError, match=f"'{layer}' \\(.*\\) has {option}="):
        minicnn.load_model(path)


def test_shapes_that_disagree_with_the_config_are_refused(saved, tmp_path):
    path = rewrite(saved[2] / "model.keras", tmp_path / "filters.keras",
                   config=lambda c: layer_entry(c, "conv")["config"].update(filters=5))
    with pytest.raises(ModelFileError, match=r"shape \(3, 3, 1, 4\); the architecture needs float32 \(3, 3, 1, 5\)"):
        minicnn.load_model(path)


@pytest.mark.parametrize("name, message", [("../outside.txt", "outside the archive"),
                                           ("/etc/cron.d/job", "outside the archive"),
                                           ("assets/extra.bin", "unexpected members")])
def test_members_outside_the_archive_and_extra_members_are_refused(saved, tmp_path, name, message):
    path = rewrite(saved[2] / "model.keras", tmp_path / "extra.keras", members={name: b"x"})
    with pytest.raises(ModelFileError, match=message):
        minicnn.load_model(path)


def test_oversized_members_are_refused_before_they_are_read(saved, tmp_path):
    path = rewrite(saved[2] / "model.keras", tmp_path / "big_config.keras",
                   config=lambda c: c.update(padding="x" * (1 << 20)))
    with pytest.raises(ModelFileError, match="config.json declares .* bytes, more than"):
        minicnn.load_model(path)
    with zipfile.ZipFile(saved[2] / "model.keras") as archive:
        weights = archive.read("model.weights.h5")
    path = rewrite(saved[2] / "model.keras", tmp_path / "big_weights.keras",
                   members={"model.weights.h5": weights + bytes(1 << 20)})
    with pytest.raises(ModelFileError, match="model.weights.h5 declares .* bytes, more than"):
        minicnn.load_model(path)


def test_links_out_of_the_file_are_refused(saved, tmp_path):
    path = tmp_path / "linked.weights.h5"
    path.write_bytes((saved[2] / "model.weights.h5").read_bytes())
    with h5py.File(path, "a") as file:
        del file["layers/conv2d/vars/0"]
        file["layers/conv2d/vars/0"] = h5py.ExternalLink("/etc/passwd", "/kernel")
    model, _ = small_model()
    with pytest.raises(ModelFileError, match="ExternalLink"):
        model.load_weights(path)


def test_a_legacy_h5_file_is_checked_the_same_way(saved, tmp_path):
    path = tmp_path / "lambda.h5"
    path.write_bytes((saved[2] / "model.h5").read_bytes())
    with h5py.File(path, "a") as file:
        config = json.loads(file.attrs["model_config"])
        config["config"]["layers"].insert(2, lambda_layer(tmp_path / "canary"))
        file.attrs["model_config"] = json.dumps(config)
    with pytest.raises(ModelFileError, match="is a Lambda"):
        minicnn.load_model(path)
    assert not (tmp_path / "canary").exists()


def test_a_file_of_another_format_is_named(saved, tmp_path):
    path = tmp_path / "model.keras"
    path.write_bytes((saved[2] / "model.h5").read_bytes())
    with pytest.raises(ModelFileError, match="a .keras file is a zip archive"):
        minicnn.load_model(path)
