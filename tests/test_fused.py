"""A fused block computes what its layers compute one after another on the fast backend.

The reference is the layer-by-layer fast path (each layer's twin), which
``test_fast.py`` ties to the NumPy layers. Given the same dropout key (each
Dropout layer's ``rng`` seeded alike) the fused block draws the same mask, so
outputs, the input gradient and the weight gradients agree within 1e-5 of each
array's largest magnitude in float32 and 1e-10 in float64, as in ``test_fast.py``.
"""
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import minicnn
from minicnn.fast import chunks, plan, twin, winograd
from minicnn.fast.fused import FusedConvBlock, fusable_length
from minicnn.layers import Conv2D, Dense, Dropout, Flatten, MaxPooling2D, ReLU, ZeroPadding2D
from test_fast import DTYPES, SEEDS, SETTINGS, assert_agree, seed001_like_model

pytestmark = pytest.mark.usefixtures("nan_work_arrays")


@st.composite
def blocks(draw, kernels=st.integers(1, 3), strides=st.integers(1, 2)):
    """A built run of layers that makes a fused block, and an input for it."""
    dtype = draw(DTYPES)
    channels = draw(st.integers(1, 3))
    layers = [ZeroPadding2D(draw(st.integers(0, 2)))] if draw(st.booleans()) else []
    layers.append(Conv2D(draw(st.integers(1, 5)), draw(kernels), draw(strides),
                         draw(st.sampled_from(["valid", "same"])), activation="relu",
                         use_bias=draw(st.booleans())))
    if draw(st.booleans()):
        layers.append(Dropout(draw(st.sampled_from([0.0, 0.3, 0.5]))))
    layers.append(MaxPooling2D(draw(st.integers(1, 3)), draw(st.sampled_from([None, 1, 2])),
                               draw(st.sampled_from(["valid", "same"]))))
    shape = (draw(st.integers(5, 9)), draw(st.integers(5, 9)), channels)
    minicnn.set_floatx(np.dtype(dtype).name)
    try:
        model = minicnn.Sequential(layers, input_shape=shape)
    except ValueError:                     # a "valid" window larger than what reaches it: no model
        assume(False)
    finally:
        minicnn.set_floatx("float32")
    conv = layers[-3] if type(layers[-2]) is Dropout else layers[-2]
    rng = np.random.default_rng(draw(SEEDS))
    if conv.use_bias:
        conv.params["bias"][...] = rng.normal(size=conv.filters)
    x = rng.normal(size=(draw(st.integers(1, 3)), *shape)).astype(dtype)
    return model, x, draw(SEEDS)


def run(model, x, grad_out, seed, training, fuse, input_gradient=True, direct=False, use_winograd=False):
    """Forward then backward on the fast backend, fused or layer by layer; ``direct`` picks the
    fused block's inference kernel (a backward pass after inference runs im2col's), ``use_winograd``
    its convolutions by winograd.py wherever the conv's geometry allows, whatever its channels."""
    for layer in model.layers:
        layer.rng = np.random.default_rng(seed)            # the same dropout key either way
    steps = plan(model.layers, per_layer=not fuse).spans
    assert (len(steps) == 1) == fuse
    if fuse:
        steps[0][1].direct = direct
        steps[0][1].winograd = use_winograd and winograd.fits(steps[0][1].conv)
    out = x
    for _, step in steps:
        out = step.forward(out, training)
    grad = grad_out
    for number, (_, step) in enumerate(reversed(steps)):
        if not input_gradient and number == len(steps) - 1:
            step.backward_parameters(grad) if fuse else step.backward(grad)
            grad = None
        else:
            grad = step.backward(grad)
    conv = next(layer for layer in model.layers if type(layer) is Conv2D)
    return out, grad, {name: g.copy() for name, g in conv.grads.items()}


