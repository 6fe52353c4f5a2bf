"""CAM and Grad-CAM: worked by hand on a tiny net, then on a GAP net trained on the bundled sample."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import minicnn  # noqa: E402
from minicnn import zoo  # noqa: E402
from minicnn.cam import (class_activation_map, compute_heatmaps, deletion_score, delete_pixels,  # noqa: E402
                         grad_cam, grad_cam_weights, normalize, overlay, plot_cam, raw_heatmaps,
                         upsample)
from minicnn.datasets import CLASS_NAMES, load_fashion_mnist, to_categorical, to_model_input  # noqa: E402
from minicnn.layers import Conv2D, Dense, Flatten, GlobalAveragePooling2D, MaxPooling2D  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def trained():
    """gap_cnn trained 3 epochs on the bundled sample (about 65% test accuracy), and 120 test images."""
    (x_train, y_train), (x_test, y_test) = load_fashion_mnist(sample=True)
    minicnn.set_random_seed(0)
    model = zoo.gap_cnn()
    model.fit(to_model_input(x_train), to_categorical(y_train, 10), epochs=3, batch_size=32, seed=0, verbose=0)
    return model, to_model_input(x_test[::10][:120]), y_test[::10][:120]


# ---------------------------------------------------------------- resizing
def test_upsample_by_hand():
    # The 2x2 map m[i, j] = 2i + j is linear, so bilinear interpolation is exact:
    # out[I, J] = 2 * y_I + x_J at the source coordinates y, x.
    maps = np.array([[[0.0, 1.0], [2.0, 3.0]]])
    # align_corners=False: y = (I + 0.5) * 2/4 - 0.5 = -0.25, 0.25, 0.75, 1.25 -> clamped 0, .25, .75, 1
    src = np.array([0, 0.25, 0.75, 1])
    np.testing.assert_allclose(upsample(maps, (4, 4))[0], 2 * src[:, None] + src[None, :])
    # align_corners=True: y = I * (2 - 1)/(4 - 1) = 0, 1/3, 2/3, 1
    src = np.arange(4) / 3
    np.testing.assert_allclose(upsample(maps, (4, 4), align_corners=True)[0], 2 * src[:, None] + src[None, :])
    # Same size: the identity either way.
    np.testing.assert_allclose(upsample(maps, (2, 2)), maps)


def test_upsample_matches_scipy_zoom():
    ndimage = pytest.importorskip("scipy.ndimage")
    maps = np.random.default_rng(0).normal(size=(2, 7, 5))
    ours = upsample(maps, (28, 20), align_corners=True)
    np.testing.assert_allclose(ours, ndimage.zoom(maps, (1, 4, 4), order=1, grid_mode=False), atol=1e-12)
    ours = upsample(maps, (28, 20))   # half-pixel centres, edges repeated
    np.testing.assert_allclose(ours, ndimage.zoom(maps, (1, 4, 4), order=1, grid_mode=True, mode="nearest"),
                               atol=1e-12)


def test_normalize():
    maps = np.array([[[1.0, 3.0], [5.0, 2.0]], [[4.0, 4.0], [4.0, 4.0]]])
    # (m - min) / (max - min) = (m - 1) / 4; the constant map becomes zeros.
    np.testing.assert_allclose(normalize(maps), [[[0, 0.5], [1, 0.25]], [[0, 0], [0, 0]]])


# ---------------------------------------------------------------- by hand
@pytest.fixture
def tiny():
    """2x2x1 images -> Conv2D(2 filters, 1x1, no bias) -> GAP -> Dense(2, no bias), weights by hand.

    conv kernel [1, -1]: A_0 = x and A_1 = -x.   Dense kernel w = [[2, 0],
                                                                   [1, 3]]  (rows k, columns c)
    """
    model = minicnn.Sequential([Conv2D(2, 1, use_bias=False), GlobalAveragePooling2D(),
                                Dense(2, use_bias=False)], input_shape=(2, 2, 1))
    model.set_weights([np.array([1.0, -1.0]).reshape(1, 1, 1, 2), np.array([[2.0, 0.0], [1.0, 3.0]])])
    return model


def test_cam_by_hand(tiny):
    x = np.array([[0.0, 1.0], [2.0, 3.0]]).reshape(1, 2, 2, 1)
    # Class 0: w[0,0]*A_0 + w[1,0]*A_1 = 2x - x = x.   Class 1: 0*x + 3*(-x) = -3x.
    raw, classes = raw_heatmaps(tiny, x, class_index=0, method="cam")
    np.testing.assert_allclose(raw[0], [[0, 1], [2, 3]])
    raw, _ = raw_heatmaps(tiny, x, class_index=1, method="cam")
    np.testing.assert_allclose(raw[0], [[0, -3], [-6, -9]])
    # Normalised: x / 3, and (-3x + 9) / 9 = 1 - x/3 (no ReLU in CAM).
    np.testing.assert_allclose(class_activation_map(tiny, x, 0)[0], [[0, 1 / 3], [2 / 3, 1]], atol=1e-6)
    np.testing.assert_allclose(class_activation_map(tiny, x, 1)[0], [[1, 2 / 3], [1 / 3, 0]], atol=1e-6)
    # The logits are mean(x) * (2 - 1, 0 - 3) = 1.5 * (1, -3): class 0 is predicted.
    assert classes[0] == 0 and raw_heatmaps(tiny, x, method="cam")[1][0] == 0


def test_grad_cam_by_hand(tiny):
    x = np.array([[0.0, 1.0], [2.0, 3.0]]).reshape(1, 2, 2, 1)
    # dz_c/dA_k(i,j) = w[k, c] / (2*2): Grad-CAM's raw map is CAM's divided by 4.
    raw, _ = raw_heatmaps(tiny, x, class_index=1, layer=0, method="grad_cam")
    np.testing.assert_allclose(raw[0], np.array([[0, -3], [-6, -9]]) / 4)
    # Its ReLU keeps only evidence FOR class 1, and there is none: all zeros.
    np.testing.assert_array_equal(grad_cam(tiny, x, 1), 0)


def test_grad_cam_weights_match_central_differences():
    # alpha_k = mean_ij dz_c/dA(i,j,k), with z_c computed by the rest of the net from A.
    minicnn.set_floatx("float64")
    try:
        minicnn.set_random_seed(1)
        model = minicnn.Sequential([Conv2D(3, 3, activation="relu"), MaxPooling2D(2), Conv2D(2, 2),
                                    Flatten(), Dense(4, activation="softmax")], input_shape=(8, 8, 1))
        x = np.random.default_rng(2).normal(size=(2, 8, 8, 1))
        layer, classes = 2, np.array([1, 3])
        activations = model.forward(x, return_outputs=True)[layer]
        alpha = grad_cam_weights(model, layer, activations, classes)

        def logits(a):
            model.forward(a, start=layer + 1)
            return model.layers[-1].activation.logits   # the class scores before the softmax

        numeric = np.zeros_like(activations)
        eps = 1e-6
        for index in np.ndindex(activations.shape):
            step = np.zeros_like(activations)
            step[index] = eps
            n = index[0]
            numeric[index] = (logits(activations + step)[n, classes[n]]
                              - logits(activations - step)[n, classes[n]]) / (2 * eps)
        np.testing.assert_allclose(alpha, numeric.mean(axis=(1, 2)), rtol=1e-6, atol=1e-9)
    finally:
        minicnn.set_floatx("float32")


# ---------------------------------------------------------------- on a trained GAP net
def test_cam_shape_and_range(trained):
    model, x, _ = trained
    maps = class_activation_map(model, x)
    assert maps.shape == (len(x), 28, 28)
    assert maps.min() >= 0 and maps.max() <= 1
    np.testing.assert_allclose(maps.min(axis=(1, 2)), 0)
    np.testing.assert_allclose(maps.max(axis=(1, 2)), 1)


def test_grad_cam_equals_cam_on_last_conv_of_gap_net(trained):
    model, x, _ = trained
    cam_raw, classes = raw_heatmaps(model, x, method="cam")
    grad_raw, grad_classes = raw_heatmaps(model, x, layer=4, method="grad_cam")
    np.testing.assert_array_equal(classes, grad_classes)
    # dz_c/dA_k(i,j) = w[k,c] / (h*w) with h = w = 7: the raw maps differ by the factor 49.
    np.testing.assert_allclose(grad_raw * 49, cam_raw, rtol=1e-4, atol=1e-6 * np.abs(cam_raw).max())
    for a, b in zip(cam_raw, grad_raw):
        assert np.corrcoef(a.ravel(), b.ravel())[0, 1] == pytest.approx(1, abs=1e-6)
    # After the pipeline: Grad-CAM is the normalised CAM with its negative part cut off.
    expected = normalize(upsample(np.maximum(cam_raw, 0), (28, 28)))
    np.testing.assert_allclose(grad_cam(model, x), expected, atol=1e-5)


def test_deleting_top_cam_pixels_hurts_more_than_random(trained):
    model, x, _ = trained
    score = deletion_score(model, x, class_activation_map(model, x), fraction=0.2, seed=0)
    assert score["pixels_deleted"] == round(0.2 * 784)
    # Measured here: about 0.12 against 0.07 (the net has only about 65% accuracy).
    assert score["heatmap_drop"] > score["random_drop"] + 0.02
    assert score["heatmap_drop"] <= score["confidence"]


def test_deletion_score_applies_softmax_to_a_logits_head(trained):
    model, x, _ = trained
    logits_model = minicnn.Sequential([Conv2D(32, 3, padding="same", activation="relu"), MaxPooling2D(2),
                                       Conv2D(64, 3, padding="same", activation="relu"), MaxPooling2D(2),
                                       Conv2D(128, 3, padding="same", activation="relu"),
                                       GlobalAveragePooling2D(), Dense(10)], input_shape=(28, 28, 1))
    logits_model.set_weights(model.get_weights())
    maps = class_activation_map(model, x)
    np.testing.assert_allclose(class_activation_map(logits_model, x), maps, atol=1e-6)
    ours, theirs = (deletion_score(m, x, maps, seed=0) for m in (model, logits_model))
    for key in ours:
        assert ours[key] == pytest.approx(theirs[key], abs=1e-5)


def test_delete_pixels():
    x = np.ones((2, 2, 3, 1))
    out = delete_pixels(x, np.array([[0, 5], [4, 4]]))
    # image 0: flat pixels 0 and 5 = (0, 0) and (1, 2); image 1: pixel 4 = (1, 1)
    np.testing.assert_array_equal(out[0, ..., 0], [[0, 1, 1], [1, 1, 0]])
    np.testing.assert_array_equal(out[1, ..., 0], [[1, 1, 1], [1, 0, 1]])
    assert (x == 1).all()   # the input is untouched


def test_class_index_forms(trained):
    model, x, _ = trained
    x = x[:4]
    predicted = model.predict(x, verbose=0).argmax(axis=1)
    np.testing.assert_array_equal(raw_heatmaps(model, x, method="cam")[1], predicted)
    np.testing.assert_array_equal(raw_heatmaps(model, x, class_index=7, method="cam")[1], [7] * 4)
    per_image = [0, 1, 2, 9]
    maps = class_activation_map(model, x, per_image)
    for i, c in enumerate(per_image):
        np.testing.assert_allclose(maps[i], class_activation_map(model, x[i:i + 1], c)[0], atol=1e-6)
    np.testing.assert_allclose(grad_cam(model, x, np.array(per_image)), compute_heatmaps(model, x, per_image),
                               atol=1e-6)
    for bad in (10, -1, [1, 2], 2.5):
        with pytest.raises(ValueError, match="class_index"):
            class_activation_map(model, x, bad)


def test_cam_needs_a_gap_head_and_points_to_grad_cam():
    model = zoo.dropout_cnn()
    with pytest.raises(ValueError, match="grad_cam"):
        class_activation_map(model, np.zeros((1, 28, 28, 1), "float32"))
    with pytest.raises(ValueError, match="method"):
        raw_heatmaps(model, np.zeros((1, 28, 28, 1), "float32"), method="gradcam")


def test_cam_refuses_another_layer(trained):
    with pytest.raises(ValueError, match="grad_cam"):
        raw_heatmaps(trained[0], trained[1][:1], layer=2, method="cam")


def test_grad_cam_on_dropout_cnn():
    minicnn.set_random_seed(0)
    model = zoo.dropout_cnn()
    x = to_model_input(load_fashion_mnist(sample=True)[1][0][:3])
    maps = grad_cam(model, x)
    assert maps.shape == (3, 28, 28) and np.isfinite(maps).all()
    assert maps.min() >= 0 and maps.max() <= 1
    raw, _ = raw_heatmaps(model, x)
    assert raw.shape == (3, 14, 14)    # the last Conv2D sees the 16x16 padded maps: 14x14 out
    assert grad_cam(model, x, layer=1).shape == (3, 28, 28)   # the first conv layer works too
    with pytest.raises(ValueError, match="feature maps"):
        grad_cam(model, x, layer=-1)


def test_a_conv_block_nested_as_one_layer_is_found_by_default():
    from minicnn.interpret.features import feature_maps
    from minicnn.interpret.targets import conv_layer_indices
    minicnn.set_random_seed(0)
    block = minicnn.Sequential([Conv2D(4, 3, activation="relu"), MaxPooling2D(2)], name="block")
    head = [Flatten(), Dense(10, activation="softmax")]
    model = minicnn.Sequential([block, *head], input_shape=(28, 28, 1))
    flat = minicnn.Sequential([Conv2D(4, 3, activation="relu"), MaxPooling2D(2), Flatten(),
                               Dense(10, activation="softmax")], input_shape=(28, 28, 1))
    flat.set_weights(model.get_weights())
    assert conv_layer_indices(model) == [0]
    x = to_model_input(load_fashion_mnist(sample=True)[1][0][:3])
    # Grad-CAM at the block is Grad-CAM at its pooling layer in the same network written flat.
    np.testing.assert_allclose(raw_heatmaps(model, x)[0], raw_heatmaps(flat, x, layer=1)[0], rtol=1e-5, atol=1e-6)
    assert feature_maps(model, x)["block"].shape == (3, 13, 13, 4)

# ---------------------------------------------------------------- pictures
def test_overlay():
    image = np.linspace(0, 1, 12).reshape(3, 4)
    heat = np.zeros((3, 4))
    blue = matplotlib.colormaps["jet"](0.0)[:3]
    out = overlay(image[..., None], heat, alpha=0.25)
    assert out.shape == (3, 4, 3) and out.min() >= 0 and out.max() <= 1
    np.testing.assert_allclose(out, 0.75 * image[..., None] + 0.25 * np.array(blue))
    np.testing.assert_allclose(overlay(image, heat, alpha=0), np.repeat(image[..., None], 3, axis=-1))
    pixels = (image * 255).astype(np.uint8)
    np.testing.assert_allclose(overlay(pixels, heat, alpha=0)[..., 0], pixels / 255)
    with pytest.raises(ValueError, match="shape"):
        overlay(image, np.zeros((4, 3)))


@pytest.mark.parametrize("method", ["cam", "grad_cam"])
def test_plot_cam(trained, method):
    model, x, _ = trained
    fig = plot_cam(model, x, method=method, n=5)
    assert isinstance(fig, matplotlib.figure.Figure)
    assert len(fig.axes) == 10
    predicted = model.predict(x[:5], verbose=0).argmax(axis=1)
    titles = [ax.get_title() for ax in fig.axes[5:]]
    assert [t.split("\n")[0] for t in titles] == [CLASS_NAMES[c] for c in predicted]
    assert fig.axes[5].get_ylabel() == {"cam": "CAM", "grad_cam": "Grad-CAM"}[method]
