"""Data augmentation layers: a random change of every training image, the identity at inference.

Called directly (``flip(images)``, ``training=None``) they augment, as Keras 3's random
layers do; ``model.predict`` and ``evaluate`` pass ``training=False`` and get the images unchanged.

Shapes: x (N, H, W, C) -> out of the same shape.

Each layer draws its parameters (flip or not, a shift, an angle, a zoom) from
``self.rng``, which the model reseeds from ``(seed, epoch)``, so a run split
by a checkpoint sees the same images as one straight through. ``draw(n)`` makes
the parameters of a batch and ``apply(x, parameters)`` applies them: given the
parameters, the output is deterministic, which is how the tests compare it with
Keras's ``transform_images`` for the same parameters.

Every transform here is linear in the image (the parameters fixed), so backward
is its adjoint: a flip flips the gradient back; the resampling layers
(``image_transform.py``) send each output pixel's gradient to the input pixels
it was interpolated from, with the same weights.
"""
import numbers

import numpy as np

from .base import Layer
from .shapes import check_image_shape
from .image_transform import FILL_MODES, INTERPOLATIONS, affine_transform, affine_transform_backward

FLIP_MODES = ("horizontal", "vertical", "horizontal_and_vertical")


class Augmentation(Layer):
    """What the augmentation layers share: identity unless ``training``; parameters from ``self.rng``."""

    def compute_output_shape(self, input_shape):
        check_image_shape(self, input_shape)
        return input_shape

    def forward(self, x, training=None):
        if training is False:
            self.cache = None                   # identity: nothing to remember
            return x
        parameters = self.draw(len(x))
        out, self.cache = self.apply(x, parameters)
        return out

    def backward(self, grad_out):
        return grad_out if self.cache is None else self.apply_backward(grad_out, self.cache)


class RandomFlip(Augmentation):
    """Flip each image with probability 1/2, as ``keras.layers.RandomFlip``.

    ``mode``: "horizontal" (left-right), "vertical" (up-down) or
    "horizontal_and_vertical" (both at once, with one draw per image: as in Keras 3,
    that is a 180-degree turn or nothing).
    """

    def __init__(self, mode="horizontal_and_vertical", seed=None, **kwargs):
        super().__init__(**kwargs)
        if mode not in FLIP_MODES:
            raise ValueError(f"RandomFlip: mode must be one of {FLIP_MODES}. Received mode={mode!r}.")
        self.mode, self.seed = mode, seed

    def draw(self, n):
        """One boolean per image: flip it (uniform <= 0.5, Keras's rule)."""
        return self.rng.random(n) <= 0.5

    def flip(self, x, flips):
        """x with the chosen images flipped along the mode's axes (W is axis 2, H axis 1)."""
        axes = {"horizontal": (2,), "vertical": (1,), "horizontal_and_vertical": (1, 2)}[self.mode]
        out = x.copy()
        out[flips] = np.flip(x[flips], axis=axes)
        return out

    def apply(self, x, flips):
        return self.flip(x, flips), flips

    def apply_backward(self, grad_out, flips):
        """A flip is its own inverse, and its own adjoint: flip the gradient back."""
        return self.flip(grad_out, flips)

    def get_config(self):
        return {**super().get_config(), "mode": self.mode, "seed": self.seed}


def factor_range(layer_name, argument, factor):
    """Keras's factors: ``f`` means [-|f|, |f|], ``(low, high)`` that range; each within [-1, 1]."""
    if isinstance(factor, numbers.Real):                       # np.float32(0.1) too
        low, high = -abs(factor), abs(factor)
    elif isinstance(factor, (tuple, list)) and len(factor) == 2 and all(isinstance(f, numbers.Real) for f in factor):
        low, high = sorted(factor)
    else:
        low, high = None, None
    if low is None or not -1 <= low <= high <= 1:
        raise ValueError(f"{layer_name}: {argument} must be a fraction in [-1, 1] or a pair of them. "
                         f"Received {argument}={factor!r}.")
    return float(low), float(high)


