"""How big is the explain page and how fast does it become interactive? (issue 16: < 5 MB, < 2 s)

Usage::

    python benchmarks/explain_page.py                     # dropout_cnn, 16 test images, 3 loads
    python benchmarks/explain_page.py --model runs/x/model.minicnn --loads 5

Writes the page for ``dropout_cnn`` (a trained model file if given, else fresh
weights: the page's work does not depend on their values) on 16 Fashion-MNIST
test images, opens it in headless Chromium (selenium) ``--loads`` times and
reads ``window.explainReady``: the page's own ``performance.now()`` when its
forward pass and first view are drawn, counted from the start of navigation.
Prints a table and writes ``benchmarks/results/explain_page.json``.
"""
import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import minicnn
from minicnn.interpret.explain import choose_examples, explain

sys.path.insert(0, str(Path(__file__).resolve().parent))
import headless_chromium  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "explain_page.json"


def build_page(model_file, images, path):
    model = minicnn.load_model(model_file) if model_file else minicnn.zoo.dropout_cnn()
    (_, _), (x_test, y_test) = minicnn.load_fashion_mnist(sample=model_file is None)
    x = minicnn.to_model_input(x_test)
    chosen = choose_examples(model, x, y_test, n=images)
    start = time.perf_counter()
    explain(model, x[chosen], y_test[chosen], path=path, class_names=minicnn.CLASS_NAMES)
    return model.name, time.perf_counter() - start


def load_times(path, loads):
    """Milliseconds from navigation start to ``explainReady``, one per fresh load."""
    driver = headless_chromium.start()
    try:
        times = []
        for _ in range(loads):
            driver.get(Path(path).as_uri())
            times.append(round(driver.execute_script("return window.explainReady"), 1))
        errors = headless_chromium.console_errors(driver)
        urls = headless_chromium.requested_urls(driver, Path(path).as_uri())
    finally:
        driver.quit()
    return times, errors, urls


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", help="a .minicnn file (default: a fresh dropout_cnn)")
    parser.add_argument("--images", type=int, default=16)
    parser.add_argument("--loads", type=int, default=3)
    args = parser.parse_args(argv)
    if headless_chromium.chromium_paths() is None:
        sys.exit("needs chromium and chromedriver: apt-get install -y chromium chromium-driver")
    path = Path(tempfile.mkdtemp()) / "explain.html"
    name, write_seconds = build_page(args.model, args.images, path)
    times, errors, urls = load_times(path, args.loads)
    result = {"model": name, "images": args.images, "page_bytes": path.stat().st_size,
              "write_seconds": round(write_seconds, 2), "ready_ms": times,
              "ready_ms_median": statistics.median(times), "console_errors": errors, "requested_urls": urls,
              "limits": {"page_bytes": 5_000_000, "ready_ms": 2000}}
    rows = [("model", name), ("images", args.images), ("page size", f"{result['page_bytes'] / 1e6:.2f} MB (limit 5 MB)"),
            ("written in", f"{write_seconds:.2f} s"),
            ("interactive after", f"{result['ready_ms_median']:.0f} ms median of {times} (limit 2000 ms)"),
            ("console errors", len(errors)), ("requests", len(urls))]
    width = max(len(key) for key, _ in rows)
    print("\n".join(f"{key:<{width}}  {value}" for key, value in rows))
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=1))
    ok = result["page_bytes"] < 5e6 and result["ready_ms_median"] < 2000 and not errors and not urls
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
