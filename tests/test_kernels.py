"""Every numba kernel equals its readable NumPy ``*_reference`` twin.

The references are the definitions (a few lines of slicing each); the kernels
are the fast paths the layers call. Hypothesis draws shapes, window sizes,
strides and "valid"/"same" geometry (where windows hang over the border), in
float32 and float64, and each pair must agree: exactly where the kernel only
copies or compares numbers (im2col, max, argmax, ReLU, dropout masks), to a
few units in the last place where it adds them up in another order.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minicnn.layers.activations import (bias_relu, bias_relu_reference, relu, relu_backward,
                                        relu_backward_reference, relu_reference)
from minicnn.layers.base import window_geometry
from minicnn.layers.conv import col2im, col2im_reference, im2col, im2col_reference
from minicnn.layers.core import ROWS_PER_BLOCK, column_sums, column_sums_reference
from minicnn.layers.dropout import (dropout, dropout_backward, dropout_backward_reference,
                                    dropout_reference, uniform_reference)
from minicnn.layers.pooling import (avg_pool, avg_pool_backward, avg_pool_backward_reference,
                                    avg_pool_reference, max_pool, max_pool_backward,
                                    max_pool_backward_reference, max_pool_reference)

KERNEL_SETTINGS = settings(max_examples=40, deadline=None)
DTYPES = st.sampled_from([np.float32, np.float64])
SEEDS = st.integers(0, 2**32 - 1)


def tolerance(dtype):
    """Sums taken in a different order differ by a few units in the last place."""
    return {"rtol": 1e-5, "atol": 1e-6} if dtype == np.float32 else {"rtol": 1e-12, "atol": 1e-12}


@st.composite
def windows(draw):
    """A batch ``x`` (N, H, W, C) and one window geometry over it.

    Returns ``x`` and the arguments every window kernel takes after it:
    ``(kh, kw, sh, sw, pad_top, pad_left, oh, ow)``.
    """
    dtype = draw(DTYPES)
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    padding = draw(st.sampled_from(["valid", "same"]))
    # "valid" needs the window to fit; "same" may use a window larger than the image.
    h = draw(st.integers(kh if padding == "valid" else 1, 7))
    w = draw(st.integers(kw if padding == "valid" else 1, 7))
    n, c = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    (oh, pad_top), (ow, pad_left) = window_geometry(h, kh, sh, padding), window_geometry(w, kw, sw, padding)
    x = np.random.default_rng(draw(SEEDS)).normal(size=(n, h, w, c)).astype(dtype)
    return x, (kh, kw, sh, sw, pad_top, pad_left, oh, ow)


def test_window_geometry_by_hand():
    # "valid", H=7, window 3, stride 2: windows start at rows 0, 2, 4 -> (7 - 3) // 2 + 1 = 3, no padding.
    assert window_geometry(7, 3, 2, "valid") == (3, 0)
    # "same", H=5, window 3, stride 2: out = ceil(5 / 2) = 3 windows, starting at rows 0, 2, 4
    # of the padded image. The last one ends at 4 + 3 = 7, so 7 - 5 = 2 rows of zeros are
    # needed: 1 before, 1 after (the smaller half first).
    assert window_geometry(5, 3, 2, "same") == (3, 1)
    # "same", H=4, window 2, stride 2: out = 2 windows, they tile the image exactly, no padding.
    assert window_geometry(4, 2, 2, "same") == (2, 0)
    # "same", H=4, window 4, stride 1: out = 4, total padding (4-1)*1 + 4 - 4 = 3: 1 before, 2 after
    # (TensorFlow puts the odd row at the bottom, so Keras weights give the same outputs).
    assert window_geometry(4, 4, 1, "same") == (4, 1)


def empty_cols(x, geometry):
    """An output buffer for im2col, filled with NaN so any entry left unwritten shows."""
    kh, kw, _, _, _, _, oh, ow = geometry
    n, _, _, c = x.shape
    return np.full((n * oh * ow, kh * kw * c), np.nan, dtype=x.dtype)


def test_im2col_by_hand():
    # One 3x3 image with one channel, values 1..9, 2x2 windows, stride 1, no padding:
    #   1 2 3        windows (as rows):  [1 2 4 5]  top-left
    #   4 5 6                            [2 3 5 6]  top-right
    #   7 8 9                            [4 5 7 8]  bottom-left
    #                                    [5 6 8 9]  bottom-right
    x = np.arange(1, 10, dtype=np.float64).reshape(1, 3, 3, 1)
    geometry = (2, 2, 1, 1, 0, 0, 2, 2)
    expected = np.array([[1, 2, 4, 5], [2, 3, 5, 6], [4, 5, 7, 8], [5, 6, 8, 9]], dtype=np.float64)
    np.testing.assert_array_equal(im2col(x, *geometry, empty_cols(x, geometry)), expected)
    np.testing.assert_array_equal(im2col_reference(x, *geometry, empty_cols(x, geometry)), expected)
    # col2im adds each patch entry back where it came from: with all-ones patches every
    # pixel receives one count per window that covers it (the corners 1, the centre 4).
    counts = col2im(np.ones_like(expected), x.shape, *geometry)
    np.testing.assert_array_equal(counts[0, :, :, 0], [[1, 2, 1], [2, 4, 2], [1, 2, 1]])


def test_im2col_over_the_border_by_hand():
    # The same image, 2x2 windows, stride 2, "same": 2x2 outputs, one row and column of
    # zeros after the image. The windows that hang over the border read those zeros:
    #   1 2 | 3 0        rows: [1 2 4 5]  [3 0 6 0]
    #   4 5 | 6 0              [7 8 0 0]  [9 0 0 0]
    #   ----+----
    #   7 8 | 9 0
    #   0 0 | 0 0
    x = np.arange(1, 10, dtype=np.float64).reshape(1, 3, 3, 1)
    (oh, top), (ow, left) = window_geometry(3, 2, 2, "same"), window_geometry(3, 2, 2, "same")
    geometry = (2, 2, 2, 2, top, left, oh, ow)
    expected = [[1, 2, 4, 5], [3, 0, 6, 0], [7, 8, 0, 0], [9, 0, 0, 0]]
    for fill in (im2col, im2col_reference):
        np.testing.assert_array_equal(fill(x, *geometry, empty_cols(x, geometry)), expected)


@KERNEL_SETTINGS
@given(windows(), SEEDS)
def test_col2im_matches_reference(problem, seed):
    x, geometry = problem
    cols = np.random.default_rng(seed).normal(size=empty_cols(x, geometry).shape).astype(x.dtype)
    fast, slow = col2im(cols, x.shape, *geometry), col2im_reference(cols, x.shape, *geometry)
    assert fast.shape == x.shape and fast.dtype == x.dtype
    np.testing.assert_allclose(fast, slow, **tolerance(x.dtype))


@KERNEL_SETTINGS
@given(windows(), st.booleans())
def test_max_pool_matches_reference(problem, many_ties):
    x, geometry = problem
    if many_ties:
        # Values from {0, 1, 2}: most windows hold equal maxima, and the kernel must pick
        # the same winner as the reference (the first in row-major order).
        x = np.floor(np.abs(x) * 1.5).clip(0, 2).astype(x.dtype)
    before = x.copy()
    (out, argmax), (out_ref, argmax_ref) = max_pool(x, *geometry), max_pool_reference(x, *geometry)
    assert out.dtype == x.dtype
    np.testing.assert_array_equal(out, out_ref)
    np.testing.assert_array_equal(argmax, argmax_ref)
    np.testing.assert_array_equal(x, before)


@KERNEL_SETTINGS
@given(windows(), SEEDS)
def test_max_pool_backward_matches_reference(problem, seed):
    x, geometry = problem
    _, argmax = max_pool_reference(x, *geometry)
    grad_out = np.random.default_rng(seed).normal(size=argmax.shape).astype(x.dtype)
    fast = max_pool_backward(grad_out, argmax, x.shape)
    assert fast.dtype == x.dtype
    np.testing.assert_allclose(fast, max_pool_backward_reference(grad_out, argmax, x.shape),
                               **tolerance(x.dtype))


@KERNEL_SETTINGS
@given(windows())
def test_avg_pool_matches_reference(problem):
    x, geometry = problem
    fast = avg_pool(x, *geometry)
    assert fast.dtype == x.dtype
    np.testing.assert_allclose(fast, avg_pool_reference(x, *geometry), **tolerance(x.dtype))


@KERNEL_SETTINGS
@given(windows(), SEEDS)
def test_avg_pool_backward_matches_reference(problem, seed):
    x, geometry = problem
    kh, kw, sh, sw, pad_top, pad_left, oh, ow = geometry
    grad_out = np.random.default_rng(seed).normal(size=(x.shape[0], oh, ow, x.shape[3])).astype(x.dtype)
    args = (grad_out, x.shape, kh, kw, sh, sw, pad_top, pad_left)
    fast = avg_pool_backward(*args)
    assert fast.dtype == x.dtype
    np.testing.assert_allclose(fast, avg_pool_backward_reference(*args), **tolerance(x.dtype))


@KERNEL_SETTINGS
@given(DTYPES, st.lists(st.integers(1, 5), min_size=1, max_size=4), SEEDS)
def test_relu_kernels_match_reference(dtype, shape, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape).astype(dtype)
    x.reshape(-1)[::3] = 0                              # exact zeros: the kink itself
    grad_out = rng.normal(size=shape).astype(dtype)
    out = relu(x)
    assert out.dtype == dtype and out.shape == x.shape
    np.testing.assert_array_equal(out, relu_reference(x))
    dx = relu_backward(grad_out, out)
    assert dx.dtype == dtype
    np.testing.assert_array_equal(dx, relu_backward_reference(grad_out, out))
    # The fused bias + ReLU: the bias runs along the last axis. The kernel overwrites
    # its input (the layer hands it a fresh array), so it gets a copy here.
    bias = rng.normal(size=shape[-1]).astype(dtype)
    fused = bias_relu(x.copy(), bias)
    assert fused.dtype == dtype
    np.testing.assert_array_equal(fused, bias_relu_reference(x, bias))


@KERNEL_SETTINGS
@given(DTYPES, st.integers(1, 3 * ROWS_PER_BLOCK + 1), st.integers(1, 5), SEEDS)
def test_column_sums_match_reference(dtype, rows, columns, seed):
    g = np.random.default_rng(seed).normal(size=(rows, columns)).astype(dtype)
    sums = column_sums(g)
    assert sums.dtype == dtype and sums.shape == (columns,)
    np.testing.assert_allclose(sums, column_sums_reference(g), **tolerance(dtype))


def test_column_sums_keep_the_digits_float32_running_sums_lose():
    # 235,200 rows (the first conv layer's bias gradient at batch 300), all 0.1 in float32:
    # the exact sum is 235200 * float32(0.1); a float32 running sum drifts off in the 4th digit.
    g = np.full((235200, 2), 0.1, dtype=np.float32)
    exact = 235200 * np.float64(np.float32(0.1))
    running = np.cumsum(g[:, 0])[-1]
    assert abs(running - exact) / exact > 1e-4
    np.testing.assert_allclose(column_sums(g), exact, rtol=1e-7)


@KERNEL_SETTINGS
@given(DTYPES, st.floats(0.0, 0.95), st.lists(st.integers(1, 6), min_size=1, max_size=3),
       st.integers(0, 2**64 - 1), SEEDS)
def test_dropout_kernels_match_reference(dtype, rate, shape, key, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape).astype(dtype)
    key = np.uint64(key)
    out, keep = dropout(x, key, rate)
    out_ref, keep_ref = dropout_reference(x, key, rate)
    assert out.dtype == dtype and keep.dtype == np.bool_
    np.testing.assert_array_equal(keep, keep_ref)
    np.testing.assert_array_equal(out, out_ref)
    grad_out = rng.normal(size=shape).astype(dtype)
    dx = dropout_backward(grad_out, keep, rate)
    assert dx.dtype == dtype
    np.testing.assert_array_equal(dx, dropout_backward_reference(grad_out, keep, rate))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dropout_at_the_threshold(dtype):
    # Make the rate equal to one unit's uniform number: "dropped where u < rate" keeps it.
    key = np.uint64(12345)
    u = uniform_reference(key, 8)
    rate = float(u[3])
    x = np.ones(8, dtype=dtype)
    for drop in (dropout, dropout_reference):
        _, keep = drop(x, key, rate)
        np.testing.assert_array_equal(keep, u >= rate)
        assert keep[3]


def test_dropout_by_hand_and_in_bulk():
    # rate 0.25: survivors are scaled by 1 / (1 - 0.25) = 4/3, so the expected value of
    # every unit is unchanged: 0.75 * 4/3 = 1.
    x = np.full(200_000, 3.0)
    out, keep = dropout(x, np.uint64(7), 0.25)
    np.testing.assert_allclose(out[keep], 3.0 * 4 / 3, rtol=1e-15)
    assert (out[~keep] == 0).all()
    # About a quarter dropped: the standard deviation of the fraction is
    # sqrt(0.25 * 0.75 / 200000) ~ 0.001, so 0.25 +- 0.005 is five of them.
    assert abs((~keep).mean() - 0.25) < 0.005
    # The uniform numbers fill [0, 1) evenly: each tenth holds about a tenth of them.
    counts = np.histogram(uniform_reference(np.uint64(7), 200_000), bins=10, range=(0, 1))[0]
    assert np.all(np.abs(counts / 200_000 - 0.1) < 0.005)
    # A different key gives a different mask; the same key the same one.
    assert not np.array_equal(keep, dropout(x, np.uint64(8), 0.25)[1])
    np.testing.assert_array_equal(keep, dropout(x, np.uint64(7), 0.25)[1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_pool_over_the_border_by_hand(dtype):
    # A 3x3 image, 2x2 windows, stride 2, "same": out = ceil(3/2) = 2, total padding
    # (2-1)*2 + 2 - 3 = 1, none before, 1 after. The windows are clipped to the image:
    #   5 1 | 7       window (0,0) = {5,1,2,9} -> 9 at row 1, col 1 -> flat 1*3+1 = 4
    #   2 9 | 3       window (0,1) = {7,3}     -> 7 at row 0, col 2 -> flat 0*3+2 = 2
    #   ----+--       window (1,0) = {4,6}     -> 6 at row 2, col 1 -> flat 2*3+1 = 7
    #   4 6 | 8       window (1,1) = {8}       -> 8 at row 2, col 2 -> flat 2*3+2 = 8
    x = np.array([[5, 1, 7], [2, 9, 3], [4, 6, 8]], dtype=dtype).reshape(1, 3, 3, 1)
    (oh, top), (ow, left) = window_geometry(3, 2, 2, "same"), window_geometry(3, 2, 2, "same")
    for pool in (max_pool, max_pool_reference):
        out, argmax = pool(x, 2, 2, 2, 2, top, left, oh, ow)
        np.testing.assert_array_equal(out[0, :, :, 0], [[9, 7], [6, 8]])
        np.testing.assert_array_equal(argmax[0, :, :, 0], [[4, 2], [7, 8]])
    # Average pooling divides by the cells inside the image (TensorFlow's rule):
    #   (5+1+2+9)/4 = 4.25   (7+3)/2 = 5   (4+6)/2 = 5   8/1 = 8
    for pool in (avg_pool, avg_pool_reference):
        np.testing.assert_allclose(pool(x, 2, 2, 2, 2, top, left, oh, ow)[0, :, :, 0], [[4.25, 5], [5, 8]])


# ---------------------------------------------------------------- NaN is never hidden
def test_nan_passes_through_relu_and_max_pool_as_in_the_references():
    # A NaN must reach the loss so that fit's divergence guard sees it: the fast
    # kernels may not turn it into 0 or skip it where np.maximum and np.argmax keep it.
    x = np.array([[[[1.0], [np.nan]], [[3.0], [-2.0]]]], dtype=np.float32)     # (1, 2, 2, 1)
    np.testing.assert_array_equal(relu(x), relu_reference(x))
    bias = np.zeros(1, dtype=np.float32)
    np.testing.assert_array_equal(bias_relu(x.copy(), bias), bias_relu_reference(x, bias))
    fast, fast_at = max_pool(x, 2, 2, 2, 2, 0, 0, 1, 1)
    slow, slow_at = max_pool_reference(x, 2, 2, 2, 2, 0, 0, 1, 1)
    assert np.isnan(fast).all()
    np.testing.assert_array_equal(fast_at, slow_at)     # the first NaN wins, as np.argmax decides
