"""``TrainingRecorder``: what each layer did during training, epoch by epoch.

    >>> from minicnn.interpret import TrainingRecorder
    >>> recorder = TrainingRecorder(x_train[:256])               # doctest: +SKIP
    >>> model.fit(x_train, y_train, epochs=3, callbacks=[recorder])  # doctest: +SKIP
    >>> print(recorder.table())                                  # doctest: +SKIP

Per layer and epoch it keeps (``recorder.records``, JSON-ready):

=================  ==============================================================
``weight_norm``    ||W|| at the end of the epoch (all the layer's weights, biases too)
``grad_norm``      ||dL/dW||, the mean over the epoch's steps
``update_ratio``   ||W_after - W_before|| / ||W_before||, the mean over the steps.
                   CS231n's rule of thumb: about 1e-3. Far below, the layer
                   barely learns (learning rate too low); far above, it is
                   thrown around (too high)
``dead_fraction``  ReLU layers: the share of units that never fired (output 0)
                   on any probe image at the end of the epoch. A unit is a
                   channel of a Conv2D (its filter; one filter serves every
                   position) and a unit of a Dense layer. A dead unit passes
                   no gradient, so it never learns again
``act_mean``,      mean and standard deviation of the layer's output on the probe
``act_std``        images: activations that shrink or blow up layer by layer show here
=================  ==============================================================

The weights are read before and after each step (``on_train_batch_begin`` /
``on_train_batch_end``), the gradients from ``layer.grads`` after the step; the
activations come from one forward pass over the small fixed probe batch at the
end of each epoch (``model.forward(probe, return_outputs=True)``), so the
recorder works the same on both backends and costs a few percent of an epoch.
"""
import os

import numpy as np

from ..callbacks import Callback
from ..io.atomic import read_json, write_json
from ..layers.activations import ActivationLayer, ReLU

RECORDER_FILE = "recorder.json"     # its name in a run folder
PROBE_IMAGES = 256         # probe batch of python -m minicnn train: the first training images
RULE_OF_THUMB = 1e-3       # CS231n: updates about a thousandth of the weights per step
FAR_OFF = 10               # "far off": more than this factor away from the rule of thumb
DEAD_ALARM = 0.5           # warn when at least half a layer's ReLU units never fired


def _norm(arrays):
    """The Euclidean norm of several arrays taken as one vector."""
    return float(np.sqrt(sum(np.vdot(a, a).real for a in arrays)))


def is_relu(layer):
    return isinstance(layer.activation, ReLU)


def watched(layer):
    """Layers whose output the recorder describes: those with weights, and activation layers."""
    return bool(layer.params) or isinstance(layer, ActivationLayer)


def dead_fraction(output):
    """Share of units never above 0 in ``output`` (N, H, W, C) -> per channel, or (N, U) -> per unit."""
    fired = (output > 0).reshape(len(output), -1, output.shape[-1]).any(axis=(0, 1))
    return float(1.0 - fired.mean())


