"""BLAS as users run it, and which BLAS kernel ran.

These machines set ``OPENBLAS_CORETYPE`` (and ``OPENBLAS_L2_SIZE``) for old
OpenBLAS builds, which makes NumPy's OpenBLAS run its Haswell kernels; a user's
machine sets neither, and OpenBLAS picks the kernels for its CPU (SkylakeX,
AVX-512, here: about 2x faster on the conv shapes). The benchmarks therefore run
every timed process without both variables (never tests or CI), and record the
kernel that ran, as threadpoolctl reports it.
"""
import os
import sys
from pathlib import Path

MACHINE_BLAS_SETTINGS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def users_environment():
    """This process's environment without the machine's OpenBLAS settings (both together)."""
    return {name: value for name, value in os.environ.items() if name not in MACHINE_BLAS_SETTINGS}


def rerun_as_users_do():
    """Replace this process by itself without the machine's OpenBLAS settings, if it has any."""
    if any(name in os.environ for name in MACHINE_BLAS_SETTINGS):
        os.execve(sys.executable, [sys.executable, *sys.argv], users_environment())


def blas_kernels():
    """``"numpy: openblas 0.3.31 SkylakeX"`` for each BLAS loaded in this process (named by the
    package that ships it), joined by ", "."""
    from threadpoolctl import threadpool_info
    return ", ".join(f"{Path(info['filepath']).parent.name.removesuffix('.libs')}: {info['internal_api']} "
                     f"{info['version']} {info.get('architecture', '?')}"
                     for info in threadpool_info() if info["user_api"] == "blas") or "none loaded"
