"""Metrics checked against numbers worked out by hand, and the plots' structure."""
import json
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402

from minicnn.runs.metrics import (classification_report_text, evaluate_predictions,  # noqa: E402
                                  most_confused_pairs)
from minicnn.runs.plots import plot_confusion_matrix, plot_prediction_grid, plot_training_curves  # noqa: E402

NAMES = ["a", "b", "c"]
# Eight samples, three classes. Written as (true -> predicted):
#   a->a a->a a->a a->b   b->b b->c   c->c c->c
Y_TRUE = np.array([0, 0, 0, 0, 1, 1, 2, 2])
Y_PRED = np.array([0, 0, 0, 1, 1, 2, 2, 2])


def probabilities_for(y_pred, n_classes=3):
    """Rows whose argmax is ``y_pred``: 0.8 on the prediction, the rest shared."""
    rest = 0.2 / (n_classes - 1)
    return np.full((len(y_pred), n_classes), rest) + (0.8 - rest) * np.eye(n_classes)[y_pred]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_metrics_match_hand_computation():
    m = evaluate_predictions(Y_TRUE, probabilities_for(Y_PRED), NAMES, loss=0.25)
    # Confusion matrix, rows = true, columns = predicted:
    #        a  b  c
    #   a [  3  1  0 ]   support 4
    #   b [  0  1  1 ]   support 2
    #   c [  0  0  2 ]   support 2
    assert m["confusion_matrix"] == [[3, 1, 0], [0, 1, 1], [0, 0, 2]]
    # 6 of 8 on the diagonal.
    assert m["accuracy"] == pytest.approx(6 / 8)
    # precision = diagonal / column sum: a 3/3, b 1/2, c 2/3
    # recall    = diagonal / row sum:    a 3/4, b 1/2, c 2/2
    # f1 = 2PR/(P+R): a 2*1*0.75/1.75 = 6/7, b 1/2, c 2*(2/3)*1/(5/3) = 4/5
    expected = [(1.0, 0.75, 6 / 7, 4), (0.5, 0.5, 0.5, 2), (2 / 3, 1.0, 0.8, 2)]
    for row, name, (p, r, f, s) in zip(m["per_class"], NAMES, expected):
        assert row["name"] == name
        assert row["precision"] == pytest.approx(p)
        assert row["recall"] == pytest.approx(r)
        assert row["f1"] == pytest.approx(f)
        assert row["support"] == s
    # Macro = plain mean over the three classes.
    assert m["precision"] == pytest.approx((1 + 0.5 + 2 / 3) / 3)    # 13/18
    assert m["recall"] == pytest.approx((0.75 + 0.5 + 1) / 3)        # 3/4
    assert m["f1"] == pytest.approx((6 / 7 + 0.5 + 0.8) / 3)         # 151/210
    # Weighted = mean weighted by support 4, 2, 2 (out of 8).
    assert m["weighted_precision"] == pytest.approx((4 * 1 + 2 * 0.5 + 2 * 2 / 3) / 8)  # 19/24
    assert m["weighted_recall"] == pytest.approx((4 * 0.75 + 2 * 0.5 + 2 * 1) / 8)     # = accuracy
    assert m["weighted_f1"] == pytest.approx((4 * 6 / 7 + 2 * 0.5 + 2 * 0.8) / 8)      # 211/280
    assert m["test_loss"] == 0.25


def test_most_confused_of_hand_case():
    m = evaluate_predictions(Y_TRUE, probabilities_for(Y_PRED), NAMES)
    # Two mistakes, one each: a->b (row 0) comes before b->c (row 1) on a tie.
    assert [(p["true_name"], p["predicted_name"], p["count"]) for p in m["most_confused"]] == [
        ("a", "b", 1), ("b", "c", 1)]
    assert "test_loss" not in m


def test_one_hot_and_integer_labels_agree():
    probabilities = probabilities_for(Y_PRED)
    from_labels = evaluate_predictions(Y_TRUE, probabilities, NAMES)
    from_one_hot = evaluate_predictions(np.eye(3)[Y_TRUE], probabilities, NAMES)
    assert from_labels == from_one_hot