class TrainingRecorder(Callback):
    """A callback that records each layer's weights, gradients, updates and activations per epoch.

    Parameters
    ----------
    probe : (P, H, W, C) model inputs, a few hundred training images; the activation
        statistics are measured on them at the end of every epoch
    previous : ``records`` of an earlier part of the same run (resuming), optional
    path : a JSON file rewritten with the records after every epoch, optional
    """

    def __init__(self, probe, previous=None, path=None):
        self.path = path
        self.probe = np.asarray(probe)
        if self.probe.ndim < 2 or len(self.probe) == 0:
            raise ValueError(f"TrainingRecorder needs a probe batch of model inputs (P, H, W, C), e.g. "
                             f"x_train[:256]. Received an array of shape {self.probe.shape}.")
        self.records = previous or {"probe_size": len(self.probe), "epochs": [], "layers": {}}

    @classmethod
    def continuing(cls, probe, path, epochs_done):
        """A recorder writing ``path``; a run resumed after ``epochs_done`` epochs keeps their records."""
        previous = None
        if epochs_done and os.path.isfile(path):
            previous = truncated(read_json(path), epochs_done)
        return cls(probe, previous=previous, path=path)

    def on_epoch_begin(self, epoch, logs=None):
        self.sums = {layer.name: [0.0, 0.0, 0] for layer in self.model.layers if layer.params}
        self.before = None

    def on_train_batch_begin(self, batch, logs=None):
        self.before = {layer.name: [p.copy() for p in layer.params.values()]
                       for layer in self.model.layers if layer.params}

    def on_train_batch_end(self, batch, logs=None):
        for layer in self.model.layers:
            if not layer.params:
                continue
            before = self.before[layer.name]
            change = [after - old for after, old in zip(layer.params.values(), before)]
            size = _norm(before)
            sums = self.sums[layer.name]
            sums[0] += _norm([layer.grads[name] for name in layer.params])
            sums[1] += _norm(change) / size if size > 0 else 0.0
            sums[2] += 1

    def on_epoch_end(self, epoch, logs=None):
        model = self.model
        outputs = model.forward(self.probe.astype(model.dtype, copy=False), return_outputs=True)
        self.records["epochs"].append(epoch + 1)
        for layer, output in zip(model.layers, outputs):
            if not watched(layer):
                continue
            row = {"act_mean": float(output.mean()), "act_std": float(output.std())}
            if is_relu(layer):
                row["dead_fraction"] = dead_fraction(output)
            if layer.params:
                grad_sum, ratio_sum, steps = self.sums[layer.name]
                row.update(weight_norm=_norm(layer.params.values()),
                           grad_norm=grad_sum / max(steps, 1), update_ratio=ratio_sum / max(steps, 1))
            series = self.records["layers"].setdefault(layer.name, {})
            for key, value in row.items():
                series.setdefault(key, []).append(value)
        if self.path is not None:
            write_json(self.path, self.records)

    def table(self):
        """The records as a text table, one row per layer and epoch."""
        return records_table(self.records)

    def advice(self):
        """Plain-words verdicts on the last epoch (see :func:`health_advice`)."""
        return [entry["text"] for entry in health_advice(self.records)]


COLUMNS = (("weight_norm", "weight norm", "{:.3g}"), ("grad_norm", "grad norm", "{:.3g}"),
           ("update_ratio", "update/weight", "{:.2e}"), ("dead_fraction", "dead ReLU", "{:.0%}"),
           ("act_mean", "act. mean", "{:.3g}"), ("act_std", "act. std", "{:.3g}"))


def records_table(records):
    """``records`` as text: epoch, layer, then the columns of :data:`COLUMNS` ("" where a layer has none)."""
    header = ["epoch", "layer", *(title for _, title, _ in COLUMNS)]
    rows = [header]
    for e, epoch in enumerate(records["epochs"]):
        for name, series in records["layers"].items():
            rows.append([str(epoch), name] + [form.format(series[key][e]) if key in series else ""
                                              for key, _, form in COLUMNS])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) if i < 2 else cell.rjust(w) for i, (cell, w) in
                               enumerate(zip(row, widths))).rstrip() for row in rows)


def truncated(records, epochs):
    """``records`` of the first ``epochs`` epochs only: what a resumed run continues from."""
    keep = sum(1 for epoch in records["epochs"] if epoch <= epochs)
    return {**records, "epochs": records["epochs"][:keep],
            "layers": {name: {key: values[:keep] for key, values in series.items()}
                       for name, series in records["layers"].items()}}


