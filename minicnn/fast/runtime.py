"""Process settings that make the numba kernels and NumPy's BLAS share two cores well.

Applied once, the first time a model runs on the fast backend (never on the
numpy backend, never at import). Set ``MINICNN_FAST_TUNING=0`` to leave the
process exactly as it was.

1. numba's threading layer: with the OpenMP layer, idle OpenMP threads keep
   spinning and steal the cores BLAS needs (on a busy 2-core machine batches
   take much longer); numba's own "workqueue" layer sleeps instead. A
   ``NUMBA_THREADING_LAYER`` set by the user wins.
2. glibc's allocator: by default a freed 30 MB activation goes back to the
   operating system, and the next batch's array gets fresh pages that numba's
   threads then fault in one after another, every batch. Keeping freed
   blocks in the heap makes the next batch reuse pages
   already mapped. Only glibc (Linux) has ``mallopt``; elsewhere nothing changes.

And while a model's pass runs on this backend, BLAS stays on one thread
(``blas_on_one_thread``, the plan's ``running``): the fused blocks spread their
chunks over the cores themselves. A product on OpenBLAS's own threads (a Dense
layer's) leaves its workers spinning for a while afterwards, and on two cores
they take a core from the numba kernels that come next (the README's Speed
section has the measurements). Held there, they are never woken during a pass;
stopping them before each block instead (OpenBLAS's ``blas_thread_shutdown_``, as
an earlier version did at inference) made ``predict`` slower once BLAS was held.
"""
import contextlib
import ctypes
import os

import numba

_tuned = False


def keep_freed_arrays_mapped():
    """Let glibc reuse the memory of freed arrays up to 32 MB instead of unmapping it."""
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return
    m_trim_threshold, m_top_pad, m_mmap_threshold = -1, -2, -3
    mallopt(m_mmap_threshold, 32 * 2**20)     # glibc's largest allowed value
    mallopt(m_trim_threshold, 2**30)          # keep up to 1 GB spare
    mallopt(m_top_pad, 256 * 2**20)           # grow the heap in large steps, fewer new pages


def tune():
    """Apply both settings once per process, unless ``MINICNN_FAST_TUNING=0``."""
    global _tuned
    if _tuned or os.environ.get("MINICNN_FAST_TUNING", "1") == "0":
        return
    _tuned = True
    if "NUMBA_THREADING_LAYER" not in os.environ:
        numba.config.THREADING_LAYER = "workqueue"
    keep_freed_arrays_mapped()


_blas_controller = None


def blas_controller():
    """threadpoolctl's view of the loaded BLAS libraries, made once (inspecting them is slow)."""
    global _blas_controller
    if _blas_controller is None:
        from threadpoolctl import ThreadpoolController
        _blas_controller = ThreadpoolController()
    return _blas_controller


@contextlib.contextmanager
def blas_on_one_thread():
    """BLAS limited to one thread inside, as it was outside after (threadpoolctl)."""
    with blas_controller().limit(limits=1, user_api="blas"):
        yield
