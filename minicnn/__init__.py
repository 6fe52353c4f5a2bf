"""minicnn: convolutional networks from scratch in NumPy and numba."""
