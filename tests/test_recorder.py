"""TrainingRecorder: dead ReLUs, update/weight ratios and norms, checked on a model built by hand.

The conv layer has four filters; filters 0 and 1 get a bias of -100, so with
inputs in [0, 1] and small weights their output is ReLU(z) = 0 everywhere:
exactly half the layer's units (channels) are dead. Filters 2 and 3 get +1 and
fire. One epoch of plain SGD with one batch makes one step, so the recorder's
numbers can be written down from the weights before and after:

    update_ratio = ||W_after - W_before|| / ||W_before||
    grad_norm    = ||dL/dW|| at W_before = ||W_after - W_before|| / learning_rate
"""
import json

import numpy as np
import pytest

import minicnn
from minicnn.interpret.recorder import TrainingRecorder, health_advice, records_table
from minicnn.layers import Conv2D, Dense, Flatten
from minicnn.optimizers import SGD

pytestmark = pytest.mark.usefixtures("each_backend")
LEARNING_RATE = 0.01


def half_dead_model():
    minicnn.set_random_seed(0)
    model = minicnn.Sequential([Conv2D(4, 3, activation="relu", name="conv"), Flatten(), Dense(3, activation="softmax", name="dense")],
                               input_shape=(8, 8, 1))
    model.layers[0].params["bias"][...] = [-100.0, -100.0, 1.0, 1.0]
    model.compile(optimizer=SGD(learning_rate=LEARNING_RATE), loss="sparse_categorical_crossentropy")
    return model


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return rng.random((16, 8, 8, 1)).astype("float32"), rng.integers(0, 3, 16)


def norm(arrays):
    return np.sqrt(sum(float(np.sum(np.square(a, dtype=np.float64))) for a in arrays))


def test_dead_units_ratios_and_norms_match_the_hand_computation(data, tmp_path):
    x, y = data
    model = half_dead_model()
    before = [p.copy() for layer in model.layers for p in layer.params.values()]
    recorder = TrainingRecorder(x[:8], path=tmp_path / "recorder.json")
    model.fit(x, y, epochs=1, batch_size=len(x), shuffle=False, seed=0, verbose=0, callbacks=[recorder])
    after = model.get_weights()
    conv, dense = recorder.records["layers"]["conv"], recorder.records["layers"]["dense"]

    assert conv["dead_fraction"] == [0.5]                # filters 0 and 1 never fired
    assert "dead_fraction" not in dense                   # softmax, not ReLU
    for series, (w0, b0), (w1, b1) in ((conv, before[:2], after[:2]), (dense, before[2:], after[2:])):
        change = norm([w1 - w0, b1 - b0])
        assert series["update_ratio"][0] == pytest.approx(change / norm([w0, b0]), rel=1e-5)
        assert series["grad_norm"][0] == pytest.approx(change / LEARNING_RATE, rel=1e-4)
        assert series["weight_norm"][0] == pytest.approx(norm([w1, b1]), rel=1e-6)
    outputs = model.forward(x[:8], return_outputs=True)
    assert conv["act_mean"][0] == pytest.approx(float(outputs[0].mean()), rel=1e-6)
    assert conv["act_std"][0] == pytest.approx(float(outputs[0].std()), rel=1e-6)
    assert json.loads((tmp_path / "recorder.json").read_text()) == recorder.records
    assert "50%" in records_table(recorder.records)


def test_dead_channels_get_no_gradient_and_the_advice_says_so(data):
    x, y = data
    model = half_dead_model()
    recorder = TrainingRecorder(x[:8])
    model.fit(x, y, epochs=2, batch_size=4, seed=0, verbose=0, callbacks=[recorder])
    assert recorder.records["epochs"] == [1, 2]
    assert not model.layers[0].grads["kernel"][..., :2].any()      # dead filters learn nothing
    advice = " ".join(recorder.advice())
    assert "conv: 50% of its ReLU units never fired" in advice


def test_far_off_ratios_are_named_in_plain_words():
    records = {"probe_size": 8, "epochs": [1], "layers": {
        "slow": {"update_ratio": [2e-6]}, "fast": {"update_ratio": [0.3]}, "fine": {"update_ratio": [1e-3]}}}
    texts = [entry["text"] for entry in health_advice(records)]
    assert len(texts) == 2
    assert texts[0].startswith("slow") and "far below" in texts[0] and "too low" in texts[0]
    assert texts[1].startswith("fast") and "far above" in texts[1] and "too high" in texts[1]
    healthy = health_advice({"probe_size": 8, "epochs": [1], "layers": {"fine": {"update_ratio": [1e-3]}}})
    assert healthy[0]["ok"] and "nothing looks wrong" in healthy[0]["text"]


def test_a_probe_is_required():
    with pytest.raises(ValueError, match="probe batch"):
        TrainingRecorder(np.zeros((0, 8, 8, 1)))


def test_the_advice_tells_a_dead_network_from_a_too_low_learning_rate(data):
    # Both runs barely move their first layer's weights; only the dead one has dead ReLUs above it.
    x, y = data

    def trained(bias, learning_rate):
        minicnn.set_random_seed(0)
        model = minicnn.Sequential([Conv2D(4, 3, activation="relu", name="conv"), Flatten(),
                                    Dense(8, activation="relu", name="hidden"), Dense(3, activation="softmax")],
                                   input_shape=(8, 8, 1))
        model.layers[0].params["bias"][...] = bias
        model.compile(optimizer=SGD(learning_rate=learning_rate), loss="sparse_categorical_crossentropy")
        recorder = TrainingRecorder(x[:8])
        model.fit(x, y, epochs=1, batch_size=4, seed=0, verbose=0, callbacks=[recorder])
        return " ".join(recorder.advice())

    dead = trained(bias=-100.0, learning_rate=0.1)          # every conv unit off: no gradient below
    assert "conv: 100% of its ReLU units never fired" in dead
    assert "conv: in epoch 1" in dead and "dead network, not a too-low learning rate" in dead
    assert "may be too low" not in dead               # nor for the layers above, fed only zeros
    slow = trained(bias=0.1, learning_rate=1e-7)
    assert "conv: in epoch 1" in slow and "the learning rate may be too low" in slow
    assert "dead network" not in slow and "never fired" not in slow
