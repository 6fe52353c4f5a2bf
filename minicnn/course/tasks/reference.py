"""minicnn's own layers run on the learner's arrays: the answers a check compares with.

Every layer runs its NumPy code (``layers/``) in float64 on exactly the arrays
the learner received, with the learner's weights put into it.
"""
import numpy as np


def run_layer(layer, x, params=None, grad_out=None, training=False, state=None):
    """``(out, {"x": dx, param: dparam ...})`` of ``layer`` on ``x``; gradients only when ``grad_out`` is given."""
    layer.build(x.shape[1:])
    for name, value in (params or {}).items():
        layer.params[name] = np.array(value, dtype=np.float64)
    for name, value in (state or {}).items():
        layer.state[name] = np.array(value, dtype=np.float64)
    out = layer.forward(np.array(x, dtype=np.float64), training=training)
    if grad_out is None:
        return out, {}
    dx = layer.backward(np.array(grad_out, dtype=np.float64))
    return out, {"x": dx, **{name: layer.grads[name] for name in (params or {})}}
