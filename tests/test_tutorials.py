"""Every tutorial notebook runs top to bottom in FAST mode, so a tutorial that breaks fails CI.

A notebook is JSON; its code cells, joined in order, are a Python script once the
lines that only IPython understands are dropped (``%matplotlib``, ``!pip ...``).
Each script runs in a fresh interpreter, in a temporary folder (whatever a
notebook saves lands there), with ``MINICNN_FAST=1`` (the bundled sample, 1-2
epochs) and the non-interactive Agg backend, so ``plt.show()`` draws nothing.
No Jupyter is needed to run these tests.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TUTORIALS = ROOT / "tutorials"
NOTEBOOKS = sorted(TUTORIALS.glob("*.ipynb"))
KERAS_NOTEBOOK = "05_compare_with_keras.ipynb"
TIMEOUT_SECONDS = 600


def code_cells(path):
    """The source of each code cell of the notebook at ``path``, as strings."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "code"]


def notebook_script(path):
    """All code cells as one script, without IPython magics (``%``) and shell lines (``!``)."""
    lines = [line for source in code_cells(path) for line in (source + "\n").splitlines()
             if not line.lstrip().startswith(("%", "!"))]
    return "\n".join(lines) + "\n"


def run_notebook(path, folder, prelude="", env_updates=None):
    """Run the notebook's code in a fresh Python inside ``folder``; returns the CompletedProcess."""
    script = folder / (path.stem + ".py")
    script.write_text(prelude + notebook_script(path), encoding="utf-8")
    env = {**os.environ, "MPLBACKEND": "Agg", "MINICNN_FAST": "1", "TF_CPP_MIN_LOG_LEVEL": "3",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    # numba's OpenMP threads spin while they wait for work by default. On a busy CI machine
    # (2 cores shared with other jobs) the spinning steals the CPU from the threads that
    # have work, and the notebooks take several times longer; passive waiting avoids that.
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    env.update(env_updates or {})
    env = {key: value for key, value in env.items() if value is not None}
    return subprocess.run([sys.executable, script.name], cwd=folder, env=env, capture_output=True,
                          text=True, timeout=TIMEOUT_SECONDS)


def keras_available():
    try:
        import keras  # noqa: F401
    except ImportError:
        return False
    return True


def test_the_tutorials_are_there():
    names = [path.name for path in NOTEBOOKS]
    assert names == ["01_layers_and_gradients.ipynb", "02_train_seed001.ipynb",
                     "03_explore_fashion_mnist.ipynb", "04_looking_inside.ipynb", KERAS_NOTEBOOK]
    readme = (TUTORIALS / "README.md").read_text(encoding="utf-8")
    assert all(name in readme for name in names), "tutorials/README.md should list every notebook"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_is_saved_without_outputs_and_starts_with_the_fast_switch(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    executed = [i for i, cell in enumerate(notebook["cells"]) if cell["cell_type"] == "code"
                and (cell.get("outputs") or cell.get("execution_count") is not None)]
    assert not executed, f"{path.name}: clear the outputs of cells {executed} before committing"
    assert notebook["cells"][0]["cell_type"] == "markdown", "a tutorial opens with what it teaches"
    first_code = code_cells(path)[0]
    assert 'FAST = os.environ.get("MINICNN_FAST", "1") == "1"' in first_code


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_runs_top_to_bottom(path, tmp_path):
    if path.name == KERAS_NOTEBOOK and not keras_available():
        if os.environ.get("MINICNN_REQUIRE_KERAS") == "1":
            pytest.fail("MINICNN_REQUIRE_KERAS=1 but keras is not installed")
        pytest.skip('keras is not installed (pip install "minicnn[keras]")')
    result = run_notebook(path, tmp_path)
    assert result.returncode == 0, (f"{path.name} failed (exit {result.returncode}).\n"
                                    f"--- stdout (end) ---\n{result.stdout[-3000:]}\n"
                                    f"--- stderr (end) ---\n{result.stderr[-5000:]}")


@pytest.mark.slow
def test_keras_notebook_stops_with_a_message_when_keras_is_missing(tmp_path):
    # sys.modules["keras"] = None makes "import keras" raise ImportError, as if not installed.
    result = run_notebook(TUTORIALS / KERAS_NOTEBOOK, tmp_path,
                          prelude='import sys\nsys.modules["keras"] = None\n',
                          env_updates={"MINICNN_REQUIRE_KERAS": None})
    assert "SkipNotebook" in result.stderr, result.stderr[-3000:]
    assert 'pip install "minicnn[keras]"' in result.stderr
