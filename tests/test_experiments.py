"""minicnn.course.experiments: settings compared over seeds on a validation split; the shipped results."""
import json

import numpy as np
import pytest

import minicnn
from minicnn.course import experiments


def test_validation_images_are_the_last_training_images_and_never_trained_on():
    x, y = np.arange(10)[:, None], np.arange(10)
    (x_train, _), (x_val, y_val) = experiments.validation_split(x, y, 6, 3)
    assert x_train.ravel().tolist() == [0, 1, 2, 3, 4, 5] and y_val.tolist() == [7, 8, 9]
    with pytest.raises(ValueError, match="exceeds"):
        experiments.validation_split(x, y, 8, 3)


def test_settings_run_with_every_seed_and_summarise_mean_and_spread(tmp_path):
    (x, y), (x_test, y_test) = minicnn.load_fashion_mnist(sample=True)
    data = ((minicnn.to_model_input(x), y.astype(np.int64)), (minicnn.to_model_input(x_test[:50]), y_test[:50]))
    chosen = {name: experiments.SETTINGS[name] for name in ["baseline", "augmentation"]}
    out = tmp_path / "settings.json"
    results = experiments.run_settings(data, chosen, seeds=[0, 1], n_train=64, n_validation=32, epochs=1,
                                       hidden=8, out=out, say=lambda line: None)
    assert json.loads(out.read_text()) == results
    rows = experiments.summary(results)
    assert [row[0] for row in rows] == list(chosen) and all(row[5] == [0, 1] for row in rows)
    values = [run["val_accuracy_last"] for run in results["runs"]["baseline"]]
    assert rows[0][1] == pytest.approx(np.mean(values)) and rows[0][2] == pytest.approx(np.std(values, ddof=1))
    again = experiments.run_settings(data, chosen, seeds=[0, 1], n_train=64, n_validation=32, epochs=1,
                                     hidden=8, out=out, say=pytest.fail)    # everything is in the file: no run
    assert again == results
    assert experiments.plot_summary(results).axes


def test_the_shipped_results_hold_every_setting_with_three_seeds():
    results = json.loads(experiments.SETTINGS_FILE.read_text())
    assert list(results["runs"]) == list(experiments.SETTINGS)
    assert all(sorted(run["seed"] for run in runs) == [0, 1, 2] for runs in results["runs"].values())
    assert results["config"]["n_train"] + results["config"]["n_validation"] <= 60000


def bn_cnn_record(decay, seed, val, test):
    return {"decay_rate": decay, "seed": seed, "val_accuracy": val, "test_accuracy": test}


def test_bn_cnn_recipe_is_chosen_on_the_mean_validation_accuracy_and_never_on_the_test_set():
    records = [
        # decay 0.9: seed 0 is best at epoch 3, but the mean over both seeds is best at epoch 2
        bn_cnn_record(0.9, 0, [0.80, 0.90, 0.93, 0.91], [0.79, 0.88, 0.99, 0.99]),
        bn_cnn_record(0.9, 1, [0.82, 0.92, 0.88], [0.80, 0.89, 0.99]),      # stopped after 3 epochs
        # decay 0.8: the best test figures, a lower validation mean
        bn_cnn_record(0.8, 0, [0.85, 0.89], [0.99, 0.99]),
        bn_cnn_record(0.8, 1, [0.86, 0.89], [0.99, 0.99]),
    ]
    chosen = experiments.choose_bn_cnn_recipe(records)
    assert (chosen["decay_rate"], chosen["epochs"], chosen["seeds"]) == (0.9, 2, [0, 1])
    assert chosen["val_mean"] == pytest.approx(0.91) and chosen["test_mean"] == pytest.approx(0.885)
    assert chosen["test_std"] == pytest.approx(np.std([0.88, 0.89], ddof=1))
    assert len(chosen["candidates"][0.9]) == 3          # only the epochs every seed reached
    with pytest.raises(ValueError, match="no bn_cnn runs"):
        experiments.choose_bn_cnn_recipe([])


def test_the_shipped_bn_cnn_recipe_is_the_one_its_shipped_runs_choose_and_the_zoo_trains_it():
    from minicnn import zoo
    records = [json.loads(path.read_text()) for path in sorted(experiments.RESULTS_DIR.glob("bn_cnn_decay*_seed*.json"))]
    chosen = json.loads(json.dumps(experiments.choose_bn_cnn_recipe(records)))     # as the file holds it
    assert json.loads(experiments.BN_CNN_FILE.read_text()) == chosen
    assert len(chosen["seeds"]) >= 2 and all(record["n_validation"] == 10000 for record in records)
    assert zoo.bn_cnn.training["epochs"] == chosen["epochs"] and not zoo.bn_cnn.training["validate_on_test"]
    rate = zoo.bn_cnn().optimizer.get_config()["learning_rate"]["config"]
    assert rate["decay_rate"] == chosen["decay_rate"] and rate["staircase"]
    assert f"{chosen['test_mean']:.2%}" in zoo.bn_cnn.__doc__ and f"{chosen['val_mean']:.2%}" in zoo.bn_cnn.__doc__
