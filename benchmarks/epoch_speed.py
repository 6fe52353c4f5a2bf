"""One warm training epoch of seed 001's network in minicnn, Keras-TensorFlow and PyTorch.

    python benchmarks/epoch_speed.py [--batch-size 300] [--rounds 5] [--libraries minicnn keras ...]
    python benchmarks/epoch_speed.py --baseline /tmp/old-minicnn --libraries minicnn   # before/after a change

Every library runs in its own fresh process (so peak memory is its own), on the
same data (Fashion-MNIST if found, else random images of the same shape), after
a short warm-up: then one full epoch of 60,000 images at batch 300 with Adam and
categorical cross-entropy, and ``predict`` on the 10,000 test images (warm too:
after one batch of 1,000, so that neither tracing a graph nor loading compiled
inference kernels is timed; the median of ``PREDICT_REPEATS`` runs, as one run
swings by 20% here). Every
timed process runs BLAS as users do (without this machine's
``OPENBLAS_CORETYPE``/``OPENBLAS_L2_SIZE``, see ``blas.py``) and reports which
BLAS kernel ran.

Rows: ``minicnn`` (fast backend, fused blocks), ``minicnn-unfused`` (fast
backend, one step per layer: ``MINICNN_FUSE=0``), ``minicnn-numpy`` (the NumPy
layers: ``MINICNN_BACKEND=numpy``; too slow for a full epoch, so it trains on
``NUMPY_IMAGES`` images and predicts 2,000, both scaled up to the full counts,
and runs in the first round only), ``keras``, ``torch``; with ``--baseline DIR``
also ``baseline``: minicnn imported from the checkout in DIR (``git archive COMMIT |
tar -x -C DIR``), in the same rounds, so that a change is measured before and after
under the same load.

A shared machine's speed drifts (here by up to 2x within minutes) and Keras
itself runs in one of two speeds from process to process, so the libraries take
turns, ``--rounds`` times over; the table shows each one's median run and every
round's time, and ratios are taken between medians.

Also measured, in a process of its own with users' BLAS: the float32 FLOP/s of
conv2d_1's three matrix products (the largest), which with the training FLOPs of
one epoch gives the GEMM-bound limit (the epoch time if every multiply-add ran
at that speed and nothing else cost anything); the time of ``import minicnn``
and the first-batch overhead of a process whose numba cache is warm (compiled
code loaded from disk). Prints a table and writes
``benchmarks/results/epoch_speed.json``.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from blas import blas_kernels, users_environment

RESULTS = Path(__file__).parent / "results"
TRAIN_IMAGES, TEST_IMAGES, WARMUP_IMAGES = 60000, 10000, 3000
PREDICT_REPEATS = 3
NUMPY_IMAGES, NUMPY_TEST_IMAGES = 3000, 2000     # what the numpy backend runs, scaled up to the full counts
VARIANTS = {"minicnn": {}, "minicnn-unfused": {"MINICNN_FUSE": "0"}, "minicnn-numpy": {"MINICNN_BACKEND": "numpy"}}


def load_data():
    """Real Fashion-MNIST when the loader finds it, else uniform noise of the same shape."""
    try:
        import minicnn
        (x, y), (xt, _) = minicnn.load_fashion_mnist(download=False)
        source = "fashion-mnist"
        x, xt = minicnn.to_model_input(x), minicnn.to_model_input(xt)
    except (FileNotFoundError, OSError):
        rng = np.random.default_rng(0)
        x = rng.random((TRAIN_IMAGES, 28, 28, 1), dtype=np.float32)
        xt = rng.random((TEST_IMAGES, 28, 28, 1), dtype=np.float32)
        y = rng.integers(0, 10, TRAIN_IMAGES)
        source = "random"
    return x, np.eye(10, dtype=np.float32)[y], xt, source


def seed001_training_flops(batch_images):
    """Multiply-adds x 2 of one training pass: forward, weight gradient and input gradient
    of every conv and dense layer (the first layer needs no input gradient)."""
    layers = [  # (output pixels per image, output channels, inputs per output)
        (28 * 28, 32, 3 * 3 * 1),
        (14 * 14, 64, 3 * 3 * 32),
        (1, 128, 7 * 7 * 64),
        (1, 10, 128),
    ]
    forward = [2 * pixels * channels * fan_in for pixels, channels, fan_in in layers]
    passes = [2] + [3] * (len(layers) - 1)
    return batch_images * sum(f * p for f, p in zip(forward, passes))


def conv_gemm_flops_per_second(batch_images=300, repeats=10):
    """float32 FLOP/s of conv2d_1's three matrix products at batch 300, as training runs them:
    cols (58,800 x 288) @ kernel (288 x 64), cols.T @ dz, dz @ kernel.T. The fastest of
    ``repeats`` runs of the three: the speed BLAS reaches, which other jobs on a shared
    machine can only lower."""
    rng = np.random.default_rng(0)
    cols = rng.random((batch_images * 14 * 14, 288), dtype=np.float32)
    kernel = rng.random((288, 64), dtype=np.float32)
    dz = rng.random((batch_images * 14 * 14, 64), dtype=np.float32)
    kernel_t = np.ascontiguousarray(kernel.T)
    products = [lambda: cols @ kernel, lambda: cols.T @ dz, lambda: dz @ kernel_t]
    for product in products:
        product()
    fastest = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        for product in products:
            product()
        fastest = min(fastest, time.perf_counter() - start)
    return 3 * 2 * cols.shape[0] * 288 * 64 / fastest


# ----------------------------------------------------------------- workers
def predict_seconds(predict):
    """Median wall time of ``PREDICT_REPEATS`` calls of ``predict``."""
    times = []
    for _ in range(PREDICT_REPEATS):
        start = time.perf_counter()
        predict()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def import_seconds():
    """Time of ``import minicnn`` in a fresh process (numba's cache already warm)."""
    code = "import time; t = time.perf_counter(); import minicnn; print(time.perf_counter() - t)"
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                check=True).stdout)


