"""The course's infrastructure: exercise checkers and solutions, shipped weights, the notebook copies."""
import importlib
import json
import runpy
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

import minicnn
from minicnn import zoo
from minicnn.course import notebooks

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "tutorials" / "solutions").glob("nb*.py"))
# One wrong answer per exercise: a typical mistake the hint is written for.
WRONG = {
    "nb00": {1: (32, 28, 28), 2: 30720, 3: 2.303, 4: 3.4},
    "nb01": {1: 600, 2: 0.05, 3: "Trouser", 4: lambda ratio, share: int(np.argmax(np.cumsum(ratio) > share)) + 1},
    "nb02": {1: 200704, 2: 3, 3: (16, 16, 64), 4: 0.7},
    "nb03": {1: 13, 2: (9, 3), 3: 10, 4: 18496, 5: (4.0, 2.5)},
    "nb04": {1: (9, 27), 2: [4, 0, 2, -1], 3: 14.0, 4: np.zeros((3, 2)), 5: [[0, 0.5], [0.5, 0]]},
    "nb05": {1: 0.001, 2: 0.1, 3: 0.4264, 4: 0.001},
    "nb06": {1: 3.0, 2: 0.03, 3: 5, 4: 0.5},
    "nb07": {1: 2.303, 2: 0, 3: 100, 4: 50},
    "nb08": {1: 0.5, 2: 1686568, 3: 0.5, 4: (7, 7)},
    "nb09": {1: 7, 2: 49, 3: 156.8, 4: 4.9},
    "nb10": {1: (5, 5, 16, 3), 2: 6, 3: 23, 4: 1876},
    "nb11": {1: ["pool", "relu_1"], 2: 2.303, 3: 0.1},
    "nb12": {1: ["cat_01.png", "cat_02.JPG", "cat_03.jpeg", "cat_04.txt"], 2: 200, 3: 2.303},
}


def solution_answers(path):
    """``{exercise number: answer}`` from a solutions file's ``answer_1``, ``answer_2``, ..."""
    names = runpy.run_path(str(path))
    return {int(name.split("_")[1]): value for name, value in names.items() if name.startswith("answer_")}


def test_every_notebook_up_to_04_has_solutions():
    assert [path.stem for path in SOLUTIONS][:5] == ["nb00", "nb01", "nb02", "nb03", "nb04"]


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda path: path.stem)
def test_each_solution_passes_its_checker_and_a_wrong_answer_fails(path, capsys):
    checkers = importlib.import_module(f"minicnn.course.checkers.{path.stem}")
    answers = solution_answers(path)
    assert sorted(answers) == list(range(1, len(answers) + 1)) and answers
    for number, answer in answers.items():
        check = getattr(checkers, f"check_{number}")
        assert check(answer) is True, f"{path.stem} exercise {number}: the solution fails its checker"
        assert check(None) is False
        wrong = WRONG.get(path.stem, {})
        assert number in wrong, f"add a typical wrong answer for {path.stem} exercise {number} to WRONG"
        assert check(wrong[number]) is False, f"{path.stem} exercise {number} accepts a wrong answer"
        assert check(object()) is False              # the wrong kind of answer: a message, no traceback
    printed = capsys.readouterr().out
    for answer in answers.values():                  # the checker never prints the answer
        if isinstance(answer, (int, float)) and not isinstance(answer, bool) and abs(answer) > 10:
            assert str(answer) not in printed


@pytest.mark.parametrize("name", ["gap_cnn", "dropout_cnn"])
def test_pretrained_weights_load_and_classify(name):
    info = zoo.pretrained_info(name)
    assert info["command"].startswith(f"python -m minicnn train --model {name}")
    assert "60,000" in info["trained"]["data_source"] or "fashion-mnist" in info["trained"]["data_source"]
    model = zoo.load_pretrained(name)
    _, (x_test, y_test) = minicnn.load_fashion_mnist(sample=True)
    predicted = model.predict(minicnn.to_model_input(x_test), verbose=0).argmax(axis=1)
    assert np.mean(predicted == y_test) > info["shipped_float16"]["accuracy"] - 0.06


def test_pretrained_files_are_small_and_hold_weights_only():
    files = list(zoo.PRETRAINED_DIR.iterdir())
    assert sum(path.stat().st_size for path in files) < 5e6
    for path in zoo.PRETRAINED_DIR.glob("*.npz"):
        with np.load(path) as stored:
            assert all(stored[key].dtype == np.float16 for key in stored.files)
            assert len(stored.files) == len(zoo.get(path.stem)().weights)   # no optimizer state
        assert json.loads(path.with_suffix(".json").read_text())["shipped_float16"]["accuracy"] > 0.85


def test_unknown_pretrained_name_lists_the_shipped_ones():
    with pytest.raises(ValueError, match="gap_cnn"):
        zoo.load_pretrained("no_such_model")


def test_tutorials_command_copies_the_notebooks(tmp_path):
    done = subprocess.run([sys.executable, "-m", "minicnn", "tutorials", str(tmp_path / "course")],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "course" / "00_start_here.ipynb").is_file()
    assert (tmp_path / "course" / "solutions" / "nb00.py").is_file()
    assert (tmp_path / "course" / "solutions" / "tasks" / "conv.py").is_file()
    again = subprocess.run([sys.executable, "-m", "minicnn", "tutorials", str(tmp_path / "course")],
                           capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert again.returncode == 2 and "--overwrite" in again.stderr


def test_an_installed_copy_is_found_under_share(tmp_path, monkeypatch):
    installed = tmp_path / notebooks.SHARE
    installed.mkdir(parents=True)
    (installed / "00_start_here.ipynb").write_text("{}")
    monkeypatch.setattr(notebooks, "candidates", lambda: [tmp_path / "nothing", installed])
    assert notebooks.find_notebooks() == installed


@pytest.mark.slow
def test_a_wheel_carries_the_notebooks_and_the_weights(tmp_path):
    source = tmp_path / "src"
    for name in ["minicnn", "tutorials"]:
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ["setup.cfg", "pyproject.toml", "README.md"]:
        shutil.copy(ROOT / name, source / name)
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "--no-build-isolation",
                           "-w", str(tmp_path / "dist")], cwd=source, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    [wheel] = (tmp_path / "dist").glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    share = [name for name in names if "/data/share/minicnn/tutorials/" in name]
    assert any(name.endswith("/00_start_here.ipynb") for name in share)
    assert any(name.endswith("/solutions/nb00.py") for name in share)
    assert any(name.endswith("/solutions/tasks/conv.py") for name in share)
    assert "minicnn/pretrained/gap_cnn.npz" in names and "minicnn/course/checkers/nb00.py" in names


def test_checkers_accept_numpy_forms_of_a_right_answer(capsys):
    # What minicnn itself returns: ReLU.backward's (1, 4) array, a NumPy float.
    from minicnn.course.checkers import nb04, nb09
    from minicnn.layers import ReLU
    assert nb09.check_4(np.float32(0.1)) is True and nb09.check_4(np.array([0.1])) is False
    relu = ReLU()
    relu.build((4,))
    relu.forward(nb04.RELU_X[None, :], training=True)
    assert nb04.check_2(relu.backward(nb04.RELU_GRAD[None, :])) is True
    assert nb04.check_2(np.zeros((1, 5))) is False
