"""Every backward pass, checked twice: once by hand, once against central differences.

The hand-worked tests write every forward and backward number in comments, so a
reader can follow the chain rule with a pencil. The property tests let
Hypothesis draw shapes, kernel sizes, strides, paddings and activations, and run
``minicnn.gradcheck.gradcheck`` in float64: the relative error between the
gradient ``backward`` computes and ``(f(w + h) - f(w - h)) / 2h`` must stay
below 1e-6 for the input and for every weight.

The step is ``h = 1e-5``, about the cube root of float64's machine epsilon: the
central difference's truncation error grows like h**2 and its rounding error
like 1e-16 * |f| / h, and this h balances the two. (On one weight whose gradient
nearly cancelled, h = 1e-4, 1e-5, 1e-6, 1e-7 gave relative errors 1.2e-5, 9e-8,
1.3e-6, 9e-6.)

ReLU and max-pooling are not differentiable everywhere: at a kink (a ReLU input
of 0) or a near-tie in a pooling window, the nudge of ``h`` can cross the
corner and the central difference is not a derivative any more. The tests keep
away from those points by construction, never by loosening the bound:

* ReLU layers get their bias set in the middle of the widest gap between the
  units' pre-activations, so every unit sits far from 0 (about half alive);
* max-pooling inputs are well-separated values, or, inside models, windows whose
  two largest values nearly tie are skipped with ``assume``.

Central differences also lose to rounding when a gradient is tiny next to the
function's value: each difference carries an error of about 1e-16 * |f| / h.
A Dense or Conv2D kernel gradient is the input times the upstream gradient, so
the inputs of those layers stay at least 0.1 away from 0.

Weights come from ``minicnn.set_random_seed`` with the example's seed, so
Hypothesis can replay and shrink any failure.
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import minicnn
from minicnn import Sequential
from minicnn.gradcheck import gradcheck
from minicnn.layers import (Activation, AveragePooling2D, Conv2D, Dense, Dropout, Flatten,
                            GlobalAveragePooling2D, MaxPooling2D, ReLU, Softmax, ZeroPadding2D)
from minicnn.layers.activations import ReLU as ReLUActivation
from minicnn.layers.shapes import sliding_window
from minicnn.losses import CategoricalCrossentropy, SparseCategoricalCrossentropy

pytestmark = pytest.mark.usefixtures("one_numba_thread", "each_backend")

BOUND = 1e-6
STEP = 1e-5         # central-difference step (see the module docstring)
MARGIN = 1e-3       # closest a ReLU input or a max-pool runner-up may come to a kink: 100 steps
SEED = 0            # gradcheck's seed: its projection and the dropout masks it holds fixed
SEEDS = st.integers(0, 2**32 - 1)
ACTIVATIONS = st.sampled_from([None, "relu", "softmax"])
# The float64 fixture is the same for every example, so sharing it across them is intended.
LAYER_SETTINGS = settings(max_examples=30, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture])
MODEL_SETTINGS = settings(max_examples=15, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much])


def assert_gradients_match(target, x, y=None, training=False):
    """Run gradcheck and require every relative error below BOUND, for the input and each weight."""
    errors = gradcheck(target, x, y, training=training, h=STEP, seed=SEED)
    layers = target.layers if isinstance(target, Sequential) else [target]
    expected = {"x"} | {f"{l.name}/{k}" if isinstance(target, Sequential) else k
                        for l in layers for k in l.params}
    assert set(errors) == expected                      # nothing left unchecked
    worst = max(errors, key=errors.get)
    assert errors[worst] < BOUND, f"gradient of {worst} is off: relative error {errors[worst]:.2e}; {errors}"


# ---------------------------------------------------------------- staying off the kinks
def widest_gap_middle(values):
    """The middle of the widest gap between sorted ``values``, near their median.

    Only gaps with about a quarter of the values on either side count, so a bias
    placed there leaves some units alive and some dead.
    """
    v = np.sort(values)
    edges = np.concatenate([[v[0] - 1.0], v, [v[-1] + 1.0]])
    low, high = len(v) // 4, len(v) - len(v) // 4
    gaps = np.diff(edges)[low:high + 1]
    i = low + len(gaps) - 1 - int(np.argmax(gaps[::-1]))      # on a tie the higher gap: more units alive
    return (edges[i] + edges[i + 1]) / 2


def preactivation_without_bias(layer, x):
    """``x @ kernel`` (Dense) or the convolution (Conv2D) before bias and activation."""
    config = {**layer.get_config(), "activation": None, "use_bias": False, "name": None}
    twin = type(layer)(**config)
    twin.build(x.shape[1:])
    twin.params["kernel"][...] = layer.params["kernel"]
    return twin.forward(x)


def keep_off_relu_kink(layer, x):
    """Give a Dense/Conv2D layer ending in ReLU a bias that puts every unit far from 0.

    Unit f fires when z_f + b_f > 0, i.e. at b_f = -z_f. Putting b_f in the widest
    gap between the -z_f of all samples and positions keeps each z_f + b_f clear of 0.
    Returns the distance of the closest unit from the kink.
    """
    if not isinstance(layer.activation, ReLUActivation):
        return np.inf
    z = preactivation_without_bias(layer, x).reshape(-1, layer.params["kernel"].shape[-1])
    if "bias" in layer.params:
        layer.params["bias"][...] = [widest_gap_middle(-z[:, f]) for f in range(z.shape[1])]
        z = z + layer.params["bias"]
    return float(np.abs(z).min())


def max_pool_tie_gap(layer, x):
    """Smallest gap between the largest and second-largest value of any pooling window.

    Windows whose two largest values are both exactly 0 (dead ReLUs) do not count:
    they stay 0 when a weight is nudged, so they cannot switch winners.
    """
    (ph, pw), (sh, sw) = layer.pool_size, layer.strides
    window = sliding_window(x.shape[1:3], layer.pool_size, layer.strides, layer.padding)
    (oh, ow), ((top, _), (left, _)) = window.output, window.pads
    gap = np.inf
    for i in range(oh):
        r0, r1 = max(i * sh - top, 0), min(i * sh - top + ph, x.shape[1])
        for j in range(ow):
            c0, c1 = max(j * sw - left, 0), min(j * sw - left + pw, x.shape[2])
            window = np.sort(x[:, r0:r1, c0:c1, :].reshape(x.shape[0], -1, x.shape[3]), axis=1)
            if window.shape[1] < 2:
                continue
            first, second = window[:, -1, :], window[:, -2, :]
            both_dead = (first == 0) & (second == 0)
            gap = min(gap, np.where(both_dead, np.inf, first - second).min())
    return gap


def keep_model_off_kinks(model, x, training):
    """Walk the model as gradcheck runs it, moving ReLU biases off the kink; return the
    smallest distance from any ReLU kink or max-pool tie."""
    margin = np.inf
    for layer in model.layers:
        margin = min(margin, keep_off_relu_kink(layer, x))
        if isinstance(layer, MaxPooling2D):
            margin = min(margin, max_pool_tie_gap(layer, x))
        layer.rng = np.random.default_rng(SEED)        # the dropout mask gradcheck will use
        x = layer.forward(x, training)
    return margin


def normal(seed, shape, off_zero=False):
    """Standard normal numbers; ``off_zero`` moves them at least 0.1 away from 0."""
    x = np.random.default_rng(seed).normal(size=shape)
    return np.where(x >= 0, x + 0.1, x - 0.1) if off_zero else x


def separated(seed, shape):
    """Distinct values, 0.1 apart, in random order: no two cells of a window nearly tie."""
    rng = np.random.default_rng(seed)
    return rng.permutation(int(np.prod(shape))).reshape(shape) * 0.1 - rng.uniform(0, 2)


# ---------------------------------------------------------------- worked by hand
def test_conv2d_by_hand(float64):
    # One 4x4 image, one channel; a 3x3 kernel that takes the left column minus the
    # right column of each window; bias 0.5. "valid" -> a 2x2 output.
    #   x = 1 2 0 1        K =  1 0 -1
    #       3 1 0 2             1 0 -1
    #       0 1 2 1             1 0 -1
    #       1 0 1 3
    x = np.array([[1, 2, 0, 1], [3, 1, 0, 2], [0, 1, 2, 1], [1, 0, 1, 3]], float).reshape(1, 4, 4, 1)
    kernel = np.array([[1, 0, -1], [1, 0, -1], [1, 0, -1]], float)
    conv = Conv2D(1, 3)
    conv.build((4, 4, 1))
    conv.params["kernel"][...] = kernel.reshape(3, 3, 1, 1)
    conv.params["bias"][...] = 0.5
    # out[0,0]: column 0 of rows 0-2 is 1+3+0 = 4, column 2 is 0+0+2 = 2 -> 4 - 2 + 0.5 = 2.5
    # out[0,1]: column 1: 2+1+1 = 4, column 3: 1+2+1 = 4                 -> 0 + 0.5 =  0.5
    # out[1,0]: rows 1-3, column 0: 3+0+1 = 4, column 2: 0+2+1 = 3       -> 1 + 0.5 =  1.5
    # out[1,1]: column 1: 1+1+0 = 2, column 3: 2+1+3 = 6                 -> -4 + 0.5 = -3.5
    np.testing.assert_allclose(conv.forward(x)[0, :, :, 0], [[2.5, 0.5], [1.5, -3.5]])

    # Backward with G = dL/dout = [[1, -1], [0, 2]].
    dx = conv.backward(np.array([[1, -1], [0, 2]], float).reshape(1, 2, 2, 1))
    # dbias = sum of G = 1 - 1 + 0 + 2 = 2
    np.testing.assert_allclose(conv.grads["bias"], [2])
    # dK[a,b] = sum_ij G[i,j] * x[i+a, j+b] = 1*x[a,b] - 1*x[a,b+1] + 2*x[a+1,b+1]
    #   x[a,b]     = 1 2 0    x[a,b+1] = 2 0 1    x[a+1,b+1] = 1 0 2
    #                3 1 0               1 0 2                 1 2 1
    #                0 1 2               1 2 1                 0 1 3
    #   dK = 1-2+2  2-0+0  0-1+4      =  1 2 3
    #        3-1+2  1-0+4  0-2+2         4 5 0
    #        0-1+0  1-2+2  2-1+6        -1 1 7
    np.testing.assert_allclose(conv.grads["kernel"][:, :, 0, 0], [[1, 2, 3], [4, 5, 0], [-1, 1, 7]])
    # dx: each output pixel sends G[i,j] * K back onto the 3x3 window it read (col2im):
    #   1*K at (0,0)       -1*K at (0,1)       2*K at (1,1)        sum
    #   1 0 -1 0           0 -1 0 1            0 0 0  0            1 -1 -1  1
    #   1 0 -1 0     +     0 -1 0 1      +     0 2 0 -2      =     1  1 -1 -1
    #   1 0 -1 0           0 -1 0 1            0 2 0 -2            1  1 -1 -1
    #   0 0  0 0           0  0 0 0            0 2 0 -2            0  2  0 -2
    np.testing.assert_allclose(dx[0, :, :, 0], [[1, -1, -1, 1], [1, 1, -1, -1], [1, 1, -1, -1], [0, 2, 0, -2]])


def test_dilated_conv2d_by_hand(float64):
    # A 2x2 kernel of ones with dilation_rate=2 adds the four corners of each 3x3 span:
    #   out[i, j] = x[i, j] + x[i, j+2] + x[i+2, j] + x[i+2, j+2]
    # One 5x5 image, x[r, c] = 5r + c + 1 (1 ... 25); "valid" -> 5 - 3 + 1 = 3 rows and columns.
    x = np.arange(1, 26, dtype=float).reshape(1, 5, 5, 1)
    conv = Conv2D(1, 2, dilation_rate=2, use_bias=False)
    conv.build((5, 5, 1))
    conv.params["kernel"][...] = 1.0
    # out[0,0] = 1 + 3 + 11 + 13 = 28; a step right adds 1 to each corner (+4), a step down 5 (+20).
    np.testing.assert_allclose(conv.forward(x)[0, :, :, 0], [[28, 32, 36], [48, 52, 56], [68, 72, 76]])

    # Backward with dL/dout = 1 everywhere.
    dx = conv.backward(np.ones((1, 3, 3, 1)))
    # dK[a, b] = sum over the 3x3 output of x[i + 2a, j + 2b]: the 3x3 block of x at (2a, 2b).
    #   dK[0,0] = 1+2+3 + 6+7+8 + 11+12+13 = 63; the blocks at (0,2), (2,0), (2,2) are 2, 10
    #   and 12 larger per entry, 9 entries each: 63 + 18 = 81, 63 + 90 = 153, 63 + 108 = 171.
    np.testing.assert_allclose(conv.grads["kernel"][:, :, 0, 0], [[63, 81], [153, 171]])
    # dx: each pixel gets a 1 from every window that read it. Row r is read by output rows
    # i = r and i = r - 2 (0 <= i <= 2): rows 0, 1, 3, 4 once, row 2 twice; the columns alike.
    np.testing.assert_allclose(dx[0, :, :, 0], np.outer([1, 1, 2, 1, 1], [1, 1, 2, 1, 1]))


def test_max_pool_by_hand():
    # 2x2 windows, stride 2, on a 4x4 image; the winner of each window is marked:
    #   1 [5] | 2  0           top-left  {1,5,3,4} -> 5 at (0,1)
    #   3  4  |[8] 1           top-right {2,0,8,1} -> 8 at (1,2)
    #   ------+------          bottom-left {7,0,2,6} -> 7 at (2,0)
    #  [7] 0  | 6 [9]          bottom-right {6,9,3,4} -> 9 at (2,3)
    #   2  6  | 3  4
    x = np.array([[1, 5, 2, 0], [3, 4, 8, 1], [7, 0, 6, 9], [2, 6, 3, 4]], float).reshape(1, 4, 4, 1)
    pool = MaxPooling2D(2)
    pool.build((4, 4, 1))
    np.testing.assert_array_equal(pool.forward(x)[0, :, :, 0], [[5, 8], [7, 9]])
    # Only the winner moved its window's output, so it takes the whole gradient; the
    # other twelve cells get 0.
    dx = pool.backward(np.array([[10, 20], [30, 40]], float).reshape(1, 2, 2, 1))
    np.testing.assert_array_equal(dx[0, :, :, 0], [[0, 10, 0, 0], [0, 0, 20, 0], [30, 0, 0, 40], [0, 0, 0, 0]])

    # Overlapping windows (stride 1): the centre 9 wins all four, so it collects all four
    # gradients: 1 + 2 + 3 + 4 = 10.
    x = np.array([[1, 2, 3], [4, 9, 5], [6, 7, 8]], float).reshape(1, 3, 3, 1)
    pool = MaxPooling2D(2, strides=1)
    pool.build((3, 3, 1))
    np.testing.assert_array_equal(pool.forward(x)[0, :, :, 0], [[9, 9], [9, 9]])
    dx = pool.backward(np.array([[1, 2], [3, 4]], float).reshape(1, 2, 2, 1))
    np.testing.assert_array_equal(dx[0, :, :, 0], [[0, 0, 0], [0, 10, 0], [0, 0, 0]])


def test_dense_with_relu_by_hand(float64):
    # Two samples with 3 features, 2 units:
    #   x = [1  2 3]     W = [1 -1]     b = [0.5 -1]
    #       [0 -1 2]         [0  2]
    #                        [1  0]
    dense = Dense(2, activation="relu")
    dense.build((3,))
    dense.params["kernel"][...] = [[1, -1], [0, 2], [1, 0]]
    dense.params["bias"][...] = [0.5, -1]
    x = np.array([[1, 2, 3], [0, -1, 2]], float)
    # z = x @ W + b:  sample 1: [1+0+3, -1+4+0] + b = [4, 3] + b = [4.5, 2]
    #                 sample 2: [0+0+2, 0-2+0]  + b = [2, -2] + b = [2.5, -3]
    # ReLU:           [[4.5, 2], [2.5, 0]]     (sample 2's second unit is dead)
    np.testing.assert_allclose(dense.forward(x), [[4.5, 2], [2.5, 0]])
    # Backward with dL/dout all ones. ReLU lets it through where the output is > 0:
    #   dz = [[1, 1], [1, 0]]
    dx = dense.backward(np.ones((2, 2)))
    # dW = x.T @ dz: row d is sum over samples of x[n, d] * dz[n]
    #   d=0: 1*[1,1] + 0*[1,0]  = [1, 1]
    #   d=1: 2*[1,1] - 1*[1,0]  = [1, 2]
    #   d=2: 3*[1,1] + 2*[1,0]  = [5, 3]
    np.testing.assert_allclose(dense.grads["kernel"], [[1, 1], [1, 2], [5, 3]])
    # db = dz summed over the batch = [2, 1]
    np.testing.assert_allclose(dense.grads["bias"], [2, 1])
    # dx = dz @ W.T: sample 1: 1*[1,0,1] + 1*[-1,2,0] = [0, 2, 1]
    #                sample 2: 1*[1,0,1] + 0*[-1,2,0] = [1, 0, 1]
    np.testing.assert_allclose(dx, [[0, 2, 1], [1, 0, 1]])


def test_softmax_backward_by_hand(float64):
    # z = [0, ln 3] -> exp = [1, 3] -> s = [1/4, 3/4].
    softmax = Softmax()
    np.testing.assert_allclose(softmax.forward(np.array([[0.0, np.log(3.0)]])), [[0.25, 0.75]])
    # With g = dL/ds = [1, 0]: dz_j = s_j (g_j - sum_i g_i s_i), and sum_i g_i s_i = 1/4:
    #   dz = [1/4 * (1 - 1/4), 3/4 * (0 - 1/4)] = [3/16, -3/16]
    # (the entries sum to 0: adding a constant to every logit changes nothing).
    np.testing.assert_allclose(softmax.backward(np.array([[1.0, 0.0]])), [[3 / 16, -3 / 16]])


def test_padding_and_global_pooling_by_hand(float64):
    # ZeroPadding2D(((1, 0), (0, 2))) makes a 2x2 image 3x4: one row on top, two columns
    # on the right. Backward keeps the gradient of the 4 original cells and drops the rest:
    #    0  1  2  3      <- padding row
    #   [4  5] 6  7      the original cells are rows 1-2, columns 0-1
    #   [8  9] 10 11
    pad = ZeroPadding2D(((1, 0), (0, 2)))
    pad.build((2, 2, 1))
    assert pad.forward(np.ones((1, 2, 2, 1))).shape == (1, 3, 4, 1)
    dx = pad.backward(np.arange(12, dtype=float).reshape(1, 3, 4, 1))
    np.testing.assert_array_equal(dx[0, :, :, 0], [[4, 5], [8, 9]])
    # GlobalAveragePooling2D over 2x2: every cell moved the mean by 1/4 of its change,
    # so each gets 1/4 of the gradient: 8 -> 2 in every cell.
    gap = GlobalAveragePooling2D()
    gap.build((2, 2, 1))
    np.testing.assert_allclose(gap.forward(np.array([1, 2, 3, 6], float).reshape(1, 2, 2, 1)), [[3.0]])
    np.testing.assert_allclose(gap.backward(np.array([[8.0]]))[0, :, :, 0], [[2, 2], [2, 2]])


def test_gradcheck_catches_a_wrong_backward(float64):
    """The checker itself: a backward that is off by 1% must fail the bound by far."""
    class SlightlyWrongDense(Dense):
        def backward_preactivation(self, grad_z):
            return 1.01 * super().backward_preactivation(grad_z)

    minicnn.set_random_seed(0)
    errors = gradcheck(SlightlyWrongDense(3), normal(0, (4, 5)))
    assert errors["x"] > 1e-3 and errors["kernel"] < BOUND


def test_gradcheck_refuses_float32_inputs_and_converts_ints(float64):
    with pytest.raises(ValueError, match=r"float64 inputs.*Received x of dtype float32.*astype\('float64'\)"):
        gradcheck(Dense(3), normal(0, (4, 5)).astype(np.float32))
    minicnn.set_random_seed(0)
    assert max(gradcheck(Dense(3), np.arange(20).reshape(4, 5) % 3 - 1).values()) < BOUND


# ---------------------------------------------------------------- every layer, random shapes
@st.composite
def images(draw, min_size=1, max_size=6):
    """(N, H, W, C) with small sizes, and a seed for the values."""
    return ((draw(st.integers(1, 3)), draw(st.integers(min_size, max_size)),
             draw(st.integers(min_size, max_size)), draw(st.integers(1, 3))), draw(SEEDS))


@LAYER_SETTINGS
@given(filters=st.integers(1, 3), kernel=st.tuples(st.integers(1, 3), st.integers(1, 3)),
       strides=st.tuples(st.integers(1, 3), st.integers(1, 3)), padding=st.sampled_from(["valid", "same"]),
       activation=ACTIVATIONS, use_bias=st.booleans(), image=images(min_size=3))
def test_conv2d_gradients(float64, filters, kernel, strides, padding, activation, use_bias, image):
    shape, seed = image
    layer = Conv2D(filters, kernel, strides=strides, padding=padding, activation=activation, use_bias=use_bias)
    x = normal(seed, shape, off_zero=True)
    minicnn.set_random_seed(seed)
    layer.build(shape[1:])
    assume(keep_off_relu_kink(layer, x) > MARGIN)       # only ever rejects a bias-free ReLU layer
    assert_gradients_match(layer, x)


@LAYER_SETTINGS
@given(filters=st.integers(1, 3), kernel=st.tuples(st.integers(1, 3), st.integers(1, 3)),
       dilation=st.tuples(st.integers(1, 3), st.integers(1, 3)), padding=st.sampled_from(["valid", "same"]),
       activation=ACTIVATIONS, use_bias=st.booleans(), image=images(min_size=3, max_size=8))
def test_dilated_conv2d_gradients(float64, filters, kernel, dilation, padding, activation, use_bias, image):
    # Stride 1, as Keras requires with dilation. On the fast backend too this runs the NumPy layer.
    shape, seed = image
    layer = Conv2D(filters, kernel, padding=padding, dilation_rate=dilation, activation=activation,
                   use_bias=use_bias)
    span = sliding_window(shape[1:3], layer.kernel_size, layer.strides, padding, layer.dilation_rate).span
    assume(padding == "same" or all(s <= size for s, size in zip(span, shape[1:3])))
    x = normal(seed, shape, off_zero=True)
    minicnn.set_random_seed(seed)
    layer.build(shape[1:])
    assume(keep_off_relu_kink(layer, x) > MARGIN)
    assert_gradients_match(layer, x)


def test_conv2d_gradients_with_a_large_kernel(float64):
    """Conv2D sums its kernel gradient image by image for small kernels and in one product
    for large ones (over 4,096 entries); this kernel, 2*2*16 x 72 = 4,608 entries, takes
    the second road."""
    layer = Conv2D(72, 2, activation="relu")
    x = normal(1, (2, 3, 3, 16), off_zero=True)
    minicnn.set_random_seed(1)
    layer.build(x.shape[1:])
    keep_off_relu_kink(layer, x)
    assert_gradients_match(layer, x)


@LAYER_SETTINGS
@given(units=st.integers(1, 4), activation=ACTIVATIONS, use_bias=st.booleans(),
       n=st.integers(1, 4), features=st.integers(1, 6), seed=SEEDS)
def test_dense_gradients(float64, units, activation, use_bias, n, features, seed):
    layer = Dense(units, activation=activation, use_bias=use_bias)
    x = normal(seed, (n, features), off_zero=True)
    minicnn.set_random_seed(seed)
    layer.build((features,))
    assume(keep_off_relu_kink(layer, x) > MARGIN)
    assert_gradients_match(layer, x)


@LAYER_SETTINGS
@given(pool=st.tuples(st.integers(1, 3), st.integers(1, 3)),
       strides=st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))),
       padding=st.sampled_from(["valid", "same"]), image=images(min_size=3),
       layer_class=st.sampled_from([MaxPooling2D, AveragePooling2D]))
def test_pooling_gradients(float64, pool, strides, padding, image, layer_class):
    shape, seed = image
    assert_gradients_match(layer_class(pool, strides=strides, padding=padding), separated(seed, shape))


@LAYER_SETTINGS
@given(padding=st.one_of(st.integers(0, 2), st.tuples(st.integers(0, 2), st.integers(0, 2)),
                         st.tuples(st.tuples(st.integers(0, 2), st.integers(0, 2)),
                                   st.tuples(st.integers(0, 2), st.integers(0, 2)))),
       image=images())
def test_zero_padding_gradients(float64, padding, image):
    shape, seed = image
    assert_gradients_match(ZeroPadding2D(padding), normal(seed, shape))


@LAYER_SETTINGS
@given(rate=st.floats(0.0, 0.9), training=st.booleans(), image=images())
def test_dropout_gradients(float64, rate, training, image):
    # In training mode gradcheck holds the mask fixed (same seed for every pass), so
    # the layer is x * mask and its gradient is the mask.
    shape, seed = image
    assert_gradients_match(Dropout(rate), normal(seed, shape), training=training)


@LAYER_SETTINGS
@given(make_layer=st.sampled_from([ReLU, Softmax, Flatten, GlobalAveragePooling2D,
                                   lambda: Activation("relu"), lambda: Activation("softmax"),
                                   lambda: Activation("linear")]),
       image=images())
def test_parameter_free_layer_gradients(float64, make_layer, image):
    shape, seed = image
    assert_gradients_match(make_layer(), normal(seed, shape, off_zero=True))


# ---------------------------------------------------------------- whole models
@st.composite
def small_convnets(draw):
    """Layers of a small conv net without its head, an input shape, and a batch seed."""
    padding = draw(st.sampled_from(["valid", "same"]))
    layers = []
    if draw(st.booleans()):
        layers.append(ZeroPadding2D(draw(st.integers(0, 1))))
    layers.append(Conv2D(draw(st.integers(1, 3)), draw(st.integers(2, 3)), strides=draw(st.integers(1, 2)),
                         padding=padding, activation="relu"))
    if draw(st.booleans()):
        layers.append(Dropout(0.3))
    layers.append(draw(st.sampled_from([MaxPooling2D, AveragePooling2D]))(2, padding=draw(st.sampled_from(["valid", "same"]))))
    size = draw(st.integers(5, 7))
    shape = (draw(st.integers(2, 3)), size, size, draw(st.integers(1, 2)))
    return layers, shape, draw(SEEDS), draw(st.booleans())


def build_and_check(layers, shape, seed, training, loss, sparse, classes=3):
    minicnn.set_random_seed(seed)
    model = Sequential(layers, input_shape=shape[1:])
    model.compile(optimizer="sgd", loss=loss)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape)
    labels = rng.integers(0, classes, size=shape[0])
    y = labels if sparse else np.eye(classes)[labels]
    assume(keep_model_off_kinks(model, x, training) > MARGIN)
    assert_gradients_match(model, x, y, training=training)


HEADS = {
    # The fused path: Dense(softmax) + cross-entropy on probabilities -> (p - y) / N on the logits.
    "softmax + categorical": (lambda: [Flatten(), Dense(3, activation="softmax")], "categorical_crossentropy", False),
    "softmax + sparse": (lambda: [Flatten(), Dense(3, activation="softmax")], "sparse_categorical_crossentropy", True),
    "logits + sparse from_logits": (lambda: [Flatten(), Dense(3)], SparseCategoricalCrossentropy(from_logits=True), True),
    "logits + categorical from_logits": (lambda: [Flatten(), Dense(3)], CategoricalCrossentropy(from_logits=True), False),
    "GAP head": (lambda: [GlobalAveragePooling2D(), Dense(3, activation="softmax")], "categorical_crossentropy", False),
    # The unfused path: the last layer is not a softmax, so the loss's own gradient
    # (renormalisation and clipping included) flows back through Softmax.backward.
    "unfused probabilities": (lambda: [Flatten(), Dense(3, activation="softmax"), Flatten()],
                              "categorical_crossentropy", False),
}


@pytest.mark.parametrize("head", list(HEADS))
@MODEL_SETTINGS
@given(net=small_convnets())
def test_model_gradients(float64, head, net):
    layers, shape, seed, training = net
    make_head, loss, sparse = HEADS[head]
    build_and_check(layers + make_head(), shape, seed, training, loss, sparse)


@MODEL_SETTINGS
@given(seed=SEEDS)
def test_two_conv_blocks_and_dense_relu_gradients(float64, seed):
    """A deeper stack, as the seed models are: conv-pool twice, then Dense(relu) before the head."""
    layers = [ZeroPadding2D(1), Conv2D(2, 3, activation="relu"), MaxPooling2D(2),
              Conv2D(3, 2, padding="same", activation="relu"), MaxPooling2D(2, padding="same"),
              Flatten(), Dense(4, activation="relu"), Dropout(0.5), Dense(3, activation="softmax")]
    build_and_check(layers, (2, 7, 7, 1), seed, True, "sparse_categorical_crossentropy", True)
