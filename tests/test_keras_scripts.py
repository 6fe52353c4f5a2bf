"""Five public Keras scripts run with minicnn, only their imports changed, and show what Keras showed.

Each script in ``tests/keras_scripts/`` follows a tutorial (named in its docstring) call for
call, on at most 1,000 images. ``runner.py --record`` ran each once with Keras and kept what
it printed (masked where numbers vary: losses, timings), its history keys, ``History.params``,
the shapes it met and the files it saved, in ``keras_reference.json``; here the same script
runs with minicnn, in a fresh process, and must give the same.
"""
import difflib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parent / "keras_scripts"
REFERENCE = json.loads((SCRIPTS / "keras_reference.json").read_text(encoding="utf-8"))
# Where minicnn does better than Keras, on purpose (README): Keras 3.15 cannot restore Adam's
# moments from its own .h5 file ("Skipping variable loading for optimizer"), so its summary of
# the model loaded from my_model.h5 counts 2 optimizer params; minicnn restores all 814,102.
KERAS_QUIRKS = {"save_and_load": {" Total params: 407,052 (#.# MB)": " Total params: 1,221,152 (#.# MB)",
                                  " Optimizer params: 2 (#.# B)": " Optimizer params: 814,102 (#.# MB)"}}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_the_script_runs_with_only_its_imports_changed(name, tmp_path):
    out = tmp_path / "minicnn.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SCRIPTS.parents[1]), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, str(SCRIPTS / "runner.py"), str(SCRIPTS / f"{name}.py"), str(out)],
                          capture_output=True, text=True, env=env, timeout=900)
    assert done.returncode == 0, f"{name}.py failed with minicnn:\n{done.stderr[-3000:]}"
    mine, keras = json.loads(out.read_text(encoding="utf-8")), REFERENCE[name]
    expected = [KERAS_QUIRKS.get(name, {}).get(line, line) for line in keras["output"]]
    diff = "\n".join(difflib.unified_diff(expected, mine["output"], "keras", "minicnn", lineterm=""))
    assert mine["output"] == expected, f"{name}.py printed otherwise than with Keras:\n{diff}"
    assert mine["record"] == keras["record"]
    assert mine["files"] == keras["files"]