def run_minicnn(x, y, xt, batch_size):
    """Fast or NumPy backend, fused or not: as the environment (``VARIANTS``) says."""
    import minicnn
    from minicnn.callbacks import Callback

    class BatchTimes(Callback):
        def on_train_batch_begin(self, batch, logs=None):
            self.start = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            self.times.append(time.perf_counter() - self.start)

    numpy_backend = minicnn.get_backend() == "numpy"
    train, test = (NUMPY_IMAGES, NUMPY_TEST_IMAGES) if numpy_backend else (len(x), len(xt))
    model = minicnn.zoo.dropout_cnn()
    first = BatchTimes()
    first.times = []
    warmup = WARMUP_IMAGES // 5 if numpy_backend else WARMUP_IMAGES
    model.fit(x[:warmup], y[:warmup], batch_size=batch_size, epochs=1, seed=0, verbose=0, callbacks=[first])
    start = time.perf_counter()
    history = model.fit(x[:train], y[:train], batch_size=batch_size, epochs=1, seed=1, verbose=0)
    epoch = (time.perf_counter() - start) * len(x) / train
    model.predict(xt[:1000], batch_size=1000, verbose=0)
    predict = predict_seconds(lambda: model.predict(xt[:test], batch_size=1000, verbose=0)) * len(xt) / test
    return {"epoch_seconds": epoch, "predict_seconds": predict, "import_seconds": import_seconds(),
            "first_batch_overhead_seconds": first.times[0] - float(np.median(first.times[1:])),
            "final_loss": history.history["loss"][-1], "backend": minicnn.get_backend(),
            "scaled_from_images": None if train == len(x) else [train, test]}


def run_keras(x, y, xt, batch_size):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras
    from keras import layers

    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.ZeroPadding2D(1), layers.Conv2D(32, 3, activation="relu"), layers.Dropout(0.5),
        layers.MaxPooling2D(2), layers.ZeroPadding2D(1), layers.Conv2D(64, 3, activation="relu"),
        layers.Dropout(0.5), layers.MaxPooling2D(2), layers.Flatten(),
        layers.Dense(128, activation="relu"), layers.Dropout(0.5), layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(x[:WARMUP_IMAGES], y[:WARMUP_IMAGES], batch_size=batch_size, epochs=1, verbose=0)
    start = time.perf_counter()
    history = model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)
    epoch = time.perf_counter() - start
    model.predict(xt[:1000], batch_size=1000, verbose=0)
    return {"epoch_seconds": epoch, "predict_seconds": predict_seconds(lambda: model.predict(xt, batch_size=1000,
                                                                                         verbose=0)),
            "final_loss": float(history.history["loss"][-1]), "version": keras.__version__}


