"""The fast backend computes what the NumPy layers compute.

``minicnn/layers/`` is the definition; ``minicnn/fast/`` must agree with it.
Hypothesis draws shapes, window sizes, strides and "valid"/"same" geometry, in
float32 and float64, and every fast twin must give the same output, input
gradient and weight gradients as its layer: within 1e-5 of each array's largest
magnitude in float32 and 1e-10 in float64 (sums taken in another order differ
in the last digits).
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from threadpoolctl import threadpool_info, threadpool_limits

import minicnn
from minicnn.fast import plan, twin
from minicnn.fast.conv import FEW_CHANNELS, col2im, col2im_images, im2col, im2col_images
from minicnn.fast.dropout import dropout, dropout_backward, uniform
from minicnn.fast.elementwise import ROWS_PER_BLOCK, bias_relu, column_sums, relu
from minicnn.fast.pooling import max_pool
from minicnn.layers import (AveragePooling2D, Conv2D, Dense, Dropout, Flatten, Layer, MaxPooling2D, ReLU,
                            ZeroPadding2D)
from minicnn.layers import conv as numpy_conv
from minicnn.layers.dropout import dropout_forward
from minicnn.layers.padding import pad_images
from minicnn.model import plan_for

pytestmark = pytest.mark.usefixtures("nan_work_arrays")

SETTINGS = settings(max_examples=40, deadline=None)
DTYPES = st.sampled_from([np.float32, np.float64])
SEEDS = st.integers(0, 2**32 - 1)


def assert_agree(fast, numpy_value):
    """Equal within 1e-5 (float32) or 1e-10 (float64) of the array's largest magnitude."""
    assert fast.shape == numpy_value.shape and fast.dtype == numpy_value.dtype
    scale = max(float(np.abs(numpy_value).max(initial=0)), 1e-30)
    tolerance = 1e-5 if numpy_value.dtype == np.float32 else 1e-10
    assert float(np.abs(fast - numpy_value).max(initial=0)) <= tolerance * scale


@st.composite
def windowed_layers(draw, kinds=("conv", "max", "avg")):
    """A built window layer (Conv2D or pooling) with random geometry, and an input for it."""
    dtype = draw(DTYPES)
    kind = draw(st.sampled_from(kinds))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    strides = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = draw(st.sampled_from(["valid", "same"]))
    # "valid" needs the window to fit; "same" may use a window larger than the image.
    h = draw(st.integers(kh if padding == "valid" else 1, 7))
    w = draw(st.integers(kw if padding == "valid" else 1, 7))
    n, c = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    minicnn.set_floatx(np.dtype(dtype).name)
    try:
        if kind == "conv":
            layer = Conv2D(draw(st.integers(1, 4)), (kh, kw), strides, padding,
                           activation=draw(st.sampled_from([None, "relu"])), use_bias=draw(st.booleans()))
        else:
            layer = (MaxPooling2D if kind == "max" else AveragePooling2D)((kh, kw), strides, padding)
        layer.build((h, w, c))
        if "bias" in layer.params:
            layer.params["bias"] = np.random.default_rng(draw(SEEDS)).normal(size=layer.filters).astype(dtype)
    finally:
        minicnn.set_floatx("float32")
    x = np.random.default_rng(draw(SEEDS)).normal(size=(n, h, w, c)).astype(dtype)
    return layer, x


def both_backends(layer, x, seed, training=False):
    """Forward and backward through the layer's NumPy code and through its fast twin."""
    grad_out = np.random.default_rng(seed).normal(size=(x.shape[0], *layer.output_shape)).astype(x.dtype)
    results = []
    for step in (layer, twin(layer)):
        out = step.forward(x, training)
        dx = step.backward(grad_out)
        results.append((out, dx, {k: g.copy() for k, g in layer.grads.items()}))
    return results


