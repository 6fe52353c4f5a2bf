"""Tasks of notebook 09: CAM from a GAP network's weights, and Grad-CAM from gradients.

The check builds a small random network, runs minicnn's ``raw_heatmaps`` on it
and hands the learner the same feature maps (and, for Grad-CAM, the gradients of
the class scores with respect to them). It compares raw maps, before upsampling
and min-max scaling: a heatmap on screen is only defined up to scale, the raw
map is not, so a map off by a constant factor fails and the check says so.
"""
import numpy as np

from ...backend import get_backend, set_backend
from ...interpret.cam import raw_heatmaps
from ...layers import Conv2D, Dense, Flatten, GlobalAveragePooling2D
from ...model import Sequential
from .feedback import Task, Wrong, call, compare, constant_factor

NOTEBOOK = "09_looking_inside"
SCALE_NOTE = (" As a picture the map is only defined up to scale (a heatmap is min-max scaled), but this "
              "check compares the raw weighted sum, which has one right scale.")


def map_cases(rng, head):
    """(model, images, classes): batch 1 and batch 3, random weights (float64), drawn images and classes."""
    cases = []
    for n, size in [(1, 8), (3, 9)]:
        model = Sequential([Conv2D(4, 3, activation="relu"), Conv2D(5, 3, activation="relu"), *head()],
                           input_shape=(size, size, 2))
        for layer in model.layers:                 # drawn weights, in float64
            layer.params = {name: rng.normal(0, 0.5, size=value.shape) for name, value in layer.params.items()}
        cases.append((model, rng.uniform(0, 1, size=(n, size, size, 2)), rng.integers(0, 6, size=n)))
    return cases


def gap_head():
    return [GlobalAveragePooling2D(), Dense(6)]


def flat_head():
    return [Flatten(), Dense(6)]


def feature_maps(model, x, index):
    return model.forward(x, return_outputs=True)[index]


def on_numpy_backend(run):
    """Run the check on minicnn's NumPy layers: tiny networks, no kernels to compile, the same numbers."""
    def wrapped(answer, rng):
        before = get_backend()
        set_backend("numpy")
        try:
            return run(answer, rng)
        finally:
            set_backend(before)
    return wrapped


@on_numpy_backend
def run_cam(answer, rng):
    for model, x, classes in map_cases(rng, gap_head):
        expected, _ = raw_heatmaps(model, x, classes, method="cam")
        maps = feature_maps(model, x, 1)                                 # what GAP averages: (N, h, w, K)
        kernel = model.layers[-1].params["kernel"]
        label = f"On feature maps {maps.shape}, dense kernel {kernel.shape}: "
        got = call(answer, "cam_from_weights", maps.copy(), kernel.copy(), classes.copy())
        found = np.asarray(got, dtype=np.float64) if np.shape(got) == expected.shape else None
        if found is not None and constant_factor(found, expected) is not None:
            raise Wrong(label + f"your map is {constant_factor(found, expected):.4g} times minicnn's raw CAM."
                        + SCALE_NOTE)
        compare("cam", got, expected, "NHW", [
            ("it has a ReLU; CAM keeps its negative values (evidence against the class).", np.maximum(expected, 0))],
            label)
    return "The raw maps equal minicnn's CAM (raw_heatmaps, method='cam') on 2 random GAP networks."


@on_numpy_backend
def run_grad_cam(answer, rng):
    for model, x, classes in map_cases(rng, flat_head):
        raw, _ = raw_heatmaps(model, x, classes, method="grad_cam")
        expected = np.maximum(raw, 0)
        maps = feature_maps(model, x, 1)
        grad_logits = np.eye(6)[classes]                                 # d(class score)/d(scores), one-hot
        model.forward(maps, start=2)                                     # the layers above the maps, on them
        grads = model.backward(grad_logits, from_logits=True)            # d score / d maps: (N, h, w, K)
        label = f"On feature maps {maps.shape}: "
        h, w = maps.shape[1:3]
        got = call(answer, "grad_cam_from_gradients", maps.copy(), grads.copy())
        per_pixel = np.maximum((grads * maps).sum(axis=-1), 0)
        suspects = [("the channel weights are sums of the gradient over space; Grad-CAM averages them "
                     f"(yours is h*w = {h * w} times too large).", expected * h * w),
                    ("there is no ReLU: Grad-CAM keeps only the evidence for the class (positive values).", raw),
                    ("each pixel is weighted by its own gradient; Grad-CAM first averages each channel's gradient "
                     "over space into one weight per channel.", per_pixel)]
        found = np.asarray(got, dtype=np.float64) if np.shape(got) == expected.shape else None
        if found is not None and not any(np.allclose(found, wrong) for _, wrong in suspects) and \
                constant_factor(found, expected) is not None:
            raise Wrong(label + f"your map is {constant_factor(found, expected):.4g} times minicnn's raw Grad-CAM."
                        + SCALE_NOTE)
        compare("grad_cam", got, expected, "NHW", suspects, label)
    return "The maps equal minicnn's Grad-CAM (ReLU of raw_heatmaps, method='grad_cam') on 2 random conv nets."


def tasks():
    return [
        Task("cam", NOTEBOOK, "CAM, a class's map from a GAP network's Dense weights", ("cam_from_weights",),
             run=run_cam, cases=lambda rng: map_cases(rng, gap_head), seed=17),
        Task("grad_cam", NOTEBOOK, "Grad-CAM, channel weights from the gradients", ("grad_cam_from_gradients",),
             run=run_grad_cam,
             cases=lambda rng: map_cases(rng, flat_head), seed=18),
    ]
