"""Losses and optimizers against Keras's conventions, worked by hand.

Each expected value is written out from the formula with the numbers in the
comments; the property test checks the unfused loss gradient against central
differences.
"""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minicnn import losses, optimizers
from minicnn.gradcheck import numerical_gradient, relative_error
from minicnn.layers import Softmax
from minicnn.losses import CategoricalCrossentropy, SparseCategoricalCrossentropy


# ---------------------------------------------------------------- losses
def test_categorical_crossentropy_by_hand():
    # Two samples; the loss is the mean of -log(probability of the true class):
    #   sample 1: p = [0.5, 0.25, 0.25], true class 0 -> -ln 0.5 = 0.693147
    #   sample 2: p = [0.1, 0.8, 0.1],   true class 1 -> -ln 0.8 = 0.223144
    #   mean = (0.693147 + 0.223144) / 2 = 0.458145
    y_pred = np.array([[0.5, 0.25, 0.25], [0.1, 0.8, 0.1]])
    expected = (-math.log(0.5) - math.log(0.8)) / 2
    assert CategoricalCrossentropy()(np.array([[1, 0, 0], [0, 1, 0]]), y_pred) == pytest.approx(expected, rel=1e-12)
    assert SparseCategoricalCrossentropy()(np.array([0, 1]), y_pred) == pytest.approx(expected, rel=1e-12)
    # Soft targets weight the log-probabilities: 0.5 * -ln 0.5 + 0.5 * -ln 0.25 = 0.5 * (0.693 + 1.386)
    soft = CategoricalCrossentropy()(np.array([[0.5, 0.5, 0]]), y_pred[:1])
    assert soft == pytest.approx(0.5 * (-math.log(0.5) - math.log(0.25)), rel=1e-12)


def test_crossentropy_renormalises_and_clips_like_keras():
    # Keras divides each row by its sum first: [1, 1, 2] / 4 = [0.25, 0.25, 0.5] -> -ln 0.5.
    assert CategoricalCrossentropy()(np.array([[0, 0, 1]]), np.array([[1.0, 1.0, 2.0]])) == \
        pytest.approx(-math.log(0.5), rel=1e-12)
    # ... then clips to [1e-7, 1 - 1e-7], so a zero probability costs -ln(1e-7) = 16.118, not inf,
    assert CategoricalCrossentropy()(np.array([[0, 1, 0]]), np.array([[1.0, 0.0, 0.0]])) == \
        pytest.approx(-math.log(1e-7), rel=1e-9)
    # ... and a certain, right prediction still costs -ln(1 - 1e-7) = 1.0000000494e-7, not 0.
    assert CategoricalCrossentropy()(np.array([[0, 1, 0]]), np.array([[0.0, 1.0, 0.0]])) == \
        pytest.approx(-math.log(1 - 1e-7), rel=1e-6)
    # The sparse loss follows the same rule (as Keras's NumPy and JAX backends do; its
    # TensorFlow backend clips before renormalising, which differs only by ~1e-7 here).
    assert SparseCategoricalCrossentropy()(np.array([1]), np.array([[1.0, 0.0, 0.0]])) == \
        pytest.approx(-math.log(1e-7), rel=1e-9)


def test_crossentropy_from_logits_by_hand():
    # z = [1, 2, 3], true class 2: -log softmax(z)_2 = log(e^1 + e^2 + e^3) - 3
    #   = log(2.718 + 7.389 + 20.086) - 3 = log(30.193) - 3 = 3.4076 - 3 = 0.40761
    expected = math.log(math.e + math.e ** 2 + math.e ** 3) - 3
    z = np.array([[1.0, 2.0, 3.0]])
    assert SparseCategoricalCrossentropy(from_logits=True)(np.array([2]), z) == pytest.approx(expected, rel=1e-12)
    assert CategoricalCrossentropy(from_logits=True)(np.array([[0, 0, 1]]), z) == pytest.approx(expected, rel=1e-12)
    # Logits far too large for exp() stay finite: the largest is subtracted first.
    assert SparseCategoricalCrossentropy(from_logits=True)(np.array([2]), z + 1000) == pytest.approx(expected)


