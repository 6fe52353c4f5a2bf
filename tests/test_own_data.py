"""Your own images from the loader to the report: ``train --dataset FOLDER`` end to end, colour CAM overlays."""
import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from minicnn import zoo
from minicnn.interpret.cam import class_activation_map
from minicnn.interpret.pictures import overlay, plot_cam

COLOURS = {"blue": (0, 0, 255), "green": (0, 255, 0), "red": (255, 0, 0)}


def make_folder(root, per_class=6, size=14, seed=0):
    """One subfolder per colour: dark noise with a square of that colour, PNG and JPEG."""
    rng = np.random.default_rng(seed)
    for name, colour in COLOURS.items():
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            pixels = rng.integers(0, 60, (size, size, 3)).astype(np.uint8)
            pixels[3:11, 3:11] = colour
            Image.fromarray(pixels).save(root / name / f"{i}.{'png' if i % 2 else 'jpg'}")
    return root


def minicnn(*args):
    return subprocess.run([sys.executable, "-m", "minicnn", *map(str, args)], capture_output=True, text=True,
                          timeout=600)


def test_train_evaluate_explain_on_a_folder(tmp_path):
    folder = make_folder(tmp_path / "photos")
    run = tmp_path / "run"
    result = minicnn("train", "--dataset", folder, "--image-size", 12, 12, "--model", "gap_cnn", "--epochs", 1,
                     "--seed", 0, "--verbose", 0, "--out", run)
    assert result.returncode == 0, result.stderr
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["class_names"] == ["blue", "green", "red"] and metrics["dataset"] == "photos"
    assert metrics["n_samples"] == int(0.2 * 18)                       # the held-out fifth
    grid = np.asarray(Image.open(run / "prediction_grid.png").convert("RGB")).astype(int)
    assert (grid[..., 0] - grid[..., 1] > 150).sum() > 50               # a red square, drawn in colour
    report = (run / "report.html").read_text()
    assert "gap_cnn on photos" in report and "blue" in report
    # explain finds the run's data set in its config.json: the page gets colour images and the names
    page = tmp_path / "page.html"
    assert minicnn("explain", run, "--images", 3, "--out", page).returncode == 0
    text = page.read_text()
    assert '"class_names":["blue","green","red"]' in text and '"input_shape":[12,12,3]' in text
    # a typo is a clear error, not a silent switch to other data
    result = minicnn("evaluate", run, "--dataset", tmp_path / "typo", "--out", tmp_path / "eval")
    assert result.returncode == 2 and "no such folder" in result.stderr and "Traceback" not in result.stderr


def test_colour_cam_overlay_keeps_the_image_colours():
    image = np.zeros((16, 16, 3))
    image[:8] = (1.0, 0.0, 0.0)                           # top half red, bottom half black
    heatmap = np.zeros((16, 16))
    heatmap[12:, 12:] = 1.0                               # the model "looked" at one corner
    mixed = overlay(image, heatmap, alpha=0.4)
    # jet(0) = (0, 0, 0.5) and jet(1) = (0.5, 0, 0): 0.6 * image + 0.4 * colour, channel by channel
    np.testing.assert_allclose(mixed[0, 0], [0.6, 0.0, 0.2], atol=1e-6)      # red stays red
    np.testing.assert_allclose(mixed[8, 0], [0.0, 0.0, 0.2], atol=1e-6)      # black takes the cold colour
    np.testing.assert_allclose(mixed[15, 15], [0.2, 0.0, 0.0], atol=1e-6)    # the hot corner
    model = zoo.gap_cnn(input_shape=(16, 16, 3), num_classes=3)
    x = np.repeat(image[None].astype(np.float32), 2, axis=0)
    assert class_activation_map(model, x).shape == (2, 16, 16)
    fig = plot_cam(model, x, class_names=["blue", "green", "red"], n=2)
    top = fig.axes[0].get_images()[0].get_array()
    assert top.shape == (16, 16, 3) and np.allclose(top[0, 0], (1, 0, 0))   # the image row in colour
    bottom = np.asarray(fig.axes[2].get_images()[0].get_array())
    assert bottom.shape == (16, 16, 3) and bottom[0, 0, 0] > bottom[0, 0, 1]  # overlay still red there
