"""The explain page in a real browser: the numbers it shows are minicnn's own forward pass.

Debian's chromium and chromium-driver with selenium open the page (CI installs
them, so there a missing browser fails instead of skipping). One browser
serves the whole module; the model is tiny, so the page loads in a blink.
"""
import re
import sys
from pathlib import Path

import numpy as np
import pytest

import minicnn
from minicnn.interpret.explain import choose_examples, explain
from minicnn.layers import Conv2D, Dense, Flatten, MaxPooling2D, ZeroPadding2D

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import headless_chromium  # noqa: E402

CLASSES = ["zero", "one", "two"]


@pytest.fixture(scope="module")
def model_and_images():
    minicnn.set_random_seed(1)
    model = minicnn.Sequential([
        ZeroPadding2D(1), Conv2D(4, 3, activation="relu"), MaxPooling2D(2),
        Conv2D(5, 3, padding="same", strides=2, activation="relu"),
        Conv2D(3, 3, padding="same", dilation_rate=(2, 1), activation="relu"),    # taps 2 rows apart
        Flatten(), Dense(3, activation="softmax"),
    ], input_shape=(10, 10, 1))
    rng = np.random.default_rng(1)
    for layer in model.layers:
        if "bias" in layer.params:          # a bias that is not zero, so the sum and the bias differ
            layer.params["bias"][...] = rng.normal(0, 0.1, layer.params["bias"].shape)
    x = rng.random((4, 10, 10, 1)).astype("float32")
    return model, x, np.array([0, 1, 2, 1])


@pytest.fixture(scope="module")
def page(model_and_images, tmp_path_factory):
    model, x, y = model_and_images
    return Path(explain(model, x, y, path=tmp_path_factory.mktemp("explain") / "page.html",
                        class_names=CLASSES, history={"loss": [1.0, 0.5], "accuracy": [0.5, 0.8]}))


@pytest.fixture(scope="module")
def browser(chromium, page):
    chromium.get(page.as_uri())
    return chromium


def by_css(driver, css):
    from selenium.webdriver.common.by import By
    return driver.find_element(By.CSS_SELECTOR, css)


def hover(driver, element, dx, dy):
    from selenium.webdriver.common.action_chains import ActionChains
    ActionChains(driver).move_to_element_with_offset(element, dx, dy).perform()


def shown(driver, element_id):
    return float(by_css(driver, "#" + element_id).text)


def open_channel(driver, image, layer, channel):
    by_css(driver, '#tabs button[data-view="overview"]').click()
    by_css(driver, f"#img-{image}").click()
    by_css(driver, f'.thumb[data-layer="{layer}"][data-channel="{channel}"]').click()


def test_page_is_one_file_with_nothing_from_outside(page):
    text = page.read_text()
    assert len(text) < 5e6
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", text, re.I)
    assert not re.search(r"""url\(\s*["']?(https?:)?//""", text, re.I)
    assert text.count("<script") == 2 and "<link" not in text


def test_hovered_conv_value_is_minicnns(browser, model_and_images):
    model, x, _ = model_and_images
    near, corners = ((-15, -15), (5, 10), (20, 3)), ((-100, -100), (0, 0), (100, 40))   # the 3x3 map: all of it
    for image, layer, channel, offsets in ((0, 1, 2, near), (3, 3, 4, near), (1, 4, 2, corners)):
        open_channel(browser, image, layer, channel)
        canvas = by_css(browser, "#out-canvas")
        outputs = model.forward(x[image:image + 1], return_outputs=True)
        conv = model.layers[layer]
        linear = Conv2D(conv.filters, conv.kernel_size, conv.strides, conv.padding,      # z: no ReLU
                        dilation_rate=conv.dilation_rate)
        linear.build(conv.input_shape)
        linear.params.update(conv.params)
        z_all = linear.forward(outputs[layer - 1])
        for dx, dy in offsets:
            hover(browser, canvas, dx, dy)
            pos = by_css(browser, "#calc-pos")
            i, j = int(pos.get_attribute("data-i")), int(pos.get_attribute("data-j"))
            assert int(pos.get_attribute("data-channel")) == channel
            z = float(z_all[0, i, j, channel])
            assert shown(browser, "calc-out") == pytest.approx(float(outputs[layer][0, i, j, channel]), abs=1e-4)
            assert shown(browser, "calc-z") == pytest.approx(z, abs=1e-4)
            assert shown(browser, "calc-bias") == pytest.approx(float(conv.params["bias"][channel]), abs=1e-6)
            assert shown(browser, "calc-sum") == pytest.approx(z - float(conv.params["bias"][channel]), abs=1e-4)


