"""The graded tasks: every solution passes its check, typical bugs get their targeted message.

Each buggy answer is its task's solution file with one line changed (``old`` -> ``new``),
the mistake a learner makes; its check must print the message written for it.
"""
import hashlib
import subprocess
import sys

import numpy as np
import pytest

import minicnn
from minicnn.course import tasks, yours
from minicnn.course.tasks import cells
from minicnn.course.tasks.feedback import solution_namespace, solution_path
from minicnn.course.tasks.layer_check import LayerCase

TASKS = tasks.all_tasks()
NAMES = [task.name for task in TASKS]

# task: [(old line, new line, what the check must say)]
TYPICAL_BUGS = {
    "conv_forward_naive": [
        ("x_padded = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))",
         "x_padded = np.pad(x, ((0, 0), (pad + 1, pad + 1), (pad + 1, pad + 1), (0, 0)))", "padding off by one"),
        ("window * kernel[:, :, :, filt]", "window * kernel[::-1, ::-1, :, filt]", "kernel flipped"),
        ("j * stride:j * stride + kw, :]", "j:j + kw, :]", "wrong at"),
    ],
    "im2col": [("windows.reshape(n * oh * ow, kh * kw * c)",
                "windows.transpose(0, 1, 2, 5, 3, 4).reshape(n * oh * ow, kh * kw * c)", "wrong order")],
    "col2im": [("] += windows[", "] = windows[", "+=, not =")],
    "conv": [("return dx_padded[:, pad:h - pad, pad:w - pad, :], dkernel, dbias", "return dx_padded, dkernel, dbias",
              "still has the padding"),
             ("dbias = dz.sum(axis=0)", "dbias = dz.mean(axis=0)", "dbias is right up to a constant factor")],
    "max_pool": [("dx[images, rows, columns, channels] += grad_out[:, i, j, :]",
                  "dx[:, i * stride:i * stride + pool, j * stride:j * stride + pool, :] += "
                  "grad_out[:, i, j, None, None, :]",
                  "went to every cell of the window")],
    "avg_pool": [("grad_out[:, i, j, None, None, :] / (pool * pool)", "grad_out[:, i, j, None, None, :]",
                  "whole gradient")],
    "dropout": [("return x * keep / (1 - rate), (keep, rate)", "return x * keep, (keep, rate)",
                 "not scaled by 1 / (1 - rate)"),
                ("keep = rng.random(x.shape) >= rate", "keep = rng.random(x.shape) < rate", "swapped"),
                ("    if not training:\n        return x, None\n", "", "inference")],
    "dense": [("dx = grad_out @ kernel.T", "dx = grad_out @ kernel", "missing transpose"),
              ("dkernel = x.T @ grad_out", "dkernel = grad_out.T @ x", "transpose"),
              ("dbias = grad_out.sum(axis=0)", "dbias = grad_out.mean(axis=0)", "sum over the batch")],
    "relu": [("return grad_out * (x > 0)", "return grad_out * (grad_out > 0)", "sign of the layer's input"),
             ("return grad_out * (x > 0)", "return 1.0 * (x > 0)", "does not depend on grad_out")],
    "global_average_pooling": [("grad_out[:, None, None, :] / (h * w)", "grad_out[:, None, None, :]", "1/(H*W)")],
    "softmax_cross_entropy": [
        ("shifted = scores - scores.max(axis=1, keepdims=True)", "shifted = scores", "overflows"),
        ("return loss, dscores / n", "return loss, dscores", "N times too large")],
    "sgd_momentum": [("return w + velocity, velocity", "return w - velocity, -velocity", "opposite sign")],
    "adam": [("return w - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon), m, v",
              "return w - learning_rate * m / (np.sqrt(v) + epsilon), m, v", "bias correction")],
    "batchnorm": [
        ("dx = (g - g.mean(axis=axes) - x_hat * (g * x_hat).mean(axis=axes)) / std",
         "dx = (g - g.mean(axis=axes)) / std", "path through the variance is missing"),
        ("dx = (g - g.mean(axis=axes) - x_hat * (g * x_hat).mean(axis=axes)) / std",
         "dx = (g - x_hat * (g * x_hat).mean(axis=axes)) / std", "path through the mean is missing"),
        ("mean, var = x.mean(axis=axes), x.var(axis=axes)", "mean, var = x.mean(axis=axes), x.var(axis=axes, ddof=1)",
         "biased variance"),
        ("        mean, var = moving_mean, moving_var\n", "        mean, var = x.mean(axis=axes), x.var(axis=axes)\n",
         "moving statistics")],
    "cam": [("return (feature_maps * weights[:, None, None, :]).sum(axis=-1)",
             "return np.maximum((feature_maps * weights[:, None, None, :]).sum(axis=-1), 0)", "keeps its negative"),
            ("return (feature_maps * weights[:, None, None, :]).sum(axis=-1)",
             "return (feature_maps * weights[:, None, None, :]).mean(axis=-1)", "only defined up to scale")],
    "grad_cam": [("weights = gradients.mean(axis=(1, 2))", "weights = gradients.sum(axis=(1, 2))", "averages them"),
                 ("return np.maximum((feature_maps * weights[:, None, None, :]).sum(axis=-1), 0)",
                  "return (feature_maps * weights[:, None, None, :]).sum(axis=-1)", "no ReLU")],
}


