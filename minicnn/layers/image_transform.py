"""Resampling an image through an affine map, as ``keras.ops.image.affine_transform`` does.

Shapes: x (N, H, W, C), transforms (N, 8) -> out (N, H, W, C).

Each transform ``[a0, a1, a2, b0, b1, b2, 0, 0]`` says where output pixel
(column u, row v) reads the input (Keras's and TensorFlow's convention)::

    x_in = a0 u + a1 v + a2          y_in = b0 u + b1 v + b2

A translation by (tx, ty) pixels reads at (u - tx, v - ty); a zoom or a rotation
about the image centre reads along a scaled or turned grid.

``(x_in, y_in)`` rarely lands on a pixel, so the value is interpolated:

- "bilinear": the four neighbouring pixels, weighted by closeness:
  ``(1 - fx)(1 - fy) x[y0, x0] + fx (1 - fy) x[y0, x0 + 1] + ...`` with
  ``fx = x_in - floor(x_in)``;
- "nearest": the closest pixel.

Points outside the image are first moved inside by ``fill_mode`` (TensorFlow's
rules, ``abcd`` an image row): "reflect" ``dcba|abcd|dcba``, "wrap" ``abcd|abcd|abcd``,
"nearest" ``aaaa|abcd|dddd``; "constant" leaves them out, and a neighbour outside
reads ``fill_value``.

With the transform fixed, ``out`` is a weighted sum of input pixels: linear in x.
So backward sends each output pixel's gradient to the pixels it read, with the
same weights (``np.add.at`` adds up a pixel that several outputs read).

``upsample`` resizes maps ``(N, h, w)`` to ``(N, H, W)`` with the same bilinear
weights along a regular grid: CAM heatmaps and images read from folders use it.
"""
import numpy as np

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("bilinear", "nearest")


def fill_coordinates(coord, size, fill_mode):
    """Move coordinates outside [0, size - 1] inside by ``fill_mode`` (TensorFlow's MapCoordinate)."""
    if fill_mode == "constant":
        return coord
    if size <= 1:
        return np.zeros_like(coord)
    if fill_mode == "reflect":
        period = 2 * size
        low = coord < 0
        c = np.where(low & (coord < period), period * np.trunc(-coord / period) + coord, coord)
        c = np.where(low, np.where(c < -size, c + period, -c - 1), c)
        high = coord > size - 1
        c_high = coord - period * np.trunc(coord / period)
        c = np.where(high, np.where(c_high >= size, period - c_high - 1, c_high), c)
    elif fill_mode == "wrap":
        c = np.where(coord < 0, coord + size * (np.trunc(-coord / (size - 1)) + 1), coord)
        c = np.where(coord > size - 1, coord - size * np.trunc(coord / (size - 1)), c)
    else:                                                  # "nearest"
        c = coord
    return np.clip(c, 0, size - 1)