def test_max_pool_shows_the_winner(browser, model_and_images):
    model, x, _ = model_and_images
    open_channel(browser, 1, 2, 3)
    hover(browser, by_css(browser, "#out-canvas"), 12, -12)
    pos = by_css(browser, "#calc-pos")
    i, j = int(pos.get_attribute("data-i")), int(pos.get_attribute("data-j"))
    expected = float(model.forward(x[1:2], return_outputs=True)[2][0, i, j, 3])
    assert shown(browser, "calc-out") == pytest.approx(expected, abs=1e-4)
    assert float(by_css(browser, "td.winner").text) == pytest.approx(expected, abs=1e-4)


def test_softmax_unit_shows_logit_and_probability(browser, model_and_images):
    model, x, _ = model_and_images
    open_channel(browser, 2, 6, 1)
    probabilities = model.forward(x[2:3])
    logits = model.layers[-1].activation.logits
    assert shown(browser, "calc-out") == pytest.approx(float(probabilities[0, 1]), abs=1e-4)
    assert shown(browser, "calc-z") == pytest.approx(float(logits[0, 1]), abs=1e-4)


def test_every_view_renders_without_errors_or_requests(browser, page):
    for view in ("cam", "card", "compute", "overview"):
        by_css(browser, f'#tabs button[data-view="{view}"]').click()
        assert by_css(browser, f"#view-{view}").is_displayed()
    by_css(browser, '#tabs button[data-view="card"]').click()
    assert "Training curves" in by_css(browser, "#view-card").text
    assert headless_chromium.console_errors(browser) == []
    assert headless_chromium.requested_urls(browser, page.as_uri()) == []


def test_examples_include_mistakes(model_and_images):
    model, x, _ = model_and_images
    predicted = model.predict(x, verbose=0).argmax(1)
    y = predicted.copy()
    y[[0, 2]] = (predicted[[0, 2]] + 1) % 3                # two mistakes
    chosen = choose_examples(model, x, y, n=3, wrong=1)
    assert len(chosen) == 3 and (predicted[chosen] != y[chosen]).sum() == 1


def test_explain_and_summary_commands(tmp_path, capsys):
    from minicnn.runs.cli import main
    minicnn.set_random_seed(0)
    model = minicnn.Sequential([Conv2D(2, 3, activation="relu"), MaxPooling2D(2), Flatten(),
                                Dense(10, activation="softmax")], input_shape=(28, 28, 1))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    path = model.save(tmp_path / "model")
    assert main(["explain", path, "--sample", "--images", "5", "--out", str(tmp_path / "p.html")]) == 0
    text = (tmp_path / "p.html").read_text()
    assert '"n_images":5' in text and "T-shirt/top" in text
    assert main(["summary", path]) == 0
    out = capsys.readouterr().out
    assert "receptive field" in out and "3x3 px" in out and "whole image" in out


