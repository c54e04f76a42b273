"""Pre-flight before long jobs: real fits guarded by cnnlint.preflight and by PreflightCallback."""
import sys

import numpy as np
import pytest

import cnnlint
from helpers import EXAMPLES, tiny_cnn, tiny_data

sys.path.insert(0, str(EXAMPLES))


def weights(model):
    return [v.numpy().copy() for v in model.weights]


def test_guarded_job_trains_when_clean():
    from long_job_with_preflight import train

    history = train(epochs=1)
    assert len(history.history["loss"]) == 1  # the fit really ran after the check passed


def test_guarded_job_stops_before_training_with_the_findings(monkeypatch):
    import long_job_with_preflight as job

    fitted = []
    monkeypatch.setattr("keras.Model.fit", lambda *a, **k: fitted.append(1))
    with pytest.raises(cnnlint.PreflightError) as failure:
        job.train(epochs=1, buggy=True)
    assert not fitted
    text = str(failure.value)
    assert "CNN301" in text and "output-loss-mismatch" in text and "fixes:" in text
    assert "CNN301" in failure.value.report.codes()


def test_preflight_takes_what_fit_takes():
    model = tiny_cnn()
    x, y = tiny_data()
    report = cnnlint.preflight(model, x, y, batch_size=8, epochs=2, validation_split=0.25, shuffle=True,
                               verbose=0, callbacks=[])
    assert report.ok and report.probe is not None
    with pytest.raises(TypeError, match="unexpected keyword argument 'batchsize'"):
        cnnlint.preflight(model, x, y, batchsize=8)


def test_callback_stops_fit_before_the_first_step():
    import keras

    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(1, activation="softmax", name="out")])
    model.compile("adam", "sparse_categorical_crossentropy")
    x, y = tiny_data()
    before = weights(model)
    callback = cnnlint.keras.PreflightCallback()
    with pytest.raises(cnnlint.PreflightError, match="CNN301"):
        model.fit(x, y, epochs=3, batch_size=8, callbacks=[callback], verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(before, weights(model)))  # no step was taken
    assert callback.report.errors[0].layer == "out"


def test_callback_sees_the_fit_plan():
    import keras

    model = tiny_cnn(compile_with=None)
    schedule = keras.optimizers.schedules.ExponentialDecay(1e-3, decay_steps=10_000, decay_rate=0.9)
    model.compile(keras.optimizers.Adam(schedule), "sparse_categorical_crossentropy")
    x, y = tiny_data()
    callback = cnnlint.keras.PreflightCallback(fail_on="warning")
    with pytest.raises(cnnlint.PreflightError, match="CNN304"):  # 2 epochs x 4 steps: the schedule never moves
        model.fit(x, y, epochs=2, batch_size=8, callbacks=[callback], verbose=0)
    clean = tiny_cnn()
    history = clean.fit(x, y, epochs=1, batch_size=8, callbacks=[cnnlint.keras.PreflightCallback()], verbose=0)
    assert len(history.history["loss"]) == 1


def _draws():
    import random

    import tensorflow as tf

    return random.random(), float(np.random.rand()), float(tf.random.uniform(())), float(tf.random.normal(()))


@pytest.mark.parametrize("entry", ["preflight", "check"])
def test_the_users_next_random_draws_are_unchanged(entry):
    """The probe seeds its own work; the user's seed still decides what the training run draws next."""
    import keras

    model, (x, y) = tiny_cnn(), tiny_data()
    keras.utils.set_random_seed(123)
    expected = _draws()
    keras.utils.set_random_seed(123)
    if entry == "preflight":
        cnnlint.preflight(model, x, y, batch_size=8, epochs=1)
    else:
        report = cnnlint.check(model, x, y, probe=True, probe_steps=5, config={})
        assert report.probe is not None  # the probe really ran (and seeded itself)
    assert _draws() == expected
