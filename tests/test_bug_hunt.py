"""Notebook 11's planted bugs: each is found by the tool the lesson names, and only there.

Backward bugs (relu, pool, dense, conv): the gradient check of each layer alone flags their
layer and no other; the forward check passes them. The dropout bug: every gradient check
passes, the forward check flags it. The initialisation bug: both checks pass; the loss
before training and the weight norms show it. The layers' own NumPy code runs.
"""
import numpy as np
import pytest

import minicnn
from minicnn.course import bug_hunt

BACKWARD_BUGS = ["relu", "pool", "dense", "conv"]
WRONG = 1e-2      # a relative error this large is a wrong gradient; right ones are below 1e-8 here
SMALL = (6, 6, 1)


@pytest.fixture(autouse=True)
def numpy_layers():
    minicnn.set_backend("numpy")
    yield
    minicnn.set_backend("numba")


def flagged(values, limit):
    return sorted(name for name, value in values.items() if value > limit)


@pytest.fixture
def tiny():
    return np.random.default_rng(0).random((2, *SMALL))


@pytest.mark.parametrize("bug", [None, *BACKWARD_BUGS, "dropout", "init"])
def test_gradient_and_forward_checks_flag_exactly_the_layer_they_can_see(bug, tiny, float64):
    model = bug_hunt.suspect_network([bug] if bug else [], input_shape=SMALL)
    gradients = bug_hunt.gradcheck_each_layer(model, tiny)
    forward = bug_hunt.compare_forward(model, tiny)
    layer = bug_hunt.BUGS[bug][0] if bug else None
    assert flagged(gradients, WRONG) == ([layer] if bug in BACKWARD_BUGS else [])
    assert max(gradients[name] for name in gradients if name != layer) < 1e-6
    assert flagged(forward, 1e-6) == (["dropout"] if bug == "dropout" else [])


def test_a_bad_initialisation_shows_in_the_starting_loss_and_the_weight_norms():
    (x, y), _ = minicnn.load_fashion_mnist(sample=True)
    x, y = minicnn.to_model_input(x[:200]), y[:200]
    clean, buggy = bug_hunt.suspect_network([]), bug_hunt.suspect_network(["init"])
    assert abs(clean.evaluate(x, y, verbose=0)[0] - np.log(10)) < 0.3
    assert buggy.evaluate(x, y, verbose=0)[0] > np.log(10) + 0.3
    norms = [np.linalg.norm(model.get_layer("output").params["kernel"]) for model in (clean, buggy)]
    assert norms[1] > 5 * norms[0]


def test_the_mystery_network_hides_one_bug_of_each_kind():
    for seed in range(20):
        drawn = bug_hunt.mystery_bugs(seed)
        assert len(set(drawn) & set(BACKWARD_BUGS)) == 1 and len(set(drawn) & {"dropout", "init"}) == 1
    assert sorted(layer.name for layer in bug_hunt.mystery_network(42).layers if type(layer).__doc__
                  .startswith("Bug")) == bug_hunt.buggy_layers(bug_hunt.mystery_bugs(42))
    with pytest.raises(ValueError, match="Unknown bugs"):
        bug_hunt.suspect_network(["typo"])


def test_pipeline_bugs_show_in_the_starting_loss_or_an_error():
    from minicnn.course import lab
    (x, y), _ = minicnn.load_fashion_mnist(sample=True)
    x, y = minicnn.to_model_input(x[:200]), y[:200].astype(np.int64)
    model = lab.small_cnn()
    assert abs(model.evaluate(x, y, verbose=0)[0] - np.log(10)) < 0.3
    assert model.evaluate(x * 255, y, verbose=0)[0] > 10           # unscaled pixels
    with pytest.raises(ValueError, match="one-hot"):
        model.fit(x, np.eye(10)[y], epochs=1, verbose=0)
