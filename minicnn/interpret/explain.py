"""``explain``: one self-contained HTML page that shows what a trained model does, layer by layer.

    >>> import minicnn
    >>> model = minicnn.load_model("runs/try/model.minicnn")                  # doctest: +SKIP
    >>> (_, _), (x, y) = minicnn.load_fashion_mnist(sample=True)
    >>> minicnn.interpret.explain(model, minicnn.to_model_input(x[:16]), y[:16],
    ...                           path="explain.html")                       # doctest: +SKIP

The page follows CNN Explainer (Wang et al., IEEE VIS 2020), but for *your* model:

- **Overview**: every layer as a column, each channel's output as a small heatmap
  (the images in colour when the model takes three channels);
- **How one value is computed**: click a channel of any layer, hover an output
  value (or play the window's sweep), and the page shows the window it read in
  the layer below, the products, the sum, the bias and the activation (or the
  layer's own rule), with the real numbers, and its receptive field below;
- **Where it looked**: CAM (GlobalAveragePooling2D -> Dense heads) or Grad-CAM,
  every class of an image on one scale;
- **Model card**: :mod:`minicnn.interpret.card`, training curves and the
  training recorder's per-layer health (:mod:`minicnn.interpret.recorder`);
- **Your own image**: draw one (one-channel models) or drop a picture; every
  view but "Where it looked" then shows it.

How the page gets its numbers: the weights and the input images travel inside
the page exactly, as float32 in base64, and the page's script runs the forward
pass itself for the selected image, or for one the reader draws or drops on it
(``explain_page/forward.js``: one entry per layer type, ``LAYERS``, the same
formulas as ``minicnn/layers``; ``PAGE_LAYERS`` below is its Python half). A
layer of the user's own travels as its output, computed here. Only the heatmaps
of "Where it looked" are precomputed (they need the backward pass), quantised
to 8 bits on one scale per image.

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
from ..layers import activation_functions
from ..layers.activations import Elementwise, Linear, ReLU, Softmax
from ..layers.shapes import Window
from ..losses import class_probabilities, head_gives_logits
from .card import model_card
from .cam import raw_heatmaps, upsample
from .targets import conv_layer_indices, gap_head_index

# The page's registry on the Python side: every layer class of minicnn.layers -> (the type
# forward.js runs it as, the attributes it reads). A new layer joins here and in LAYERS of
# explain_page/forward.js; tests/test_explain_layers.py fails while either lacks an entry.
# A window layer's geometry is its ``window`` (``minicnn.layers.shapes.Window``: kernel, strides,
# dilation, input, output, pads, span), computed once when the layer was built.
PAGE_LAYERS = {
    "Conv2D": ("Conv2D", ("window", "padding", "filters")),
    "MaxPooling2D": ("MaxPooling2D", ("window", "padding")), "AveragePooling2D": ("AveragePooling2D", ("window", "padding")),
    "GlobalAveragePooling2D": ("GlobalAveragePooling2D", ()), "GlobalMaxPooling2D": ("GlobalMaxPooling2D", ()),
    "ZeroPadding2D": ("ZeroPadding2D", ("padding",)),
    "Dense": ("Dense", ("units",)),
    "BatchNormalization": ("BatchNormalization", ("epsilon",)),
    "Flatten": ("Flatten", ()), "Reshape": ("Reshape", ()),
    "Rescaling": ("Rescaling", ("scale", "offset")),
    "Dropout": ("Dropout", ("rate",)),
    **{name: ("Activation", ()) for name in ("Activation", "ReLU", "Softmax", "LeakyReLU", "ELU")},
    **{name: ("Augmentation", ()) for name in ("RandomFlip", "RandomTranslation", "RandomRotation", "RandomZoom")},
}
# Activations forward.js computes (FUNCTIONS there): every one minicnn has.
PAGE_ACTIVATIONS = {None, "linear", "relu", "softmax", *activation_functions.ACTIVATIONS}


def b64(array, dtype="<f4"):
    """The bytes of ``array`` as little-endian ``dtype`` (float32 by default), base64-encoded.

    JavaScript's ``Float32Array`` reads them back unchanged: float32 weights
    and inputs reach the page bit for bit.
    """
    return base64.b64encode(np.ascontiguousarray(array, dtype=dtype).tobytes()).decode("ascii")


def activation_of(layer):
    """``(name, options)`` of the function ``layer`` applies last: ``(None, {})`` without one,
    ``("leaky_relu", {"negative_slope": 0.3})`` for ``LeakyReLU()``, ``("?", {})`` for one unknown here."""
    activation = layer.activation
    if activation is None:
        return None, {}
    if isinstance(activation, Elementwise):
        return activation.function, dict(activation.options)
    return {Linear: "linear", ReLU: "relu", Softmax: "softmax"}.get(type(activation), "?"), {}


def _json_ready(value):
    if isinstance(value, Window):
        return value.as_json()
    return value if isinstance(value, (str, float, int, bool)) else np.asarray(value).tolist()


def shown_layers(model):
    """The layers the page shows, in order: a Sequential used as a layer shows as its own layers."""
    for layer in model.layers:
        yield from shown_layers(layer) if hasattr(layer, "layers") else [layer]


def _layer_entry(layers, index, x):
    """What forward.js needs to run ``layers[index]``: its type, shapes, attributes and weights."""
    layer = layers[index]
    kind, attributes = PAGE_LAYERS.get(type(layer).__name__, (type(layer).__name__, ()))
    activation, options = activation_of(layer)
    weights = {**layer.params, **layer.state}          # BatchNormalization's moving statistics too
    entry = {"name": layer.name, "type": kind, "class": type(layer).__name__,
             "activation": activation, "activation_options": options,
             "input_shape": list(layer.input_shape), "output_shape": list(layer.output_shape),
             "params": {name: {"shape": list(w.shape), "data": b64(w)} for name, w in weights.items()}}
    entry.update({name: _json_ready(getattr(layer, name)) for name in attributes if hasattr(layer, name)})
    if type(layer).__name__ not in PAGE_LAYERS or activation not in PAGE_ACTIVATIONS:
        # A layer of the user's own: the page cannot run it, so it carries its output for every image.
        for below in layers[:index + 1]:
            x = below.forward(x, training=False)
        entry["outputs"] = b64(x)
    return entry


def where_it_looked(model, x):
    """``(method, layer name, maps (N, K, H, W) uint8, scales (N,))``: CAM or Grad-CAM of every
    class for every image, on one scale per image shared by its classes.

    Map k of image n is ``maps[n, k] / 255 * scales[n]`` (evidence for the class, ReLU'd, in
    the units of the class score): a class the model finds no evidence for stays dark.
    """
    if not conv_layer_indices(model):
        return None, None, None, None
    try:
        method, layer = "cam", model.layers[gap_head_index(model) - 1]
    except ValueError:
        method, layer = "grad_cam", model.layers[conv_layer_indices(model)[-1]]
    raw = [raw_heatmaps(model, x, class_index=c, method=method)[0] for c in range(model.output_shape[-1])]
    maps = np.stack([np.maximum(upsample(r, model.input_shape[:2]), 0) for r in raw], 1)    # (N, K, H, W)
    scales = maps.max(axis=(1, 2, 3))
    quantised = np.round(maps / np.where(scales > 0, scales, 1)[:, None, None, None] * 255).astype(np.uint8)
    return method, layer.name, quantised, scales


def choose_examples(model, x, y, n=16, wrong=None, seed=0):
    """Indices of ``n`` images of ``x``: up to ``wrong`` (default a quarter of ``n``) that the
    model gets wrong, the rest right.

    Chosen at random (fixed ``seed``), then shown in their order in ``x``. Without
    labels ``y``: the first ``n``.
    """
    if y is None:
        return np.arange(min(n, len(x)))
    predicted = model.predict(model_input(model, x), batch_size=500, verbose=0).argmax(axis=1)
    labels = np.asarray(y).argmax(axis=1) if np.ndim(y) == 2 else np.asarray(y)
    rng = np.random.default_rng(seed)
    wrong = n // 4 if wrong is None else wrong
    misses = rng.permutation(np.flatnonzero(predicted != labels))
    hits = rng.permutation(np.flatnonzero(predicted == labels))
    take = min(wrong, len(misses), n)
    take = max(take, n - len(hits))                  # too few right answers: more mistakes
    return np.sort(np.concatenate([misses[:take], hits[:n - take]]))


def page_data(model, x, y=None, class_names=None, history=None, recorder=None, title=None):
    """Everything the page shows, as JSON-ready data (arrays as base64)."""
    x, layers = model_input(model, x), list(shown_layers(model))
    probabilities = class_probabilities(model, model.predict(x, batch_size=500, verbose=0))
    n_classes = probabilities.shape[1]
    names = list(class_names) if class_names is not None else [str(c) for c in range(n_classes)]
    if len(names) != n_classes:
        raise ValueError(f"class_names has {len(names)} names but the model has {n_classes} classes. "
                         f"Received class_names={names!r}.")
    labels = None if y is None else (np.asarray(y).argmax(1) if np.ndim(y) == 2 else np.asarray(y)).tolist()
    method, cam_layer, maps, scales = where_it_looked(model, x)
    from .recorder import health_advice           # the recorder imports nothing heavy
    return {"title": title or f"minicnn explain: {model.name}", "model_name": model.name,
            "input_shape": list(model.input_shape), "class_names": names, "n_images": len(x),
            "images": b64(x), "labels": labels, "logits_head": head_gives_logits(model),
            # what one 0-255 pixel of the reader's own image becomes: as these images were made
            "pixel_scale": 1.0 if float(x.max(initial=0)) > 1.5 else 1 / 255,
            "probabilities": np.round(probabilities, 5).tolist(),
            "layers": [_layer_entry(layers, i, x) for i in range(len(layers))],
            "card": model_card(model),
            "cam": None if maps is None else {"method": method, "layer": cam_layer,
                                              "shape": list(maps.shape), "data": b64(maps, "u1"),
                                              "scales": [float(v) for v in scales]},
            "history": history, "recorder": recorder,
            "advice": health_advice(recorder) if recorder else []}


# The page script, in the order it runs: the forward pass and the layer registry, the views,
# the reader's own image.
SCRIPTS = ("forward.js", "views.js", "own_image.js")


def _asset(name):
    return resources.files(__package__).joinpath("explain_page", name).read_text(encoding="utf-8")


def render_page(data):
    """The HTML text: the template with the title, styles, data and script put inline."""
    # "</" or "<!--" inside a <script> block could end it early; JSON may write them "<\/", "<\u0021--".
    payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/").replace("<!--", "<\\u0021--")
    parts = {"<!--TITLE-->": html.escape(data["title"]), "/*STYLE*/": _asset("page.css"),
             "/*DATA*/": payload, "/*SCRIPT*/": "\n".join(_asset(name) for name in SCRIPTS)}
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