@SETTINGS
@given(windowed_layers(), SEEDS, st.booleans())
def test_every_window_layer_agrees_with_its_twin(problem, seed, ties):
    layer, x = problem
    if ties:
        # Values from {0, 1, 2}: most pooling windows hold equal maxima, and the twin must
        # send the gradient to the same winner (the first in row-major order).
        x = np.floor(np.abs(x) * 1.5).clip(0, 2).astype(x.dtype)
    before = x.copy()
    (out, dx, grads), (fast_out, fast_dx, fast_grads) = both_backends(layer, x, seed)
    assert_agree(fast_out, out)
    assert_agree(fast_dx, dx)
    for name in grads:
        assert_agree(fast_grads[name], grads[name])
    np.testing.assert_array_equal(x, before)            # nobody writes into its input


@SETTINGS
@given(DTYPES, st.sampled_from(["valid", "same"]), st.integers(3, 10), st.integers(3, 10), st.integers(1, 3),
       st.integers(1, 5), st.sampled_from([None, "relu"]), st.booleans(), SEEDS)
def test_a_conv_forced_through_winograd_agrees_with_its_layer(dtype, padding, h, w, channels, filters,
                                                              activation, use_bias, seed):
    # A 3x3 stride-1 conv computed by winograd.py (output, dL/dx and kernel gradient), whatever
    # its channels (the fast backend uses it from winograd.MIN_CHANNELS up); images of 3 to 10
    # pixels: one tile, several, and tiles hanging over the edge.
    minicnn.set_floatx(np.dtype(dtype).name)
    try:
        layer = Conv2D(filters, 3, padding=padding, activation=activation, use_bias=use_bias)
        layer.build((h, w, channels))
    finally:
        minicnn.set_floatx("float32")
    rng = np.random.default_rng(seed)
    if use_bias:
        layer.params["bias"] = rng.normal(size=filters).astype(dtype)
    x = rng.normal(size=(int(rng.integers(1, 4)), h, w, channels)).astype(dtype)
    fast = twin(layer)
    fast.winograd = True
    (out, dx, grads), (fast_out, fast_dx, fast_grads) = both_backends(layer, x, seed)
    assert_agree(fast_out, out)
    assert_agree(fast_dx, dx)
    for name in grads:
        assert_agree(fast_grads[name], grads[name])
    fast.forward(x)
    fast.backward_parameters(np.random.default_rng(seed).normal(size=out.shape).astype(dtype))
    for name in grads:
        assert_agree(layer.grads[name], grads[name])


def test_the_fast_conv_uses_winograd_for_3x3_stride_1_with_enough_channels_and_pixels():
    def fast_conv(channels, filters, size=8, **settings):
        layer = Conv2D(filters, settings.pop("kernel_size", 3), **settings)
        layer.build((size, size, channels))
        return twin(layer)
    assert fast_conv(8, 8, padding="same").winograd and fast_conv(16, 16, size=6).winograd       # 4x4 output
    assert not fast_conv(7, 64).winograd and not fast_conv(64, 7).winograd
    assert not fast_conv(32, 32, size=5).winograd                        # a 3x3 output: less than a tile
    assert not fast_conv(32, 32, size=12, strides=2).winograd             # a 5x5 output, but stride 2
    assert not fast_conv(32, 32, kernel_size=5).winograd


@SETTINGS
@given(windowed_layers(kinds=("conv",)), SEEDS)
def test_fast_conv_backward_parameters_skips_only_the_input_gradient(problem, seed):
    layer, x = problem
    (_, _, grads), _ = both_backends(layer, x, seed)
    fast = twin(layer)
    fast.forward(x)
    grad_out = np.random.default_rng(seed).normal(size=(x.shape[0], *layer.output_shape)).astype(x.dtype)
    fast.backward_parameters(grad_out)
    for name in grads:
        assert_agree(layer.grads[name], grads[name])