def run_torch(x, y, xt, batch_size):
    import torch
    from torch import nn

    torch.set_num_threads(os.cpu_count())
    model = nn.Sequential(
        nn.ZeroPad2d(1), nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Dropout(0.5), nn.MaxPool2d(2),
        nn.ZeroPad2d(1), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.Dropout(0.5), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(7 * 7 * 64, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    images = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))   # torch is NCHW
    labels = torch.from_numpy(y.argmax(axis=1))

    def epoch(count):
        model.train()
        order = torch.randperm(count)
        for start in range(0, count, batch_size):
            index = order[start:start + batch_size]
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(images[index]), labels[index])
            loss.backward()
            optimizer.step()
        return float(loss)

    epoch(WARMUP_IMAGES)
    start = time.perf_counter()
    final_loss = epoch(len(images))
    seconds = time.perf_counter() - start
    model.eval()
    test = torch.from_numpy(np.ascontiguousarray(xt.transpose(0, 3, 1, 2)))
    def predict():
        with torch.no_grad():
            for i in range(0, len(test), 1000):
                model(test[i:i + 1000])

    with torch.no_grad():
        model(test[:1000])
    return {"epoch_seconds": seconds, "predict_seconds": predict_seconds(predict),
            "final_loss": final_loss, "version": torch.__version__}


WORKERS = {**{name: run_minicnn for name in VARIANTS}, "keras": run_keras, "torch": run_torch}


def worker(library, batch_size, data_dir):
    """Train in this fresh process. The data comes as .npy files, so that the Keras and
    PyTorch workers never import minicnn (whose fast backend tunes the memory allocator)."""
    if library == "gemm":
        print(json.dumps({"flops": conv_gemm_flops_per_second(), "blas": blas_kernels()}))
        return
    x, y, xt = (np.load(Path(data_dir) / f"{name}.npy") for name in ("x", "y", "xt"))
    result = WORKERS[library](x, y, xt, batch_size)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["blas"] = blas_kernels()
    print(json.dumps(result))


def measure(library, batch_size, data_dir, baseline=None):
    """Run one worker in a fresh process with users' BLAS; None when it is not installed or fails.
    ``library`` "baseline" is minicnn imported from the checkout ``baseline``."""
    env = {**users_environment(), **VARIANTS.get(library, {})}
    if library == "baseline":
        library, env["PYTHONPATH"] = "minicnn", baseline
    process = subprocess.run([sys.executable, __file__, "--worker", library, "--batch-size", str(batch_size),
                              "--data-dir", data_dir], capture_output=True, text=True, env=env)
    if process.returncode != 0:
        print(f"{library}: not measured ({process.stderr.strip().splitlines()[-1:]})", file=sys.stderr)
        return None
    return json.loads(process.stdout.strip().splitlines()[-1])


