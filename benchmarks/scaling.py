"""Speed and memory as images grow: one warm training epoch of a three-block colour network.

    python benchmarks/scaling.py [--sizes 32 64 128] [--rounds 3] [--libraries minicnn keras]
    python benchmarks/scaling.py --baseline /tmp/old-minicnn     # also an older checkout, for before/after

The network (``scaling_network``): Conv2D(32/64/128, 3, padding="same",
activation="relu") + MaxPooling2D(2), three times, then GlobalAveragePooling2D
and Dense(10, softmax); Adam, sparse categorical cross-entropy, batch 64. The
data: 1,024 synthetic colour images (S, S, 3), uniform in [0, 1), with random
labels, the same in every process. Each run: a warm-up fit on 128 images (so
no compiling or graph tracing is timed), then one timed epoch of the 1,024.
Peak memory is the process's maximum resident set size (``ru_maxrss``) at the
end, so each library runs in a fresh process of its own. The epoch's CPU
seconds (all threads of the process) are recorded beside its wall time: on a
shared machine they tell the work done from the waiting for a core.

At every image size the libraries take turns, ``--rounds`` times over, each
in a new process with BLAS as users run it (without this machine's
``OPENBLAS_CORETYPE``/``OPENBLAS_L2_SIZE``, see ``blas.py``); the table shows the
median epoch time and peak memory of each, every round's time, and the ratio of
the medians. ``--baseline DIR`` adds a row "baseline": minicnn imported from
the checkout in DIR (``git archive COMMIT | tar -x -C DIR``), in the same
rounds, so that a change is measured before and after under the same load.
Writes ``benchmarks/results/scaling.json``.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from blas import blas_kernels, users_environment

RESULTS = Path(__file__).parent / "results"
IMAGES, WARMUP_IMAGES, BATCH_SIZE, CLASSES = 1024, 128, 64, 10
FILTERS = (32, 64, 128)


def synthetic_data(size, images=IMAGES):
    """``(x, labels)``: uniform colour images (images, size, size, 3) float32 and labels 0..9."""
    rng = np.random.default_rng(size)
    return rng.random((images, size, size, 3), dtype=np.float32), rng.integers(0, CLASSES, images)


def scaling_network(size):
    """The network above in minicnn, compiled."""
    import minicnn
    from minicnn.layers import Conv2D, Dense, GlobalAveragePooling2D, MaxPooling2D
    blocks = [layer for filters in FILTERS
              for layer in (Conv2D(filters, 3, padding="same", activation="relu"), MaxPooling2D(2))]
    model = minicnn.Sequential([*blocks, GlobalAveragePooling2D(), Dense(CLASSES, activation="softmax")],
                               input_shape=(size, size, 3))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def keras_network(size):
    """The same network in Keras."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras
    from keras import layers
    blocks = [layer for filters in FILTERS
              for layer in (layers.Conv2D(filters, 3, padding="same", activation="relu"), layers.MaxPooling2D(2))]
    model = keras.Sequential([keras.Input((size, size, 3)), *blocks, layers.GlobalAveragePooling2D(),
                              layers.Dense(CLASSES, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def worker(library, size):
    """Warm up, time one epoch, report it with the peak memory and the BLAS kernel (one JSON line)."""
    x, labels = synthetic_data(size)
    if library == "minicnn":
        model = scaling_network(size)
        fit_args = {"verbose": 0, "seed": 0}
    else:
        model = keras_network(size)
        fit_args = {"verbose": 0}
    model.fit(x[:WARMUP_IMAGES], labels[:WARMUP_IMAGES], batch_size=BATCH_SIZE, epochs=1, **fit_args)
    start, cpu_start = time.perf_counter(), time.process_time()
    history = model.fit(x, labels, batch_size=BATCH_SIZE, epochs=1, **fit_args)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    print(json.dumps({"epoch_seconds": seconds, "epoch_cpu_seconds": cpu_seconds, "final_loss": float(history.history["loss"][-1]),
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "blas": blas_kernels()}))


def measure(library, size, baseline=None):
    """One worker in a fresh process with users' BLAS; None if it failed (its error is printed).
    ``library`` "baseline" is minicnn imported from the checkout ``baseline``."""
    env = users_environment()
    if library == "baseline":
        library, env["PYTHONPATH"] = "minicnn", baseline
    process = subprocess.run([sys.executable, __file__, "--worker", library, "--sizes", str(size)],
                             capture_output=True, text=True, env=env)
    if process.returncode != 0:
        print(f"{library} at {size} px: not measured ({process.stderr.strip().splitlines()[-1:]})", file=sys.stderr)
        return None
    return json.loads(process.stdout.strip().splitlines()[-1])


def summary(runs):
    """Median epoch time and peak memory over the rounds that ran, with every round's figures."""
    runs = [r for r in runs if r is not None]
    if not runs:
        return None
    return {"epoch_seconds": float(np.median([r["epoch_seconds"] for r in runs])),
            "epoch_cpu_seconds": float(np.median([r["epoch_cpu_seconds"] for r in runs])),
            "peak_rss_mb": float(np.median([r["peak_rss_mb"] for r in runs])),
            "epoch_seconds_per_round": [r["epoch_seconds"] for r in runs],
            "peak_rss_mb_per_round": [r["peak_rss_mb"] for r in runs], "blas": runs[0]["blas"]}


def table(results):
    lines = [f"{'size':>6}  {'library':<9}{'epoch s':>9}{'CPU s':>8}{'peak MB':>9}{'time ÷ Keras':>14}"
             f"{'memory ÷ Keras':>16}  epoch s per round"]
    for size, by_library in results.items():
        keras = by_library.get("keras")
        for name, r in by_library.items():
            if r is None:
                lines.append(f"{size:>6}  {name:<9}{'failed':>9}")
                continue
            ratios = (f"{r['epoch_seconds'] / keras['epoch_seconds']:>14.2f}"
                      f"{r['peak_rss_mb'] / keras['peak_rss_mb']:>16.2f}") if keras else f"{'':>30}"
            rounds = " ".join(f"{t:.2f}" for t in r["epoch_seconds_per_round"])
            lines.append(f"{size:>6}  {name:<9}{r['epoch_seconds']:>9.2f}{r['epoch_cpu_seconds']:>8.2f}"
                         f"{r['peak_rss_mb']:>9.0f}{ratios}  {rounds}")
    blas = {r["blas"] for by_library in results.values() for r in by_library.values() if r}
    lines.append("BLAS: " + "; ".join(sorted(blas)))
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[32, 64, 128])
    parser.add_argument("--rounds", type=int, default=3, help="times each library runs at each size, in turn")
    parser.add_argument("--libraries", nargs="+", default=["minicnn", "keras"], choices=["minicnn", "keras"])
    parser.add_argument("--baseline", help="a checkout of another minicnn, measured as row 'baseline'")
    parser.add_argument("--worker", choices=["minicnn", "keras"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker, args.sizes[0])
    if args.baseline:
        args.libraries = ["baseline", *args.libraries]
    runs = {size: {name: [] for name in args.libraries} for size in args.sizes}
    load = os.getloadavg()[0]
    for number in range(args.rounds):
        for size in args.sizes:
            for name in args.libraries:
                runs[size][name].append(measure(name, size, args.baseline))
            print(f"round {number + 1}, {size} px: " + ", ".join(
                f"{name} {r[-1]['epoch_seconds']:.2f} s {r[-1]['peak_rss_mb']:.0f} MB"
                for name, r in runs[size].items() if r[-1]), flush=True)
    results = {size: {name: summary(r) for name, r in by_library.items()} for size, by_library in runs.items()}
    report = {"baseline": args.baseline, "images": IMAGES, "warmup_images": WARMUP_IMAGES, "batch_size": BATCH_SIZE, "rounds": args.rounds,
              "load_average_at_start": load, "load_average_at_end": os.getloadavg()[0],
              "results": {str(size): by_library for size, by_library in results.items()}}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "scaling.json").write_text(json.dumps(report, indent=2))
    print(table(results))
    print(f"load average (1 min) at start {load:.2f}, at end {report['load_average_at_end']:.2f}")
    print(f"written {RESULTS / 'scaling.json'}")


if __name__ == "__main__":
    main()