def test_fast_im2col_and_col2im_by_hand():
    # One 3x3 image, values 1..9, 2x2 windows, stride 2, "same": one row and column of
    # zeros after the image, which the fast kernel writes without making a padded copy:
    #   1 2 | 3 0        rows: [1 2 4 5]  [3 0 6 0]
    #   4 5 | 6 0              [7 8 0 0]  [9 0 0 0]
    #   7 8 | 9 0
    x = np.arange(1, 10, dtype=np.float64).reshape(1, 3, 3, 1)
    cols = np.full((4, 4), np.nan)
    expected = [[1, 2, 4, 5], [3, 0, 6, 0], [7, 8, 0, 0], [9, 0, 0, 0]]
    np.testing.assert_array_equal(im2col(x, 2, 2, 2, 2, 0, 0, 2, 2, cols), expected)
    windows = numpy_conv.im2col(pad_images(x, ((0, 1), (0, 1))), 2, 2, 2, 2)
    np.testing.assert_array_equal(windows.reshape(4, 4), expected)
    # col2im adds each patch entry back where it came from: with 2x2 windows at stride 1
    # every pixel receives one count per window that covers it (the corners 1, the centre 4).
    counts = col2im(np.ones((4, 4)), x.shape, 2, 2, 1, 1, 0, 0, 2, 2)
    np.testing.assert_array_equal(counts[0, :, :, 0], [[1, 2, 1], [2, 4, 2], [1, 2, 1]])
    # The one-thread versions that a fused block runs on each chunk of images (chunks.py) agree.
    np.testing.assert_array_equal(im2col_images(x, 2, 2, 2, 2, 0, 0, 2, 2, np.full((4, 4), np.nan)), expected)
    np.testing.assert_array_equal(col2im_images(np.ones((4, 4)), 2, 2, 1, 1, 0, 0, 2, 2, np.full(x.shape, np.nan)),
                                  counts)


@SETTINGS
@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 3), st.integers(1, 3), st.integers(0, 2),
       st.integers(0, 2), st.sampled_from([1, FEW_CHANNELS - 1, FEW_CHANNELS]), SEEDS)
def test_fast_im2col_with_few_and_many_channels_agrees_with_numpy(kh, kw, sh, sw, top, left, channels, seed):
    # Few channels take the kernel that copies each window row as one run; many, the plain one.
    x = np.random.default_rng(seed).normal(size=(2, 6, 7, channels))
    oh, ow = (6 + 2 * top - kh) // sh + 1, (7 + 2 * left - kw) // sw + 1
    windows = numpy_conv.im2col(pad_images(x, ((top, top), (left, left))), kh, kw, sh, sw)
    cols = np.full((2 * oh * ow, kh * kw * channels), np.nan)
    np.testing.assert_array_equal(im2col_images(x, kh, kw, sh, sw, top, left, oh, ow, cols),
                                  windows.reshape(cols.shape))

@SETTINGS
@given(DTYPES, st.lists(st.integers(1, 5), min_size=1, max_size=4), SEEDS)
def test_relu_twin_agrees_and_bias_relu_is_relu_of_the_sum(dtype, shape, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape).astype(dtype)
    x.reshape(-1)[::3] = 0                              # exact zeros: the kink itself
    layer = ReLU()
    layer.build(shape[1:])
    (out, dx, _), (fast_out, fast_dx, _) = both_backends(layer, x, seed)
    np.testing.assert_array_equal(fast_out, out)
    np.testing.assert_array_equal(fast_dx, dx)
    bias = rng.normal(size=shape[-1]).astype(dtype)
    np.testing.assert_array_equal(bias_relu(x.copy(), bias), np.maximum(x + bias, 0))


@SETTINGS
@given(DTYPES, st.integers(1, 3 * ROWS_PER_BLOCK + 1), st.integers(1, 5), SEEDS)
def test_column_sums_agree_with_sum_over_rows(dtype, rows, columns, seed):
    g = np.random.default_rng(seed).normal(size=(rows, columns)).astype(dtype)
    exact = g.sum(axis=0, dtype=np.float64)
    np.testing.assert_allclose(column_sums(g), exact, rtol=1e-6 if dtype == np.float32 else 1e-12,
                               atol=1e-5 if dtype == np.float32 else 1e-12)


def test_column_sums_keep_the_digits_float32_running_sums_lose():
    # 235,200 rows (the first conv layer's bias gradient at batch 300), all 0.1 in float32:
    # the exact sum is 235200 * float32(0.1); a float32 running sum drifts off in the 4th digit.
    g = np.full((235200, 2), 0.1, dtype=np.float32)
    exact = 235200 * np.float64(np.float32(0.1))
    running = np.cumsum(g[:, 0])[-1]
    assert abs(running - exact) / exact > 1e-4
    np.testing.assert_allclose(column_sums(g), exact, rtol=1e-7)


