"""``explain``: one self-contained HTML page that shows what a trained model does, layer by layer.

    >>> import minicnn
    >>> model = minicnn.load_model("runs/try/model.minicnn")                  # doctest: +SKIP
    >>> (_, _), (x, y) = minicnn.load_fashion_mnist(sample=True)
    >>> minicnn.interpret.explain(model, minicnn.to_model_input(x[:16]), y[:16],
    ...                           path="explain.html")                       # doctest: +SKIP

The page follows CNN Explainer (Wang et al., IEEE VIS 2020), but for *your* model:

- **Overview**: every layer as a column, each channel's output as a small heatmap;
- **How one value is computed**: click a channel, hover an output value, and the
  page shows the window it read, the products, the sum, the bias and the
  activation, with the real numbers;
- **Where it looked**: CAM (GlobalAveragePooling2D -> Dense heads) or Grad-CAM;
- **Model card**: :mod:`minicnn.interpret.card`, training curves and the
  training recorder's per-layer health (:mod:`minicnn.interpret.recorder`).

How the page gets its numbers: the weights and the input images travel inside
the page exactly, as float32 in base64, and the page's script runs the forward
pass itself for the selected image (``explain_page/views.js``, a few lines per
layer type, the same formulas as ``minicnn/layers``). A layer type the script
does not know travels as its output, computed here. Only the heatmaps of
"Where it looked" are precomputed and quantised to 8 bits.

Everything is inline (script, styles, data): no network request, so the page
works offline and can be mailed.
"""
import base64
import html
import json
import re
from importlib import resources

import numpy as np

from ..checks import model_input
from ..io.atomic import write_text
from ..layers.activations import ActivationLayer, activation_name
from ..losses import class_probabilities
from .card import model_card
from .cam import compute_heatmaps
from .targets import conv_layer_indices, gap_head_index

# Layer types and activations that views.js computes itself.
SCRIPTED_LAYERS = {"ZeroPadding2D", "Conv2D", "Dropout", "MaxPooling2D", "AveragePooling2D",
                   "GlobalAveragePooling2D", "Flatten", "Dense", "Activation"}
SCRIPTED_ACTIVATIONS = {None, "linear", "relu", "softmax"}
GEOMETRY = ("kernel_size", "strides", "dilation_rate", "pads", "pool_size", "padding", "rate", "units", "filters")


def b64(array, dtype="<f4"):
    """The bytes of ``array`` as little-endian ``dtype`` (float32 by default), base64-encoded.

    JavaScript's ``Float32Array`` reads them back unchanged: float32 weights
    and inputs reach the page bit for bit.
    """
    return base64.b64encode(np.ascontiguousarray(array, dtype=dtype).tobytes()).decode("ascii")


def _activation(layer):
    """"relu", "softmax", "linear", None (no activation), or "?" for one the script does not know."""
    if layer.activation is None:
        return None
    try:
        return activation_name(layer)
    except KeyError:
        return "?"


def _layer_entry(model, index, x):
    """What views.js needs to run layer ``index``: its type, shapes, geometry and weights."""
    layer = model.layers[index]
    kind, activation = type(layer).__name__, _activation(layer)
    if isinstance(layer, ActivationLayer):          # ReLU(), Softmax(), Activation("relu"): one type
        kind = "Activation"
    entry = {"name": layer.name, "type": kind, "activation": activation,
             "input_shape": list(layer.input_shape), "output_shape": list(layer.output_shape),
             "params": {name: {"shape": list(p.shape), "data": b64(p)} for name, p in layer.params.items()}}
    for attribute in GEOMETRY:
        if hasattr(layer, attribute):
            value = getattr(layer, attribute)
            entry[attribute] = value if isinstance(value, (str, float, int)) else np.asarray(value).tolist()
    if kind not in SCRIPTED_LAYERS or activation not in SCRIPTED_ACTIVATIONS:
        # The script cannot run this layer: carry its output for every image instead.
        entry["outputs"] = b64(model.forward(x, start=0, stop=index + 1))
    return entry


def where_it_looked(model, x):
    """``(method, layer name, maps (N, K, H, W) uint8)``: CAM or Grad-CAM of every class for every image."""
    if not conv_layer_indices(model):
        return None, None, None
    try:
        gap_head_index(model)
        method, layer = "cam", model.layers[gap_head_index(model) - 1]
    except ValueError:
        method, layer = "grad_cam", model.layers[conv_layer_indices(model)[-1]]
    n_classes = model.output_shape[-1]
    maps = np.stack([compute_heatmaps(model, x, class_index=c, method=method) for c in range(n_classes)], 1)
    return method, layer.name, np.round(maps * 255).astype(np.uint8)


