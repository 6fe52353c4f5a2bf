"""``minicnn.runs.compare``: one epoch of dropout_cnn in both libraries on the bundled sample.

Needs Keras; skipped without it, except in CI where ``MINICNN_REQUIRE_KERAS=1`` makes a
missing Keras an error (see tests/test_keras_parity.py).
"""
import argparse
import json
import os

import pytest

if os.environ.get("MINICNN_REQUIRE_KERAS", "") not in ("", "0"):
    import importlib.util
    if importlib.util.find_spec("keras") is None:
        raise ImportError('MINICNN_REQUIRE_KERAS is set but Keras is not installed: pip install "minicnn[keras]"')
else:
    pytest.importorskip("keras")

from minicnn.runs.compare import add_compare_arguments, compare, format_table, run_from_args  # noqa: E402

PER_LIBRARY = {"library", "version", "n_train", "n_test", "seconds_first_epoch", "seconds_per_epoch",
               "images_per_second", "peak_rss_mb", "baseline_rss_mb", "final_train_loss",
               "final_train_accuracy", "test_loss", "test_accuracy", "curves"}


@pytest.fixture(scope="module")
def one_epoch(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare")
    return compare("dropout_cnn", epochs=1, sample=True, out_dir=out, seed=3, verbose=False), out


def test_compare_writes_the_json_and_the_plot(one_epoch):
    result, out = one_epoch
    saved = json.loads((out / "compare.json").read_text())
    assert (out / "compare.png").stat().st_size > 10_000
    assert {"model", "epochs", "batch_size", "seed", "sample", "n_train", "n_test", "data_order",
            "libraries", "max_abs_prediction_diff_initial", "max_abs_prediction_diff_final",
            "cpu_count", "load_average"} <= set(saved)
    assert (saved["model"], saved["epochs"], saved["batch_size"]) == ("dropout_cnn", 1, 300)
    assert (saved["n_train"], saved["n_test"]) == (1600, 400)
    for library in ("minicnn", "keras"):
        run = saved["libraries"][library]
        assert set(run) == PER_LIBRARY, library
        assert run["seconds_per_epoch"] is None             # one epoch: only the first is known
        assert run["images_per_second"] == pytest.approx(1600 / run["seconds_first_epoch"])
        assert run["peak_rss_mb"] >= run["baseline_rss_mb"] > 0
        assert 0 <= run["test_accuracy"] <= 1 and len(run["curves"]["loss"]) == 1


def test_same_start_gives_the_same_predictions(one_epoch):
    result, _ = one_epoch
    assert result["max_abs_prediction_diff_initial"] < 1e-4
    # Different dropout masks: after training the two networks are no longer the same.
    assert result["max_abs_prediction_diff_final"] > result["max_abs_prediction_diff_initial"]
    losses = [result["libraries"][lib]["final_train_loss"] for lib in ("minicnn", "keras")]
    assert losses[0] == pytest.approx(losses[1], rel=0.1)   # but they learned about as much


def test_table_lists_both_libraries(one_epoch):
    table = format_table(one_epoch[0])
    assert "minicnn" in table and "keras" in table and "test accuracy" in table
    assert "initial weights" in table


def test_command_line_options_and_errors(capsys):
    parser = add_compare_arguments(argparse.ArgumentParser())
    args = parser.parse_args(["--model", "gap_cnn", "--epochs", "2", "--sample", "--out", "x"])
    assert (args.model, args.epochs, args.sample, args.out, args.data, args.seed) == \
        ("gap_cnn", 2, True, "x", None, 0)
    with pytest.raises(SystemExit):
        parser.parse_args(["--model", "no_such_net"])
    assert run_from_args(parser.parse_args(["--epochs", "0", "--sample"])) == 1
    assert "epochs must be a positive int" in capsys.readouterr().err