@SETTINGS
@given(DTYPES, st.floats(0.01, 0.95), st.lists(st.integers(1, 6), min_size=1, max_size=3), SEEDS)
def test_dropout_twin_computes_the_numpy_formulas_on_its_own_mask(dtype, rate, shape, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape).astype(dtype)
    grad_out = rng.normal(size=shape).astype(dtype)
    layer = Dropout(rate)
    layer.build(shape[1:])
    fast = twin(layer)
    out = fast.forward(x, training=True)
    keep = fast.cache
    assert keep.dtype == np.bool_ and keep.shape == x.shape
    assert_agree(out, dropout_forward(x, keep, rate))
    # The NumPy layer given the same mask computes the same gradient.
    layer.cache = keep
    assert_agree(fast.backward(grad_out), layer.backward(grad_out))
    np.testing.assert_array_equal(fast.forward(x, training=False), x)      # inference: identity


def test_dropout_kernel_by_hand_and_in_bulk():
    # rate 0.25: survivors are scaled by 1 / (1 - 0.25) = 4/3, so the expected value of
    # every unit is unchanged: 0.75 * 4/3 = 1.
    x = np.full(200_000, 3.0)
    out, keep = dropout(x, np.uint64(7), 0.25)
    np.testing.assert_allclose(out[keep], 3.0 * 4 / 3, rtol=1e-15)
    assert (out[~keep] == 0).all()
    # About a quarter dropped: the standard deviation of the fraction is
    # sqrt(0.25 * 0.75 / 200000) ~ 0.001, so 0.25 +- 0.005 is five of them.
    assert abs((~keep).mean() - 0.25) < 0.005
    # "Dropped where u < rate": a unit whose number equals the rate survives.
    u = np.array([uniform(np.uint64(7), i) for i in range(8)])
    np.testing.assert_array_equal(dropout(np.ones(8), np.uint64(7), float(u[3]))[1], u >= u[3])
    # A different key gives a different mask; the same key the same one.
    assert not np.array_equal(keep, dropout(x, np.uint64(8), 0.25)[1])
    np.testing.assert_array_equal(keep, dropout(x, np.uint64(7), 0.25)[1])
    np.testing.assert_array_equal(dropout_backward(np.ones_like(x), keep, 0.25), keep * 4 / 3)


def test_nan_passes_through_the_fast_relu_and_max_pool():
    # A NaN must reach the loss so that fit's divergence guard sees it: the fast
    # kernels may not turn it into 0 or skip it where np.maximum and np.argmax keep it.
    x = np.array([[[[1.0], [np.nan]], [[3.0], [-2.0]]]], dtype=np.float32)     # (1, 2, 2, 1)
    assert np.isnan(relu(x)[0, 0, 1, 0]) and np.isnan(bias_relu(x.copy(), np.zeros(1, np.float32))[0, 0, 1, 0])
    out, argmax = max_pool(x, 2, 2, 2, 2, 0, 0, 1, 1)
    assert np.isnan(out).all() and argmax[0, 0, 0, 0] == 1                  # the first NaN wins
    layer = MaxPooling2D(2)
    layer.build((2, 2, 1))
    assert np.isnan(layer.forward(x)).all()


