"""The HTML report: self-contained, one embedded PNG per figure, text escaped."""
import base64
import os
from html.parser import HTMLParser

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from minicnn.runs.metrics import evaluate_predictions  # noqa: E402
from minicnn.runs.plots import plot_prediction_grid  # noqa: E402
from minicnn.runs.report import save_figure, write_report  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
NAMES = ["T-shirt", "Trouser", "Bag"]
SUMMARY = "Layer (type)   Output Shape   Param #\nconv2d_7 (Conv2D)   (None, 26, 26, 8)   80"
HISTORY = {"loss": [1.0, 0.5], "accuracy": [0.6, 0.8],
           "val_loss": [1.1, 0.6], "val_accuracy": [0.55, 0.75]}


class Links(HTMLParser):
    """Every <img> src and every src/href attribute of the page."""

    def __init__(self, text):
        super().__init__()
        self.images, self.urls, self.tags = [], [], []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href"):
                self.urls.append(value)
                if tag == "img":
                    self.images.append(value)


def metrics_and_grid():
    # 3 of 4 right: accuracy 0.75, shown in the report as 0.7500.
    y_true = np.array([0, 1, 2, 2])
    y_pred = np.array([0, 1, 2, 0])
    probabilities = np.eye(3)[y_pred] * 0.7 + 0.1
    metrics = evaluate_predictions(y_true, probabilities, NAMES, loss=0.3)
    grid = plot_prediction_grid(np.random.default_rng(0).random((4, 28, 28)),
                                y_true, y_pred, NAMES, n=4, seed=1)
    return metrics, grid


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """A full report: training curves (from history), confusion matrix, prediction grid."""
    out_dir = tmp_path_factory.mktemp("report")
    metrics, grid = metrics_and_grid()
    path = write_report(out_dir, title="Run <1> & \"friends\"", summary_text=SUMMARY,
                        metrics=metrics, history=HISTORY, figures={"prediction_grid": grid})
    with open(path, encoding="utf-8") as f:
        return {"path": path, "dir": out_dir, "text": f.read(), "metrics": metrics}


def test_report_file_is_written(report):
    assert os.path.basename(report["path"]) == "report.html"
    assert os.path.dirname(report["path"]) == str(report["dir"])
    assert os.path.getsize(report["path"]) > 0
    # Nothing half-written is left behind by the atomic write.
    assert not [name for name in os.listdir(report["dir"]) if name.startswith(".")]


def test_no_outside_resources(report):
    links = Links(report["text"])
    assert links.urls and all(url.startswith("data:") for url in links.urls)
    assert "http://" not in report["text"] and "https://" not in report["text"]
    assert "script" not in links.tags and "link" not in links.tags


def test_one_embedded_png_per_figure(report):
    images = Links(report["text"]).images
    assert len(images) == 3  # training curves, confusion matrix, prediction grid
    for src in images:
        header, payload = src.split(",", 1)
        assert header == "data:image/png;base64"
        assert base64.b64decode(payload, validate=True).startswith(PNG_SIGNATURE)


def test_sections_appear_in_reading_order(report):
    text = report["text"]
    order = ["Model architecture", "Training curves", "Test metrics", "Confusion matrix",
             "Predictions on random test images"]
    positions = [text.index(heading) for heading in order]
    assert positions == sorted(positions)


def test_summary_metrics_and_classes_are_shown(report):
    text = report["text"]
    assert f"<pre>{SUMMARY}</pre>" in text
    assert "0.7500" in text          # accuracy 3/4
    assert "0.3000" in text          # test loss
    assert all(name in text for name in NAMES)


def test_title_is_escaped(report):
    assert "Run &lt;1&gt; &amp; &quot;friends&quot;" in report["text"]
    assert "<1>" not in report["text"]


def test_summary_is_escaped(tmp_path):
    metrics, grid = metrics_and_grid()
    plt.close(grid)
    path = write_report(tmp_path, title="t", summary_text="<b>bold</b>", metrics=metrics)
    text = open(path, encoding="utf-8").read()
    assert "&lt;b&gt;bold&lt;/b&gt;" in text and "<b>bold" not in text


def test_png_path_figure_and_no_extras(tmp_path):
    metrics, grid = metrics_and_grid()
    del metrics["confusion_matrix"]  # so no confusion figure is drawn for us
    png = save_figure(grid, tmp_path / "grid.png")
    path = write_report(tmp_path / "out", title="t", summary_text="s", metrics=metrics,
                        figures={"my grid": png})
    images = Links(open(path, encoding="utf-8").read()).images
    assert len(images) == 1
    with open(png, "rb") as f:
        assert base64.b64decode(images[0].split(",", 1)[1]) == f.read()


def test_save_figure_writes_png_and_closes(tmp_path):
    fig = plt.figure()
    path = save_figure(fig, tmp_path / "f.png")
    with open(path, "rb") as f:
        assert f.read(8) == PNG_SIGNATURE
    assert not plt.fignum_exists(fig.number)


def test_bad_inputs(tmp_path):
    metrics, grid = metrics_and_grid()
    plt.close(grid)
    with pytest.raises(ValueError, match="per_class"):
        write_report(tmp_path, title="t", summary_text="s",
                     metrics={k: v for k, v in metrics.items() if k != "per_class"})
    with pytest.raises(TypeError, match="int"):
        write_report(tmp_path, title="t", summary_text="s", metrics=metrics, figures={"x": 3})
    not_png = tmp_path / "fake.png"
    not_png.write_text("hello")
    with pytest.raises(ValueError, match="not a PNG"):
        write_report(tmp_path, title="t", summary_text="s", metrics=metrics,
                     figures={"x": not_png})


def test_report_renders_in_headless_chromium(tmp_path):
    """The report opens in a real browser: Chromium renders a full-size screenshot of a demo report.

    CI installs Debian's chromium, so there a missing browser is a failure, not a skip.
    """
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    from PIL import Image

    if not shutil.which("chromium") and not os.environ.get("CI"):
        pytest.skip("Chromium is not installed (apt-get install -y chromium)")
    script = Path(__file__).resolve().parents[1] / "benchmarks" / "screenshot_report.py"
    shot = tmp_path / "shot.png"
    result = subprocess.run([sys.executable, str(script), "--synthetic", str(tmp_path / "demo"),
                             "--out", str(shot), "--height", "1600"],
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    with Image.open(shot) as image:
        assert image.size == (1200, 1600)
        # A rendered page has text, tables and plots: many distinct colours, not a blank canvas.
        assert len(image.convert("RGB").getcolors(maxcolors=1 << 20)) > 100
