"""What real Keras scripts use besides fit: models inside models, reused layers, augmentation
called directly, Keras's module names, weights files, metrics objects."""
import os

import numpy as np
import pytest

import minicnn
from minicnn import metrics
from minicnn.io.archive import ModelFileError
from minicnn.layers import BatchNormalization, Dense, Dropout, Flatten, RandomFlip, RandomRotation, Softmax


def small_classifier():
    model = minicnn.Sequential([Flatten(input_shape=(6, 6)), Dense(8, activation="relu"), BatchNormalization(),
                                Dense(3)])
    model.compile("adam", minicnn.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, 6, 6)).astype("float32"), rng.integers(0, 3, n)


def test_a_trained_model_inside_another_keeps_its_weights():
    x, y = data()
    model = small_classifier()
    model.fit(x, y, epochs=1, verbose=0, seed=0)
    weights = model.get_weights()
    probability_model = minicnn.Sequential([model, Softmax()])
    for before, after in zip(weights, probability_model.get_weights()):
        np.testing.assert_array_equal(before, after)
    logits = model.predict(x, verbose=0)
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(probability_model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    assert probability_model.count_params() == model.count_params()


def test_summary_shows_the_inner_model_as_one_row(fresh_layer_names, capsys):
    model = small_classifier()
    minicnn.Sequential([model, Softmax()]).summary()
    text = capsys.readouterr().out
    assert 'Model: "sequential_1"' in text
    assert "│ sequential (Sequential)         │ (None, 3)              │           355 │" in text
    assert " Non-trainable params: 16 (64.00 B)" in text          # the moving statistics


def test_an_inner_model_trains_unless_frozen():
    x, y = data()
    inner = small_classifier()
    outer = minicnn.Sequential([inner, Softmax()])
    outer.compile("adam", "sparse_categorical_crossentropy")
    before = inner.get_weights()
    outer.fit(x, y, epochs=1, verbose=0, seed=0)
    assert not np.array_equal(before[0], inner.get_weights()[0])
    inner.trainable = False
    assert not any(layer.trainable for layer in inner.layers) and outer.trainable_weights == []
    outer.compile("adam", "sparse_categorical_crossentropy")
    before = inner.get_weights()
    outer.fit(x, y, epochs=1, verbose=0, seed=0)
    for old, new in zip(before, inner.get_weights()):
        np.testing.assert_array_equal(old, new)


def test_a_model_inside_a_model_is_saved_and_loaded(tmp_path):
    x, _ = data()
    inner = small_classifier()
    inner.trainable = False
    outer = minicnn.Sequential([inner, Dropout(0.5), Softmax()])
    outer.compile("adam", "sparse_categorical_crossentropy")
    restored = minicnn.models.load_model(outer.save(tmp_path / "outer"))
    assert isinstance(restored.layers[0], minicnn.Sequential) and not restored.layers[0].trainable
    for a, b in zip(outer.get_weights(), restored.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(outer.predict(x, verbose=0), restored.predict(x, verbose=0))


def test_layers_already_built_keep_their_weights():
    dense = Dense(4)
    first = minicnn.Sequential([dense], input_shape=(5,))
    kernel = dense.params["kernel"].copy()
    second = minicnn.Sequential([dense, Dense(2)], input_shape=(5,))
    np.testing.assert_array_equal(second.layers[0].params["kernel"], kernel)
    assert first.layers[0] is second.layers[0]
    with pytest.raises(ValueError, match=r"built for inputs of shape \(5,\) but now receives \(7,\)"):
        minicnn.Sequential([dense], input_shape=(7,))


def test_augmentation_called_directly_augments_and_inference_does_not():
    images = np.random.default_rng(0).random((16, 12, 12, 3)).astype("float32")
    augmentation = minicnn.Sequential([RandomFlip("horizontal", input_shape=(12, 12, 3)), RandomRotation(0.2)])
    assert not np.allclose(augmentation(images), images)
    assert not np.allclose(RandomFlip("vertical")(images), images)
    np.testing.assert_array_equal(augmentation(images, training=False), images)
    model = minicnn.Sequential([augmentation, Flatten(), Dense(2)])
    np.testing.assert_array_equal(model.predict(images, verbose=0), model.predict(images, verbose=0))


def test_keras_module_names():
    assert minicnn.models.Sequential is minicnn.Sequential and minicnn.models.load_model is minicnn.load_model
    one_hot = minicnn.utils.to_categorical([1, 0], 3)
    assert one_hot.dtype == np.float64 and one_hot.tolist() == [[0, 1, 0], [1, 0, 0]]     # as Keras's


def test_fashion_mnist_load_data_as_keras_names_it():
    pytest.importorskip("minicnn.datasets.files").locate_data(download=False)
    (x_train, y_train), (x_test, y_test) = minicnn.datasets.fashion_mnist.load_data()
    assert x_train.shape == (60000, 28, 28) and x_train.dtype == np.uint8 and y_test.shape == (10000,)


def test_one_hot_float64_targets_train_a_float32_model():
    x, y = data()
    model = minicnn.Sequential([Flatten(input_shape=(6, 6)), Dense(3, activation="softmax")])
    model.compile("adam", "categorical_crossentropy")
    model.fit(x, minicnn.utils.to_categorical(y, 3), epochs=1, verbose=0)
    assert all(w.dtype == np.float32 for w in model.get_weights())


def test_save_weights_and_load_weights_by_position(tmp_path):
    model = small_classifier()
    model.fit(*data(), epochs=1, verbose=0)
    path = tmp_path / "training_1" / "cp.ckpt"
    model.save_weights(path)
    assert os.listdir(tmp_path / "training_1") == ["cp.ckpt"]
    fresh = small_classifier()                     # other layer names: dense_2, ... (Keras matches by position)
    fresh.load_weights(path)
    for a, b in zip(model.get_weights(), fresh.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(FileExistsError):
        model.save_weights(path, overwrite=False)
    other = minicnn.Sequential([Flatten(input_shape=(6, 6)), Dense(5)])
    with pytest.raises(ModelFileError, match="the model has 2 weights"):
        other.load_weights(path)
    with pytest.raises(ModelFileError, match="load it with minicnn.load_model"):
        model.load_weights(model.save(tmp_path / "whole"))


def test_keras_file_names_are_never_written_in_another_format(tmp_path):
    model = small_classifier()
    with pytest.raises(ValueError, match="weights go to a name ending in '.weights.h5'"):
        model.save_weights(tmp_path / "fashion_mnist.h5")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("metric, y_true, y_pred, expected", [
    (metrics.SparseCategoricalAccuracy(), [2, 0, 1], [[0, 0, 1], [0, 1, 0], [0, 1, 0]], 2 / 3),
    (metrics.CategoricalAccuracy(), [[0, 0, 1], [1, 0, 0]], [[0, 0.4, 0.6], [0.3, 0.7, 0]], 1 / 2),
    (metrics.TopKCategoricalAccuracy(k=2), [[0, 0, 1], [1, 0, 0]], [[0.5, 0.3, 0.2], [0.1, 0.6, 0.3]], 0),
    (metrics.SparseTopKCategoricalAccuracy(k=2), [0, 1], [[0.5, 0.3, 0.2], [0.1, 0.6, 0.3]], 1),
    (metrics.BinaryAccuracy(), [[1], [0], [1], [0]], [[0.7], [0.2], [0.5], [0.51]], 2 / 4),   # 0.5 is not > 0.5
    (metrics.Accuracy(), [1, 2, 3, 4], [1, 2, 0, 4], 3 / 4),
])
def test_metrics_as_keras_computes_them(metric, y_true, y_pred, expected):
    metric.update_state(np.array(y_true), np.array(y_pred, dtype=float))
    assert metric.result() == pytest.approx(expected)
    metric.reset_state()
    assert metric.result() == 0.0


def test_accuracy_by_name_follows_the_shapes_and_keeps_the_name():
    acc = metrics.get("acc")
    assert acc.name == "acc"
    acc.update_state(np.array([[1], [0]]), np.array([[0.9], [0.8]]))          # one sigmoid unit: binary
    assert acc.result() == 0.5
    acc.reset_state()
    acc.update_state(np.array([2, 1]), np.array([[0, 0, 1], [1, 0, 0.0]]))   # labels: sparse
    assert acc.result() == 0.5
    acc.reset_state()
    acc.update_state(np.eye(3)[[2, 1]], np.array([[0, 0, 1], [0, 1, 0.0]]))  # one-hot: categorical
    assert acc.result() == 1.0
    weighted = metrics.SparseCategoricalAccuracy()
    weighted.update_state([0, 1], [[1, 0], [1, 0.0]], sample_weight=[3, 1])
    assert weighted.result() == 0.75
    with pytest.raises(ValueError, match="Unknown metric 'f1'"):
        metrics.get("f1")
    model = minicnn.Sequential([Dense(2)], input_shape=(3,))
    with pytest.raises(ValueError, match=r"Unknown metrics \['f1'\]"):
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["acc", "f1"])


def test_the_progress_bar_prints_what_keras_prints(capsys, monkeypatch):
    keras = pytest.importorskip("keras")
    import importlib.util
    spec = importlib.util.spec_from_file_location("runner", os.path.join(os.path.dirname(__file__),
                                                                        "keras_scripts", "runner.py"))
    runner = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(runner)
    from minicnn.progbar import Progbar
    for verbose in (1, 2):
        shown = []
        for make in (lambda: Progbar(12, verbose), lambda: keras.utils.Progbar(12, verbose=verbose,
                                                                                stateless_metrics=set())):
            times = iter(np.arange(0, 100, 0.02))          # both bars see the same clock: 20 ms a step
            monkeypatch.setattr("time.time", lambda: float(next(times)))
            bar = make()
            for step in range(1, 12):
                bar.update(step, [("accuracy", step / 20), ("loss", 1e-4 * step)], finalize=False)
            bar.update(12, [("accuracy", 0.6), ("loss", 0.0001), ("val_loss", -2.0)], finalize=True)
            shown.append(runner.terminal_lines(capsys.readouterr().out))
        assert shown[0] == shown[1] and len(shown[0]) == 1


def test_model_checkpoint_with_keras_arguments(tmp_path, capsys):
    x, y = data(64)
    model = small_classifier()
    checkpoint = minicnn.callbacks.ModelCheckpoint(str(tmp_path / "cp-{epoch:04d}.weights.minicnn"), verbose=1,
                                                   save_weights_only=True, save_freq=3)
    model.fit(x, y, epochs=3, batch_size=32, verbose=0, callbacks=[checkpoint])     # 2 batches an epoch
    assert sorted(os.listdir(tmp_path)) == ["cp-0002.weights.minicnn", "cp-0003.weights.minicnn"]
    assert capsys.readouterr().out == "".join(
        f"\nEpoch {e}: saving model to {tmp_path}/cp-000{e}.weights.minicnn\n"
        f"\nEpoch {e}: finished saving model to {tmp_path}/cp-000{e}.weights.minicnn\n" for e in (2, 3))
    fresh = small_classifier()
    fresh.load_weights(tmp_path / "cp-0003.weights.minicnn")                 # weights only: no model file
    np.testing.assert_array_equal(fresh.get_weights()[0], model.get_weights()[0])
    best = minicnn.callbacks.ModelCheckpoint(str(tmp_path / "best"), monitor="loss", mode="max", verbose=1,
                                             save_best_only=True)
    best.set_model(model)
    best.on_epoch_end(0, {"loss": 0.5})
    best.on_epoch_end(1, {"loss": 0.25})
    assert capsys.readouterr().out.splitlines()[1::2] == [
        f"Epoch 1: loss improved from None to 0.50000, saving model to {tmp_path}/best",
        "Epoch 1: finished saving model to " + str(tmp_path / "best"), "Epoch 2: loss did not improve from 0.50000"]


def test_early_stopping_with_keras_arguments(capsys):
    stopper = minicnn.callbacks.EarlyStopping(monitor="loss", patience=1, verbose=1, start_from_epoch=2,
                                              restore_best_weights=True)
    model = small_classifier()
    stopper.set_model(model)
    stopper.on_train_begin()
    for epoch, loss in enumerate([1.0, 2.0, 3.0, 2.5, 2.7]):      # epochs 1-2 are not watched
        stopper.on_epoch_end(epoch, {"loss": loss})
        if model.stop_training:
            break
    stopper.on_train_end()
    assert stopper.stopped_epoch == 4 and stopper.best_epoch == 3
    assert capsys.readouterr().out == ("Epoch 5: early stopping\n"
                                       "Restoring model weights from the end of the best epoch: 4.\n")


@pytest.mark.usefixtures("each_backend")
@pytest.mark.parametrize("loss", ["binary_crossentropy", "mse"])
def test_one_output_takes_targets_shaped_n_as_keras_does(loss):
    rng = np.random.default_rng(0)
    x = rng.random((20, 3)).astype("float32")
    y = (x.sum(axis=1) > 1.5).astype(np.int64)                                 # (N,): 0/1 labels
    model = minicnn.Sequential([Dense(1, activation="sigmoid")], input_shape=(3,))
    model.compile("sgd", loss)
    assert model.evaluate(x, y, verbose=0) == model.evaluate(x, y[:, None], verbose=0)
    model.fit(x, y, epochs=1, verbose=0)
    wide = minicnn.Sequential([Dense(2)], input_shape=(3,))
    wide.compile("sgd", loss)
    with pytest.raises(ValueError, match=rf"{loss if loss != 'mse' else 'mean_squared_error'} needs targets "
                                         r"of shape \(N, 2\)"):
        wide.fit(x, y, epochs=1, verbose=0)
