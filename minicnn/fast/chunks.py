"""A batch worked through in chunks of images, one chunk per worker thread at a time.

A fused block (``fused.py``) runs im2col, a matrix product and a pooling kernel
on each chunk of a few images instead of on the whole batch. Two things follow:

- memory grows with the chunk, not with the batch: im2col's columns hold KH*KW
  copies of every input pixel (9 for a 3x3 conv), which for a batch of 64
  images of 128x128 pixels was 300 MB for one layer; a chunk's columns are a
  few MB, small enough to be read back from the cache rather than from memory;
- each worker thread carries its chunk through all three steps alone, with
  BLAS held to one thread. Otherwise numba's threads and OpenBLAS's threads take
  turns on the cores, and OpenBLAS's idle workers spin for a while after every
  product, taking a core from the numba kernel that comes next. And on a shared
  machine a core that another program is using slows only the chunks it takes,
  while the other thread takes more (a parallel loop split in equal halves
  waits for its slower half).

The kernels that run on a chunk are compiled with ``nogil=True`` and have no
parallel loop (numba's thread pool must not be entered from two threads at once).
"""
import itertools
import math
import threading
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np

from .runtime import blas_on_one_thread

CHUNK_ENTRIES = 2**20      # numbers in a chunk's largest work array (4 MB in float32), one image at least
CHUNKS_PER_THREAD = 4      # at least this many chunks per thread, when the batch has enough images

_executor, _executor_threads = None, 0
_local = threading.local()


def images_per_chunk(batch_images, entries_per_image):
    """How many images a chunk takes: as many as fit in ``CHUNK_ENTRIES`` numbers, and few
    enough that each thread gets ``CHUNKS_PER_THREAD`` chunks to share the work evenly."""
    by_size = max(1, CHUNK_ENTRIES // max(1, entries_per_image))
    by_balance = max(1, -(-batch_images // (numba.get_num_threads() * CHUNKS_PER_THREAD)))
    return min(by_size, by_balance)


def work_buffer(name, shape, dtype):
    """A work array of the calling thread, kept from call to call: allocating it afresh for
    every chunk would map and zero new pages each time. It grows to the largest size asked
    for; a smaller request gets the front of it."""
    buffers = _local.__dict__.setdefault("buffers", {})
    size = math.prod(shape)
    array = buffers.get(name)
    if array is None or array.size < size or array.dtype != dtype:
        array = buffers[name] = np.empty(size, dtype=dtype)
    return array[:size].reshape(shape)


def run_in_chunks(work, batch_images, images):
    """``[work(start, stop) for each chunk]``: the chunks of ``images`` images of a batch, with
    BLAS on one thread meanwhile. The calling thread takes chunks too, next to the worker
    threads (one fewer than numba's thread count), each taking the next chunk when done
    with its last; if a worker never gets a core, the caller does all the chunks itself."""
    global _executor, _executor_threads
    starts = range(0, batch_images, images)
    results = [None] * len(starts)
    taken = itertools.count()                # next() on it is atomic: each chunk goes to one thread

    def take_chunks():
        number = next(taken)
        while number < len(starts):
            results[number] = work(starts[number], min(starts[number] + images, batch_images))
            number = next(taken)

    helpers = numba.get_num_threads() - 1
    with blas_on_one_thread():
        if helpers == 0 or len(starts) == 1:
            take_chunks()
            return results
        if _executor_threads != helpers:
            _executor, _executor_threads = ThreadPoolExecutor(helpers, thread_name_prefix="minicnn-chunk"), helpers
        running = [_executor.submit(take_chunks) for _ in range(helpers)]
        try:
            take_chunks()
        finally:
            for helper in running:           # they write into the caller's arrays: wait for them
                helper.result()
    return results


def add_in_order(shares):
    """The sum of ``shares`` (new arrays, each a chunk's share of a sum), added in chunk order
    into the first: the same sum every run, whichever thread ran which chunk."""
    total = shares[0]
    for share in shares[1:]:
        total += share
    return total
