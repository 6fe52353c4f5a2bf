"""The model card: what each layer costs and how much of the image it sees.

One row per layer, torchinfo's columns and two more::

    output shape        (H, W, C) or (units,), no batch axis
    params              weights + biases
    multiply-adds       per image: Conv2D  OH*OW*F * KH*KW*C,  Dense  D*U
    activation memory   bytes of the layer's output per image (its float type)
    receptive field     the input pixels one output value can depend on

The receptive field grows layer by layer (Araujo et al., Distill 2019). With
``size`` the field of one value, in input pixels, and ``jump`` the distance
in input pixels between two neighbouring values of the layer::

    size' = size + (K - 1) * jump         a K-wide window sees K neighbours
    jump' = jump * S                      a stride S skips S neighbours

A dilated Conv2D's K is the span of its window, ``(KH - 1) * DH + 1`` rows.

``python -m minicnn summary MODEL`` prints the card (:func:`card_text`).
"""
import numpy as np

from ..layers import AveragePooling2D, Conv2D, Dense, MaxPooling2D

WINDOW_LAYERS = (Conv2D, MaxPooling2D, AveragePooling2D)


def window_of(layer):
    """``(span (EH, EW), strides (SH, SW))`` of a sliding-window layer's ``window``, else None
    (a dilated Conv2D's window spans ``(K - 1) * D + 1`` rows and columns)."""
    if isinstance(layer, WINDOW_LAYERS):
        return layer.window.span, layer.window.strides
    return None


def multiply_adds(layer):
    """Multiply-adds per image: one per kernel weight per output value (Conv2D, Dense), else 0."""
    if isinstance(layer, Conv2D):
        kh, kw = layer.window.kernel
        return int(np.prod(layer.output_shape)) * kh * kw * layer.input_shape[2]
    if isinstance(layer, Dense):
        return layer.input_shape[0] * layer.units
    return 0


def receptive_fields(model):
    """Per layer ``(size (rows, cols), jump (rows, cols))`` in input pixels, or None once flat.

    Padding shifts where a field starts but not its size, so it is left out here.
    """
    size, jump, fields = [1, 1], [1, 1], []
    for layer in model.layers:
        if len(layer.output_shape) != 3:
            size = None                              # Flatten, Dense, GAP: every output sees the whole image
        elif size is not None and window_of(layer) is not None:
            window, strides = window_of(layer)
            size = [size[a] + (window[a] - 1) * jump[a] for a in (0, 1)]
            jump = [jump[a] * strides[a] for a in (0, 1)]
        fields.append(None if size is None else (tuple(size), tuple(jump)))
    return fields


def model_card(model):
    """One dict per layer: name, type, output_shape, params, multiply_adds, activation_bytes,
    receptive_field ``[rows, cols]`` or None (the whole image), jump ``[rows, cols]`` or None."""
    itemsize = np.dtype(model.dtype).itemsize
    rows = []
    for layer, field in zip(model.layers, receptive_fields(model)):
        rows.append({"name": layer.name, "type": type(layer).__name__,
                     "activation": getattr(layer.activation, "name", None) if layer.params else None,
                     "output_shape": list(layer.output_shape), "params": layer.count_params(),
                     "multiply_adds": multiply_adds(layer),
                     "activation_bytes": int(np.prod(layer.output_shape)) * itemsize,
                     "receptive_field": None if field is None else list(field[0]),
                     "jump": None if field is None else list(field[1])})
    return rows


def _size(n_bytes):
    return f"{n_bytes / 1024:,.1f} KB" if n_bytes >= 1024 else f"{n_bytes} B"


def card_text(model):
    """The card as a text table, with totals; what ``python -m minicnn summary`` prints."""
    rows = model_card(model)
    header = ("layer", "type", "output shape", "params", "mult-adds", "act. memory", "receptive field")
    lines = [(r["name"], r["type"] + (f" ({r['activation']})" if r["activation"] not in (None, "linear") else ""),
              "x".join(map(str, r["output_shape"])), f"{r['params']:,}", f"{r['multiply_adds']:,}",
              _size(r["activation_bytes"]),
              "whole image" if r["receptive_field"] is None else
              "{}x{} px, step {}".format(*r["receptive_field"], r["jump"][0])) for r in rows]
    total = ("total", "", "", f"{sum(r['params'] for r in rows):,}",
             f"{sum(r['multiply_adds'] for r in rows):,}",
             _size(sum(r["activation_bytes"] for r in rows)), "")
    table = [header, *lines, total]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    right = {3, 4, 5}

    def fmt(row):
        return "  ".join(cell.rjust(w) if i in right else cell.ljust(w)
                         for i, (cell, w) in enumerate(zip(row, widths))).rstrip()
    rule = "-" * len(fmt(header))
    return "\n".join([f'Model "{model.name}", input {"x".join(map(str, model.input_shape))}, '
                      f"per image ({np.dtype(model.dtype).name})", fmt(header), rule,
                      *map(fmt, lines), rule, fmt(total)])
