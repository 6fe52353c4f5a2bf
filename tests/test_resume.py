"""Resuming training from a saved model gives exactly the weights of an uninterrupted run.

Why it can work: epoch ``e`` of a run with seed ``s`` draws its shuffling and
dropout masks from ``default_rng([s, e])`` alone, and the file carries the
optimizer's state (Adam's moments and step count). So "3 epochs, save, load,
2 more" repeats every operation of "5 epochs" in the same order.
"""
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import minicnn
from minicnn.callbacks import ModelCheckpoint
from minicnn.layers import Conv2D, Dense, Dropout, Flatten
from minicnn.optimizers import SGD
from minicnn import load_model

SEED = 11

pytestmark = pytest.mark.usefixtures("each_backend")


def small_model(optimizer="adam"):
    """Conv2D(4, 3) on 8x8x1 images with dropout: every source of randomness is exercised."""
    minicnn.set_random_seed(0)
    model = minicnn.Sequential([Conv2D(4, 3, activation="relu"), Dropout(0.3), Flatten(),
                                Dense(3, activation="softmax")], input_shape=(8, 8, 1))
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def small_data(n=64):
    rng = np.random.default_rng(2)
    return rng.random((n, 8, 8, 1)).astype("float32"), rng.integers(0, 3, n)


def fit(model, epochs, initial_epoch=0, seed=SEED, **kwargs):
    return model.fit(*small_data(), epochs=epochs, initial_epoch=initial_epoch, batch_size=16,
                     seed=seed, verbose=0, **kwargs)


def assert_same_weights(a, b, atol=0.0):
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=0, atol=atol)


@pytest.mark.parametrize("make_optimizer", [lambda: "adam", lambda: "rmsprop", lambda: SGD(0.05, momentum=0.9)],
                         ids=["adam", "rmsprop", "sgd-momentum"])
def test_resume_equals_uninterrupted_training(tmp_path, make_optimizer):
    straight = small_model(make_optimizer())
    history = fit(straight, epochs=5)

    first = small_model(make_optimizer())
    fit(first, epochs=3)
    resumed = load_model(first.save(tmp_path / "after3"))
    assert resumed.epochs_completed == 3 and resumed.optimizer.iterations == 3 * 4
    rest = fit(resumed, epochs=5, initial_epoch=resumed.epochs_completed)

    assert_same_weights(straight, resumed)                        # bit-exact
    assert rest.history["loss"] == history.history["loss"][3:]    # and the same epoch losses
    assert resumed.optimizer.iterations == straight.optimizer.iterations == 5 * 4


def test_resume_without_a_seed_uses_the_saved_one(tmp_path):
    first = small_model()
    fit(first, epochs=2, seed=None)                  # fit draws a seed and keeps it in fit_seed
    resumed = load_model(first.save(tmp_path / "m"))
    fit(resumed, epochs=4, initial_epoch=2, seed=resumed.fit_seed)
    straight = small_model()
    fit(straight, epochs=4, seed=first.fit_seed)
    assert_same_weights(straight, resumed)


def test_model_checkpoint_files_resume_exactly(tmp_path):
    straight = small_model()
    fit(straight, epochs=5)
    checkpointed = small_model()
    fit(checkpointed, epochs=5, callbacks=[ModelCheckpoint(str(tmp_path / "epoch-{epoch}"))])
    assert sorted(os.listdir(tmp_path)) == [f"epoch-{e}.minicnn" for e in range(1, 6)]
    resumed = load_model(tmp_path / "epoch-3.minicnn")
    assert resumed.epochs_completed == 3
    fit(resumed, epochs=5, initial_epoch=3)
    assert_same_weights(straight, resumed)


# A training run in its own process that kills itself (SIGKILL: no cleanup, no
# finally blocks, exactly like a power cut or the OOM killer) in the middle of epoch 3.
KILLED_RUN = textwrap.dedent("""
    import os, signal, sys
    import numpy as np
    from minicnn.callbacks import Callback, ModelCheckpoint
    from minicnn import load_model

    folder = sys.argv[1]
    model = load_model(os.path.join(folder, "initial.minicnn"))
    x = np.load(os.path.join(folder, "x.npy"), allow_pickle=False)
    y = np.load(os.path.join(folder, "y.npy"), allow_pickle=False)

    class KillMidwayThroughEpoch3(Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch
        def on_train_batch_end(self, batch, logs=None):
            if self.epoch == 2 and batch == 1:
                os.kill(os.getpid(), signal.SIGKILL)

    model.fit(x, y, epochs=5, batch_size=16, seed=int(sys.argv[2]), verbose=0,
              callbacks=[ModelCheckpoint(os.path.join(folder, "checkpoint")), KillMidwayThroughEpoch3()])
    print("not killed")
""")


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_a_run_killed_mid_epoch_resumes_from_its_checkpoint(tmp_path):
    x, y = small_data()
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    small_model().save(tmp_path / "initial")
    run = subprocess.run([sys.executable, "-c", KILLED_RUN, str(tmp_path), str(SEED)],
                         capture_output=True, text=True, timeout=300,
                         env={**os.environ, "MINICNN_BACKEND": minicnn.get_backend()})
    assert run.returncode == -signal.SIGKILL, run.stdout + run.stderr

    checkpoint = load_model(tmp_path / "checkpoint.minicnn")    # loadable: the kill hit no save
    assert checkpoint.epochs_completed == 2 and checkpoint.fit_seed == SEED
    fit(checkpoint, epochs=5, initial_epoch=checkpoint.epochs_completed)
    final = load_model(checkpoint.save(tmp_path / "final"))

    straight = load_model(tmp_path / "initial.minicnn")
    fit(straight, epochs=5)
    # Another process did epochs 1-2: allow for a different BLAS path, though it is bit-exact here.
    assert_same_weights(straight, final, atol=1e-6)
    assert final.epochs_completed == 5


def test_a_diverged_run_keeps_finite_weights_that_save_and_load(tmp_path):
    model = small_model(SGD(learning_rate=1e30))
    with pytest.warns(RuntimeWarning, match="diverged"), np.errstate(all="ignore"):
        fit(model, epochs=3)
    assert all(np.isfinite(w).all() for w in model.get_weights())
    assert_same_weights(model, load_model(model.save(tmp_path / "diverged")))