def answer_from(task, source):
    """The task's functions defined by ``source`` (run after the solutions it needs, as in a notebook)."""
    names = solution_namespace(task.needs[-1], task.needs[:-1]) if task.needs else {}
    exec(compile(source, f"<{task.name}>", "exec"), names)
    return tuple(names[name] for name in task.functions)


def test_at_least_14_tasks_in_course_order():
    assert len(TASKS) >= 14 and len(set(NAMES)) == len(NAMES)
    notebooks = [task.notebook for task in TASKS]
    assert notebooks == sorted(notebooks)
    for required in ["dense", "relu", "softmax_cross_entropy", "conv_forward_naive", "im2col", "conv", "max_pool",
                     "avg_pool", "dropout", "batchnorm", "global_average_pooling", "sgd_momentum", "adam", "cam",
                     "grad_cam"]:
        assert required in NAMES


@pytest.mark.parametrize("task", TASKS, ids=NAMES)
def test_the_solution_passes_and_a_stub_is_not_implemented_yet(task, capsys):
    result = task.check(task.solution)
    assert result is True, capsys.readouterr().out
    assert ": right." in capsys.readouterr().out
    stub = answer_from(task, cells.stub_source(task.name))
    assert task.check(stub) is False
    printed = capsys.readouterr().out
    assert printed.count("\n") == 1 and "not implemented yet" in printed and "Traceback" not in printed


def scaled(function, factor=1.01):
    """``function`` whose float arrays and numbers among its results are ``factor`` times too large."""
    def scale(value):
        if isinstance(value, np.ndarray) and value.dtype.kind == "f":
            return value * factor
        return value * factor if isinstance(value, float) else value

    def wrapped(*args, **kwargs):
        result = function(*args, **kwargs)
        return tuple(scale(value) for value in result) if isinstance(result, tuple) else scale(result)
    return wrapped


@pytest.mark.parametrize("task", TASKS, ids=NAMES)
def test_an_answer_off_by_one_percent_fails(task, capsys):
    solution = task.solution if len(task.functions) > 1 else (task.solution,)
    for position in range(len(task.functions)):           # each function in turn, the others right
        answer = tuple(scaled(f) if i == position else f for i, f in enumerate(solution))
        assert task.check(answer) is False, f"{task.functions[position]} x1.01 passes"
        assert "not yet" in capsys.readouterr().out


@pytest.mark.parametrize("task", [task for task in TASKS if task.name in TYPICAL_BUGS], ids=lambda task: task.name)
def test_each_typical_bug_gets_its_message(task, capsys):
    source = solution_path(task.name).read_text(encoding="utf-8")
    for old, new, message in TYPICAL_BUGS[task.name]:
        assert old in source, f"{task.name}: the solution changed; update the bug {old!r}"
        assert task.check(answer_from(task, source.replace(old, new))) is False
        printed = capsys.readouterr().out
        assert message in printed, f"{task.name} with {new!r} printed: {printed}"
        assert "Traceback" not in printed and "Error" not in printed.split(":")[0]


def test_every_listed_bug_kind_is_covered():
    """The issue's list: missing transpose, = for += in col2im, padding off by one, unscaled dropout,
    a batch-norm backward term missing, max-pool gradient to every cell, softmax overflow."""
    messages = {(name, message) for name, bugs in TYPICAL_BUGS.items() for _, _, message in bugs}
    for wanted in [("dense", "missing transpose"), ("col2im", "+=, not ="),
                   ("conv_forward_naive", "padding off by one"),
                   ("dropout", "not scaled by 1 / (1 - rate)"), ("batchnorm", "path through the variance is missing"),
                   ("max_pool", "went to every cell of the window"), ("softmax_cross_entropy", "overflows")]:
        assert wanted in messages


