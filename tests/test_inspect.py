"""Feature maps, filter pictures and permutation importance of layers."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import minicnn  # noqa: E402
from minicnn import zoo  # noqa: E402
from minicnn.datasets import load_fashion_mnist, to_categorical, to_model_input  # noqa: E402
from minicnn.interpret.features import feature_maps, plot_feature_maps, plot_filters  # noqa: E402
from minicnn.interpret.importance import (LayerImportance, _shuffle_channels, layer_importance,  # noqa: E402
                                          plot_layer_importance)
from minicnn.layers import Conv2D, Dense, GlobalAveragePooling2D  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def sample():
    (x_train, y_train), (x_test, y_test) = load_fashion_mnist(sample=True)
    return to_model_input(x_train), y_train, to_model_input(x_test[::2]), y_test[::2]


@pytest.fixture(scope="module")
def trained(sample):
    """gap_cnn after 2 epochs on the bundled sample: about 50% accurate, far above chance."""
    x_train, y_train, _, _ = sample
    minicnn.set_random_seed(0)
    model = zoo.gap_cnn()
    model.fit(x_train, to_categorical(y_train, 10), epochs=2, batch_size=32, seed=0, verbose=0)
    return model


def small_gap_net(filters=(4, 4, 4), seed=5):
    """An untrained net on 8x8 images; with this seed its predictions on noise vary."""
    minicnn.set_random_seed(seed)
    return minicnn.Sequential([*(Conv2D(f, 3, padding="same", activation="relu") for f in filters),
                               GlobalAveragePooling2D(), Dense(10, activation="softmax")],
                              input_shape=(8, 8, 1))


# ---------------------------------------------------------------- feature maps
def test_feature_maps_every_conv_layer_from_one_forward_pass(monkeypatch):
    model = zoo.dropout_cnn()
    x = np.random.default_rng(0).random((3, 28, 28, 1)).astype("float32")
    expected = {model.layers[i].name: model.forward(x, stop=i + 1) for i in (1, 5)}
    calls = []
    forward = model.forward
    monkeypatch.setattr(model, "forward", lambda *a, **k: calls.append(k) or forward(*a, **k))
    maps = feature_maps(model, x)
    assert len(calls) == 1 and calls[0]["return_outputs"] and calls[0]["stop"] == 6
    assert list(maps) == list(expected)
    assert [a.shape for a in maps.values()] == [(3, 28, 28, 32), (3, 14, 14, 64)]
    for name in expected:    # the same up to float32 rounding: the fused inference path sums in another order
        np.testing.assert_allclose(maps[name], expected[name], rtol=1e-5, atol=1e-6)


def test_feature_maps_choose_layers_by_index_name_or_object():
    model = zoo.dropout_cnn()
    x = np.zeros((2, 28, 28, 1), "float32")
    pool = model.layers[3]
    for layers in (3, pool.name, pool, [pool.name]):
        assert list(feature_maps(model, x, layers)) == [pool.name]
    maps = feature_maps(model, x, [5, 0, model.layers[8]])
    assert [a.shape for a in maps.values()] == [(2, 30, 30, 1), (2, 14, 14, 64), (2, 3136)]


@pytest.mark.parametrize("builder, rows", [(zoo.dropout_cnn, 2), (zoo.gap_cnn, 3)])
def test_plot_feature_maps_one_row_per_stage(builder, rows):
    model = builder()
    image = load_fashion_mnist(sample=True)[1][0][0]          # one uint8 (28, 28) image
    fig = plot_feature_maps(model, image, n_channels=6)
    assert isinstance(fig, matplotlib.figure.Figure)
    assert len(fig.axes) == rows * 6
    conv_names = [l.name for l in model.layers if isinstance(l, Conv2D)]
    assert [fig.axes[6 * r].get_ylabel().split("\n")[0] for r in range(rows)] == conv_names


def test_plot_feature_maps_first_middle_last_and_short_layers():
    model = small_gap_net((2, 4, 4, 4, 3))
    fig = plot_feature_maps(model, np.ones((8, 8, 1), "float32"), n_channels=4)
    names = [model.layers[i].name for i in (0, 2, 4)]           # first, middle, last of 5
    assert [fig.axes[4 * r].get_ylabel().split("\n")[0] for r in range(3)] == names
    # The first layer has 2 channels: its last 2 panels are switched off; the last layer has 3.
    assert [ax.axison for ax in fig.axes[:4]] == [True, True, False, False]
    assert [ax.axison for ax in fig.axes[8:]] == [True, True, True, False]
    # The same image as (8, 8), (8, 8, 1) or (1, 8, 8, 1) gives the same pictures.
    first = fig.axes[0].images[0].get_array()
    for image in (np.ones((8, 8)), np.ones((1, 8, 8, 1))):
        again = plot_feature_maps(model, image, n_channels=4)
        np.testing.assert_allclose(again.axes[0].images[0].get_array(), first)


def test_plot_filters_shows_the_mean_over_input_channels():
    model = zoo.gap_cnn()
    fig = plot_filters(model, 2, ncols=16)                       # 64 filters over 32 channels
    assert len(fig.axes) == 4 * 16 + 1                           # the images and one colour bar
    kernel = model.layers[2].params["kernel"]
    for f in (0, 17, 63):
        np.testing.assert_allclose(fig.axes[f].images[0].get_array(), kernel[:, :, :, f].mean(axis=2),
                                   rtol=1e-5, atol=1e-7)
    assert len(plot_filters(model, model.layers[0].name).axes) == 4 * 8 + 1
    with pytest.raises(ValueError, match="Conv2D"):
        plot_filters(model, 1)


# ---------------------------------------------------------------- permutation importance
def test_whole_output_shuffle_gives_every_layer_the_same_drop(trained, sample):
    _, _, x, y = sample
    table = layer_importance(trained, x, y, n_repeats=3, seed=0, channel_fraction=None)
    assert [row.index for row in table] == [0, 2, 4]
    assert all(isinstance(row, LayerImportance) for row in table)
    baseline = trained.evaluate(x, to_categorical(y, 10), verbose=0)[1]
    assert table[0].baseline == pytest.approx(baseline)
    assert all(row.mean_drop > 0.2 for row in table)             # shuffling ruins a trained net
    # Whole-layer shuffles give image i the prediction of image perm(i), whichever the layer:
    # with the same permutations for every layer the drops are identical.
    assert len({(row.mean_drop, row.std_drop) for row in table}) == 1
    # One-hot targets give the same table.
    assert layer_importance(trained, x, to_categorical(y, 10), n_repeats=3, seed=0, channel_fraction=None) == table


def test_channel_fraction_tells_the_layers_apart(trained, sample):
    _, _, x, y = sample
    whole = layer_importance(trained, x, y, n_repeats=3, seed=0, channel_fraction=None)
    quarter = layer_importance(trained, x, y, n_repeats=3, seed=0)        # the default: a quarter
    assert [row.index for row in quarter] == [0, 2, 4]
    assert len({row.mean_drop for row in quarter}) == 3           # no longer all equal
    # Three quarters of every image's channels stay its own: less harm than a whole shuffle.
    assert all(0 <= q.mean_drop < w.mean_drop for q, w in zip(quarter, whole))
    assert layer_importance(trained, x, y, n_repeats=3, seed=0, channel_fraction=0.25) == quarter


def test_channel_fraction_by_hand():
    # One channel of four shuffled; only that channel of the layer's output changes.
    maps = np.arange(5 * 2 * 2 * 4, dtype="float32").reshape(5, 2, 2, 4)
    shuffled = _shuffle_channels(maps, 0.25, np.random.default_rng(0))
    changed = [k for k in range(4) if not np.array_equal(shuffled[..., k], maps[..., k])]
    assert len(changed) == 1
    k = changed[0]
    # The changed channel holds the same five maps, in another image order.
    assert sorted(map(tuple, shuffled[..., k].reshape(5, -1))) == sorted(map(tuple, maps[..., k].reshape(5, -1)))
    tiny = _shuffle_channels(maps, 0.01, np.random.default_rng(0))              # rounds to 0: still one
    assert sum(not np.array_equal(tiny[..., k], maps[..., k]) for k in range(4)) == 1
    model = small_gap_net((4, 4))
    with pytest.raises(ValueError, match="channel_fraction"):
        layer_importance(model, maps[:, :1, :1, :1].repeat(8, 1).repeat(8, 2), np.zeros(5, int), channel_fraction=0)


def test_layer_importance_by_hand():
    # One repeat: the drop is baseline - mean(pred[perm] == y), perm the seed's first permutation.
    model = small_gap_net((4, 4))
    x = np.random.default_rng(0).normal(size=(50, 8, 8, 1)).astype("float32")
    predicted = model.predict(x, verbose=0).argmax(axis=1)
    assert len(set(predicted)) > 1
    y = predicted.copy()
    y[:10] = (y[:10] + 1) % 10                                    # 40 of 50 right: baseline 0.8
    perm = np.random.default_rng(7).permutation(50)
    (row,) = layer_importance(model, x, y, n_repeats=1, seed=7, layers=[1], channel_fraction=None)
    assert row.baseline == pytest.approx(0.8)
    assert row.mean_drop == pytest.approx(0.8 - np.mean(predicted[perm] == y))
    assert row.std_drop == 0


def test_unused_layer_has_zero_importance():
    model = small_gap_net((4, 4))
    x = np.random.default_rng(1).normal(size=(40, 8, 8, 1)).astype("float32")
    y = model.predict(x, verbose=0).argmax(axis=1)               # the model's own answers
    assert len(set(y)) > 1
    used = layer_importance(model, x, y, n_repeats=3, seed=0, layers=[0], channel_fraction=None)[0]
    assert used.baseline == 1 and used.mean_drop > 0
    # Zero kernel in the next conv layer: the first layer's output is multiplied by 0 downstream.
    model.layers[1].params["kernel"][...] = 0
    y = model.predict(x, verbose=0).argmax(axis=1)
    for fraction in (None, 0.25):
        unused = layer_importance(model, x, y, n_repeats=3, seed=0, layers=[0], channel_fraction=fraction)[0]
        assert unused.baseline == 1 and unused.mean_drop == 0 and unused.std_drop == 0


def test_plot_layer_importance():
    table = [LayerImportance("conv2d", 0, 0.3, 0.05, 0.9), LayerImportance("conv2d_1", 2, 0.5, 0.02, 0.9)]
    fig = plot_layer_importance(table)
    assert isinstance(fig, matplotlib.figure.Figure) and len(fig.axes) == 1
    bars = fig.axes[0].patches
    assert [b.get_height() for b in bars] == [0.3, 0.5]
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["conv2d", "conv2d_1"]
    assert "90.0%" in fig.axes[0].get_title()