def sampling_points(transforms, height, width, fill_mode, interpolation):
    """Which input pixels each output pixel reads, and with what weight.

    Returns ``(rows, cols, weights)``, each (K, N, H, W): K = 4 neighbours for
    "bilinear", 1 for "nearest". A row or column outside the image (possible only
    with "constant") reads ``fill_value``.
    """
    v, u = np.meshgrid(np.arange(height, dtype=np.float64), np.arange(width, dtype=np.float64), indexing="ij")
    t = np.asarray(transforms, dtype=np.float64)[:, :, None, None]                   # (N, 8, 1, 1)
    x_in = fill_coordinates(t[:, 0] * u + t[:, 1] * v + t[:, 2], width, fill_mode)   # (N, H, W)
    y_in = fill_coordinates(t[:, 3] * u + t[:, 4] * v + t[:, 5], height, fill_mode)
    if interpolation == "nearest":                       # std::round: halves away from zero
        round_ = lambda c: np.sign(c) * np.floor(np.abs(c) + 0.5)               # noqa: E731
        return round_(y_in)[None], round_(x_in)[None], np.ones((1, *x_in.shape))
    x0, y0 = np.floor(x_in), np.floor(y_in)
    fx, fy = x_in - x0, y_in - y0
    rows = np.stack([y0, y0, y0 + 1, y0 + 1])
    cols = np.stack([x0, x0 + 1, x0, x0 + 1])
    weights = np.stack([(1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy])
    return rows, cols, weights


def affine_transform(x, transforms, fill_mode="reflect", fill_value=0.0, interpolation="bilinear"):
    """``(out, points)``: x resampled through ``transforms`` (N, 8); ``points`` is what backward needs."""
    n, h, w, _ = x.shape
    rows, cols, weights = sampling_points(transforms, h, w, fill_mode, interpolation)
    inside = (rows >= 0) & (rows < h) & (cols >= 0) & (cols < w)
    r, c = np.where(inside, rows, 0).astype(np.intp), np.where(inside, cols, 0).astype(np.intp)
    batch = np.arange(n)[:, None, None]
    out = np.zeros(x.shape, dtype=np.float64)
    for k in range(len(weights)):
        values = np.where(inside[k][..., None], x[batch, r[k], c[k]], fill_value)    # (N, H, W, C)
        out += weights[k][..., None] * values
    return out.astype(x.dtype), (r, c, weights * inside)


def affine_transform_backward(grad_out, points):
    """dL/dx: each output pixel's gradient, times each weight, added onto the pixel it read."""
    r, c, weights = points
    n = grad_out.shape[0]
    dx = np.zeros(grad_out.shape, dtype=np.float64)
    batch = np.broadcast_to(np.arange(n)[:, None, None], r.shape[1:])
    for k in range(len(weights)):
        np.add.at(dx, (batch, r[k], c[k]), weights[k][..., None] * grad_out)
    return dx.astype(grad_out.dtype)


# ---------------------------------------------------------------- resizing
def _source_positions(n_in, n_out, align_corners):
    """For each output index along one axis: the two input neighbours and the weight of the upper one."""
    out = np.arange(n_out)
    if align_corners:      # first and last pixel centres coincide
        src = out * ((n_in - 1) / (n_out - 1)) if n_out > 1 else np.zeros(n_out)
    else:                  # pixels are unit squares; their centres line up (edges clamp)
        src = np.clip((out + 0.5) * n_in / n_out - 0.5, 0, n_in - 1)
    lower = np.floor(src).astype(int)
    upper = np.minimum(lower + 1, n_in - 1)
    return lower, upper, src - lower


def upsample(maps, size, align_corners=False):
    """Bilinear resize of ``maps: (N, h, w)`` to ``(N, H, W)``, ``size = (H, W)``.

    Output pixel I reads the input at the source row
    ``y = (I + 0.5) * h / H - 0.5`` (clamped to [0, h - 1]) with
    ``align_corners=False``, the default of cv2.resize, tf.image.resize and
    PyTorch; or ``y = I * (h - 1) / (H - 1)`` with ``align_corners=True``.
    Likewise for columns. The value mixes the two neighbouring rows
    ``(1 - t) * row[floor(y)] + t * row[floor(y) + 1]`` with ``t = y - floor(y)``,
    then the two neighbouring columns the same way.

    For a 7 x 7 map of a 28 x 28 image, cell i covers pixels 4i ... 4i + 3,
    whose centre 4i + 1.5 maps to exactly y = i only with align_corners=False.
    """
    maps = np.asarray(maps, dtype=np.float64)
    if maps.ndim != 3:
        raise ValueError(f"upsample expects maps of shape (N, h, w). Received shape {maps.shape}.")
    (height, width), (h, w) = size, maps.shape[1:]
    top, bottom, t = _source_positions(h, height, align_corners)
    maps = (1 - t)[:, None] * maps[:, top, :] + t[:, None] * maps[:, bottom, :]     # (N, H, w)
    left, right, t = _source_positions(w, width, align_corners)
    return (1 - t) * maps[:, :, left] + t * maps[:, :, right]                       # (N, H, W)
