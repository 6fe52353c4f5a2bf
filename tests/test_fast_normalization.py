"""The fast BatchNormalization twin against the NumPy layer (as ``test_fast.py`` does for the others).

Same weights, same batch: the output, dx, dgamma, dbeta and the moving statistics
agree within 1e-5 of each array's largest magnitude in float32 (1e-10 in float64),
in training and at inference, and for a frozen layer (dx within that share of the
terms it sums, which can cancel).
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minicnn
from minicnn.fast.plan import twin
from minicnn.layers import BatchNormalization

TOLERANCE = {np.float32: 1e-5, np.float64: 1e-10}


def assert_close(fast, reference, dtype, at_least=0.0):
    """Within the tolerance of the reference's largest magnitude (or of ``at_least``, if larger)."""
    scale = max(float(np.abs(reference).max()), at_least, 1e-30)
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
    # dx sums terms of size |grad_out| * gamma / sigma that cancel (for a batch of 2, x_hat is +-1 and
    # dx can be far smaller than its terms): its float rounding scales with those terms, not with dx.
    variance = x.reshape(-1, shape[-1]).var(axis=0) if training else start[-1]
    gamma = start[0] if scale else np.ones(shape[-1])
    term = float(np.abs(grad_out).max() * np.max(np.abs(gamma) / np.sqrt(variance + layer.epsilon)))
    for number, (fast, reference) in enumerate(zip(results[1], results[0])):
        assert fast.dtype == reference.dtype
        assert_close(fast, reference, dtype, at_least=term if number == 1 else 0.0)


@pytest.mark.parametrize("trainable", [True, False])
def test_batchnorm_twin_updates_moving_statistics_only_when_trainable(trainable):
    layer = BatchNormalization(momentum=0.5, trainable=trainable)
    layer.build((2,))
    twin(layer).forward(np.array([[1.0, 10.0], [3.0, 30.0]], dtype=np.float32), training=True)
    # trainable: mean (2, 20), variance (1, 100), each taken half: 0.5 * 0 + 0.5 * 2 = 1, ...
    expected = ([1.0, 10.0], [1.0, 50.5]) if trainable else ([0.0, 0.0], [1.0, 1.0])
    np.testing.assert_allclose(layer.state["moving_mean"], expected[0])
    np.testing.assert_allclose(layer.state["moving_variance"], expected[1])