@SETTINGS
@given(blocks(), st.booleans(), st.booleans(), st.booleans())
def test_a_fused_block_agrees_with_its_layers_run_one_by_one(problem, training, direct, use_winograd):
    model, x, seed = problem
    before = x.copy()
    grad_out = np.random.default_rng(seed).normal(size=(len(x), *model.output_shape)).astype(x.dtype)
    out, dx, grads = run(model, x, grad_out, seed, training, fuse=False)
    fused_out, fused_dx, fused_grads = run(model, x, grad_out, seed, training, fuse=True, direct=direct,
                                           use_winograd=use_winograd)
    assert_agree(fused_out, out)
    assert_agree(fused_dx, dx)
    for name in grads:
        assert_agree(fused_grads[name], grads[name])
    # backward_parameters: the same weight gradients without dL/dx.
    *_, parameter_grads = run(model, x, grad_out, seed, training, fuse=True, input_gradient=False, direct=direct,
                              use_winograd=use_winograd)
    for name in grads:
        assert_agree(parameter_grads[name], grads[name])
    np.testing.assert_array_equal(x, before)                # nobody writes into its input


@SETTINGS
@given(blocks(kernels=st.just(3), strides=st.just(1)), st.booleans())
def test_winograd_convolutions_agree_with_the_layers(problem, training):
    # 3x3 stride-1 convs, forced through winograd.py whatever their channels: forward, dL/dx
    # (the flipped kernel's convolution) and the kernel gradient (its products run backwards).
    model, x, seed = problem
    grad_out = np.random.default_rng(seed).normal(size=(len(x), *model.output_shape)).astype(x.dtype)
    out, dx, grads = run(model, x, grad_out, seed, training, fuse=False)
    fused_out, fused_dx, fused_grads = run(model, x, grad_out, seed, training, fuse=True, use_winograd=True)
    assert plan(model.layers).spans[0][1].winograd
    assert_agree(fused_out, out)
    assert_agree(fused_dx, dx)
    for name in grads:
        assert_agree(fused_grads[name], grads[name])


def test_winograd_matrices_compute_a_1d_correlation_and_the_kernels_apply_them():
    # The matrices of winograd.py make F(4, 3) in one dimension: four outputs of a 3-tap
    # correlation from six inputs, y = A^T [(G g) * (B^T d)]; and the row formulas the numba
    # kernels inline are those matrices (A, the transpose, for the gradient).
    rng = np.random.default_rng(0)
    d, g = rng.normal(size=6), rng.normal(size=3)
    correlation = np.array([d[i:i + 3] @ g for i in range(4)])
    np.testing.assert_allclose(winograd.AT @ ((winograd.G @ g) * (winograd.BT @ d)), correlation, atol=1e-12)
    np.testing.assert_allclose(winograd._input_rows(*d), winograd.BT @ d, atol=1e-12)
    np.testing.assert_allclose(winograd._output_rows(*d), winograd.AT @ d, atol=1e-12)
    np.testing.assert_allclose(winograd._gradient_rows(*d[:4]), winograd.AT.T @ d[:4], atol=1e-12)


def test_the_pattern_and_what_breaks_it():
    conv, pool = Conv2D(2, 3, activation="relu"), MaxPooling2D(2)
    assert fusable_length([ZeroPadding2D(1), conv, Dropout(0.5), pool, Flatten()]) == 4
    assert fusable_length([conv, pool]) == 2
    assert fusable_length([conv, Dropout(0.5), ReLU(), pool]) == 0          # something in between
    assert fusable_length([Conv2D(2, 3), pool]) == 0                          # no ReLU to fuse
    assert fusable_length([Conv2D(2, 3, activation="tanh"), pool]) == 0
    assert fusable_length([ZeroPadding2D(1), Dense(3)]) == 0