def test_fused_softmax_crossentropy_gradient_is_p_minus_y_over_n():
    # z = [[0, 0], [ln 3, 0]] -> p = [[1/2, 1/2], [3/4, 1/4]]; labels [0, 1]:
    #   y = [[1, 0], [0, 1]],  (p - y) / N = [[-1/2, 1/2], [3/4, -3/4]] / 2
    #                                      = [[-0.25, 0.25], [0.375, -0.375]]
    z = np.array([[0.0, 0.0], [math.log(3.0), 0.0]])
    expected = [[-0.25, 0.25], [0.375, -0.375]]
    loss = SparseCategoricalCrossentropy(from_logits=True)
    np.testing.assert_allclose(loss.gradient(np.array([0, 1]), z), expected, rtol=1e-12)
    target = loss.target(np.array([0, 1]), z)
    np.testing.assert_allclose(loss.logit_gradient(target, z), expected, rtol=1e-12)
    # The long way gives the same: the probability loss's gradient, back through softmax.
    softmax = Softmax()
    p = softmax.forward(z)
    long_way = softmax.backward(SparseCategoricalCrossentropy().gradient(np.array([0, 1]), p))
    np.testing.assert_allclose(long_way, expected, rtol=1e-9)


def test_crossentropy_gradient_by_hand_with_a_clipped_probability():
    # y_pred = [0, 1, 1] -> p = y_pred / 2 = [0, 0.5, 0.5]; S = 2.
    # True class 1: L = -ln(q1 / S) = -ln q1 + ln S, so
    #   dL/dq0 = 1/S = 0.5,  dL/dq1 = -1/q1 + 1/S = -1 + 0.5 = -0.5,  dL/dq2 = 0.5
    # (p0 = 0 is clipped, but only the true class's log is taken, so that does not matter).
    y_pred = np.array([[0.0, 1.0, 1.0]])
    np.testing.assert_allclose(SparseCategoricalCrossentropy().gradient(np.array([1]), y_pred),
                               [[0.5, -0.5, 0.5]], rtol=1e-12)
    # True class 0: its probability 0 is clipped up to 1e-7, a constant, so the loss is
    # flat in every direction nearby and the gradient is 0 everywhere (TensorFlow agrees:
    # clip_by_value passes no gradient outside its range).
    np.testing.assert_array_equal(SparseCategoricalCrossentropy().gradient(np.array([0]), y_pred), [[0, 0, 0]])


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 4), k=st.integers(2, 5), seed=st.integers(0, 2**32 - 1),
       soft=st.booleans(), sparse=st.booleans())
def test_unfused_crossentropy_gradient_matches_central_differences(n, k, seed, soft, sparse):
    # Unnormalised positive outputs well inside the clipping range, so a nudge of 1e-6
    # never crosses a clipping edge.
    rng = np.random.default_rng(seed)
    y_pred = rng.uniform(0.05, 1.0, size=(n, k))
    labels = rng.integers(0, k, size=n)
    if sparse:
        loss, y_true = SparseCategoricalCrossentropy(), labels
    else:
        y_true = rng.dirichlet(np.ones(k), size=n) if soft else np.eye(k)[labels]
        loss = CategoricalCrossentropy()
    numeric = numerical_gradient(lambda: loss(y_true, y_pred), y_pred)
    assert relative_error(loss.gradient(y_true, y_pred), numeric) < 1e-6


def test_losses_keep_float32():
    y_pred = np.array([[0.2, 0.3, 0.5]], dtype=np.float32)
    for loss in (SparseCategoricalCrossentropy(), SparseCategoricalCrossentropy(from_logits=True)):
        assert loss.gradient(np.array([1]), y_pred).dtype == np.float32
    assert CategoricalCrossentropy().gradient(np.array([[0, 1, 0]]), y_pred).dtype == np.float32


def test_loss_names():
    assert type(losses.get("categorical_crossentropy")) is CategoricalCrossentropy
    assert type(losses.get("sparse_categorical_crossentropy")) is SparseCategoricalCrossentropy
    assert losses.get("sparse_categorical_crossentropy").from_logits is False
    mine = SparseCategoricalCrossentropy(from_logits=True)
    assert losses.get(mine) is mine
    assert mine.get_config() == {"from_logits": True}


