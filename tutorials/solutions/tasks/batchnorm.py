import numpy as np


def batchnorm_forward(x, gamma, beta, moving_mean, moving_var, training, momentum=0.99, epsilon=1e-3):
    """Batch normalisation over the last axis (channels); statistics over all the other axes.

    x: (N, C) or (N, H, W, C); gamma, beta, moving_mean, moving_var: (C,).
    Training: mean and (biased) variance of the batch, x_hat = (x - mean) / sqrt(var + epsilon),
    out = gamma * x_hat + beta, and the moving statistics move towards the batch's:
    moving = momentum * moving + (1 - momentum) * batch value.
    Inference: the same with the moving statistics, which stay as they are.
    Returns (out, moving_mean, moving_var, cache); never change the arrays you are given.
    """
    axes = tuple(range(x.ndim - 1))
    if training:
        mean, var = x.mean(axis=axes), x.var(axis=axes)
        moving_mean = momentum * moving_mean + (1 - momentum) * mean
        moving_var = momentum * moving_var + (1 - momentum) * var
    else:
        mean, var = moving_mean, moving_var
    std = np.sqrt(var + epsilon)
    x_hat = (x - mean) / std
    return gamma * x_hat + beta, moving_mean, moving_var, (x_hat, std, gamma, training)


def batchnorm_backward(grad_out, cache):
    """grad_out: x's shape -> (dx, dgamma (C,), dbeta (C,))."""
    x_hat, std, gamma, training = cache
    axes = tuple(range(grad_out.ndim - 1))
    dgamma = (grad_out * x_hat).sum(axis=axes)
    dbeta = grad_out.sum(axis=axes)
    g = grad_out * gamma                                  # dL/dx_hat
    if not training:                                      # mean and std are constants
        return g / std, dgamma, dbeta
    # directly through x_hat, through the mean, through the variance
    dx = (g - g.mean(axis=axes) - x_hat * (g * x_hat).mean(axis=axes)) / std
    return dx, dgamma, dbeta