# ---------------------------------------------------------------- whole models, both backends
def seed001_like_model():
    minicnn.set_random_seed(3)
    return minicnn.Sequential([
        ZeroPadding2D(1), Conv2D(4, 3, activation="relu"), Dropout(0.5), MaxPooling2D(2),
        ZeroPadding2D(1), Conv2D(6, 3, activation="relu"), Dropout(0.5), MaxPooling2D(2),
        Flatten(), Dense(8, activation="relu"), Dropout(0.5), Dense(10, activation="softmax")],
        input_shape=(12, 12, 1))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_training_step_gives_the_same_numbers_on_both_backends(dtype, monkeypatch):
    """Same weights and the same dropout masks: same loss, outputs and every gradient.
    Layer by layer (``MINICNN_FUSE=0``), so that each Dropout twin holds its mask;
    ``test_fused.py`` ties the fused blocks to this path."""
    monkeypatch.setenv("MINICNN_FUSE", "0")
    minicnn.set_floatx(dtype)
    try:
        rng = np.random.default_rng(0)
        x = rng.random((6, 12, 12, 1)).astype(dtype)
        y = rng.integers(0, 10, 6)
        model = seed001_like_model()
        model.compile("adam", "sparse_categorical_crossentropy")
        minicnn.set_backend("numba")
        fast_loss, fast_grads = model.compute_gradients(x, y, training=True)
        # Hand the fast backend's masks to the NumPy layers, in order.
        masks = iter([twin(layer).cache for layer in model.layers if isinstance(layer, Dropout)])
        monkeypatch.setattr("minicnn.layers.dropout.keep_mask", lambda rng, shape, rate: next(masks))
        minicnn.set_backend("numpy")
        loss, grads = model.compute_gradients(x, y, training=True)
    finally:
        minicnn.set_backend("numba")
        minicnn.set_floatx("float32")
    assert abs(fast_loss - loss) <= (1e-5 if dtype == "float32" else 1e-10) * abs(loss)
    for fast, slow in zip(fast_grads, grads):
        assert_agree(fast, slow)


class BlasThreadsSeen(Layer):
    """Passes its input and gradient on, noting how many threads BLAS may use during each pass."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def forward(self, x, training=False):
        self.seen.append(blas_threads())
        return x

    def backward(self, grad_out):
        self.seen.append(blas_threads())
        return grad_out


def blas_threads():
    return {info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"}


@pytest.mark.parametrize("backend, inside", [("numba", {1}), ("numpy", {2})])
def test_blas_is_held_to_one_thread_during_a_pass_on_the_fast_backend_only(backend, inside):
    # The fast backend spreads its own work over the cores: OpenBLAS's threads would spin beside them.
    before = minicnn.get_backend()
    minicnn.set_backend(backend)
    try:
        spy = BlasThreadsSeen()
        model = minicnn.Sequential([spy, Dense(3)], input_shape=(4,))
        with threadpool_limits(2, user_api="blas"):
            model.forward(np.ones((2, 4), dtype=np.float32), training=True)
            model.backward(np.ones((2, 3), dtype=np.float32))
            after = blas_threads()
    finally:
        minicnn.set_backend(before)
    assert spy.seen == [inside, inside]
    assert after == {2}                                          # as it was before the pass


def test_the_switch_reaches_a_model_built_before_it():
    model = seed001_like_model()
    x = np.random.default_rng(1).random((2, 12, 12, 1)).astype("float32")
    fast = model.predict(x, verbose=0)
    assert any(step is not layer for (_, step), layer in zip(plan(model.layers).spans, model.layers))
    minicnn.set_backend("numpy")
    try:
        assert plan_for(model.layers).steps == model.layers
        slow = model.predict(x, verbose=0)
    finally:
        minicnn.set_backend("numba")
    assert_agree(fast, slow)


def test_fit_is_reproducible_on_each_backend():
    rng = np.random.default_rng(2)
    x, y = rng.random((40, 12, 12, 1)).astype("float32"), rng.integers(0, 10, 40)
    for name in ("numpy", "numba"):
        minicnn.set_backend(name)
        try:
            runs = []
            for _ in range(2):
                model = seed001_like_model()
                model.compile("adam", "sparse_categorical_crossentropy")
                model.fit(x, y, epochs=2, batch_size=16, seed=5, verbose=0)
                runs.append(model.get_weights())
        finally:
            minicnn.set_backend("numba")
        for a, b in zip(*runs):
            np.testing.assert_array_equal(a, b)


def test_backend_names_are_checked(monkeypatch):
    with pytest.raises(ValueError, match="'numpy', 'numba'"):
        minicnn.set_backend("cuda")
    assert minicnn.get_backend() == "numba"
    # Without numba the fast backend cannot run: a one-line warning, and the NumPy layers.
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    with pytest.warns(RuntimeWarning, match="numba is not installed"):
        minicnn.set_backend("numba")
    assert minicnn.get_backend() == "numpy"
    minicnn.set_backend("numpy")
    monkeypatch.undo()
    minicnn.set_backend("numba")