class _Resampling(Augmentation):
    """Translation, rotation and zoom: draw a transform per image, resample (``image_transform.py``)."""

    def __init__(self, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0, **kwargs):
        super().__init__(**kwargs)
        name = type(self).__name__
        if fill_mode not in FILL_MODES or interpolation not in INTERPOLATIONS:
            raise ValueError(f"{name}: fill_mode must be one of {FILL_MODES} and interpolation one of "
                             f"{INTERPOLATIONS}. Received fill_mode={fill_mode!r}, "
                             f"interpolation={interpolation!r}.")
        self.fill_mode, self.interpolation = fill_mode, interpolation
        self.seed, self.fill_value = seed, float(fill_value)

    def apply(self, x, transforms):
        return affine_transform(x, transforms, self.fill_mode, self.fill_value, self.interpolation)

    def apply_backward(self, grad_out, points):
        return affine_transform_backward(grad_out, points)

    def get_config(self):
        return {**super().get_config(), "fill_mode": self.fill_mode, "interpolation": self.interpolation,
                "seed": self.seed, "fill_value": self.fill_value}


class RandomTranslation(_Resampling):
    """Shift each image by a random fraction of its height and width (``keras.layers.RandomTranslation``).

    ``height_factor=0.1``: a shift drawn from [-10%, +10%] of H (negative: up).
    """

    def __init__(self, height_factor, width_factor, **kwargs):
        super().__init__(**kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self.height_range = factor_range("RandomTranslation", "height_factor", height_factor)
        self.width_range = factor_range("RandomTranslation", "width_factor", width_factor)

    def draw(self, n):
        """(N, 8) transforms reading at (u - dx, v - dy): dy = uniform(height range) * H, likewise dx."""
        h, w = self.input_shape[:2]
        dy = self.rng.uniform(*self.height_range, size=n) * h
        dx = self.rng.uniform(*self.width_range, size=n) * w
        return translation_transforms(dx, dy)

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor}


def translation_transforms(dx, dy):
    """Keras's matrix ``[1, 0, -dx, 0, 1, -dy, 0, 0]`` per image."""
    one, zero = np.ones_like(dx), np.zeros_like(dx)
    return np.stack([one, zero, -dx, zero, one, -dy, zero, zero], axis=1)


class RandomRotation(_Resampling):
    """Turn each image about its centre by a random angle (``keras.layers.RandomRotation``).

    ``factor`` is a fraction of a full turn: 0.1 draws angles from [-36, 36] degrees.
    """

    def __init__(self, factor, **kwargs):
        super().__init__(**kwargs)
        self.factor_range = factor_range("RandomRotation", "factor", factor)

    def draw(self, n):
        angles = self.rng.uniform(*self.factor_range, size=n) * 360.0
        return rotation_transforms(angles, *self.input_shape[:2])

    def get_config(self):
        return {**super().get_config(), "factor": self.factor_range}      # (low, high), as Keras reports it


def rotation_transforms(degrees, height, width):
    """Keras's rotation about the centre (cx, cy) = ((W - 1)/2, (H - 1)/2): the output pixel
    reads at R (u - cx, v - cy) + (cx, cy), R = [[cos, -sin], [sin, cos]]."""
    theta = np.deg2rad(degrees)
    cos, sin = np.cos(theta), np.sin(theta)
    cx, cy = (width - 1) / 2, (height - 1) / 2
    zero = np.zeros_like(theta)
    return np.stack([cos, -sin, cx - cx * cos + cy * sin, sin, cos, cy - cx * sin - cy * cos, zero, zero], axis=1)


class RandomZoom(_Resampling):
    """Zoom each image about its centre (``keras.layers.RandomZoom``).

    ``height_factor=0.2`` draws a vertical scale from [0.8, 1.2]: above 1 reads a
    larger area (zoom out), below 1 a smaller one (zoom in). ``width_factor=None``
    keeps the aspect ratio (the same scale both ways).
    """

    def __init__(self, height_factor, width_factor=None, **kwargs):
        super().__init__(**kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self.height_range = factor_range("RandomZoom", "height_factor", height_factor)
        self.width_range = (None if width_factor is None
                            else factor_range("RandomZoom", "width_factor", width_factor))

    def draw(self, n):
        zoom_y = 1 + self.rng.uniform(*self.height_range, size=n)
        zoom_x = zoom_y if self.width_range is None else 1 + self.rng.uniform(*self.width_range, size=n)
        return zoom_transforms(zoom_x, zoom_y, *self.input_shape[:2])

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor}


def zoom_transforms(zoom_x, zoom_y, height, width):
    """Keras's zoom about the centre: reads at (zx u + (W - 1)/2 (1 - zx), zy v + (H - 1)/2 (1 - zy))."""
    zero = np.zeros_like(zoom_x)
    return np.stack([zoom_x, zero, (width - 1) / 2 * (1 - zoom_x), zero, zoom_y, (height - 1) / 2 * (1 - zoom_y),
                     zero, zero], axis=1)
