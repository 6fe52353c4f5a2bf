"""The fast BatchNormalization twin against the NumPy layer (as ``test_fast.py`` does for the others).

Same weights, same batch: the output, dx, dgamma, dbeta and the moving statistics
agree within 1e-5 of each array's largest magnitude in float32 (1e-10 in float64),
in training and at inference, and for a frozen layer.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minicnn
from minicnn.fast.plan import twin
from minicnn.layers import BatchNormalization

TOLERANCE = {np.float32: 1e-5, np.float64: 1e-10}


def assert_close(fast, reference, dtype):
    scale = max(float(np.abs(reference).max()), 1e-30)
    assert np.abs(fast - reference).max() <= TOLERANCE[dtype] * scale


@settings(max_examples=25, deadline=None)
@given(st.sampled_from([np.float32, np.float64]), st.lists(st.integers(1, 6), min_size=2, max_size=4),
       st.booleans(), st.booleans(), st.booleans(), st.integers(0, 2**32 - 1))
def test_batchnorm_twin_agrees_with_the_layer(dtype, shape, training, center, scale, seed):
    rng = np.random.default_rng(seed)
    x = (rng.normal(size=shape) * 3 + 2).astype(dtype)
    grad_out = rng.normal(size=shape).astype(dtype)
    layer = BatchNormalization(center=center, scale=scale, momentum=0.9)
    minicnn.set_floatx(np.dtype(dtype).name)        # weights in the batch's float type
    try:
        layer.build(shape[1:])
    finally:
        minicnn.set_floatx("float32")
    for w in layer.weights:
        w[...] = rng.uniform(0.5, 2, size=w.shape)
    start = [w.copy() for w in layer.weights]
    results = []
    for step in (layer, twin(layer)):
        for w, value in zip(layer.weights, start):        # both start from the same moving statistics
            w[...] = value
        out = step.forward(x, training)
        dx = step.backward(grad_out)
        results.append([out, dx, *(g.copy() for g in layer.grads.values()), *(s.copy() for s in layer.state.values())])
    assert type(twin(layer)).__name__ == "FastBatchNormalization"
    for fast, reference in zip(results[1], results[0]):
        assert fast.dtype == reference.dtype
        assert_close(fast, reference, dtype)


@pytest.mark.parametrize("trainable", [True, False])
def test_batchnorm_twin_updates_moving_statistics_only_when_trainable(trainable):
    layer = BatchNormalization(momentum=0.5, trainable=trainable)
    layer.build((2,))
    twin(layer).forward(np.array([[1.0, 10.0], [3.0, 30.0]], dtype=np.float32), training=True)
    # trainable: mean (2, 20), variance (1, 100), each taken half: 0.5 * 0 + 0.5 * 2 = 1, ...
    expected = ([1.0, 10.0], [1.0, 50.5]) if trainable else ([0.0, 0.0], [1.0, 1.0])
    np.testing.assert_allclose(layer.state["moving_mean"], expected[0])
    np.testing.assert_allclose(layer.state["moving_variance"], expected[1])
