"""The Sequential model's API: shapes, summary, fit/evaluate/predict, seeds, dtypes, callbacks.

Most tests train a tiny conv net on a toy task that a few epochs learn: 8x8
images where the class says which corner holds a bright 3x3 blob.
"""
import warnings

import numba
import numpy as np
import pytest

import minicnn
from minicnn import Sequential, optimizers, zoo
from minicnn.callbacks import Callback, EarlyStopping
from minicnn.fast import twin
from minicnn.layers import (AveragePooling2D, Conv2D, Dense, Dropout, Flatten, GlobalAveragePooling2D,
                            MaxPooling2D, ZeroPadding2D)
from minicnn.losses import CategoricalCrossentropy, SparseCategoricalCrossentropy

# Tiny batches: numba's threads would cost more to wake than the work (see conftest).
pytestmark = pytest.mark.usefixtures("one_numba_thread", "each_backend")

CORNERS = [(0, 0), (0, 5), (5, 0)]       # top-left corner of class c's blob


def toy_data(n, seed=0, dtype="float32"):
    """``n`` noisy 8x8x1 images and labels 0..2: class c has a bright blob at CORNERS[c]."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, size=n)
    x = rng.normal(0, 0.3, size=(n, 8, 8, 1))
    for i, label in enumerate(y):
        r, c = CORNERS[label]
        x[i, r:r + 3, c:c + 3, 0] += 2.0
    return x.astype(dtype), y


def small_cnn(loss="sparse_categorical_crossentropy", optimizer=None, dropout=True, seed=0):
    """Conv(relu) -> max-pool -> [dropout] -> Flatten -> Dense(softmax), built for 8x8x1 and compiled."""
    minicnn.set_random_seed(seed)
    layers = [Conv2D(4, 3, activation="relu"), MaxPooling2D(2), *([Dropout(0.25)] if dropout else []),
              Flatten(), Dense(3, activation="softmax")]
    model = Sequential(layers, input_shape=(8, 8, 1))
    model.compile(optimizer=optimizer or optimizers.Adam(0.01), loss=loss)
    return model


def weights_equal(a, b):
    return len(a) == len(b) and all(np.array_equal(u, v) for u, v in zip(a, b))


# ---------------------------------------------------------------- structure
SEED_001_LAYERS = [
    # name                class            output shape           params, worked out
    ("zero_padding2d",   "ZeroPadding2D", (None, 30, 30, 1), 0),       # 28 + 1 + 1
    ("conv2d",           "Conv2D",        (None, 28, 28, 32), 320),    # 3*3*1*32 + 32
    ("dropout",          "Dropout",       (None, 28, 28, 32), 0),
    ("max_pooling2d",    "MaxPooling2D",  (None, 14, 14, 32), 0),      # 28 / 2
    ("zero_padding2d_1", "ZeroPadding2D", (None, 16, 16, 32), 0),
    ("conv2d_1",         "Conv2D",        (None, 14, 14, 64), 18496),  # 3*3*32*64 + 64
    ("dropout_1",        "Dropout",       (None, 14, 14, 64), 0),
    ("max_pooling2d_1",  "MaxPooling2D",  (None, 7, 7, 64), 0),
    ("flatten",          "Flatten",       (None, 3136), 0),            # 7*7*64
    ("dense",            "Dense",         (None, 128), 401536),        # 3136*128 + 128
    ("dropout_2",        "Dropout",       (None, 128), 0),
    ("dense_1",          "Dense",         (None, 10), 1290),           # 128*10 + 10
]


def test_seed_001_net_has_keras_weight_shapes():
    model = zoo.dropout_cnn()
    # 320 + 18,496 + 401,536 + 1,290 = 421,642
    assert model.count_params() == 421_642
    assert [w.shape for w in model.get_weights()] == [
        (3, 3, 1, 32), (32,), (3, 3, 32, 64), (64,), (3136, 128), (128,), (128, 10), (10,)]
    assert all(w.dtype == np.float32 for w in model.get_weights())
    assert all(not w.any() for w in model.get_weights()[1::2])        # Keras starts biases at 0


def test_seed_001_summary_reads_like_keras(fresh_layer_names):
    model = zoo.dropout_cnn()
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    rows = [line for line in text.splitlines() if line.startswith("│")]
    assert len(rows) == len(SEED_001_LAYERS)
    for row, (name, cls, shape, params) in zip(rows, SEED_001_LAYERS):
        cells = [cell.strip() for cell in row.strip("│").split("│")]
        assert cells == [f"{name} ({cls})", str(shape), f"{params:,}"]
    # 421,642 float32 weights * 4 bytes = 1,686,568 bytes = 1,686,568 / 1024**2 MB = 1.608 MB
    assert "Total params: 421,642 (1.61 MB)" in text
    assert "Trainable params: 421,642 (1.61 MB)" in text
    assert text.startswith('Model: "dropout_cnn"')


def test_a_dilated_conv_in_the_summary_and_the_model_card():
    from minicnn.interpret.card import receptive_fields
    # A 3x3 kernel with dilation_rate=2 spans 5x5: 14 -> 14 - 5 + 1 = 10, with 3*3*1*2 + 2 = 20 weights.
    # Pooled to 5x5; then dilation (1, 2) spans 3x5: 5 -> 3 rows, 1 column, 3*3*2*2 + 2 = 38 weights.
    model = Sequential([Conv2D(2, 3, dilation_rate=2), MaxPooling2D(2), Conv2D(2, 3, dilation_rate=(1, 2))],
                       input_shape=(14, 14, 1))
    lines = []
    model.summary(print_fn=lines.append)
    rows = [line for line in lines[0].splitlines() if line.startswith("│")]
    assert [[cell.strip() for cell in row.strip("│").split("│")][1:] for row in rows] == [
        ["(None, 10, 10, 2)", "20"], ["(None, 5, 5, 2)", "0"], ["(None, 3, 1, 2)", "38"]]
    # Receptive field: 1 + (5 - 1) = 5; the pool adds 1 at jump 1 -> 6, jump 2; the last conv
    # adds (3 - 1) * 2 = 4 rows and (5 - 1) * 2 = 8 columns.
    assert receptive_fields(model) == [((5, 5), (1, 1)), ((6, 6), (2, 2)), ((10, 14), (2, 2))]


def test_model_builds_on_first_call():
    model = Sequential([Conv2D(2, 3, activation="relu"), MaxPooling2D(2), Flatten(), Dense(3)])
    assert not model.built
    with pytest.raises(ValueError, match="not built"):
        model.summary()
    out = model(np.zeros((5, 8, 8, 1), dtype=np.float32))
    # (8 - 3) + 1 = 6 -> pooled to 3 -> 3*3*2 = 18 features -> 3 outputs
    assert out.shape == (5, 3) and model.built and model.input_shape == (8, 8, 1)
    assert [w.shape for w in model.get_weights()] == [(3, 3, 1, 2), (2,), (18, 3), (3,)]
    # fit builds an unbuilt model the same way.
    model = Sequential([Conv2D(2, 3), Flatten(), Dense(3, activation="softmax")])
    model.compile(loss="sparse_categorical_crossentropy")
    x, y = toy_data(6)
    model.fit(x, y, epochs=1, verbose=0)
    assert model.input_shape == (8, 8, 1) and model.count_params() == 3 * 3 * 2 + 2 + 6 * 6 * 2 * 3 + 3


# ---------------------------------------------------------------- fit, evaluate, predict
class BatchCounter(Callback):
    def on_train_begin(self, logs=None):
        self.batches = 0

    def on_train_batch_end(self, batch, logs=None):
        self.batches += 1


def test_fit_with_validation_split_holds_out_the_last_part_like_keras():
    # Keras: train on the first floor(10 * (1 - 0.25)) = floor(7.5) = 7 samples, validate on the last 3.
    x, y = toy_data(10)
    model = small_cnn(dropout=False)
    counter = BatchCounter()
    history = model.fit(x, y, epochs=2, batch_size=1, validation_split=0.25, verbose=0, seed=1, callbacks=[counter])
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(history.history)
    assert all(len(history.history[k]) == 2 for k in ("loss", "accuracy", "val_loss", "val_accuracy"))
    assert history.epoch == [0, 1]
    assert counter.batches == 2 * 7
    # The last epoch's validation numbers are those of the final weights on the last 3 samples.
    val_loss, val_accuracy = model.evaluate(x[7:], y[7:], verbose=0)
    assert history.history["val_loss"][-1] == pytest.approx(val_loss, rel=1e-6)
    assert history.history["val_accuracy"][-1] == pytest.approx(val_accuracy)


def test_fit_with_validation_data():
    x, y = toy_data(40)
    x_val, y_val = toy_data(12, seed=1)
    model = small_cnn()
    history = model.fit(x, y, epochs=3, batch_size=8, validation_data=(x_val, y_val), verbose=0, seed=0)
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(history.history)
    assert all(len(history.history[k]) == 3 for k in ("loss", "accuracy", "val_loss", "val_accuracy"))
    val_loss, val_accuracy = model.evaluate(x_val, y_val, verbose=0)
    assert history.history["val_loss"][-1] == pytest.approx(val_loss, rel=1e-6)
    assert history.history["val_accuracy"][-1] == pytest.approx(val_accuracy)


def train(init_seed, fit_seed, epochs=2):
    x, y = toy_data(40)
    model = small_cnn(seed=init_seed)
    model.fit(x, y, epochs=epochs, batch_size=8, seed=fit_seed, verbose=0)
    return model.get_weights()


def test_seed_makes_training_bit_identical():
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)     # with the parallel kernels on all threads
    first = train(init_seed=3, fit_seed=5)
    assert weights_equal(first, train(init_seed=3, fit_seed=5))
    # Another fit seed shuffles and drops out differently; another init seed starts elsewhere.
    assert not weights_equal(first, train(init_seed=3, fit_seed=6))
    assert not weights_equal(first, train(init_seed=4, fit_seed=5))


def test_training_learns_a_learnable_task():
    x, y = toy_data(150)
    x_test, y_test = toy_data(60, seed=1)
    model = small_cnn()
    before, _ = model.evaluate(x_test, y_test, verbose=0)
    history = model.fit(x, y, epochs=6, batch_size=16, seed=0, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.3 * losses[0]
    test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=0)
    assert test_loss < 0.3 * before          # about ln 3 = 1.1 before training
    assert test_accuracy >= 0.95


@pytest.mark.parametrize("loss", ["sparse_categorical_crossentropy", "categorical_crossentropy",
                                  SparseCategoricalCrossentropy(from_logits=True)])
def test_evaluate_agrees_with_predict(loss):
    x, y = toy_data(60)
    from_logits = getattr(loss, "from_logits", False)
    minicnn.set_random_seed(0)
    model = Sequential([Conv2D(4, 3, activation="relu"), MaxPooling2D(2), Flatten(),
                        Dense(3, activation=None if from_logits else "softmax")], input_shape=(8, 8, 1))
    model.compile(optimizer=optimizers.Adam(0.01), loss=loss)
    targets = np.eye(3)[y] if loss == "categorical_crossentropy" else y
    model.fit(x[:40], targets[:40], epochs=2, batch_size=8, seed=0, verbose=0)
    # 20 samples in batches of 7: 7 + 7 + 6, so the last batch must count for 6/20.
    loss_value, accuracy = model.evaluate(x[40:], targets[40:], batch_size=7, verbose=0)
    outputs = model.predict(x[40:], batch_size=7, verbose=0).astype(np.float64)
    if from_logits:
        outputs = np.exp(outputs - outputs.max(axis=1, keepdims=True))
        outputs /= outputs.sum(axis=1, keepdims=True)
    expected_loss = -np.mean(np.log(outputs[np.arange(20), y[40:]]))
    assert loss_value == pytest.approx(expected_loss, rel=1e-5)
    assert accuracy == pytest.approx(np.mean(outputs.argmax(axis=1) == y[40:]))


def test_predict_does_not_depend_on_batch_size():
    x, _ = toy_data(23)
    model = small_cnn()
    whole = model.predict(x, batch_size=100, verbose=0)
    np.testing.assert_allclose(model.predict(x, batch_size=4, verbose=0), whole, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(whole.sum(axis=1), 1, rtol=1e-5)      # softmax rows
    # predict is inference: dropout is off, so two calls agree exactly.
    np.testing.assert_array_equal(model.predict(x, batch_size=100, verbose=0), whole)


def test_compute_gradients_matches_weights_and_updates_nothing():
    x, y = toy_data(12)
    model = small_cnn()
    before = model.get_weights()
    loss, grads = model.compute_gradients(x, y)
    assert [g.shape for g in grads] == [w.shape for w in before]
    assert weights_equal(model.get_weights(), before)
    assert model.optimizer.iterations == 0
    assert loss == pytest.approx(model.evaluate(x, y, verbose=0)[0], rel=1e-6)
    # The last layer's gradients are the fused softmax + cross-entropy ones:
    #   dbias = sum_n (p_n - y_n) / N,   dkernel = h.T @ (p - y) / N   (h = input to the Dense)
    p = model.predict(x, verbose=0).astype(np.float64)
    delta = (p - np.eye(3)[y]) / len(x)
    h = model.forward(x, return_outputs=True)[-2].astype(np.float64)
    np.testing.assert_allclose(grads[-1], delta.sum(axis=0), rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(grads[-2], h.T @ delta, rtol=1e-4, atol=1e-6)
    # They are copies: changing them changes nothing in the model.
    grads[-1][...] = 123
    assert not np.any(model.gradients[-1] == 123)


def test_training_backward_stops_at_the_first_weights_with_the_same_gradients():
    # The input is data, so training skips everything below the first layer with
    # weights; the fast backend also skips that conv layer's own input gradient (a
    # product as large as its forward one).
    minicnn.set_random_seed(0)
    model = Sequential([ZeroPadding2D(1), Conv2D(4, 3, activation="relu"), Flatten(),
                        Dense(3, activation="softmax")], input_shape=(8, 8, 1))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x, y = toy_data(5)
    _, grad, from_logits = model.compute_loss(y, model.forward(x))
    dx = model.backward(grad, from_logits=from_logits)
    assert dx.shape == x.shape
    full = [g.copy() for g in model.gradients]

    def must_not_run(*args):
        raise AssertionError("training computed an input gradient below the first weights")
    model.layers[0].backward = must_not_run
    if minicnn.get_backend() == "numba":
        twin(model.layers[1]).backward = must_not_run
    _, skipped = model.compute_gradients(x, y)
    assert [np.array_equal(a, b) for a, b in zip(full, skipped)] == [True] * 4
    assert model.backward(grad, from_logits=from_logits, input_gradient=False) is None


def test_set_weights_round_trip_and_errors():
    x, _ = toy_data(5)
    a, b = small_cnn(seed=1), small_cnn(seed=2)
    assert not weights_equal(a.get_weights(), b.get_weights())
    b.set_weights(a.get_weights())
    assert weights_equal(a.get_weights(), b.get_weights())
    np.testing.assert_array_equal(a.predict(x, verbose=0), b.predict(x, verbose=0))
    # get_weights hands out copies.
    copy = a.get_weights()
    copy[0][...] = 0
    assert a.get_weights()[0].any()
    wrong = a.get_weights()
    wrong[2] = np.zeros((16, 3))              # the Dense kernel is (3*3*4, 3) = (36, 3)
    with pytest.raises(ValueError, match=r"array 2 has shape \(16, 3\).*\(36, 3\)"):
        b.set_weights(wrong)
    with pytest.raises(ValueError, match="got 3 arrays but the model has 4"):
        b.set_weights(a.get_weights()[:3])


# ---------------------------------------------------------------- float types
def test_float64_mode_makes_float64_everything(float64):
    x, y = toy_data(6, dtype="float32")
    model = small_cnn()
    assert all(w.dtype == np.float64 for w in model.get_weights())
    assert model.predict(x, verbose=0).dtype == np.float64
    _, grads = model.compute_gradients(x, y, training=True)
    assert all(g.dtype == np.float64 for g in grads)
    model.fit(x, y, epochs=1, batch_size=3, verbose=0, seed=0)
    assert all(w.dtype == np.float64 for w in model.get_weights())


FLOAT32_MODELS = {
    "softmax + sparse": (lambda: [Conv2D(3, 3, activation="relu"), MaxPooling2D(2), Dropout(0.3), Flatten(),
                                  Dense(3, activation="softmax")], "sparse_categorical_crossentropy"),
    "softmax + categorical": (lambda: [ZeroPadding2D(1), Conv2D(3, 3, strides=2, activation="relu"),
                                       AveragePooling2D(2, padding="same"), Flatten(), Dense(3, activation="softmax")],
                              "categorical_crossentropy"),
    "logits": (lambda: [Conv2D(3, 3, padding="same", activation="relu"), MaxPooling2D(2), Flatten(),
                        Dense(4, activation="relu"), Dense(3)], SparseCategoricalCrossentropy(from_logits=True)),
    "GAP head": (lambda: [Conv2D(3, 3, padding="same", activation="relu"), GlobalAveragePooling2D(),
                          Dense(3, activation="softmax")], CategoricalCrossentropy()),
    "unfused": (lambda: [Conv2D(3, 3, activation="relu"), Flatten(), Dense(3, activation="softmax"), Flatten()],
                "sparse_categorical_crossentropy"),
}


@pytest.mark.parametrize("name", list(FLOAT32_MODELS))
def test_float32_mode_never_promotes(name):
    make_layers, loss = FLOAT32_MODELS[name]
    model = Sequential(make_layers(), input_shape=(8, 8, 1))
    model.compile(optimizer="adam", loss=loss)
    x, y = toy_data(6, dtype="float64")               # float64 data is cast once, on the way in
    if loss == "categorical_crossentropy" or isinstance(loss, CategoricalCrossentropy):
        y = np.eye(3)[y]
    assert model.predict(x, verbose=0).dtype == np.float32
    outputs = model.forward(x.astype(np.float32), training=True, return_outputs=True)
    assert [o.dtype for o in outputs] == [np.float32] * len(outputs)
    assert model.backward(np.ones_like(outputs[-1])).dtype == np.float32
    _, grads = model.compute_gradients(x, y, training=True)
    assert [g.dtype for g in grads] == [np.float32] * len(grads)
    model.fit(x, y, epochs=1, batch_size=3, verbose=0, seed=0)
    assert all(w.dtype == np.float32 for w in model.get_weights())


# ---------------------------------------------------------------- callbacks
class Recorder(Callback):
    """Writes down every hook call, in order."""

    def __init__(self):
        self.calls = []

    def on_train_begin(self, logs=None):
        self.calls.append(("train_begin",))

    def on_epoch_begin(self, epoch, logs=None):
        self.calls.append(("epoch_begin", epoch))

    def on_train_batch_begin(self, batch, logs=None):
        self.calls.append(("batch_begin", batch))

    def on_train_batch_end(self, batch, logs=None):
        self.calls.append(("batch_end", batch))
        self.last_batch_logs = dict(logs)

    def on_epoch_end(self, epoch, logs=None):
        self.calls.append(("epoch_end", epoch))
        self.last_epoch_logs = dict(logs)

    def on_train_end(self, logs=None):
        self.calls.append(("train_end",))


def test_callbacks_are_called_in_keras_order():
    x, y = toy_data(5)
    model = small_cnn()
    recorder = Recorder()
    model.fit(x, y, epochs=2, batch_size=2, validation_split=0.4, callbacks=[recorder], verbose=0)
    assert recorder.model is model
    # 5 samples, the last 40% (2) held out: 3 training samples in batches of 2 -> batches 0, 1.
    epoch = lambda e: [("epoch_begin", e), ("batch_begin", 0), ("batch_end", 0),
                       ("batch_begin", 1), ("batch_end", 1), ("epoch_end", e)]
    assert recorder.calls == [("train_begin",), *epoch(0), *epoch(1), ("train_end",)]
    assert {"loss", "accuracy"} <= set(recorder.last_batch_logs)
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(recorder.last_epoch_logs)


class ScriptedMonitor(Callback):
    """Replaces the epoch's ``val_loss`` with scripted values and keeps each epoch's weights.

    It runs before EarlyStopping in the callback list, so EarlyStopping sees the script.
    """

    def __init__(self, values, key="val_loss"):
        self.values, self.key, self.weights = values, key, []

    def on_epoch_end(self, epoch, logs=None):
        logs[self.key] = self.values[epoch]
        self.weights.append(self.model.get_weights())


def test_early_stopping_stops_after_patience_epochs_and_restores_the_best():
    x, y = toy_data(16)
    model = small_cnn()
    # val_loss 1.0, 0.5 (best, epoch 1), then 0.7 and 0.6: two epochs without improvement.
    # Keras: patience=2 means stop after 2 epochs without improvement -> 4 epochs run.
    script = ScriptedMonitor([1.0, 0.5, 0.7, 0.6, 0.8, 0.9, 1.0, 1.1])
    stopper = EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    history = model.fit(x, y, epochs=8, batch_size=8, callbacks=[script, stopper], verbose=0, seed=0)
    assert len(history.history["loss"]) == 4
    assert weights_equal(model.get_weights(), script.weights[1])
    assert not weights_equal(model.get_weights(), script.weights[3])


def test_early_stopping_on_accuracy_watches_for_a_rise():
    x, y = toy_data(16)
    model = small_cnn()
    # "auto" mode: accuracy should go up. 0.5, 0.6 (best), 0.6, 0.55 -> patience 1 stops at epoch 2.
    script = ScriptedMonitor([0.5, 0.6, 0.6, 0.55, 0.7], key="val_accuracy")
    history = model.fit(x, y, epochs=5, batch_size=8, verbose=0, seed=0,
                        callbacks=[script, EarlyStopping(monitor="val_accuracy", patience=1)])
    assert len(history.history["loss"]) == 3


def test_early_stopping_restores_the_best_weights_at_the_end_of_training():
    # Keras 3 restores the best weights when training ends, stopped early or not.
    x, y = toy_data(16)
    model = small_cnn()
    script = ScriptedMonitor([1.0, 0.5, 0.7])
    model.fit(x, y, epochs=3, batch_size=8, verbose=0, seed=0,
              callbacks=[script, EarlyStopping(patience=5, restore_best_weights=True)])
    assert weights_equal(model.get_weights(), script.weights[1])


# ---------------------------------------------------------------- train_step
def test_train_step_is_one_batch_of_training_with_keras_meaning():
    # Its logs are the loss and accuracy of the predictions made before the update, averaged over
    # the batches since reset_metrics; the weights then move by exactly the optimizer's step.
    x, y = toy_data(6)
    model = small_cnn(dropout=False, optimizer=optimizers.SGD(0.5))
    loss, grads = model.compute_gradients(x, y, training=True)
    predicted = model.predict(x, verbose=0).argmax(axis=1)
    before = model.get_weights()
    model.reset_metrics()
    logs = model.train_step((x, y))
    assert logs["loss"] == pytest.approx(loss, rel=1e-6)
    assert logs["accuracy"] == np.mean(predicted == y)
    for old, new, grad in zip(before, model.get_weights(), grads):
        np.testing.assert_allclose(new, old - 0.5 * grad, rtol=1e-5, atol=1e-6)
    second = model.train_step((x[:2], y[:2]))                 # a running mean, weighted by batch size
    assert second["loss"] != logs["loss"] and 0 <= second["accuracy"] <= 1
    with pytest.raises(ValueError, match=r"\(x, y\) or \(x, y, sample_weight\)"):
        model.train_step(x)


def test_fit_calls_train_step_for_every_batch_so_an_override_changes_fit():
    x, y = toy_data(10)
    model = small_cnn()
    batches, original = [], model.train_step

    def counting_step(data):
        batches.append(len(data[0]))
        return original(data)
    model.train_step = counting_step
    model.fit(x, y, epochs=2, batch_size=4, verbose=0, seed=0)
    assert batches == [4, 4, 2, 4, 4, 2]


# ---------------------------------------------------------------- divergence
class WeightKeeper(Callback):
    """Keeps the weights after every finished (finite) training step."""

    def on_train_begin(self, logs=None):
        self.after_step = [self.model.get_weights()]

    def on_train_batch_end(self, batch, logs=None):
        self.after_step.append(self.model.get_weights())


@pytest.mark.parametrize("how", ["huge learning rate", "huge inputs", "overflowing update"])
def test_divergence_stops_fit_and_keeps_the_weights_finite(how):
    x, y = toy_data(40)
    if how == "huge learning rate":
        model = small_cnn(optimizer=optimizers.SGD(1e10))
    elif how == "overflowing update":
        # Loss and gradients stay finite, but lr * gradient itself overflows float32:
        # the step must be undone, not just skipped before it happens.
        model = small_cnn(optimizer=optimizers.SGD(3e38))
    else:
        model = small_cnn()
        # The largest entry becomes 3e38, near float32's limit of 3.4e38: the convolution's
        # sums overflow to inf, and inf - inf in the next layer makes the loss NaN.
        x = x / np.abs(x).max() * np.float32(3e38)
    keeper, recorder = WeightKeeper(), Recorder()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=RuntimeWarning, message="(overflow|invalid)")
        with pytest.warns(RuntimeWarning, match="diverged") as caught:
            model.fit(x, y, epochs=5, batch_size=8, callbacks=[keeper, recorder], verbose=0, seed=0)
    assert all(np.isfinite(w).all() for w in model.get_weights())
    # The weights are those of the last finite step, and no further epoch started.
    assert weights_equal(model.get_weights(), keeper.after_step[-1])
    assert [c for c in recorder.calls if c[0] == "epoch_begin"] == [("epoch_begin", 0)]
    assert recorder.calls[-1] == ("train_end",)
    # The warning says where: the last batch the callbacks saw, the one after the last kept step.
    diverged_batch = len(keeper.after_step) - 1
    assert f"optimizer step {diverged_batch}, epoch 1, batch {diverged_batch}" in str(caught[-1].message)
    assert model.stop_training


# ---------------------------------------------------------------- Ctrl-C
def test_ctrl_c_inside_a_numba_kernel_stays_a_keyboard_interrupt():
    from minicnn.training import ctrl_c_stays_keyboard_interrupt

    # What Python reports when the signal lands while compiled code runs: a SystemError
    # caused (possibly through another SystemError) by the KeyboardInterrupt.
    def interrupted_kernel():
        try:
            try:
                raise KeyboardInterrupt
            except KeyboardInterrupt as ctrl_c:
                raise SystemError("returned a result with an exception set") from ctrl_c
        except SystemError as inner:
            raise SystemError("returned a result with an exception set") from inner

    with pytest.raises(KeyboardInterrupt):
        with ctrl_c_stays_keyboard_interrupt():
            interrupted_kernel()
    with pytest.raises(SystemError, match="unrelated"):      # other SystemErrors are not touched
        with ctrl_c_stays_keyboard_interrupt():
            raise SystemError("unrelated")
