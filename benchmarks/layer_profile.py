"""Where the time goes: forward and backward time of every layer of seed 001's network.

    python benchmarks/layer_profile.py [--batch-size 300] [--repeats 10] [--model dropout_cnn]

Times one training batch layer by layer (median of ``--repeats`` batches after a
warm-up), plus the loss and the optimizer step. Prints a table and writes
``benchmarks/results/layer_profile.json``.
"""
import argparse
import json
import time
from pathlib import Path

import numpy as np

import minicnn

RESULTS = Path(__file__).parent / "results"


def time_one_batch(model, x, y):
    """Seconds per layer for forward and backward, and for the loss + optimizer step."""
    forward, backward = [], []
    out = x
    for layer in model.layers:
        start = time.perf_counter()
        out = layer.forward(out, training=True)
        forward.append(time.perf_counter() - start)
    start = time.perf_counter()
    _, grad, from_logits = model._loss(y, out)
    loss_seconds = time.perf_counter() - start
    lowest = next(i for i, layer in enumerate(model.layers) if layer.params)
    for i, layer in reversed(list(enumerate(model.layers))):
        start = time.perf_counter()
        if i == len(model.layers) - 1 and from_logits:
            grad = layer.backward_preactivation(grad)
        elif i == lowest:                 # as in training: no input gradient below the first weights
            layer.backward_parameters(grad)
        elif i > lowest:
            grad = layer.backward(grad)
        backward.insert(0, time.perf_counter() - start)
    start = time.perf_counter()
    model.optimizer.apply(model.weights, model.gradients)
    return forward, backward, loss_seconds + time.perf_counter() - start


def profile(model_name, batch_size, repeats):
    model = minicnn.models.get(model_name)()
    rng = np.random.default_rng(0)
    x = rng.random((batch_size, *model.input_shape), dtype=np.float32)
    labels = rng.integers(0, 10, batch_size)
    y = labels if isinstance(model.loss, minicnn.losses.SparseCategoricalCrossentropy) \
        else np.eye(10, dtype=np.float32)[labels]
    runs = [time_one_batch(model, x, y) for _ in range(repeats + 2)][2:]     # two warm-up batches
    forward = np.median([r[0] for r in runs], axis=0)
    backward = np.median([r[1] for r in runs], axis=0)
    rows = [{"layer": layer.name, "type": type(layer).__name__, "output_shape": list(layer.output_shape),
             "forward_ms": f * 1e3, "backward_ms": b * 1e3}
            for layer, f, b in zip(model.layers, forward, backward)]
    return rows, float(np.median([r[2] for r in runs])) * 1e3


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="dropout_cnn", choices=minicnn.models.list_models())
    parser.add_argument("--batch-size", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    rows, step_ms = profile(args.model, args.batch_size, args.repeats)
    total = sum(r["forward_ms"] + r["backward_ms"] for r in rows) + step_ms
    print(f"{'layer':<22}{'output':>16}{'forward ms':>12}{'backward ms':>13}{'share':>8}")
    for r in rows:
        share = (r["forward_ms"] + r["backward_ms"]) / total
        print(f"{r['layer']:<22}{str(tuple(r['output_shape'])):>16}{r['forward_ms']:>12.2f}"
              f"{r['backward_ms']:>13.2f}{share:>8.1%}")
    print(f"{'loss + optimizer':<38}{step_ms:>12.2f}{'':>13}{step_ms / total:>8.1%}")
    print(f"total {total:.1f} ms per batch of {args.batch_size}: "
          f"{total / 1e3 * 60000 / args.batch_size:.1f} s per 60,000-image epoch")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "layer_profile.json").write_text(json.dumps(
        {"model": args.model, "batch_size": args.batch_size, "layers": rows,
         "loss_and_optimizer_ms": step_ms, "total_ms": total}, indent=2))


if __name__ == "__main__":
    main()
