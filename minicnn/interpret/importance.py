"""Permutation importance of a network's conv layers: how much does accuracy fall when a
layer's output is scrambled? (seed 003's question, with a measure that can rank layers).

    >>> table = layer_importance(model, x_test, y_test, seed=0)     # doctest: +SKIP
    >>> fig = plot_layer_importance(table)                          # doctest: +SKIP
"""
from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure

from ..checks import as_labels, model_input
from .targets import chosen_layers

DEFAULT_CHANNEL_FRACTION = 0.25


@dataclass
class LayerImportance:
    """One row of ``layer_importance``'s table."""
    layer: str          # the layer's name
    index: int          # its position in model.layers
    mean_drop: float    # baseline accuracy - accuracy with the layer's output shuffled, mean of repeats
    std_drop: float     # standard deviation over the repeats
    baseline: float     # accuracy with nothing shuffled


def layer_importance(model, x, y, n_repeats=5, seed=None, layers=None,
                     channel_fraction=DEFAULT_CHANNEL_FRACTION):
    """Permutation importance of each conv layer (default every Conv2D); returns a list of
    ``LayerImportance``, one per layer. ``y``: labels (N,) or one-hot (N, K).

    For a layer L: scramble part of its output across the images of ``x``, run the
    rest of the network from layer L + 1 on it, and measure how much the accuracy
    falls below the unscrambled baseline; mean and std over ``n_repeats``.

    ``channel_fraction=f`` in (0, 1], default 0.25: shuffle ``round(f * C)`` (at
    least one) of the layer's C channels, chosen at random, each with its own
    permutation; the other channels stay with their image. This tells layers
    apart: a layer that spreads its information redundantly over its channels
    loses little when a quarter of them are scrambled; one that depends on each
    loses much.

    ``channel_fraction=None`` is seed 003's measure: permute the whole output
    (axis 0). In a Sequential net layer L's output is all that later layers see,
    so that hands image i the prediction of image perm(i): every layer scores the
    same drop, baseline minus the chance agreement of pred[perm] with y. The same
    permutations serve every layer, so the bars come out equal: that measure
    cannot rank the layers of a chain, only show that each one is needed (a drop
    of 0 means nothing downstream reads the layer).
    """
    if channel_fraction is not None and not 0 < channel_fraction <= 1:
        raise ValueError(f"channel_fraction is the share of a layer's channels to shuffle and must be in "
                         f"(0, 1], or None to shuffle the whole output. Received {channel_fraction!r}.")
    x = model_input(model, x)
    labels = as_labels(y, model.output_shape[-1])
    if len(labels) != len(x):
        raise ValueError(f"x and y have different lengths: {len(x)} images but {len(labels)} labels.")
    indices = chosen_layers(model, layers)
    outputs = model.forward(x, return_outputs=True)           # one pass: every layer's output
    baseline = float(np.mean(outputs[-1].argmax(axis=1) == labels))
    rng = np.random.default_rng(seed)
    orders = [rng.permutation(len(x)) for _ in range(n_repeats)]
    table = []
    for index in indices:
        drops = []
        for order in orders:
            shuffled = outputs[index][order] if channel_fraction is None else \
                _shuffle_channels(outputs[index], channel_fraction, rng)
            scores = model.forward(shuffled, start=index + 1)   # the rest of the net runs on them
            drops.append(baseline - float(np.mean(scores.argmax(axis=1) == labels)))
        table.append(LayerImportance(model.layers[index].name, index, float(np.mean(drops)),
                                     float(np.std(drops)), baseline))
    return table


def _shuffle_channels(maps, fraction, rng):
    """A copy of ``maps`` (N, ..., C) with ``round(fraction * C)`` random channels, at
    least one, each permuted across the N images with its own permutation."""
    maps = maps.copy()
    channels = maps.shape[-1]
    for k in rng.choice(channels, size=max(1, round(fraction * channels)), replace=False):
        maps[..., k] = maps[rng.permutation(len(maps)), ..., k]
    return maps


def plot_layer_importance(table):
    """Bars of each layer's mean accuracy drop, with its standard deviation. Returns a Figure."""
    names = [row.layer for row in table]
    fig = Figure(figsize=(1.2 * len(table) + 2.5, 3.5))
    ax = fig.add_subplot()
    ax.bar(names, [row.mean_drop for row in table], yerr=[row.std_drop for row in table],
           capsize=4, color="tab:blue")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_ylabel("accuracy drop when shuffled")
    ax.set_title(f"Permutation importance (baseline accuracy {table[0].baseline:.1%})" if table else
                 "Permutation importance")
    fig.tight_layout()
    return fig
