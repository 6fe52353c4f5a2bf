"""The explain page runs every layer and activation of minicnn, in colour too, and on the reader's own image.

Small models that hold several layers each; one Chromium for the module
(Debian's chromium and chromium-driver with selenium; CI installs them). Every
value the page shows is compared with minicnn's own forward pass.
"""
import sys
from pathlib import Path

import numpy as np
import pytest

import minicnn
from minicnn.interpret.explain import PAGE_ACTIVATIONS, PAGE_LAYERS, explain
from minicnn.layers import (ELU, LAYER_CLASSES, Activation, AveragePooling2D, BatchNormalization, Conv2D, Dense,
                            Dropout, Flatten, GlobalAveragePooling2D, GlobalMaxPooling2D, Layer, LeakyReLU,
                            MaxPooling2D, RandomFlip, RandomRotation, RandomTranslation, RandomZoom, ReLU, Rescaling, Reshape,
                            Softmax, ZeroPadding2D, activation_functions)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import headless_chromium  # noqa: E402


def with_weights(model, seed):
    """Biases and BatchNormalization statistics that are not 0 and 1, so that a wrong formula shows."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        for name, array in {**layer.params, **layer.state}.items():
            if name in ("bias", "beta", "moving_mean"):
                array[...] = rng.normal(0, 0.2, array.shape)
            elif name in ("gamma", "moving_variance"):
                array[...] = rng.uniform(0.5, 1.5, array.shape)
    return model


def model_a():
    """Grey 8x8: rescaling, augmentation, padding, pooling with "same", BatchNormalization on maps and units."""
    return with_weights(minicnn.Sequential([
        Rescaling(0.5, offset=0.1), RandomFlip(), RandomTranslation(0.1, 0.1), RandomRotation(0.1), RandomZoom(0.1),
        ZeroPadding2D(1), Conv2D(3, 3, activation="tanh"), BatchNormalization(), LeakyReLU(),
        AveragePooling2D(2, padding="same"), Conv2D(4, 3, padding="same", activation="sigmoid"), ELU(alpha=0.7),
        MaxPooling2D(3, strides=2, padding="same"), Conv2D(4, 2, padding="same", activation="gelu"),
        GlobalMaxPooling2D(), Dense(6, activation="softplus"), Activation("silu"), Dropout(0.3),
        BatchNormalization(), Dense(3, activation="swish"), Softmax(),
    ], input_shape=(7, 7, 1)), 1)


def model_b():
    """Grey 9x9: the other activations on Conv2D and Dense, softmax over channels, GAP, Reshape; a logits head."""
    return with_weights(minicnn.Sequential([
        Conv2D(4, 3, activation="elu"), Conv2D(4, 3, activation="leaky_relu"), ReLU(),
        Conv2D(3, 2, activation="softmax"), Conv2D(4, 2), Activation("relu"), GlobalAveragePooling2D(),
        Reshape((2, 2, 1)), Flatten(), Dense(5, activation="relu"), Dense(4, activation="sigmoid"),
        Activation("gelu"), Activation("tanh"), Activation("softplus"), Dense(3),
    ], input_shape=(9, 9, 1)), 2)


def model_colour():
    return with_weights(minicnn.Sequential([Conv2D(4, 3, activation="relu"), MaxPooling2D(2), Flatten(),
                                            Dense(3, activation="softmax")], input_shape=(10, 10, 3)), 3)


def model_28():
    return with_weights(minicnn.Sequential([Conv2D(3, 5, strides=2, activation="relu"), MaxPooling2D(2), Flatten(),
                                            Dense(4, activation="softmax")], input_shape=(28, 28, 1)), 4)


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """name -> (model, images, page path)."""
    minicnn.set_random_seed(0)
    rng, folder, made = np.random.default_rng(0), tmp_path_factory.mktemp("explain"), {}
    for name, build in (("a", model_a), ("b", model_b), ("colour", model_colour), ("28", model_28)):
        model = build()
        x = rng.random((3, *model.input_shape)).astype("float32")
        if name == "colour":
            x[0] = 0
            x[0, ..., 1] = 1                                   # pure green
        names = ["cat", "dog", "bird", "fish"][:model.output_shape[-1]]
        page = explain(model, x, np.arange(3) % len(names), path=folder / f"{name}.html", class_names=names)
        made[name] = (model, x, page)
    return made


@pytest.fixture(scope="module")
def browser(chromium):
    return chromium


def open_page(browser, pages, name):
    model, x, path = pages[name]
    browser.get(Path(path).as_uri())
    return model, x


def by_css(driver, css):
    from selenium.webdriver.common.by import By
    return driver.find_element(By.CSS_SELECTOR, css)


def layer_classes():
    """The names of every layer class minicnn.layers offers."""
    offered = {name: getattr(minicnn.layers, name) for name in minicnn.layers.__all__}
    return {name for name, cls in offered.items()
            if isinstance(cls, type) and issubclass(cls, Layer) and cls is not Layer}


def test_every_layer_and_activation_has_an_entry_on_both_sides(browser, pages):
    assert layer_classes() | set(LAYER_CLASSES) <= set(PAGE_LAYERS), \
        "add the layer to PAGE_LAYERS (explain.py) and LAYERS (forward.js)"
    open_page(browser, pages, "a")
    assert {kind for kind, _ in PAGE_LAYERS.values()} <= set(browser.execute_script("return Object.keys(LAYERS)"))
    assert set(activation_functions.ACTIVATIONS) <= PAGE_ACTIVATIONS
    assert PAGE_ACTIVATIONS - {None} <= set(browser.execute_script("return Object.keys(FUNCTIONS).concat(['softmax'])"))


def covered(pages):
    """The layer classes and activations the test models hold."""
    layers = [layer for model, _, _ in pages.values() for layer in model.layers]
    activations = {getattr(layer.activation, "function", type(layer.activation).__name__.lower()) for layer in layers
                   if layer.activation is not None}
    return {type(layer).__name__ for layer in layers}, activations


def test_the_models_hold_every_layer_and_activation(pages):
    classes, activations = covered(pages)
    assert classes == layer_classes()
    assert activations >= {"linear", "relu", "softmax", *activation_functions.ACTIVATIONS}


@pytest.mark.parametrize("name", ["a", "b", "colour"])
def test_page_forward_pass_is_minicnns(browser, pages, name):
    model, x = open_page(browser, pages, name)
    for n in range(len(x)):
        page = browser.execute_script(f"return forward({n}).map((t) => Array.from(t.data))")
        ours = model.forward(x[n:n + 1], return_outputs=True)
        for k, layer in enumerate(model.layers):
            np.testing.assert_allclose(page[k + 1], ours[k].ravel(), atol=1e-4, err_msg=f"{name}: {layer.name}")
    assert headless_chromium.console_errors(browser) == []


READ_SHOWN = """const pos = document.getElementById("calc-pos").dataset;
return [pos.unit === undefined ? [+pos.i, +pos.j, +pos.channel] : [+pos.unit],
        document.getElementById("calc-out").textContent, document.getElementById("layer-text").textContent]"""


def shown_value(browser, layer, channel, offset):
    """Open layer's channel (or unit) from the overview and hover its output map:
    (position, the value shown, the layer's sentence)."""
    from selenium.webdriver.common.action_chains import ActionChains
    by_css(browser, '#tabs button[data-view="overview"]').click()
    thumbs = browser.find_elements("css selector", f'.thumb[data-layer="{layer}"][data-channel="{channel}"]')
    thumbs = thumbs or browser.find_elements("css selector", f'.thumb[data-layer="{layer}"]')   # Dropout: a button
    thumbs[0].click()
    canvases = browser.find_elements("css selector", "#out-canvas")
    if canvases:
        ActionChains(browser).move_to_element_with_offset(canvases[0], *offset).perform()
    index, value, text = browser.execute_script(READ_SHOWN)
    return index, float(value), text


@pytest.mark.parametrize("name", ["a", "b"])
def test_how_view_shows_minicnns_value_for_every_layer(browser, pages, name):
    model, x = open_page(browser, pages, name)
    by_css(browser, "#img-1").click()
    outputs = model.forward(x[1:2], return_outputs=True)
    for k, layer in enumerate(model.layers):
        channel = k % layer.output_shape[-1] if len(layer.output_shape) == 3 or layer.output_shape[0] < 512 else 0
        index, value, text = shown_value(browser, k, channel, (3, 2))
        assert value == pytest.approx(float(outputs[k][0][tuple(index)]), abs=1e-4), layer.name
        assert len(text) > 20                                         # a plain sentence for every layer
    assert headless_chromium.console_errors(browser) == []


def test_colour_model_draws_colour(browser, pages):
    open_page(browser, pages, "colour")
    pixel = "return Array.from(document.querySelector(arguments[0]).getContext('2d').getImageData(1, 1, 1, 1).data)"
    assert browser.execute_script(pixel, "#img-0 canvas") == [0, 255, 0, 255]          # pure green stays green
    assert browser.execute_script(pixel, "#columns .column canvas") == [0, 255, 0, 255]


def test_drawn_image_gives_model_predict(browser, pages):
    from selenium.webdriver.common.action_chains import ActionChains
    model, _ = open_page(browser, pages, "28")
    pad = by_css(browser, "#draw")
    ActionChains(browser).move_to_element_with_offset(pad, -20, -30).click_and_hold().move_by_offset(15, 40) \
        .move_by_offset(25, 10).release().perform()
    own = browser.execute_script("return window.explainOwn")
    x = np.asarray(own["input"], dtype="float32").reshape(1, 28, 28, 1)
    assert 0.5 < x.max() <= 1 and (x == 0).mean() > 0.5                    # a white stroke on black
    np.testing.assert_allclose(own["probabilities"], model.predict(x, verbose=0)[0], atol=1e-4)
    by_css(browser, '#tabs button[data-view="cam"]').click()
    assert "bundled images only" in by_css(browser, "#cam-own").text
    assert headless_chromium.console_errors(browser) == []


def test_picture_file_gives_model_predict(browser, pages, tmp_path):
    from PIL import Image
    model, _ = open_page(browser, pages, "colour")
    Image.new("RGB", (30, 20), (255, 0, 0)).save(tmp_path / "red.png")
    by_css(browser, "#own-file").send_keys(str(tmp_path / "red.png"))
    from selenium.webdriver.support.ui import WebDriverWait
    own = WebDriverWait(browser, 10).until(lambda d: d.execute_script("return window.explainOwn"))
    x = np.asarray(own["input"], dtype="float32").reshape(1, 10, 10, 3)
    np.testing.assert_array_equal(x[0].reshape(-1, 3), np.tile([1, 0, 0], (100, 1)))
    np.testing.assert_allclose(own["probabilities"], model.predict(x, verbose=0)[0], atol=1e-4)
    assert headless_chromium.console_errors(browser) == []


def test_nested_sequential_shows_as_its_layers(browser, tmp_path):
    try:
        inner = minicnn.Sequential([Conv2D(3, 3, activation="relu"), MaxPooling2D(2)], input_shape=(8, 8, 1))
        model = minicnn.Sequential([inner, Flatten(), Dense(2, activation="softmax")], input_shape=(8, 8, 1))
    except (TypeError, ValueError, AttributeError) as err:     # a Sequential as a layer is issue 24's
        pytest.skip(f"a Sequential is not a layer yet: {err}")
    x = np.random.default_rng(5).random((2, 8, 8, 1)).astype("float32")
    browser.get(Path(explain(model, x, path=tmp_path / "nested.html")).as_uri())
    shown = browser.execute_script("return D.layers.map((l) => l.type)")
    assert shown == ["Conv2D", "MaxPooling2D", "Flatten", "Dense"]
    page = browser.execute_script("return forward(1).map((t) => Array.from(t.data))")
    np.testing.assert_allclose(page[-1], model.predict(x[1:], verbose=0)[0], atol=1e-4)


def test_logits_head_is_not_called_a_softmax(browser, pages):
    model, _ = open_page(browser, pages, "b")                 # ends in Dense(3), no softmax
    hint = by_css(browser, "#overview-hint").text
    assert "its score" in hint and "softmax" not in hint
    by_css(browser, f'.thumb[data-layer="{len(model.layers) - 1}"][data-channel="2"]').click()
    assert by_css(browser, "#calc-pos").text.startswith("bird")                # the class, not "Unit 2"


def test_receptive_fields_keep_the_channel_through_elementwise_layers(browser, pages):
    model, _ = open_page(browser, pages, "a")
    assert [type(model.layers[k]).__name__ for k in (6, 7, 8)] == ["Conv2D", "BatchNormalization", "LeakyReLU"]
    by_css(browser, '.thumb[data-layer="8"][data-channel="1"]').click()
    captions = [f.text for f in browser.find_elements("css selector", ".below figcaption")]
    names = [model.layers[k].name for k in (6, 7)]            # the inputs of BatchNormalization and LeakyReLU
    assert all(any(c.startswith(f"{name}, channel 1:") for c in captions) for name in names), captions


DROP_BLUE = """const done = arguments[arguments.length - 1], c = document.createElement("canvas");
c.width = 6; c.height = 4;
const ctx = c.getContext("2d"); ctx.fillStyle = "rgb(0, 0, 255)"; ctx.fillRect(0, 0, 6, 4);
c.toBlob((blob) => {
  const files = new DataTransfer();
  files.items.add(new File([blob], "blue.png", {type: "image/png"}));
  window.explainOwn = null;
  document.getElementById("own").dispatchEvent(new DragEvent("drop", {dataTransfer: files, bubbles: true, cancelable: true}));
  const wait = () => (window.explainOwn ? done(window.explainOwn.input) : setTimeout(wait, 20));
  wait();
});"""


def test_dropped_picture_is_the_input(browser, pages):
    open_page(browser, pages, "colour")
    x = np.asarray(browser.execute_async_script(DROP_BLUE)).reshape(-1, 3)
    np.testing.assert_array_equal(x, np.tile([0, 0, 1], (100, 1)))