def health_advice(records):
    """``[{"text": ..., "ok": bool}, ...]``: what the last epoch's records say, in plain words.

    A layer whose weights barely move has one of two causes, and they need opposite fixes:
    a learning rate that is too low (its gradient is fine; raise the rate), or no gradient
    reaching it, because a ReLU layer at or above it has mostly dead units (a dead network:
    a higher rate will not revive it), or a mostly dead ReLU layer below it feeds it zeros. The
    dead ReLU layers decide which one is named.
    """
    if not records or not records.get("epochs"):
        return []
    epoch, advice = records["epochs"][-1], []
    names = list(records["layers"])
    dead = {name: series["dead_fraction"][-1] for name, series in records["layers"].items()
            if series.get("dead_fraction") and series["dead_fraction"][-1] >= DEAD_ALARM}
    for index, (name, series) in enumerate(records["layers"].items()):
        ratio = series.get("update_ratio", [None])[-1]
        # Dead units at or above a layer pass it no gradient; dead units below feed it zeros.
        blocked = [other for other in names[index:] if other in dead] or \
            [other for other in reversed(names[:index]) if other in dead]
        if ratio is not None and ratio < RULE_OF_THUMB / FAR_OFF and blocked:
            advice.append(f"{name}: in epoch {epoch} each step changed its weights by {ratio:.1e} of their "
                          f"size, far below the rule of thumb of about 1e-3 (CS231n), because {blocked[0]} has "
                          f"{dead[blocked[0]]:.0%} dead ReLU units, which pass no gradient down and only zeros "
                          f"up. This is a dead network, not a too-low learning rate: a higher rate will not "
                          f"revive it (it is often what killed it); start again with a lower rate, scaled "
                          f"inputs or a better initialisation.")
        elif ratio is not None and ratio < RULE_OF_THUMB / FAR_OFF:
            advice.append(f"{name}: in epoch {epoch} each step changed its weights by {ratio:.1e} of their "
                          f"size, far below the rule of thumb of about 1e-3 (CS231n), while its ReLUs and "
                          f"those above it are alive. This layer barely learns: the learning rate may be "
                          f"too low for it.")
        elif ratio is not None and ratio > RULE_OF_THUMB * FAR_OFF:
            advice.append(f"{name}: in epoch {epoch} each step changed its weights by {ratio:.1e} of their "
                          f"size, far above the rule of thumb of about 1e-3 (CS231n). The learning rate may "
                          f"be too high: the weights are thrown around instead of settling.")
        if name in dead:
            advice.append(f"{name}: {dead[name]:.0%} of its ReLU units never fired on the {records['probe_size']} "
                          f"probe images after epoch {epoch}. A unit that never fires passes no gradient and "
                          f"stops learning; a lower learning rate or a smaller negative bias can prevent it.")
    if not advice:
        return [{"text": f"After epoch {epoch} every layer's updates were within a factor of {FAR_OFF} of "
                         f"the rule of thumb (about 1e-3 of the weights per step) and fewer than "
                         f"{DEAD_ALARM:.0%} of any layer's ReLU units were dead: nothing looks wrong.",
                 "ok": True}]
    return [{"text": text, "ok": False} for text in advice]


def plot_training_health(records):
    """A Figure of the records: one panel per quantity, one line per layer."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12, 6.5), layout="constrained")
    axes = fig.subplots(2, 3).ravel()
    titles = {"update_ratio": "update / weight per step", "grad_norm": "gradient norm",
              "weight_norm": "weight norm", "dead_fraction": "ReLU units that never fired",
              "act_mean": "activation mean", "act_std": "activation spread (std)"}
    for ax, (key, title) in zip(axes, titles.items()):
        for name, series in records["layers"].items():
            if key in series:
                ax.plot(records["epochs"], series[key], marker="o", label=name)
        if key in ("update_ratio", "grad_norm"):
            ax.set_yscale("log")
        if key == "update_ratio":
            ax.axhspan(RULE_OF_THUMB / FAR_OFF, RULE_OF_THUMB * FAR_OFF, color="tab:green", alpha=0.1)
            ax.axhline(RULE_OF_THUMB, color="tab:green", linestyle="--", linewidth=1)
        ax.set_title(title)
        ax.set_xlabel("epoch")
    axes[0].legend(fontsize=8)
    return fig
