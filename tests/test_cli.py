"""End-to-end tests of ``python -m minicnn``: every command runs in a fresh subprocess,
exactly as a user would type it, on the bundled sample (1,600 + 400 images).

One 2-epoch training run (the ``run`` fixture) is shared by the tests that read its
files; the resume test trains 1 epoch, resumes to 2 and must end with the very same
weights. The whole file takes about a minute on two cores.
"""
import base64
import importlib.util
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from minicnn import zoo
from minicnn.datasets import CLASS_NAMES
from minicnn import load_model

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SEED = 7
RUN_FILES = ("model.minicnn", "checkpoint.minicnn", "config.json", "history.json", "metrics.json",
             "classification_report.txt", "training_curves.png", "confusion_matrix.png",
             "confusion_matrix_normalized.png", "prediction_grid.png", "report.html", "recorder.json", "training_health.png")


def minicnn(*args, timeout=300, **kwargs):
    """Run ``python -m minicnn ARGS``; returns the CompletedProcess (text output)."""
    return subprocess.run([sys.executable, "-m", "minicnn", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, **kwargs)


def train_sample(out, *args, **kwargs):
    return minicnn("train", "--sample", "--seed", SEED, "--verbose", 0, "--out", out, *args, **kwargs)


def assert_clean_failure(result, code):
    """Exit code ``code``, an ``error:`` line for the user, no traceback."""
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    assert "error:" in result.stderr


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """The folder of one 2-epoch dropout_cnn run on the sample."""
    out = tmp_path_factory.mktemp("cli") / "run"
    result = train_sample(out, "--epochs", 2)
    assert result.returncode == 0, result.stderr
    assert "test accuracy" in result.stdout
    return out


# ----------------------------------------------------------------------------- train's files
def test_train_writes_every_file(run):
    assert sorted(p.name for p in run.iterdir() if not p.name.startswith(".")) == sorted(RUN_FILES)


def test_metrics_json_holds_the_scores_and_the_run_facts(run):
    metrics = json.loads((run / "metrics.json").read_text())
    assert 0.3 < metrics["test_accuracy"] <= 1  # 2 epochs on the sample give about 0.6; chance is 0.1
    assert metrics["test_accuracy"] == metrics["accuracy"]
    assert 0 < metrics["test_loss"] < math.log(10) + 0.5
    for key in ("precision", "recall", "f1", "weighted_precision", "weighted_recall", "weighted_f1"):
        assert 0 <= metrics[key] <= 1, key
    assert [row["name"] for row in metrics["per_class"]] == list(CLASS_NAMES)
    assert sum(row["support"] for row in metrics["per_class"]) == metrics["n_samples"] == 400
    assert np.sum(metrics["confusion_matrix"]) == 400
    assert np.trace(metrics["confusion_matrix"]) == round(400 * metrics["test_accuracy"])
    assert (metrics["model"], metrics["seed"], metrics["epochs"]) == ("dropout_cnn", SEED, 2)
    assert (metrics["seed_project"], metrics["batch_size"]) == ("001", 300)
    assert "sample" in metrics["data_source"]
    assert metrics["params"] == zoo.get("dropout_cnn")().count_params()
    seconds = metrics["seconds_per_epoch"]
    assert len(seconds) == 2 and all(s > 0 for s in seconds)
    assert metrics["seconds_per_epoch_mean"] == pytest.approx(np.mean(seconds))


def test_history_and_config(run):
    history = json.loads((run / "history.json").read_text())
    for key in ("loss", "accuracy", "val_loss", "val_accuracy", "seconds"):
        assert len(history[key]) == 2, key
    assert all(0 <= a <= 1 for a in history["accuracy"] + history["val_accuracy"])
    config = json.loads((run / "config.json").read_text())
    recipe = zoo.get("dropout_cnn").training
    validation = "test" if recipe["validate_on_test"] else 0.1  # else: the CLI's default split
    assert config | {"out": None} == {"model": "dropout_cnn", "seed_project": "001", "epochs": 2,
                                      "batch_size": 300, "seed": SEED, "validation": validation,
                                      "out": None, "data": None, "sample": True, "dataset": None,
                                      "image_size": None}


def test_classification_report_lists_every_class(run):
    text = (run / "classification_report.txt").read_text()
    assert all(name in text for name in CLASS_NAMES) and "macro avg" in text


@pytest.mark.parametrize("name", [n for n in RUN_FILES if n.endswith(".png")])
def test_figures_are_real_pngs(run, name):
    from PIL import Image
    data = (run / name).read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    with Image.open(run / name) as image:
        image.load()
        assert min(image.size) > 200


def test_report_embeds_every_figure(run):
    page = (run / "report.html").read_text()
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == 5  # curves, confusion counts, normalised, prediction grid, layer health
    assert all(base64.b64decode(png).startswith(PNG_SIGNATURE) for png in images)
    assert 'src="http' not in page and "Model architecture" in page and "dropout_cnn" in page
    assert "What each layer did during training" in page and "rule of thumb" in page


def test_the_final_model_is_the_last_checkpoint(run):
    final, checkpoint = load_model(run / "model.minicnn"), load_model(run / "checkpoint.minicnn")
    assert final.epochs_completed == checkpoint.epochs_completed == 2 and final.fit_seed == SEED
    assert all(np.array_equal(a, b) for a, b in zip(final.get_weights(), checkpoint.get_weights()))


# ----------------------------------------------------------------------------- resume
def test_resume_ends_with_the_weights_of_an_uninterrupted_run(run, tmp_path):
    """A run folder resumes from wherever it is: here a copy, resumed from another working
    directory, of a run started with a relative --out whose original has since moved."""
    (tmp_path / "first").mkdir()
    assert train_sample("runs/a", "--epochs", 1, cwd=tmp_path / "first").returncode == 0
    original = tmp_path / "first" / "runs" / "a"
    out = tmp_path / "resumed"
    shutil.copytree(original, out)
    moved = shutil.move(original, tmp_path / "moved")
    result = minicnn("train", "--out", out.relative_to(tmp_path), "--resume", "--epochs", 2, "--verbose", 0,
                     cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    straight, resumed = load_model(run / "model.minicnn"), load_model(out / "model.minicnn")
    assert resumed.epochs_completed == 2
    assert all(np.array_equal(a, b) for a, b in zip(straight.get_weights(), resumed.get_weights()))
    assert load_model(Path(moved) / "checkpoint.minicnn").epochs_completed == 1   # the original is untouched
    # The history is carried over, so the curves show both epochs.
    assert json.loads((out / "history.json").read_text())["loss"] == \
        json.loads((run / "history.json").read_text())["loss"]


def test_ctrl_c_keeps_the_checkpoint_and_says_how_to_resume(tmp_path):
    out = tmp_path / "stopped"
    process = subprocess.Popen(
        [sys.executable, "-m", "minicnn", "train", "--sample", "--epochs", "50", "--seed", "1",
         "--verbose", "0", "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # not ignored
    deadline = time.monotonic() + 240
    while not (out / "checkpoint.minicnn").exists() and process.poll() is None:
        assert time.monotonic() < deadline, "no checkpoint after 240 s"
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)  # what Ctrl-C in a terminal sends
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130 and "Traceback" not in stderr
    assert f"python -m minicnn train --out {out} --resume" in stderr
    saved = int(re.search(r"holds epochs? (?:1-)?(\d+) of 50", stderr).group(1))
    assert load_model(out / "checkpoint.minicnn").epochs_completed == saved >= 1


def test_resume_refuses_what_would_not_replay_the_run(run, tmp_path):
    assert_clean_failure(minicnn("train", "--out", run, "--resume", "--seed", SEED + 1), 2)
    assert_clean_failure(minicnn("train", "--out", tmp_path, "--resume"), 2)
    assert_clean_failure(minicnn("train", "--resume"), 2)
    result = minicnn("train", "--sample", "--out", run)  # would overwrite a run
    assert_clean_failure(result, 2)
    assert "--resume" in result.stderr


def test_settings_come_from_the_recipe_unless_given():
    from minicnn.runs import pipeline
    recipe = zoo.get("cnn_32_64_64").training
    config = pipeline.new_config("cnn_32_64_64", seed=3)
    assert (config["epochs"], config["batch_size"]) == (recipe["epochs"], recipe["batch_size"])
    assert config["validation"] == ("test" if recipe["validate_on_test"] else 0.1)
    assert pipeline.new_config("cnn_32_64_64", validation_split=0.25)["validation"] == 0.25
    assert pipeline.new_config(validation_split=0.0)["validation"] == 0.0  # no validation
    assert pipeline.new_config()["model"] == "dropout_cnn"


# ----------------------------------------------------------------------------- errors
def test_unknown_model_lists_the_known_ones():
    result = minicnn("train", "--model", "resnet50", "--sample")
    assert_clean_failure(result, 2)
    assert "resnet50" in result.stderr
    assert all(name in result.stderr for name in zoo.list_models())


def test_missing_data_gives_the_loaders_message(tmp_path):
    """Every place the loader looks is empty, and downloading has no mirror to try."""
    empty = tmp_path / "empty"
    empty.mkdir()
    code = ("import sys; from pathlib import Path; from minicnn.datasets import files; "
            "files.DEBIAN_DIR = Path(sys.argv[1]); files.MIRRORS = (); "
            "from minicnn.runs.cli import main; sys.exit(main(sys.argv[2:]))")
    env = {**os.environ, "FASHION_MNIST_DIR": str(empty), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path / "no-debian"), "train",
                             "--out", str(tmp_path / "run")],
                            capture_output=True, text=True, env=env, timeout=120)
    assert_clean_failure(result, 1)
    assert "Fashion-MNIST was not found" in result.stderr and "--sample" not in result.stdout
    assert not (tmp_path / "run" / "checkpoint.minicnn").exists()
    # A mistyped --data is an error even where the data could be found elsewhere (the Debian copy here).
    result = minicnn("train", "--data", tmp_path / "typo", "--out", tmp_path / "run")
    assert_clean_failure(result, 1)
    assert "typo does not hold Fashion-MNIST (no such folder" in result.stderr
    assert not (tmp_path / "run").exists()


def test_evaluate_names_a_model_and_data_that_do_not_fit(tmp_path):
    import minicnn as package
    from minicnn.layers import Conv2D, Dense, Flatten
    model = package.Sequential([Conv2D(2, 3), Flatten(), Dense(10, activation="softmax")], input_shape=(32, 32, 3))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    result = minicnn("evaluate", model.save(tmp_path / "colour"), "--sample", "--out", tmp_path / "out")
    assert_clean_failure(result, 2)
    assert "(32, 32, 3); Fashion-MNIST has (28, 28, 1)" in result.stderr and "--dataset" in result.stderr


def test_missing_or_damaged_model_file_for_evaluate(tmp_path):
    assert_clean_failure(minicnn("evaluate", tmp_path / "nothing.minicnn", "--sample"), 2)
    (tmp_path / "damaged.minicnn").write_bytes(b"not a model")
    result = minicnn("evaluate", tmp_path / "damaged.minicnn", "--sample")
    assert_clean_failure(result, 1)
    assert "damaged.minicnn" in result.stderr


def test_command_line_mistakes_end_in_one_error_line(run, tmp_path):
    result = minicnn("train", "--sample", "--seed", "-1", "--out", tmp_path / "negative-seed")
    assert_clean_failure(result, 2)
    assert "--seed" in result.stderr and "'-1'" in result.stderr
    damaged = tmp_path / "damaged"
    shutil.copytree(run, damaged)
    (damaged / "history.json").write_text('{"loss": [0.5, ')           # cut off mid-write by hand
    result = minicnn("summary", damaged)
    assert_clean_failure(result, 1)
    assert "history.json is damaged" in result.stderr
    (damaged / "config.json").write_text("{not json")
    result = minicnn("train", "--out", damaged, "--resume")
    assert_clean_failure(result, 1)
    assert "config.json is damaged" in result.stderr
    (tmp_path / "a-file").write_text("")
    result = minicnn("tutorials", tmp_path / "a-file" / "course")      # a folder cannot go inside a file
    assert_clean_failure(result, 1)
    assert "a-file" in result.stderr


# ----------------------------------------------------------------------------- other commands
def test_evaluate_scores_a_saved_model_like_training_did(run, tmp_path):
    out = tmp_path / "evaluation"
    result = minicnn("evaluate", run, "--sample", "--out", out, "--verbose", 0)  # the run folder
    assert result.returncode == 0, result.stderr
    trained, evaluated = (json.loads((d / "metrics.json").read_text()) for d in (run, out))
    assert evaluated["test_accuracy"] == trained["test_accuracy"]
    assert evaluated["test_loss"] == pytest.approx(trained["test_loss"], rel=1e-6)
    for name in ("report.html", "confusion_matrix.png", "prediction_grid.png",
                 "classification_report.txt"):
        assert (out / name).is_file(), name
    assert not (out / "training_curves.png").exists()  # no history: no curves


def test_list_models_shows_each_model_with_its_recipe():
    result = minicnn("list-models")
    assert result.returncode == 0, result.stderr
    lines = {line.split()[0]: line.split() for line in result.stdout.splitlines()[1:]}
    assert sorted(lines) == zoo.list_models()
    for name, cells in lines.items():
        builder = zoo.get(name)
        assert cells[1:5] == [builder.training["seed_project"], f"{builder().count_params():,}",
                              str(builder.training["epochs"]), str(builder.training["batch_size"])]


def test_help_shows_examples():
    for args in ([], ["train"], ["evaluate"]):
        result = minicnn(*args, "--help")
        assert result.returncode == 0 and "example" in result.stdout, args


def test_compare_is_wired_in():
    result = minicnn("compare", "--help")
    if importlib.util.find_spec("minicnn.runs.compare") is None:
        assert_clean_failure(result, 2)
        assert "not available" in result.stderr
    else:
        assert result.returncode == 0 and "usage" in result.stdout
