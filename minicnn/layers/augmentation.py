"""Data augmentation layers: a random change of every training image, the identity at inference.

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
import numpy as np

from .base import Layer, check_image_shape

FLIP_MODES = ("horizontal", "vertical", "horizontal_and_vertical")


class Augmentation(Layer):
    """What the augmentation layers share: identity unless ``training``; parameters from ``self.rng``."""

    def compute_output_shape(self, input_shape):
        check_image_shape(self, input_shape)
        return input_shape

    def forward(self, x, training=False):
        if not training:
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
