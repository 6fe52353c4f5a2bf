"""Execute the course notebooks and keep the executed copies, figures included.

    python -m minicnn.runs.build_pages                      # every notebook in tutorials/
    python -m minicnn.runs.build_pages 02_first_cnn         # just these

Each notebook runs in a real Jupyter kernel (``nbclient``), from a temporary folder,
so nothing depends on where it is stored, and its executed copy is written to
``tutorials/executed/NAME.ipynb``, which GitHub and any notebook viewer show without
running anything. The copies run with the worked solutions swapped into the
task stubs (``minicnn.course.tasks.cells``). The copy's metadata records the mode
(full unless ``MINICNN_FAST=1``) and how long it took; ``tutorials/executed/times.json``
collects the times. The CI test ``tests/test_tutorials.py`` executes every notebook
twice with :func:`execute` (FAST): as the learner gets it (only the task cells: the
checks say "not implemented yet") and with the solutions swapped in; and it checks
that each copy's code cells are its source's, solutions swapped in.
"""
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from .._version import __version__
from ..course.notebooks import find_notebooks
from ..course.tasks.cells import task_cells_only, with_solutions
from ..io.atomic import write_json, write_text

TIMEOUT_SECONDS = 3600


def kernel_environment(fast):
    """The kernel's environment: ours, the mode set, figures left to the inline backend."""
    env = {key: value for key, value in os.environ.items() if key != "MPLBACKEND"}
    env["MINICNN_FAST"] = "1" if fast else "0"
    # numba's threads wait passively, so a busy 2-core machine spends its time on work.
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    return env


def execute(path, fast, timeout=TIMEOUT_SECONDS, learner=False):
    """Run the notebook at ``path`` top to bottom in a fresh kernel inside a temporary folder.

    By default the task stubs hold their solutions; ``learner=True`` runs the
    learner's copy instead, only its task cells (stubs and checks).
    Returns ``(executed notebook, seconds)``; a cell that raises raises
    ``nbclient.exceptions.CellExecutionError`` with the cell and its traceback.
    """
    notebook = nbformat.read(path, as_version=4)
    notebook = task_cells_only(notebook) if learner else with_solutions(notebook)
    with tempfile.TemporaryDirectory() as folder:
        client = NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                                resources={"metadata": {"path": folder}})
        start = time.perf_counter()
        client.execute(env=kernel_environment(fast))   # passed on to the kernel's start
        seconds = time.perf_counter() - start
    return notebook, seconds


def code_sources(notebook):
    """The source of every code cell, in order: what must match between a copy and its source."""
    return [cell.source for cell in notebook.cells if cell.cell_type == "code"]


def build(names=None, fast=None):
    """Execute the notebooks called ``names`` (all when None) into ``tutorials/executed/``."""
    fast = os.environ.get("MINICNN_FAST") == "1" if fast is None else fast
    source = find_notebooks()
    out = source / "executed"
    out.mkdir(exist_ok=True)
    times_file = out / "times.json"
    paths = sorted(source.glob("*.ipynb")) if not names else [source / f"{Path(n).stem}.ipynb" for n in names]
    for path in paths:
        print(f"{path.name} ...", end=" ", flush=True)
        notebook, seconds = execute(path, fast)
        mode = "fast" if fast else "full"
        notebook.metadata["minicnn"] = {"mode": mode, "seconds": round(seconds, 1), "version": __version__}
        write_text(out / path.name, nbformat.writes(notebook))
        # Read afresh: another build may have written its notebooks' times meanwhile.
        times = json.loads(times_file.read_text()) if times_file.is_file() else {}
        times[path.stem] = {"mode": mode, "seconds": round(seconds, 1)}
        write_json(times_file, dict(sorted(times.items())))
        print(f"{seconds:.0f} s ({mode})", flush=True)


if __name__ == "__main__":
    build(sys.argv[1:])
