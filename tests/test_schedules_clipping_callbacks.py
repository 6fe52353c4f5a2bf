"""Schedules, gradient clipping, the callbacks beyond History (ReduceLROnPlateau, LearningRateScheduler,
CSVLogger, LambdaCallback, TerminateOnNaN) and the MSE and binary cross-entropy losses, worked by hand
(Keras parity for them is in ``test_keras_parity_layers.py``)."""
import numpy as np
import pytest

import minicnn
from minicnn import callbacks, losses, optimizers
from minicnn.layers import Dense
from minicnn.optimizers import schedules


def tiny_model(optimizer="sgd", loss="sparse_categorical_crossentropy"):
    model = minicnn.Sequential([Dense(3, activation="softmax")], input_shape=(4,))
    model.compile(optimizer, loss)
    return model


def test_schedules_by_hand():
    # 0.1 * 0.5 ** (t / 10): halves every 10 steps; in stairs it stays flat between
    decay = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    assert decay(0) == 0.1 and decay(10) == 0.05 and np.isclose(decay(5), 0.1 / np.sqrt(2))
    assert schedules.ExponentialDecay(0.1, 10, 0.5, staircase=True)(19) == 0.05
    # cosine: full rate at 0, half at the middle, alpha * rate at the end and after
    cosine = schedules.CosineDecay(1.0, decay_steps=100, alpha=0.1)
    assert cosine(0) == 1.0 and np.isclose(cosine(50), 0.55) and np.isclose(cosine(500), 0.1)
    assert schedules.CosineDecay(0.0, 10, warmup_target=1.0, warmup_steps=4)(2) == 0.5
    piecewise = schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    assert [piecewise(t) for t in (0, 10, 11, 20, 21)] == [1.0, 1.0, 0.5, 0.5, 0.1]


def test_a_schedule_drives_the_optimizer_and_survives_its_config():
    optimizer = optimizers.SGD(schedules.PiecewiseConstantDecay([1], [0.5, 0.25]))
    weight, grad = np.ones(2), np.ones(2)
    for _ in range(3):
        optimizer.apply([weight], [grad])
    np.testing.assert_allclose(weight, 1 - 0.5 - 0.5 - 0.25)          # steps 0 and 1 at 0.5, step 2 at 0.25
    rebuilt = optimizers.SGD(**optimizer.get_config())
    rebuilt.iterations = optimizer.iterations
    assert rebuilt.learning_rate == 0.25


def test_clipnorm_and_clipvalue_by_hand():
    weight = np.zeros(2)
    optimizers.SGD(1.0, clipnorm=1.0).apply([weight], [np.array([3.0, 4.0])])    # norm 5 -> 1
    np.testing.assert_allclose(weight, [-0.6, -0.8])
    weight = np.zeros(2)
    optimizers.Adam(1.0, clipvalue=0.5).apply([weight], [np.array([3.0, -0.2])])
    assert optimizers.Adam(clipvalue=0.5).get_config()["clipvalue"] == 0.5
    with pytest.raises(ValueError, match="Only one of clipnorm and clipvalue"):
        optimizers.SGD(clipnorm=1.0, clipvalue=1.0)


def test_reduce_lr_on_plateau_by_hand():
    model = tiny_model(optimizers.SGD(1.0))
    reduce = callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=2, cooldown=1, min_lr=0.2)
    reduce.set_model(model)
    reduce.on_train_begin()
    rates = []
    for epoch, loss in enumerate([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]):
        reduce.on_epoch_end(epoch, {"loss": loss})
        rates.append(model.optimizer.learning_rate)
    # best at epoch 0; epochs 1, 2 wait -> halve; epoch 3 ends the cooldown and (as in Keras)
    # already waits again, so epoch 4 halves to 0.25; epoch 6 would halve to 0.125 but stops at min_lr
    assert rates == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.2, 0.2]


def test_scheduler_csv_logger_lambda_and_terminate_on_nan(tmp_path):
    model = tiny_model(optimizers.SGD(0.1))
    x, y = np.random.default_rng(0).normal(size=(8, 4)), np.arange(8) % 3
    seen = []
    history = model.fit(x, y, epochs=3, verbose=0, seed=0, callbacks=[
        callbacks.LearningRateScheduler(lambda epoch: 0.1 / (epoch + 1)),
        callbacks.CSVLogger(tmp_path / "log.csv"),
        callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(epoch))])
    assert seen == [0, 1, 2]
    np.testing.assert_allclose(history.history["learning_rate"], [0.1, 0.05, 0.1 / 3])
    rows = (tmp_path / "log.csv").read_text().splitlines()
    assert rows[0].split(",")[:3] == ["epoch", "accuracy", "learning_rate"] and len(rows) == 4


def test_terminate_on_nan_and_a_lambda_callback_see_the_nan_batch_inside_fit():
    # A bias of +inf and -inf: the logits hold inf and -inf, the softmax takes inf - inf = NaN,
    # so the loss is NaN from the first batch on, whatever the inputs.
    model = tiny_model(optimizers.SGD(0.1))
    model.layers[0].params["bias"][:2] = [np.inf, -np.inf]
    before = model.get_weights()
    x, y = np.random.default_rng(0).normal(size=(8, 4)), np.arange(8) % 3
    seen = []
    watcher = callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append((batch, logs["loss"])))
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning, match="diverged"):
        history = model.fit(x, y, epochs=3, batch_size=2, verbose=0, seed=0,
                            callbacks=[callbacks.TerminateOnNaN(), watcher])
    assert len(seen) == 1 and seen[0][0] == 0 and np.isnan(seen[0][1])     # one batch, its loss NaN
    assert model.stop_training
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), before))
    assert history.history == {} and model.optimizer.iterations == 0


def test_mse_and_binary_crossentropy_by_hand():
    y, p = np.array([[1.0, 0.0]]), np.array([[0.75, 0.5]])
    mse = losses.get("mse")
    assert mse(y, p) == (0.25 ** 2 + 0.5 ** 2) / 2                       # 0.15625
    np.testing.assert_allclose(mse.gradient(y, p), [[2 * -0.25 / 2, 2 * 0.5 / 2]])
    bce = losses.BinaryCrossentropy()
    np.testing.assert_allclose(bce(y, p), -(np.log(0.75) + np.log(0.5)) / 2, rtol=1e-6)
    logits = np.log(p / (1 - p))                                           # the same probabilities
    np.testing.assert_allclose(losses.BinaryCrossentropy(from_logits=True)(y, logits), bce(y, p), rtol=1e-6)
    np.testing.assert_allclose(losses.BinaryCrossentropy(from_logits=True).gradient(y, logits), (p - y) / 2)
    model = tiny_model("sgd", "mse")                                     # a softmax head, but no fused route
    assert not model._fused_softmax()
