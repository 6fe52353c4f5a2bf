"""Run one of the Keras-tutorial scripts here, with minicnn or with Keras, and write what it
showed as JSON: its ``record`` dict, the files it saved and its printed lines.

    python tests/keras_scripts/runner.py mnist_convnet.py OUT.json     # with minicnn
    python tests/keras_scripts/runner.py --record                      # all five with Keras:
                                                                       # keras_reference.json

Each script imports minicnn; a line ending in ``# keras: <statement>`` is replaced
by that statement under ``--keras``, so the two runs differ only in their imports.
The script runs in a fresh empty folder (the files it saves are listed), in its own
process (layer names count from zero, as in a new Keras session).

The printed lines are what a terminal would show (progress bars rewrite their line
with ``\\r`` and ``\\b``), with what changes from run to run masked: decimals
(losses, accuracies, sizes in MB) become ``#.#``, durations (``2s``, ``15ms/step``)
become ``#s``. Integers stay: parameter counts, shapes, steps. A bar that a callback's
message interrupts mid-epoch (``Epoch 1: saving model to ...``) leaves a line whose
step count depends on timing (the bar redraws at most every 0.05 s); it is dropped.
"""
import contextlib
import io
import json
import os
import re
import runpy
import sys
import tempfile
from pathlib import Path

KERAS_LINE = re.compile(r"^(\s*).*#\s*keras:\s*(.*)$")
DECIMAL = re.compile(r" *-?\d+\.\d+(e[-+]?\d+)?|\bnan\b")     # with its padding: {:5.2f}
PROGRESS = re.compile(r"\d+/\d+\S* .*━")
CALLBACK_MESSAGE = re.compile(r"^Epoch \d+: ")
HERE = Path(__file__).resolve().parent
SCRIPTS = ("mnist_convnet", "classification", "save_and_load", "fashion_mnist_tpu", "image_classification")
DURATION = re.compile(r"(?<![\d.\[])\d+(:\d\d)*(s|ms|us)\b")


def keras_source(source):
    """The script with each ``# keras:`` line replaced by its Keras statement."""
    lines = []
    for line in source.splitlines():
        match = KERAS_LINE.match(line)
        lines.append(match.group(1) + match.group(2) if match else line)
    return "\n".join(lines) + "\n"


def terminal_lines(text):
    """The lines a terminal shows for ``text``: ``\\r`` returns to the line's start, ``\\b`` steps back."""
    lines, line, column = [], [], 0
    for char in text:
        if char == "\n":
            lines.append("".join(line).rstrip())
            line, column = [], 0
        elif char == "\r":
            column = 0
        elif char == "\b":
            column = max(column - 1, 0)
        else:
            if column < len(line):
                line[column] = char
            else:
                line.append(char)
            column += 1
    if line:
        lines.append("".join(line).rstrip())
    return lines


def masked(line):
    return DURATION.sub("#s", DECIMAL.sub("#.#", line))


def shown_lines(text):
    """The masked terminal lines, without bars a callback's message cut off mid-epoch."""
    lines = terminal_lines(text)
    return [masked(line) for line, after in zip(lines, lines[1:] + [""])
            if not (PROGRESS.search(line) and CALLBACK_MESSAGE.match(after))]


def keras_home(folder):
    """A ``KERAS_HOME`` whose dataset cache holds this machine's Fashion-MNIST (no download)."""
    from minicnn.datasets import locate_data
    files = locate_data(download=False)[2]
    target = Path(folder) / "datasets" / "fashion-mnist"
    target.mkdir(parents=True)
    for name, path in files.items():
        os.symlink(path, target / Path(path).name)
    return str(folder)


def run(script, use_keras):
    """``{"record": ..., "output": [masked lines], "files": [...]}`` of one run of ``script``."""
    source = Path(script).read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as folder:
        if use_keras:
            source = keras_source(source)
            os.environ["KERAS_HOME"] = keras_home(Path(folder) / "keras_home")
        work = Path(folder) / "work"
        work.mkdir()
        path = work / Path(script).name
        path.write_text(source, encoding="utf-8")
        os.chdir(work)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            namespace = runpy.run_path(str(path), run_name="__main__")
        files = sorted(str(p.relative_to(work)) for p in work.rglob("*") if p.is_file() and p != path)
        os.chdir(Path(script).resolve().parent)
    return {"record": namespace["record"], "files": files,
            "output": shown_lines(out.getvalue())}


def record_keras_reference():
    """Run the five scripts with Keras (each in its own process) into keras_reference.json."""
    import subprocess
    reference = {}
    with tempfile.TemporaryDirectory() as folder:
        for name in SCRIPTS:
            out = Path(folder) / f"{name}.json"
            subprocess.run([sys.executable, __file__, str(HERE / f"{name}.py"), str(out), "--keras"], check=True)
            reference[name] = json.loads(out.read_text(encoding="utf-8"))
    (HERE / "keras_reference.json").write_text(json.dumps(reference, indent=1, ensure_ascii=False) + "\n",
                                                encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1:] == ["--record"]:
        record_keras_reference()
    else:
        script, out_file = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
        result = run(script, "--keras" in sys.argv[3:])
        out_file.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
