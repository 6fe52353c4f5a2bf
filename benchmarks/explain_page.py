"""How big is the explain page, how fast does it become interactive, and how fast does it run the
network on a drawn image? (issue 27: < 3 MB at 16 images, < 1 s, < 200 ms)

Usage::

    python benchmarks/explain_page.py                     # seed 001's dropout_cnn, 16 test images
    python benchmarks/explain_page.py --model runs/x/model.minicnn --loads 5

Writes the page for ``dropout_cnn`` with the weights that ship with minicnn (a
trained model file if given) on 16 Fashion-MNIST test images, opens it in
headless Chromium (selenium) ``--loads`` times and reads ``window.explainReady``:
the page's own ``performance.now()`` when its forward pass and first view are
drawn, counted from the start of navigation. Then it draws ``--strokes`` strokes
on the page's canvas and reads how long the page's own forward pass took on each
drawn image (``window.explainOwn.forwardMs``; the redraw of the views is not
counted). Prints a table and writes ``benchmarks/results/explain_page.json``.
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
LIMITS = {"page_bytes": 3_000_000, "ready_ms": 1000, "own_forward_ms": 200}


def build_page(model_file, images, path):
    model = minicnn.load_model(model_file) if model_file else minicnn.zoo.load_pretrained("dropout_cnn")
    (_, _), (x_test, y_test) = minicnn.load_fashion_mnist(sample=True)
    x = minicnn.to_model_input(x_test)
    chosen = choose_examples(model, x, y_test, n=images)
    start = time.perf_counter()
    explain(model, x[chosen], y_test[chosen], path=path, class_names=minicnn.CLASS_NAMES)
    return model.name, time.perf_counter() - start


def draw_times(driver, strokes):
    """The page's forward pass on the drawn image after each of ``strokes`` strokes, in ms."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    pad, times = driver.find_element(By.CSS_SELECTOR, "#draw"), []
    for k in range(strokes):
        driver.execute_script("window.explainOwn = null")
        ActionChains(driver).move_to_element_with_offset(pad, -30 + 5 * k, -30).click_and_hold() \
            .move_by_offset(10, 50).release().perform()
        times.append(round(driver.execute_script("return window.explainOwn.forwardMs"), 1))
    return times


def measure(path, loads, strokes):
    driver = headless_chromium.start()
    try:
        ready = []
        for _ in range(loads):
            driver.get(Path(path).as_uri())
            ready.append(round(driver.execute_script("return window.explainReady"), 1))
        own = draw_times(driver, strokes)
        errors = headless_chromium.console_errors(driver)
        urls = headless_chromium.requested_urls(driver, Path(path).as_uri())
    finally:
        driver.quit()
    return ready, own, errors, urls


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", help="a .minicnn file (default: the shipped dropout_cnn, seed 001's network)")
    parser.add_argument("--images", type=int, default=16)
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--strokes", type=int, default=5)
    args = parser.parse_args(argv)
    if headless_chromium.chromium_paths() is None:
        sys.exit("needs chromium and chromedriver: apt-get install -y chromium chromium-driver")
    path = Path(tempfile.mkdtemp()) / "explain.html"
    name, write_seconds = build_page(args.model, args.images, path)
    ready, own, errors, urls = measure(path, args.loads, args.strokes)
    result = {"model": name, "images": args.images, "page_bytes": path.stat().st_size,
              "write_seconds": round(write_seconds, 2), "ready_ms": ready, "ready_ms_median": statistics.median(ready),
              "own_forward_ms": own, "own_forward_ms_median": statistics.median(own),
              "console_errors": errors, "requested_urls": urls, "limits": LIMITS}
    rows = [("model", name), ("images", args.images),
            ("page size", f"{result['page_bytes'] / 1e6:.2f} MB (goal < 3 MB)"),
            ("written in", f"{write_seconds:.2f} s"),
            ("interactive after", f"{result['ready_ms_median']:.0f} ms median of {ready} (goal < 1000 ms)"),
            ("forward, drawn image", f"{result['own_forward_ms_median']:.0f} ms median of {own} (goal < 200 ms)"),
            ("console errors", len(errors)), ("requests", len(urls))]
    width = max(len(key) for key, _ in rows)
    print("\n".join(f"{key:<{width}}  {value}" for key, value in rows))
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=1))
    ok = (result["page_bytes"] < LIMITS["page_bytes"] and result["ready_ms_median"] < LIMITS["ready_ms"]
          and result["own_forward_ms_median"] < LIMITS["own_forward_ms"] and not errors and not urls)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
