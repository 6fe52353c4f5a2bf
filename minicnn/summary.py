"""``model.summary()`` drawn the way Keras 3 draws it: one row per layer, then the totals."""


def _format_bytes(n_bytes):
    """Keras's size notation: 1,686,568 bytes -> "1.61 MB" (powers of 1024)."""
    for unit in ("B", "KB", "MB", "GB"):
        if n_bytes < 1024 or unit == "GB":
            return f"{n_bytes:.2f} {unit}"
        n_bytes /= 1024


def _row(cells, widths, left, middle, right, aligns="<<>"):
    padded = [f"{cell:{align}{width}}" for cell, width, align in zip(cells, widths, aligns)]
    return left + " " + f" {middle} ".join(padded) + " " + right


def summary_text(model):
    """The summary as one string (``model.summary()`` prints it)."""
    rows = [(f"{layer.name} ({type(layer).__name__})", str((None, *layer.output_shape)),
             f"{layer.count_params():,}") for layer in model.layers]
    header = ("Layer (type)", "Output Shape", "Param #")
    widths = [max([31, *(len(r[0]) for r in rows)]), max([22, *(len(r[1]) for r in rows)]), 13]
    rules = ["━" * (w + 2) for w in widths]
    thin = ["─" * (w + 2) for w in widths]
    lines = [f'Model: "{model.name}"',
             "┏" + "┳".join(rules) + "┓",
             _row(header, widths, "┃", "┃", "┃"),
             "┡" + "╇".join(rules) + "┩"]
    for i, row in enumerate(rows):
        if i:
            lines.append("├" + "┼".join(thin) + "┤")
        lines.append(_row(row, widths, "│", "│", "│"))
    lines.append("└" + "┴".join(thin) + "┘")
    trainable = model.trainable_weights
    frozen = [w for w in model.weights if not any(w is t for t in trainable)]   # moving statistics, frozen layers
    counts = [(label, sum(w.size for w in arrays), sum(w.nbytes for w in arrays))
              for label, arrays in (("Total", model.weights), ("Trainable", trainable), ("Non-trainable", frozen))]
    optimizer = optimizer_params(model)
    if optimizer:
        counts[0] = ("Total", counts[0][1] + optimizer[0], counts[0][2] + optimizer[1])
        counts.append(("Optimizer", *optimizer))
    lines += [f" {label} params: {count:,} ({_format_bytes(size)})" for label, count, size in counts]
    return "\n".join(lines)


def optimizer_params(model):
    """``(count, bytes)`` of what the optimizer keeps, once it has started (Keras's "Optimizer params"):
    its step counter (int64) and learning rate (float32), as Keras counts them, and its slots."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or optimizer.slots is None:
        return None
    arrays = [a for slot in optimizer.slots.values() for a in slot]
    return 2 + sum(a.size for a in arrays), 8 + 4 + sum(a.nbytes for a in arrays)