def test_result_is_json_serialisable():
    m = evaluate_predictions(Y_TRUE, probabilities_for(Y_PRED), loss=np.float32(0.5))
    assert json.loads(json.dumps(m)) == m
    assert [row["name"] for row in m["per_class"]] == ["0", "1", "2"]


def test_class_never_predicted_scores_zero_without_warning():
    # Class c (2) is never predicted: its precision 0/0 is reported as 0.
    y_pred = np.array([0, 0, 1, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = evaluate_predictions([0, 0, 1, 2], probabilities_for(y_pred), NAMES)
    assert m["per_class"][2]["precision"] == 0.0
    assert m["per_class"][2]["recall"] == 0.0


def test_most_confused_pairs_order_and_top():
    confusion = np.array([[5, 1, 7],
                          [2, 5, 0],
                          [7, 3, 5]])
    pairs = most_confused_pairs(confusion, ["x", "y", "z"], top=5)
    # Off-diagonal counts, largest first, ties in row order; the 0 (y->z) is left out.
    assert [(p["true"], p["predicted"], p["count"]) for p in pairs] == [
        (0, 2, 7), (2, 0, 7), (2, 1, 3), (1, 0, 2), (0, 1, 1)]
    assert (pairs[0]["true_name"], pairs[0]["predicted_name"]) == ("x", "z")
    assert len(most_confused_pairs(confusion, ["x", "y", "z"], top=2)) == 2


@pytest.mark.parametrize("y_true, probabilities, words", [
    (Y_TRUE[:7], probabilities_for(Y_PRED), ["7", "8"]),
    ([0, 0, 0, 0, 1, 1, 2, 3], probabilities_for(Y_PRED), ["label", "3"]),
    ([0, 0, 0, 0, 1, 1, 2, -1], probabilities_for(Y_PRED), ["label", "-1"]),
    (Y_TRUE, np.where(probabilities_for(Y_PRED) > 0.5, np.nan, 0.1), ["NaN"]),
    (np.eye(4)[[0, 0, 0, 0, 1, 1, 2, 2]], probabilities_for(Y_PRED), ["one-hot", "4"]),
    ([0, 0, 0, 0, 1, 1, 2, 1.5], probabilities_for(Y_PRED), ["label", "1.5"]),
])
def test_bad_inputs_raise_clear_errors(y_true, probabilities, words):
    with pytest.raises(ValueError) as error:
        evaluate_predictions(y_true, probabilities, NAMES)
    for word in words:
        assert word in str(error.value)


def test_wrong_number_of_class_names():
    with pytest.raises(ValueError, match="Expected 3 class names"):
        evaluate_predictions(Y_TRUE, probabilities_for(Y_PRED), ["a", "b"])


def test_classification_report_text_has_names_and_hand_numbers():
    text = classification_report_text(Y_TRUE, Y_PRED, NAMES)
    assert all(name in text for name in NAMES)
    assert f"{6 / 7:.4f}" in text        # f1 of class a
    assert f"{2 / 3:.4f}" in text        # precision of class c
    assert classification_report_text(np.eye(3)[Y_TRUE], Y_PRED, NAMES) == text


def test_confusion_plot_counts_and_recall():
    confusion = np.array([[3, 1, 0], [0, 1, 1], [0, 0, 2]])
    fig = plot_confusion_matrix(confusion, NAMES)
    assert isinstance(fig, plt.Figure) and len(fig.axes) == 2  # matrix + colour bar
    assert [t.get_text() for t in fig.axes[0].texts] == [str(v) for v in confusion.ravel()]
    fig = plot_confusion_matrix(confusion, NAMES, normalize=True)
    # Row a: 3/4, 1/4, 0/4 -- the diagonal is each class's recall.
    assert [t.get_text() for t in fig.axes[0].texts[:3]] == ["0.75", "0.25", "0.00"]
    assert [lbl.get_text() for lbl in fig.axes[0].get_xticklabels()] == NAMES


def test_training_curves_panels_and_epochs():
    history = {"loss": [1.0, 0.6, 0.4], "accuracy": [0.5, 0.7, 0.8],
               "val_loss": [1.1, 0.7, 0.5], "val_accuracy": [0.45, 0.65, 0.75]}
    fig = plot_training_curves(history)
    assert len(fig.axes) == 2
    ax_acc, ax_loss = fig.axes
    assert len(ax_acc.lines) == 2 and len(ax_loss.lines) == 2  # training + validation
    np.testing.assert_array_equal(ax_acc.lines[0].get_xdata(), [1, 2, 3])  # epochs from 1
    np.testing.assert_array_equal(ax_loss.lines[1].get_ydata(), history["val_loss"])
    no_val = plot_training_curves({"loss": [1.0, 0.5], "accuracy": [0.5, 0.6]})
    assert [len(ax.lines) for ax in no_val.axes] == [1, 1]


def test_training_curves_needs_loss_and_accuracy():
    with pytest.raises(ValueError, match="accuracy"):
        plot_training_curves({"loss": [1.0]})


def make_grid_data(n_images=12, seed=0):
    """Images whose pixels all equal their own index, so each axes says which one it shows."""
    rng = np.random.default_rng(seed)
    images = np.repeat(np.arange(n_images, dtype=float), 28 * 28).reshape(n_images, 28, 28)
    y_true = rng.integers(0, 3, size=n_images)
    y_pred = np.where(rng.random(n_images) < 0.5, y_true, (y_true + 1) % 3)
    return images, y_true, y_pred


def test_prediction_grid_colours_right_green_wrong_red():
    images, y_true, y_pred = make_grid_data()
    assert 0 < np.sum(y_true == y_pred) < len(y_true)  # both colours will appear
    fig = plot_prediction_grid(images[..., None], y_true, y_pred, NAMES, n=8, seed=4)
    assert len(fig.axes) == 8
    shown = []
    for ax in fig.axes:
        index = int(ax.images[0].get_array()[0, 0])
        shown.append(index)
        red, green, _, _ = to_rgba(ax.title.get_color())
        right = y_true[index] == y_pred[index]
        assert (green > red) if right else (red > green), (index, ax.title.get_text())
        assert NAMES[y_true[index]] in ax.title.get_text()
        assert NAMES[y_pred[index]] in ax.title.get_text()
    assert len(set(shown)) == 8  # drawn without replacement
    again = plot_prediction_grid(images, y_true, y_pred, NAMES, n=8, seed=4)
    assert [int(ax.images[0].get_array()[0, 0]) for ax in again.axes] == shown


def test_prediction_grid_sizes_and_probabilities():
    images, y_true, y_pred = make_grid_data(n_images=5)
    fig = plot_prediction_grid(images, y_true, y_pred, NAMES, n=16, seed=0)
    assert len(fig.axes) == 5  # n larger than N shows every image once
    probabilities = probabilities_for(y_pred)
    fig = plot_prediction_grid(images, y_true, y_pred, NAMES, n=3, seed=0,
                               probabilities=probabilities)
    assert len(fig.axes) == 3
    assert all("(80%)" in ax.title.get_text() for ax in fig.axes)


def test_prediction_grid_draws_colour_and_rejects_other_channel_counts():
    images = np.zeros((4, 28, 28, 3))
    images[..., 0] = 1.0                                      # red images stay red
    fig = plot_prediction_grid(images, [0, 1, 2, 0], [0, 1, 2, 0], NAMES, n=2, seed=0)
    drawn = np.asarray(fig.axes[0].get_images()[0].get_array())
    assert drawn.shape == (28, 28, 3) and np.allclose(drawn[0, 0], (1, 0, 0))
    with pytest.raises(ValueError, match=r"\(4, 28, 28, 2\)"):
        plot_prediction_grid(np.zeros((4, 28, 28, 2)), [0, 1, 2, 0], [0, 1, 2, 0], NAMES)