def test_flow_lines_and_kernel_sweep(browser, model_and_images):
    model, x, _ = model_and_images
    open_channel(browser, 0, 1, 2)
    assert len(browser.find_elements("css selector", "#flow svg.flow-lines line")) == 4     # window corners -> value
    read = "const p = document.getElementById('calc-pos'); return [+p.dataset.i, +p.dataset.j]"
    position = lambda: tuple(browser.execute_script(read))  # noqa: E731   (one read: the sweep redraws)
    assert position() == (0, 0)
    by_css(browser, "#sweep-step").click()
    assert position() == (0, 1)
    by_css(browser, "#sweep-play").click()
    from selenium.webdriver.support.ui import WebDriverWait
    WebDriverWait(browser, 5, poll_frequency=0.05).until(lambda d: position() not in ((0, 1), (0, 2)))
    by_css(browser, "#sweep-pause").click()
    stopped = position()
    browser.execute_script("return new Promise((done) => setTimeout(done, 700))")
    assert position() == stopped
    i, j = stopped
    expected = model.forward(x[:1], return_outputs=True)[1][0, i, j, 2]
    assert shown(browser, "calc-out") == pytest.approx(float(expected), abs=1e-4)


def test_padding_reads_pad_not_zero(browser):
    open_channel(browser, 0, 3, 0)                    # 'same' conv, stride 2: window (0, 0) hangs over the top left
    cells = [td.text for td in browser.find_elements("css selector", "#calc table.mini td")]
    assert "pad" in cells and headless_chromium.console_errors(browser) == []


def saved_model(tmp_path):
    minicnn.set_random_seed(0)
    model = minicnn.Sequential([Conv2D(2, 3, activation="relu"), MaxPooling2D(2), Flatten(),
                                Dense(10, activation="softmax")], input_shape=(28, 28, 1))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model.save(tmp_path / "model")


@pytest.mark.parametrize("where, says", [("missing/p.html", "does not exist"), ("", "is a folder")])
def test_explain_out_is_checked_before_the_work(tmp_path, capsys, monkeypatch, where, says):
    from minicnn.runs import cli, pipeline
    path = saved_model(tmp_path)
    monkeypatch.setattr(pipeline, "data_for_model", lambda *a, **k: pytest.fail("loaded data before checking --out"))
    out = tmp_path / where
    assert cli.main(["explain", path, "--sample", "--out", str(out)]) == 2
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and says in error and str(out) in error
    assert not (tmp_path / "missing").exists()


def test_explain_images_count_and_help(tmp_path, capsys):
    from minicnn.runs.cli import main
    with pytest.raises(SystemExit):
        main(["explain", "--help"])
    assert "a quarter of them" in " ".join(capsys.readouterr().out.split())
    path = saved_model(tmp_path)
    assert main(["explain", path, "--sample", "--images", "1", "--out", str(tmp_path / "p.html")]) == 0
    assert "1 test image from" in capsys.readouterr().out


def test_a_quarter_of_the_examples_are_mistakes(model_and_images):
    model, x, _ = model_and_images
    x12 = np.concatenate([x, x, x])
    predicted = model.predict(x12, verbose=0).argmax(1)
    y = predicted.copy()
    y[:4] = (predicted[:4] + 1) % 3                       # four mistakes, eight right
    chosen = choose_examples(model, x12, y, n=8)
    assert (predicted[chosen] != y[chosen]).sum() == 2


def test_where_it_looked_shares_one_scale_with_a_legend(browser, model_and_images):
    from minicnn.interpret.cam import raw_heatmaps, upsample
    model, x, _ = model_and_images
    by_css(browser, "#img-2").click()
    by_css(browser, '#tabs button[data-view="cam"]').click()
    raw = [upsample(raw_heatmaps(model, x[2:3], class_index=c)[0], (10, 10)) for c in range(3)]
    assert shown(browser, "cam-scale") == pytest.approx(max(r.max() for r in raw), rel=1e-5)
    assert "share one scale" in by_css(browser, "#view-cam").text


def test_pooling_receptive_field_shows_the_pooled_channel(browser):
    open_channel(browser, 0, 2, 3)                     # MaxPooling2D, channel 3
    captions = [f.text for f in browser.find_elements("css selector", ".below figcaption")]
    assert any(c.startswith("conv2d") and "channel 3" in c for c in captions), captions
    assert not any("mean of" in c for c in captions if "channel 3" in c)
