"""Check that a minicnn report is self-contained, then screenshot it in headless Chromium.

Usage::

    python benchmarks/screenshot_report.py runs/exp1/report.html [--out shot.png]
    python benchmarks/screenshot_report.py --synthetic /tmp/demo   # make a demo report first

The check parses the HTML in Python: every <img> must carry a ``data:`` URI
that decodes to a valid PNG, and no src/href may point outside the page. The
screenshot needs Debian's Chromium (``apt-get install -y chromium``). The
script prints what it found as JSON and exits with status 1 when anything is
wrong.
"""
import argparse
import base64
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
URL_ATTRIBUTES = ("src", "href", "srcset", "poster", "data", "action", "xlink:href")
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


class _Collector(HTMLParser):
    """Remember every <img> and every attribute that could load something."""

    def __init__(self):
        super().__init__()
        self.images, self.links, self.tags = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs)
        self.links += [(tag, name, attrs[name]) for name in URL_ATTRIBUTES
                       if attrs.get(name) is not None]


def _inspect_image(index, attrs):
    """What one <img> holds: data URI?, decodes?, PNG?, width and height."""
    from PIL import Image  # Pillow comes with matplotlib

    src = attrs.get("src") or ""
    found = {"index": index, "alt": attrs.get("alt"), "data_uri": src.startswith("data:"),
             "png": False, "bytes": 0, "size": None}
    header, _, payload = src.partition(",")
    if not (found["data_uri"] and header == "data:image/png;base64"):
        return found
    try:
        data = base64.b64decode(payload, validate=True)
        with Image.open(io.BytesIO(data)) as image:
            image.load()  # decompresses every pixel, so a truncated PNG fails here
            found["size"] = list(image.size)
        found["png"] = data.startswith(PNG_SIGNATURE)
        found["bytes"] = len(data)
    except Exception as error:  # any decoding failure means "not a valid PNG"
        found["error"] = f"{type(error).__name__}: {error}"
    return found


def check_report(html_text):
    """Parse the page and list its images, outside references and scripts."""
    collector = _Collector()
    collector.feed(html_text)
    images = [_inspect_image(i, attrs) for i, attrs in enumerate(collector.images)]
    # Anything that is not a data: URI or an in-page #anchor would need a file or network.
    outside = [{"tag": tag, "attribute": name, "value": value[:80]}
               for tag, name, value in collector.links
               if not (value.startswith("data:") or value.startswith("#"))]
    lowered = html_text.lower()
    return {"images": images, "external_references": outside,
            "scripts": collector.tags.count("script"),
            "css_url_references": lowered.count("url("),
            "mentions_http": ("http://" in lowered) or ("https://" in lowered),
            "ok": bool(images) and all(img["png"] for img in images) and not outside
            and "script" not in collector.tags}


def find_chromium():
    """Path of a Chromium/Chrome executable, or a clear error saying how to install one."""
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    raise SystemExit("No Chromium found. Install it with: apt-get install -y chromium")


def screenshot(report_path, out_png, width=1200, height=3000, timeout=120):
    """Open ``report_path`` in headless Chromium and save a ``width x height`` PNG."""
    url = "file://" + os.path.abspath(report_path)
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        command = [find_chromium(), "--headless", "--no-sandbox", "--disable-gpu",
                   "--disable-quic", "--no-first-run", "--disable-background-networking",
                   "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                   f"--user-data-dir={profile}", f"--window-size={width},{height}",
                   f"--screenshot={os.path.abspath(out_png)}", url]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0 or not os.path.exists(out_png):
        raise SystemExit(f"Chromium failed (exit {result.returncode}):\n{result.stderr[-2000:]}")
    return out_png


def make_synthetic_report(out_dir, seed=0):
    """A report from made-up data (no model needed): 10 classes, 85 % right."""
    import numpy as np
    import matplotlib
    matplotlib.use("Agg")
    # Run from a checkout without `pip install -e .`: find minicnn one folder up.
    sys.path.insert(1, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from minicnn.runs.metrics import evaluate_predictions
    from minicnn.runs.plots import plot_prediction_grid
    from minicnn.runs.report import write_report

    names = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
             "Sneaker", "Bag", "Ankle boot"]
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 10, size=500)
    wrong = rng.random(500) < 0.15
    y_pred = np.where(wrong, rng.integers(0, 10, size=500), y_true)
    logits = rng.normal(size=(500, 10)) + 4.0 * np.eye(10)[y_pred]
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    # Each class gets its own bright square, so the grid shows something recognisable.
    images = rng.random((500, 28, 28)) * 0.3
    for i, label in enumerate(y_true):
        row, col = divmod(int(label), 5)
        images[i, 4 + 10 * row:14 + 10 * row, 1 + 5 * col:6 + 5 * col] = 1.0
    epochs = np.arange(1, 11)
    history = {"loss": list(1.2 / epochs), "accuracy": list(1 - 0.5 / epochs),
               "val_loss": list(1.3 / epochs + 0.05), "val_accuracy": list(0.95 - 0.5 / epochs)}
    metrics = evaluate_predictions(y_true, probabilities, names, loss=0.42)
    grid = plot_prediction_grid(images, y_true, y_pred, names, n=8, seed=4,
                                probabilities=probabilities)
    summary = ("Layer (type)            Output Shape         Param #\n"
               "conv2d (Conv2D)         (None, 26, 26, 32)   320\n"
               "max_pooling2d           (None, 13, 13, 32)   0\n"
               "flatten (Flatten)       (None, 5408)         0\n"
               "dense (Dense)           (None, 10)           54090\n"
               "Total params: 54,410 <all trainable> & checked")
    return write_report(out_dir, title="Synthetic demo <minicnn> & report", summary_text=summary,
                        metrics=metrics, history=history, figures={"prediction_grid": grid})


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", nargs="?", help="path of report.html")
    parser.add_argument("--out", help="screenshot PNG (default: beside the report)")
    parser.add_argument("--synthetic", metavar="DIR", help="first write a demo report to DIR")
    parser.add_argument("--width", type=int, default=1200)
    parser.add_argument("--height", type=int, default=3000)
    args = parser.parse_args(argv)
    if args.synthetic:
        args.report = make_synthetic_report(args.synthetic)
    if not args.report:
        parser.error("give REPORT_HTML or --synthetic DIR")
    with open(args.report, encoding="utf-8") as f:
        found = check_report(f.read())
    out = args.out or os.path.splitext(args.report)[0] + "_screenshot.png"
    found["report"] = args.report
    found["screenshot"] = screenshot(args.report, out, args.width, args.height)
    print(json.dumps(found, indent=2))
    return 0 if found["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
