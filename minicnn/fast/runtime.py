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
3. OpenBLAS's idle workers, at inference: ``park_blas_threads`` below.

And while a model's pass runs on this backend, BLAS stays on one thread
(``blas_on_one_thread``, the plan's ``running``): the fused blocks spread their
chunks over the cores themselves. A product on OpenBLAS's own threads (a Dense
layer's) leaves its workers spinning for a while afterwards, and on two cores
they take a core from the numba kernels that come next (the README's Speed
section has the measurements).
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


_blas_thread_shutdowns = None


def park_blas_threads():
    """Stop OpenBLAS's worker threads now; its next matrix product starts them again.

    After a product, OpenBLAS keeps its workers spinning for a while, waiting
    for more work, and on two cores they take a core from the numba kernel that
    comes next. Stopping them (``blas_thread_shutdown_``, which OpenBLAS exports
    for ``fork``) makes ``predict`` faster (the README has the A/B figures). Not in
    training: there the restart, which reallocates OpenBLAS's buffers, costs more
    than the spinning. Does nothing if the process was left untuned
    (``MINICNN_FAST_TUNING=0``) or no loaded OpenBLAS exports the function.
    Like the rest of a model's pass, it expects no other thread of the process
    to be inside a BLAS call at that moment.
    """
    global _blas_thread_shutdowns
    if _blas_thread_shutdowns is None:
        _blas_thread_shutdowns = []
        if _tuned:
            from threadpoolctl import threadpool_info
            for info in threadpool_info():
                if info.get("internal_api") == "openblas":
                    shutdown = getattr(ctypes.CDLL(info["filepath"]), "blas_thread_shutdown_", None)
                    if shutdown is not None:
                        _blas_thread_shutdowns.append(shutdown)
    for shutdown in _blas_thread_shutdowns:
        shutdown()


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
