"""Fixtures shared by the engine tests."""
import collections
import os
import sys
from pathlib import Path

import numpy as np
import pytest

import minicnn
from minicnn.layers import Layer


@pytest.fixture
def float64():
    """Compute in float64 for the test (gradient checks need the digits), then go back to float32.

    Layers read ``floatx()`` when they build, so build layers and models inside the test.
    """
    minicnn.set_floatx("float64")
    yield
    minicnn.set_floatx("float32")


@pytest.fixture(scope="module")
def nan_work_arrays():
    """Every work array of the fast backend's chunks (``chunks.work_buffer``) starts as NaN, so a
    kernel that reads a number it did not write fails the test: a fresh array is often all
    zeros, which would hide it. Module-scoped, for hypothesis tests."""
    from minicnn.fast import chunks, fused, winograd

    def filled_with_nan(name, shape, dtype):
        array = chunks.work_buffer(name, shape, dtype)
        array[...] = np.nan
        return array

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fused, "work_buffer", filled_with_nan)
        patch.setattr(winograd, "work_buffer", filled_with_nan)
        yield


@pytest.fixture
def fresh_layer_names(monkeypatch):
    """Number layer names from zero, as in a new Keras session (conv2d, conv2d_1, ...).

    Layer names come from a class-wide counter, so they depend on how many layers
    earlier tests made; a test that checks Keras's names needs a fresh counter.
    """
    monkeypatch.setattr(Layer, "_name_counts", collections.Counter())


@pytest.fixture
def one_numba_thread():
    """Run numba's parallel kernels on one thread for the test, then restore the count.

    Gradient checks call the layers thousands of times on arrays of a few hundred
    numbers. Splitting such tiny loops over threads only adds the cost of waking
    them, and on a busy machine that wait can be a thousand times the work.
    """
    import numba

    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    yield
    numba.set_num_threads(threads)


@pytest.fixture(params=["numba", "numpy"])
def each_backend(request):
    """Run the test once on the fast backend and once on the NumPy layers.

    Modules whose tests must hold on both say ``pytestmark = pytest.mark.usefixtures("each_backend")``.
    """
    minicnn.set_backend(request.param)
    yield request.param
    minicnn.set_backend("numba")


@pytest.fixture(scope="module")
def chromium():
    """One headless Chromium (selenium) for a test module: Debian's chromium and chromium-driver.

    CI installs them, so there a missing browser fails instead of skipping.
    """
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import headless_chromium
    if headless_chromium.chromium_paths() is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have chromium and chromium-driver (apt-get install chromium chromium-driver)")
        pytest.skip("Chromium or chromedriver is not installed")
    if not os.environ.get("CI"):
        pytest.importorskip("selenium")
    driver = headless_chromium.start()
    yield driver
    driver.quit()
