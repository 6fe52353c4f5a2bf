"""The fast backend: numba kernels for the hot loops, and the objects that run layers on them.

``minicnn/layers/`` is the definition: NumPy, short, readable. Everything here
computes the same numbers faster, and ``tests/test_fast.py`` proves it layer by
layer. A model reaches this code through ``plan`` (see ``plan.py``), which
``Sequential`` calls when ``minicnn.get_backend() == "numba"`` (the default).

- ``conv.py``: im2col/col2im kernels, reused buffers, bias + ReLU fused;
- ``pooling.py``: max and average pooling over windows clipped to the image;
- ``dropout.py``: counter-based masks that many threads draw at once;
- ``elementwise.py``: ReLU, its gradient, bias gradients summed in float64;
- ``fused.py``, ``fused_kernels.py``: [ZeroPadding2D] Conv2D(relu) [Dropout]
  MaxPooling2D as one block that touches the conv output once each way
  (``MINICNN_FUSE=0`` turns fusion off);
- ``winograd.py``: 3x3 stride-1 convolutions by Winograd's F(4x4, 3x3), 36 products
  per 4x4 tile of outputs instead of 144 (forward, dL/dx and the kernel gradient of
  the fused blocks and of the unfused convs it suits);
- ``chunks.py``: a fused block's batch worked through in chunks of a few images,
  each carried through im2col, the product and the pool by one worker thread;
- ``runtime.py``: process settings (numba's threading layer, glibc's allocator),
  applied on first use (``MINICNN_FAST_TUNING=0`` opts out), and BLAS held to one
  thread while a model's pass runs.
"""
from .plan import TWINS, plan, twin

__all__ = ["plan", "twin", "TWINS"]