def fingerprint(value, digest):
    """Feed every number of ``value`` (arrays, cases, models) into ``digest``."""
    if isinstance(value, LayerCase):
        value = (value.arrays, value.options(), value.label)
    if isinstance(value, dict):
        for key in sorted(value):
            digest.update(str(key).encode())
            fingerprint(value[key], digest)
    elif isinstance(value, (list, tuple)):
        for item in value:
            fingerprint(item, digest)
    elif isinstance(value, np.ndarray):
        digest.update(value.tobytes())
    elif isinstance(value, np.random.Generator):
        digest.update(value.random(4).tobytes())
    elif hasattr(value, "get_weights"):
        fingerprint(value.get_weights(), digest)
    else:
        digest.update(repr(value).encode())


def case_fingerprints():
    found = {}
    for task in tasks.all_tasks():
        digest = hashlib.sha256()
        fingerprint(task.cases(np.random.default_rng(task.seed)), digest)
        found[task.name] = digest.hexdigest()
    return found


def test_the_drawn_cases_are_the_same_on_every_run():
    here = case_fingerprints()
    code = "import sys; sys.path.insert(0, 'tests'); import test_course_tasks as t; print(t.case_fingerprints())"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          cwd=str(solution_path("dense").parents[3]))
    assert done.returncode == 0, done.stderr[-2000:]
    assert eval(done.stdout.strip().splitlines()[-1]) == here


def solutions_of_the_network():
    functions = {}
    for name in yours.NEEDED:
        task = tasks.get(name)
        functions.update(solution_namespace(name, task.needs))
    return functions


@pytest.mark.slow
def test_your_layers_compute_what_minicnns_compute_step_by_step():
    """The learner's network (the solutions, wrapped) and minicnn's, built from one seed, stay equal
    through 5 steps of Adam on the same batches: same losses, same weights to float32 rounding."""
    (x, y), _ = minicnn.load_fashion_mnist(sample=True)
    x = minicnn.to_model_input(x[:160])
    theirs, ours = yours.networks(solutions_of_the_network(), seed=3)
    for a, b in zip(theirs.get_weights(), ours.get_weights()):
        np.testing.assert_array_equal(a, b)
    runs = [model.fit(x, y[:160], epochs=1, batch_size=32, seed=0, verbose=0).history["loss"]
            for model in (theirs, ours)]
    assert runs[0] == pytest.approx(runs[1], rel=1e-5)
    for a, b in zip(theirs.get_weights(), ours.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-5)


@pytest.mark.slow
def test_your_layers_learn_in_fast_mode(capsys):
    """FAST: one epoch on the bundled sample takes both networks well above chance, within a point."""
    (x, y), (x_test, y_test) = minicnn.load_fashion_mnist(sample=True)
    data = (minicnn.to_model_input(x), y, minicnn.to_model_input(x_test), y_test)
    results = yours.train_side_by_side(solutions_of_the_network(), data, epochs=1, check=False)
    assert results["yours"]["accuracy"] > 0.5
    assert abs(results["yours"]["accuracy"] - results["minicnn"]["accuracy"]) <= 0.01


def test_a_network_with_an_unwritten_layer_says_which_tasks_to_finish(capsys):
    functions = solutions_of_the_network()
    functions["relu_backward"] = stub_relu_backward
    assert yours.train_side_by_side(functions, data=None) is None
    assert "Not yet: relu must pass its check" in capsys.readouterr().out


def stub_relu_backward(grad_out, cache):
    raise NotImplementedError


def test_a_written_function_that_calls_a_stub_names_the_stub(capsys):
    def im2col_matrix(x, kh, kw, stride):
        raise NotImplementedError
    conv = tasks.get("conv")
    names = {"im2col_matrix": im2col_matrix, "col2im_matrix": im2col_matrix}
    exec(solution_path("conv").read_text(encoding="utf-8"), names)
    assert conv.check((names["conv_forward"], names["conv_backward"])) is False
    assert "not implemented yet (im2col_matrix, which conv_forward calls," in capsys.readouterr().out