# ---------------------------------------------------------------- optimizers
def run(optimizer, gradients, start=1.0):
    """Apply ``gradients`` one step each to the single weight [start]; the weight after each step."""
    w = np.array([start])
    after = []
    for g in gradients:
        optimizer.apply([w], [np.array([g])])
        after.append(float(w[0]))
    return after


def test_sgd_by_hand():
    # Plain SGD: w -= lr * g:  1 - 0.1 * 0.5 = 0.95, then 0.95 - 0.1 * (-0.2) = 0.97
    assert run(optimizers.SGD(0.1), [0.5, -0.2]) == pytest.approx([0.95, 0.97], rel=1e-15)


def test_sgd_momentum_by_hand():
    # Keras: m = momentum * m - lr * g; w += m.
    #   step 1: m = 0.9 * 0     - 0.1 * 0.5    = -0.05         w = 1 - 0.05     = 0.95
    #   step 2: m = 0.9 * -0.05 - 0.1 * (-0.2) = -0.045 + 0.02 = -0.025   w = 0.925
    assert run(optimizers.SGD(0.1, momentum=0.9), [0.5, -0.2]) == pytest.approx([0.95, 0.925], rel=1e-14)


def test_sgd_nesterov_by_hand():
    # Nesterov looks ahead: w += momentum * m - lr * g, with m updated as above.
    #   step 1: m = -0.05;  w += 0.9 * -0.05 - 0.1 * 0.5     = -0.045 - 0.05  = -0.095  -> 0.905
    #   step 2: m = -0.025; w += 0.9 * -0.025 - 0.1 * (-0.2) = -0.0225 + 0.02 = -0.0025 -> 0.9025
    assert run(optimizers.SGD(0.1, momentum=0.9, nesterov=True), [0.5, -0.2]) == \
        pytest.approx([0.905, 0.9025], rel=1e-14)


def test_adam_first_two_steps_by_hand():
    # Keras 3: m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2);
    #          alpha = lr * sqrt(1 - b2^t) / (1 - b1^t);  w -= alpha * m / (sqrt(v) + eps)
    # lr = 0.1, b1 = 0.9, b2 = 0.999, eps = 1e-7; gradients 0.5 then -0.2.
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-7
    # Step 1: m = 0.5 * 0.1 = 0.05;  v = 0.25 * 0.001 = 0.00025
    #         alpha = 0.1 * sqrt(0.001) / 0.1 = 0.0316228
    #         w = 1 - 0.0316228 * 0.05 / (0.0158114 + 1e-7) = 1 - 0.0999994 = 0.9000006
    m1, v1 = 0.05, 0.00025
    w1 = 1 - (lr * math.sqrt(1 - b2) / (1 - b1)) * m1 / (math.sqrt(v1) + eps)
    # Step 2: m = 0.05 + (-0.2 - 0.05) * 0.1 = 0.025;  v = 0.00025 + (0.04 - 0.00025) * 0.001 = 0.00028975
    #         alpha = 0.1 * sqrt(1 - 0.999^2) / (1 - 0.9^2) = 0.1 * 0.0447102 / 0.19 = 0.0235317
    #         w = 0.9000006 - 0.0235317 * 0.025 / (0.0170220 + 1e-7) = 0.9000006 - 0.0345604 = 0.8654403
    m2, v2 = 0.025, 0.00028975
    w2 = w1 - (lr * math.sqrt(1 - b2 ** 2) / (1 - b1 ** 2)) * m2 / (math.sqrt(v2) + eps)
    assert (w1, w2) == pytest.approx((0.9000006, 0.8654403), abs=1e-7)     # the numbers above
    assert run(optimizers.Adam(lr, b1, b2, eps), [0.5, -0.2]) == pytest.approx([w1, w2], rel=1e-13)


def test_adam_counts_steps_not_weights():
    # Two weights with equal gradients in one step must move equally: the bias
    # correction uses the step number t, which is the same for every weight of a step.
    a, b = np.array([1.0]), np.array([1.0])
    adam = optimizers.Adam(0.1)
    adam.apply([a, b], [np.array([0.5]), np.array([0.5])])
    assert adam.iterations == 1
    np.testing.assert_array_equal(a, b)
    assert run(optimizers.Adam(0.1), [0.5]) == pytest.approx([a[0]], rel=1e-15)


