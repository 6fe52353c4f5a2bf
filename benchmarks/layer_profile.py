"""Where the time goes: forward and backward time of every step of a network (seed 001's by default).

    python benchmarks/layer_profile.py [--batch-size 300] [--repeats 10] [--model dropout_cnn]
    python benchmarks/layer_profile.py --model scaling --image-size 128 --batch-size 64   # scaling.py's network
    MINICNN_FUSE=0 python benchmarks/layer_profile.py        # one step per layer, no fused blocks
    MINICNN_BACKEND=numpy python benchmarks/layer_profile.py --repeats 2   # the NumPy layers

``--clock cpu`` times CPU seconds of this process (all its threads) instead of
wall time: steadier on a busy shared machine; with ``NUMBA_NUM_THREADS=1
OPENBLAS_NUM_THREADS=1`` it counts the work itself.

A step is what ``Sequential`` runs: a layer's fast twin, a fused block covering
several layers, or (numpy backend) the layer itself. Times one training batch
step by step (median of ``--repeats`` batches after two warm-up batches), plus
the loss and the optimizer step, and each step's inference forward pass
(``training=False``, what ``predict`` runs), with BLAS as users run it (``blas.py``).
``--model`` is a zoo model or ``scaling``, the colour network of ``scaling.py``
at ``--image-size`` pixels. Prints a table and writes
``benchmarks/results/layer_profile[_<model>][_unfused|_numpy][_cpu].json``.
"""
import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

import minicnn
from blas import blas_kernels, rerun_as_users_do
from scaling import IMAGES, scaling_network

RESULTS = Path(__file__).parent / "results"
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
clock = CLOCKS["wall"]


def time_one_batch(model, plan, x, y):
    """Seconds per step for forward and backward, and for the loss + optimizer step.
    Backward stops as training's does (``Sequential.backward(input_gradient=False)``)."""
    forward, backward = [], [0.0] * len(plan.steps)
    out = x
    for step in plan.steps:
        start = clock()
        out = step.forward(out, training=True)
        forward.append(clock() - start)
    start = clock()
    _, grad, from_logits = model.compute_loss(y, out)
    loss_seconds = clock() - start
    passes = plan.backward_passes(from_logits, input_gradient=False)        # last step first
    for position, backward_pass in zip(reversed(range(len(plan.steps))), passes):
        start = clock()
        grad = backward_pass(grad)
        backward[position] = clock() - start
    start = clock()
    model.optimizer.apply(model.trainable_weights, model.gradients)
    return forward, backward, loss_seconds + clock() - start


def time_inference(plan, x):
    """Seconds per step of one inference forward pass (``training=False``)."""
    seconds, out = [], x
    for step in plan.steps:
        start = clock()
        out = step.forward(out, training=False)
        seconds.append(clock() - start)
    return seconds


def profile(model_name, batch_size, repeats, image_size):
    model = scaling_network(image_size) if model_name == "scaling" else minicnn.zoo.get(model_name)()
    rng = np.random.default_rng(0)
    x = rng.random((batch_size, *model.input_shape), dtype=np.float32)
    labels = rng.integers(0, 10, batch_size)
    y = labels if isinstance(model.loss, minicnn.losses.SparseCategoricalCrossentropy) \
        else np.eye(10, dtype=np.float32)[labels]
    plan = minicnn.model.plan_for(model.layers)
    runs = [time_one_batch(model, plan, x, y) for _ in range(repeats + 2)][2:]     # two warm-up batches
    forward = np.median([r[0] for r in runs], axis=0)
    backward = np.median([r[1] for r in runs], axis=0)
    inference = np.median([time_inference(plan, x) for _ in range(repeats + 2)][2:], axis=0)
    rows, position = [], 0
    for (count, _), f, b, i in zip(plan.spans, forward, backward, inference):
        layers = model.layers[position:position + count]
        position += count
        name = layers[0].name if count == 1 else f"{layers[0].name} ... {layers[-1].name} (fused)"
        rows.append({"step": name, "output_shape": list(layers[-1].output_shape),
                     "forward_ms": f * 1e3, "backward_ms": b * 1e3, "inference_ms": i * 1e3})
    return rows, float(np.median([r[2] for r in runs])) * 1e3


def variant():
    """"fused", "unfused" (``MINICNN_FUSE=0``) or "numpy" (``MINICNN_BACKEND=numpy``)."""
    if minicnn.get_backend() == "numpy":
        return "numpy"
    return "unfused" if os.environ.get("MINICNN_FUSE", "1") == "0" else "fused"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="dropout_cnn", choices=[*minicnn.zoo.list_models(), "scaling"])
    parser.add_argument("--image-size", type=int, default=64, help="pixels of --model scaling's images")
    parser.add_argument("--batch-size", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--clock", choices=list(CLOCKS), default="wall")
    args = parser.parse_args()
    global clock
    clock = CLOCKS[args.clock]
    rows, step_ms = profile(args.model, args.batch_size, args.repeats, args.image_size)
    total = sum(r["forward_ms"] + r["backward_ms"] for r in rows) + step_ms
    kernels = blas_kernels()
    model = f"scaling {args.image_size} px" if args.model == "scaling" else args.model
    print(f"{model}, {variant()}, batch {args.batch_size}, {args.clock} time, BLAS: {kernels}")
    print(f"{'step':<44}{'output':>14}{'forward ms':>12}{'backward ms':>13}{'share':>8}{'inference ms':>14}")
    for r in rows:
        share = (r["forward_ms"] + r["backward_ms"]) / total
        print(f"{r['step']:<44}{str(tuple(r['output_shape'])):>14}{r['forward_ms']:>12.2f}"
              f"{r['backward_ms']:>13.2f}{share:>8.1%}{r['inference_ms']:>14.2f}")
    print(f"{'loss + optimizer':<58}{step_ms:>12.2f}{'':>13}{step_ms / total:>8.1%}")
    inference = sum(r["inference_ms"] for r in rows)
    epoch_images = IMAGES if args.model == "scaling" else 60000
    print(f"total {total:.1f} ms per training batch of {args.batch_size}: "
          f"{total / 1e3 * epoch_images / args.batch_size:.1f} s per {epoch_images:,}-image epoch; "
          f"inference {inference:.1f} ms: "
          f"{inference / 1e3 * 10000 / args.batch_size:.2f} s per 10,000 images")
    RESULTS.mkdir(exist_ok=True)
    suffix = ("" if args.model == "dropout_cnn" else f"_{args.model}") + \
        ("" if args.model != "scaling" else str(args.image_size)) + ("" if variant() == "fused" else f"_{variant()}") + ("" if args.clock == "wall" else f"_{args.clock}")
    (RESULTS / f"layer_profile{suffix}.json").write_text(json.dumps(
        {"model": model, "variant": variant(), "clock": args.clock, "blas": kernels, "batch_size": args.batch_size,
         "steps": rows, "loss_and_optimizer_ms": step_ms, "total_ms": total,
         "inference_total_ms": inference}, indent=2))


if __name__ == "__main__":
    rerun_as_users_do()
    main()