def median_run(runs):
    """The run with the median epoch time (the lower middle one for an even count),
    with every round's epoch time beside it; None if the library never ran."""
    runs = [r for r in runs if r is not None]
    if not runs:
        return None
    middle = sorted(runs, key=lambda r: r["epoch_seconds"])[(len(runs) - 1) // 2]
    return {**middle, "epoch_seconds_per_round": [r["epoch_seconds"] for r in runs]}


def table(results, limit_seconds, gemm):
    keras = results.get("keras")
    lines = [f"{'library':<16}{'epoch s':>9}{'img/s':>8}{'predict s':>11}{'peak MB':>9}{'÷ Keras':>9}"
             f"  epoch s per round; BLAS kernel"]
    for name, r in results.items():
        if r is None:
            lines.append(f"{name:<16}{'not installed or failed':>46}")
            continue
        ratio = f"{r['epoch_seconds'] / keras['epoch_seconds']:>9.2f}" if keras else f"{'':>9}"
        rounds = " ".join(f"{t:.2f}" for t in r["epoch_seconds_per_round"])
        scaled = " (scaled from {} train, {} test images)".format(*r["scaled_from_images"]) \
            if r.get("scaled_from_images") else ""
        lines.append(f"{name:<16}{r['epoch_seconds']:>9.2f}{TRAIN_IMAGES / r['epoch_seconds']:>8.0f}"
                     f"{r['predict_seconds']:>11.2f}{r['peak_rss_mb']:>9.0f}{ratio}  {rounds}; {r['blas']}{scaled}")
    mini = results["minicnn"]
    if keras:
        lines.append(f"predict 10k: minicnn {mini['predict_seconds']:.2f} s = "
                     f"{mini['predict_seconds'] / keras['predict_seconds']:.2f}x Keras's")
    lines.append(f"GEMM-bound limit: {limit_seconds:.2f} s at {gemm['flops'] / 1e9:.0f} GFLOP/s on conv2d_1's "
                 f"products ({gemm['blas']}); minicnn is {mini['epoch_seconds'] / limit_seconds:.2f}x it")
    lines.append(f"import minicnn: {mini['import_seconds']:.2f} s; first-batch overhead with a warm "
                 f"numba cache: {mini['first_batch_overhead_seconds']:.2f} s")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=300)
    parser.add_argument("--libraries", nargs="+", default=list(WORKERS), choices=list(WORKERS))
    parser.add_argument("--rounds", type=int, default=5, help="times each library runs, in turn")
    parser.add_argument("--baseline", help="a checkout of another minicnn, measured as row 'baseline'")
    parser.add_argument("--worker", choices=[*WORKERS, "gemm"], help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker, args.batch_size, args.data_dir)
    order = ["minicnn"] + (["baseline"] if args.baseline else []) + [n for n in args.libraries if n != "minicnn"]
    rounds, gemm = [], []
    with tempfile.TemporaryDirectory() as data_dir:
        *arrays, source = load_data()
        for name, array in zip(("x", "y", "xt"), arrays):
            np.save(Path(data_dir) / f"{name}.npy", array)
        for number in range(args.rounds):
            gemm.append(measure("gemm", args.batch_size, data_dir))
            rounds.append({name: measure(name, args.batch_size, data_dir, args.baseline) for name in order
                           if name != "minicnn-numpy" or number == 0})
            print(f"round {number + 1}: " + ", ".join(
                f"{name} {r['epoch_seconds']:.2f} s" for name, r in rounds[-1].items() if r), flush=True)
    results = {name: median_run([r.get(name) for r in rounds]) for name in order}
    gemm = sorted(gemm, key=lambda g: g["flops"])[(len(gemm) - 1) // 2]
    limit = seed001_training_flops(TRAIN_IMAGES) / gemm["flops"]
    if results["minicnn"] is None:
        raise SystemExit("minicnn itself failed: run with --worker minicnn to see why.")
    minicnn_over_keras = [r["minicnn"]["epoch_seconds"] / r["keras"]["epoch_seconds"]
                          for r in rounds if r["minicnn"] and r.get("keras")]
    report = {"batch_size": args.batch_size, "data": source, "rounds": args.rounds, "baseline": args.baseline,
              "conv_gemm_gflops": gemm["flops"] / 1e9, "gemm_blas": gemm["blas"],
              "minicnn_over_keras_per_round": minicnn_over_keras,
              "epoch_training_gflop": seed001_training_flops(TRAIN_IMAGES) / 1e9,
              "gemm_bound_seconds": limit, "results": results}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "epoch_speed.json").write_text(json.dumps(report, indent=2))
    print(table(results, limit, gemm))
    if minicnn_over_keras:
        print("minicnn / Keras epoch time, round by round: " + " ".join(f"{q:.2f}" for q in minicnn_over_keras))
    print(f"written {RESULTS / 'epoch_speed.json'}")


if __name__ == "__main__":
    main()