def test_rmsprop_by_hand():
    # Keras 3: v = rho * v + (1 - rho) g^2;  w -= lr * g / sqrt(v + eps); lr 0.1, rho 0.9, eps 1e-7.
    #   step 1: v = 0.1 * 0.25 = 0.025;               w = 1 - 0.05 / sqrt(0.0250001) = 1 - 0.316227 = 0.683773
    #   step 2: v = 0.9 * 0.025 + 0.1 * 0.04 = 0.0265; w = 0.683773 + 0.02 / sqrt(0.0265001) = 0.806632
    w1 = 1 - 0.1 * 0.5 / math.sqrt(0.025 + 1e-7)
    w2 = w1 + 0.1 * 0.2 / math.sqrt(0.0265 + 1e-7)
    assert (w1, w2) == pytest.approx((0.683773, 0.806632), abs=1e-6)
    assert run(optimizers.RMSprop(0.1, rho=0.9, epsilon=1e-7), [0.5, -0.2]) == pytest.approx([w1, w2], rel=1e-13)


def test_adamw_decay_by_hand():
    # Decoupled weight decay: w -= w * weight_decay * lr before Adam's step.
    # With zero gradients Adam's step is 0 / (0 + eps) = 0, leaving only the decay:
    #   w = 1 * (1 - 0.5 * 0.1) = 0.95, then 0.95 * 0.95 = 0.9025
    assert run(optimizers.AdamW(0.1, weight_decay=0.5), [0.0, 0.0]) == pytest.approx([0.95, 0.9025], rel=1e-14)
    # With a gradient: decay first (1 -> 0.95), then the same Adam step as from 1 (0.0999994).
    adam_step = 1 - run(optimizers.Adam(0.1), [0.5])[0]
    assert run(optimizers.AdamW(0.1, weight_decay=0.5), [0.5]) == pytest.approx([0.95 - adam_step], rel=1e-14)


@pytest.mark.parametrize("make", [lambda: optimizers.SGD(0.1, momentum=0.9), lambda: optimizers.Adam(0.1),
                                  lambda: optimizers.RMSprop(0.1), lambda: optimizers.AdamW(0.1)])
def test_optimizer_state_resumes_exactly(make):
    # Three steps straight, or two steps, the state handed to a fresh optimizer, one more.
    gradients = [0.5, -0.2, 0.3]
    straight = run(make(), gradients)
    first = make()
    w = np.array([1.0])
    for g in gradients[:2]:
        first.apply([w], [np.array([g])])
    resumed = make()
    resumed.set_state({k: (v if k == "iterations" else [a.copy() for a in v]) for k, v in first.get_state().items()})
    resumed.apply([w], [np.array([gradients[2]])])
    assert w[0] == straight[2]


def test_optimizers_update_in_place_and_keep_float32():
    w = np.ones(3, dtype=np.float32)
    for optimizer in (optimizers.SGD(0.1, momentum=0.9), optimizers.Adam(), optimizers.AdamW(), optimizers.RMSprop()):
        before = w.copy()
        optimizer.apply([w], [np.full(3, 0.5)])      # a float64 gradient
        assert w.dtype == np.float32 and not np.array_equal(w, before)
        assert all(a.dtype == np.float32 for slot in (optimizer.slots or {}).values() for a in slot)


def test_optimizer_names_and_keras_defaults():
    adam = optimizers.get("adam")
    assert type(adam) is optimizers.Adam
    assert (adam.learning_rate, adam.beta_1, adam.beta_2, adam.epsilon) == (0.001, 0.9, 0.999, 1e-7)
    sgd = optimizers.get("SGD")                      # case does not matter, as in Keras
    assert type(sgd) is optimizers.SGD and (sgd.learning_rate, sgd.momentum, sgd.nesterov) == (0.01, 0.0, False)
    rmsprop = optimizers.get("rmsprop")
    assert type(rmsprop) is optimizers.RMSprop and (rmsprop.learning_rate, rmsprop.rho) == (0.001, 0.9)
    adamw = optimizers.get("adamw")
    assert type(adamw) is optimizers.AdamW and adamw.weight_decay == 0.004
    mine = optimizers.Adam(0.01)
    assert optimizers.get(mine) is mine
