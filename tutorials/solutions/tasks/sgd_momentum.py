import numpy as np


def sgd_momentum_step(w, dw, velocity, learning_rate, momentum):
    """One step of SGD with momentum, in Keras's form:

        velocity = momentum * velocity - learning_rate * dw
        w        = w + velocity

    w, dw, velocity: arrays of one shape. Returns (new w, new velocity); change no input in place.
    """
    velocity = momentum * velocity - learning_rate * dw
    return w + velocity, velocity
