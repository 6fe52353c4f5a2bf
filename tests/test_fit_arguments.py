"""fit's and evaluate's Keras arguments: steps_per_epoch, validation_freq, validation_steps,
class_weight, sample_weight, verbose, History.params and the logs' keys."""
import re

import numpy as np
import pytest

import minicnn
from minicnn import metrics
from minicnn.layers import Dense, Flatten


class BatchSizes(metrics.Metric):
    """A metric that remembers the size of every batch it is shown (and scores 1)."""

    default_name = "ones"

    def __init__(self, name=None):
        self.sizes = []
        super().__init__(name)

    def scores(self, y_true, y_pred):
        self.sizes.append(len(y_pred))
        return np.ones(len(y_pred))


def dense_model(units=3, activation="softmax", optimizer="sgd", loss="sparse_categorical_crossentropy",
                metrics_=("accuracy",)):
    model = minicnn.Sequential([Flatten(input_shape=(2, 2)), Dense(units, activation=activation)])
    model.compile(optimizer, loss, metrics=list(metrics_))
    return model


def data(n=10, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 2, 2)), rng.integers(0, 3, n)


def test_steps_per_epoch_goes_on_where_the_last_epoch_stopped():
    sizes = BatchSizes()
    model = dense_model(metrics_=[sizes])
    x, y = data(10)                                        # batches of 4: 4, 4, 2 per pass
    history = model.fit(x, y, batch_size=4, epochs=3, steps_per_epoch=2, verbose=0, seed=0)
    assert sizes.sizes == [4, 4, 2, 4, 4, 2]               # epochs: [4, 4], [2, 4], [4, 2]
    assert history.params == {"verbose": 0, "epochs": 3, "steps": 2}


def test_validation_freq_and_validation_steps():
    sizes = BatchSizes()
    model = dense_model(metrics_=["acc", sizes])
    x, y = data(12)
    history = model.fit(x, y, batch_size=4, epochs=4, validation_data=(x[:9], y[:9]), validation_freq=2,
                        validation_steps=2, verbose=0, seed=0)
    assert list(history.history) == ["acc", "loss", "ones", "val_acc", "val_loss", "val_ones"]
    assert [len(v) for v in history.history.values()] == [4, 4, 4, 2, 2, 2]
    assert sizes.sizes == [4] * (4 * 3 + 2 * 2)          # 3 batches an epoch; 2 of the 3 validation batches, twice
    history = model.fit(x, y, batch_size=4, epochs=3, validation_data=(x, y), validation_freq=[1, 3], verbose=0)
    assert len(history.history["val_loss"]) == 2
    with pytest.raises(ValueError, match="validation_freq"):
        model.fit(x, y, epochs=1, validation_data=(x, y), validation_freq=0, verbose=0)


@pytest.mark.usefixtures("each_backend")
def test_a_sample_weight_of_zero_removes_the_sample_and_keeps_the_batch_size(float64):
    # Keras divides the weighted sum by the batch size: weights [1, 1, 0, 0] on a batch of 4 give
    # half the gradient of the batch of the first two alone; with plain SGD at half the rate the
    # two runs end at the same weights.
    x, y = data(8)
    minicnn.set_random_seed(3)
    weighted = dense_model(optimizer=minicnn.optimizers.SGD(learning_rate=0.2))
    minicnn.set_random_seed(3)
    alone = dense_model(optimizer=minicnn.optimizers.SGD(learning_rate=0.1))
    keep = np.tile([1.0, 1.0, 0.0, 0.0], 2)
    weighted.fit(x, y, batch_size=4, sample_weight=keep, shuffle=False, verbose=0)
    alone.fit(x[keep == 1], y[keep == 1], batch_size=2, shuffle=False, verbose=0)
    for a, b in zip(weighted.get_weights(), alone.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_class_weight_is_a_sample_weight_per_class_and_evaluate_weighs_too():
    x, y = data(12)
    model = dense_model()
    probabilities = model.predict(x, verbose=0)
    per_sample = -np.log(probabilities[np.arange(len(y)), y])
    weights = np.where(y == 1, 3.0, 1.0)
    loss, accuracy = model.evaluate(x, y, sample_weight=weights, verbose=0)
    assert loss == pytest.approx((per_sample * weights).sum() / len(y), rel=1e-5)          # Keras's reduction
    right = probabilities.argmax(axis=1) == y
    assert accuracy == pytest.approx((right * weights).sum() / weights.sum())
    assert model.evaluate(x, y, verbose=0, return_dict=True) == {"accuracy": pytest.approx(right.mean()),
                                                                  "loss": pytest.approx(per_sample.mean(), rel=1e-5)}
    runs = []
    for weighting in ({"class_weight": {1: 3.0}}, {"sample_weight": weights}):
        minicnn.set_random_seed(1)
        twin = dense_model()
        twin.fit(x, y, batch_size=4, epochs=2, seed=0, verbose=0, **weighting)
        runs.append(twin.get_weights())
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="class_weight and sample_weight"):
        model.fit(x, y, class_weight={1: 3.0}, sample_weight=weights, verbose=0)
    with pytest.raises(ValueError, match=r"one finite weight per sample, shape \(12,\)"):
        model.fit(x, y, sample_weight=weights[:5], verbose=0)


@pytest.mark.usefixtures("each_backend")
def test_accuracy_of_one_sigmoid_unit_thresholds_at_one_half():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 2, 2))
    y = (x.sum(axis=(1, 2)) > 0).astype(np.int64)
    model = dense_model(units=1, activation="sigmoid", loss="binary_crossentropy",
                        optimizer=minicnn.optimizers.SGD(learning_rate=1e-12))    # the outputs stay put
    history = model.fit(x, y, batch_size=8, verbose=0)
    expected = ((model.predict(x, verbose=0)[:, 0] > 0.5) == y).mean()
    assert history.history["accuracy"] == [pytest.approx(expected)]
    assert model.evaluate(x, y, verbose=0)[1] == pytest.approx(expected)


def test_verbose_prints_keras_lines(capsys):
    x, y = data(12)
    model = dense_model()
    history = model.fit(x, y, batch_size=4, epochs=2, validation_split=0.25, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    value = r"-?\d+\.\d{4}(e[-+]\d\d)?"
    step = r"\d+(s|ms|us)/step"
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2" and len(lines) == 4
    assert re.fullmatch(rf"3/3 - \d+s - {step} - accuracy: {value} - loss: {value} - val_accuracy: {value} - "
                        rf"val_loss: {value}", lines[1]), lines[1]
    assert history.params == {"verbose": 2, "epochs": 2, "steps": 3}
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    assert capsys.readouterr().out == ""
    model.predict(x, batch_size=4)                                    # verbose="auto": the bar
    out = capsys.readouterr().out
    assert out.startswith("\r\x1b[1m1/3\x1b[0m") and out.endswith("/step\n") and "3/3" in out