def test_plan_fuses_unless_asked_not_to(monkeypatch):
    model = seed001_like_model()
    steps = plan(model.layers).spans
    kinds = [(count, type(step).__name__) for count, step in steps]
    assert kinds[:3] == [(4, "FusedConvBlock"), (4, "FusedConvBlock"), (1, "Flatten")]
    # At inference the first conv (3*3*1 numbers a window) convolves directly; the second (3*3*4) via im2col.
    assert [steps[0][1].direct, steps[1][1].direct] == [True, False]
    assert all(count == 1 for count, _ in plan(model.layers, per_layer=True).spans)
    monkeypatch.setenv("MINICNN_FUSE", "0")
    assert all(count == 1 for count, _ in plan(model.layers).spans)


def test_a_dilated_conv_is_not_fused_and_runs_its_numpy_code():
    conv = Conv2D(2, 3, dilation_rate=(2, 1), activation="relu")
    model = minicnn.Sequential([ZeroPadding2D(1), conv, MaxPooling2D(2)], input_shape=(9, 9, 1))
    assert fusable_length(model.layers) == fusable_length(model.layers[1:]) == 0
    steps = plan(model.layers).spans
    assert [count for count, _ in steps] == [1, 1, 1]
    assert steps[1][1] is conv and twin(conv) is conv                 # the layer itself, not FastConv2D
    assert type(steps[2][1]).__name__ == "FastMaxPooling2D"           # the pool still has its twin


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_training_step_gives_the_same_numbers_fused_and_unfused(dtype, monkeypatch):
    minicnn.set_floatx(dtype)
    try:
        rng = np.random.default_rng(0)
        x, y = rng.random((6, 12, 12, 1)).astype(dtype), rng.integers(0, 10, 6)
        results = []
        for fuse in ("1", "0"):
            monkeypatch.setenv("MINICNN_FUSE", fuse)
            model = seed001_like_model()
            model.compile("adam", "sparse_categorical_crossentropy")
            for layer in model.layers:
                layer.rng = np.random.default_rng(4)
            results.append(model.compute_gradients(x, y, training=True))
    finally:
        minicnn.set_floatx("float32")
    (fused_loss, fused_grads), (loss, grads) = results
    assert abs(fused_loss - loss) <= (1e-5 if dtype == "float32" else 1e-10) * abs(loss)
    for fast, slow in zip(fused_grads, grads):
        assert_agree(fast, slow)


def test_inference_keeps_nothing_for_backward_and_works_in_chunks(monkeypatch):
    model = seed001_like_model()
    x = np.random.default_rng(5).random((7, 12, 12, 1)).astype("float32")
    block = plan(model.layers).spans[1][1]
    expected = model.forward(x, return_outputs=True)[-1]      # one step per layer
    monkeypatch.setattr(chunks, "CHUNK_ENTRIES", 1)           # 7 images: a chunk each
    assert_agree(model.predict(x, verbose=0), expected)
    assert block.cache is None and block.input is not None     # no winners kept, only the input
    # A backward pass after an inference pass (gradcheck, saliency) reruns the forward pass keeping
    # what it needs, and gives what the layer-by-layer path gives.
    grad = np.random.default_rng(6).normal(size=expected.shape).astype("float32")
    model.forward(x)
    fused_dx = model.backward(grad)
    model.forward(x, return_outputs=True)
    assert_agree(fused_dx, model.backward(grad))


def test_nan_passes_through_a_fused_block():
    # As in test_fast.py: a NaN must reach the loss, never turn into 0 inside the block.
    conv = Conv2D(1, 1, activation="relu", use_bias=False)
    model = minicnn.Sequential([conv, MaxPooling2D(2)], input_shape=(2, 2, 1))
    conv.params["kernel"][...] = 1
    x = np.array([[[[1.0], [2.0]], [[np.nan], [3.0]]]], dtype="float32")
    block = FusedConvBlock(model.layers)
    assert np.isnan(block.forward(x, training=True)).all()
    for direct in (True, False):                      # and both inference kernels
        block.direct = direct
        assert np.isnan(block.forward(x, training=False)).all()