def choose_examples(model, x, y, n=16, wrong=4, seed=0):
    """Indices of ``n`` images of ``x``: up to ``wrong`` that the model gets wrong, the rest right.

    Chosen at random (fixed ``seed``), then shown in their order in ``x``. Without
    labels ``y``: the first ``n``.
    """
    if y is None:
        return np.arange(min(n, len(x)))
    predicted = model.predict(model_input(model, x), batch_size=500, verbose=0).argmax(axis=1)
    labels = np.asarray(y).argmax(axis=1) if np.ndim(y) == 2 else np.asarray(y)
    rng = np.random.default_rng(seed)
    misses = rng.permutation(np.flatnonzero(predicted != labels))
    hits = rng.permutation(np.flatnonzero(predicted == labels))
    take = min(wrong, len(misses), n)
    take = max(take, n - len(hits))                  # too few right answers: more mistakes
    return np.sort(np.concatenate([misses[:take], hits[:n - take]]))


def page_data(model, x, y=None, class_names=None, history=None, recorder=None, title=None):
    """Everything the page shows, as JSON-ready data (arrays as base64)."""
    x = model_input(model, x)
    probabilities = class_probabilities(model, model.predict(x, batch_size=500, verbose=0))
    n_classes = probabilities.shape[1]
    names = list(class_names) if class_names is not None else [str(c) for c in range(n_classes)]
    if len(names) != n_classes:
        raise ValueError(f"class_names has {len(names)} names but the model has {n_classes} classes. "
                         f"Received class_names={names!r}.")
    labels = None if y is None else (np.asarray(y).argmax(1) if np.ndim(y) == 2 else np.asarray(y)).tolist()
    method, cam_layer, maps = where_it_looked(model, x)
    from .recorder import health_advice           # the recorder imports nothing heavy
    return {"title": title or f"minicnn explain: {model.name}", "model_name": model.name,
            "input_shape": list(model.input_shape), "class_names": names, "n_images": len(x),
            "images": b64(x), "labels": labels,
            "probabilities": np.round(probabilities, 5).tolist(),
            "layers": [_layer_entry(model, i, x) for i in range(len(model.layers))],
            "card": model_card(model),
            "cam": None if maps is None else {"method": method, "layer": cam_layer,
                                              "shape": list(maps.shape), "data": b64(maps, "u1")},
            "history": history, "recorder": recorder,
            "advice": health_advice(recorder) if recorder else []}


def _asset(name):
    return resources.files(__package__).joinpath("explain_page", name).read_text(encoding="utf-8")


def render_page(data):
    """The HTML text: the template with the title, styles, data and script put inline."""
    # "</" or "<!--" inside a <script> block could end it early; JSON may write them "<\/", "<\u0021--".
    payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/").replace("<!--", "<\\u0021--")
    parts = {"<!--TITLE-->": html.escape(data["title"]), "/*STYLE*/": _asset("page.css"),
             "/*DATA*/": payload, "/*SCRIPT*/": _asset("views.js")}
    # One pass, so nothing inserted is searched for markers again.
    return re.sub("|".join(re.escape(marker) for marker in parts), lambda m: parts[m.group(0)], _asset("page.html"))


def explain(model, x, y=None, path="explain.html", class_names=None, history=None, recorder=None,
            title=None):
    """Write the explain page for ``model`` on images ``x`` (N, H, W, C) and return its path.

    Parameters
    ----------
    model : a built Sequential (trained, for pictures that mean something)
    x : (N, H, W, C) model inputs, e.g. ``minicnn.to_model_input(images[:16])``; keep N small (16)
    y : (N,) labels or (N, K) one-hot rows, optional: marks the images the model gets wrong
    path : where to write the page
    class_names : K names, optional (default "0", "1", ...)
    history : ``{"loss": [...], "accuracy": [...], ...}`` per epoch, optional: training curves
    recorder : ``TrainingRecorder.records`` (or the run's ``recorder.json``), optional
    """
    data = page_data(model, x, y, class_names, history, recorder, title)
    return write_text(str(path), render_page(data))
