"""Execute the course notebooks and keep the executed copies, figures included.

    python -m minicnn.runs.build_pages                      # every notebook in tutorials/
    python -m minicnn.runs.build_pages 02_first_cnn         # just these
    python -m minicnn.runs.build_pages --text 02_first_cnn  # only the markdown, from the source, no run

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

``--text`` copies a source's edited markdown into its executed copy without running
anything (:func:`refresh_text`): the outputs stay those of the last run, so it is
refused unless the copy's code cells are exactly the source's.
"""
import argparse
import json
import os
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
    """The kernel's environment: ours, the mode set, figures left to the inline backend.

    Without pytest's ``PYTEST_CURRENT_TEST`` too: ipykernel does not capture what is written to
    the file descriptors 1 and 2 (TensorFlow's C++ log lines, say) while it sees that variable,
    so a notebook run by the tests would hide output that Jupyter and the executed copies show.
    """
    env = {key: value for key, value in os.environ.items() if key not in ("MPLBACKEND", "PYTEST_CURRENT_TEST")}
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


def save(notebook, path):
    """Write ``notebook`` to ``path`` atomically, ending in a newline as Jupyter writes it."""
    write_text(path, nbformat.writes(notebook) + "\n")


def refresh_text(source_path, copy_path):
    """Copy the markdown of the notebook at ``source_path`` into its executed copy at ``copy_path``, running nothing.

    The copy keeps its code cells with their outputs and its metadata (mode, time); every other cell
    is the source's, so markdown cells may be edited, added or removed. Refused with ValueError
    unless the code cells are the source's (solutions swapped in): new code needs a new run.
    """
    rerun = f"python -m minicnn.runs.build_pages {Path(source_path).stem}"
    if not Path(copy_path).is_file():
        raise FileNotFoundError(f"{copy_path}: no executed copy to refresh; make one: {rerun}")
    source = with_solutions(nbformat.read(source_path, as_version=4))
    executed = nbformat.read(copy_path, as_version=4)
    old, new = code_sources(executed), code_sources(source)
    if old != new:
        differ = [i for i, (ran, wanted) in enumerate(zip(old, new)) if ran != wanted]
        where = (f"code cell {differ[0]} (counting code cells from 0) differs" if differ
                 else f"the copy has {len(old)} code cells, the source {len(new)}")
        raise ValueError(f"{Path(copy_path).name}: its code is not the source's ({where}), so its outputs are "
                         f"not what the source prints; the markdown alone cannot be refreshed. Run it: {rerun}")
    ran = iter(cell for cell in executed.cells if cell.cell_type == "code")
    executed.cells = [next(ran) if cell.cell_type == "code" else cell for cell in source.cells]
    save(executed, copy_path)
    return executed


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
        save(notebook, out / path.name)
        # Read afresh: another build may have written its notebooks' times meanwhile.
        times = json.loads(times_file.read_text()) if times_file.is_file() else {}
        times[path.stem] = {"mode": mode, "seconds": round(seconds, 1)}
        write_json(times_file, dict(sorted(times.items())))
        print(f"{seconds:.0f} s ({mode})", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m minicnn.runs.build_pages",
                                     description="Execute the course notebooks into tutorials/executed/.")
    parser.add_argument("names", nargs="*", metavar="NAME", help="notebooks, e.g. 02_first_cnn (all when none)")
    parser.add_argument("--text", action="store_true", help="only copy each source's markdown into its "
                        "executed copy, running nothing (refused when the code cells differ)")
    args = parser.parse_args(argv)
    if not args.text:
        build(args.names)
        return
    if not args.names:
        parser.error("--text needs the notebooks' names")
    folder = find_notebooks()
    for name in args.names:
        stem = Path(name).stem
        try:
            refresh_text(folder / f"{stem}.ipynb", folder / "executed" / f"{stem}.ipynb")
        except (ValueError, FileNotFoundError) as error:
            parser.exit(1, f"{error}\n")
        print(f"{stem}: markdown copied into executed/{stem}.ipynb")


if __name__ == "__main__":
    main()
