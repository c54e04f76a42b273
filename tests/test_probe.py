"""The probe fit as users rely on it: the user's model is untouched, runs repeat, budgets hold, the CLI
probes by default and says why when it does not."""
import json

import numpy as np
import pytest

import cnnlint
from helpers import EXAMPLES, run_cli


def mse_model(lr, optimizer="SGD"):
    import keras

    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(1)])
    model.compile(optimizer=getattr(keras.optimizers, optimizer)(learning_rate=lr), loss="mse")
    return model


def regression_data(n=32):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 8)).astype("float32")
    return x, (x @ rng.normal(size=(8, 1))).astype("float32")


def state(model):
    return [v.numpy().copy() for v in model.weights], [v.numpy().copy() for v in model.optimizer.variables]


def same(a, b):
    return len(a) == len(b) and all(np.array_equal(u, v, equal_nan=True) for u, v in zip(a, b))  # NaN: diverged


@pytest.mark.parametrize("lr", [0.01, 3.0], ids=["healthy", "diverging"])
def test_user_model_bit_for_bit_unchanged(lr):
    model = mse_model(lr, "Adam" if lr < 1 else "SGD")
    x, y = regression_data()
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)  # real optimizer state to protect
    weights, slots = state(model)
    report = cnnlint.check(model, x, y, probe=True, config={}, probe_steps=20)
    assert report.probe is not None
    if lr > 1:
        assert "CNN401" in report.codes()
    after_w, after_s = state(model)
    assert same(weights, after_w) and same(slots, after_s)


def test_subclassed_model_is_restored_after_probing_in_place():
    import keras

    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.hidden, self.out = keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)

        def call(self, x):
            return self.out(self.hidden(x))

    model = Net()
    model.compile(optimizer=keras.optimizers.SGD(3.0), loss="mse")
    x, y = regression_data()
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    weights, slots = state(model)
    report = cnnlint.check(model, x, y, probe=True, config={}, probe_steps=10)
    assert report.probe is not None
    assert same(weights, state(model)[0]) and same(slots, state(model)[1])


def test_same_model_and_data_give_the_same_findings():
    model = mse_model(3.0)
    x, y = regression_data()
    first = cnnlint.check(model, x, y, probe=True, config={}, probe_steps=15)
    second = cnnlint.check(model, x, y, probe=True, config={}, probe_steps=15)
    assert first.findings == second.findings and first.findings
    assert first.probe["losses"] == second.probe["losses"]


def test_probe_seeds_count_the_runs_with_the_symptom():
    model = mse_model(3.0)
    x, y = regression_data()
    report = cnnlint.check(model, x, y, probe=True, config={}, probe_steps=10, probe_seeds=3)
    diverging = [f for f in report.findings if f.code == "CNN401"]
    assert diverging and diverging[0].message.endswith("of 3 seeds)")
    assert report.probe["seeds"] == 3


def test_timeout_reports_what_was_measured():
    model = mse_model(1e-4)  # SGD this slow never memorizes the batch, so only the clock stops it
    x, y = regression_data()
    report = cnnlint.check(model, x, y, probe=True, config={}, probe_steps=100_000, probe_timeout=1.0)
    assert report.probe["budget_hit"] == "timeout"
    assert 0 < report.probe["steps_run"] < 100_000 and len(report.probe["losses"]) == report.probe["steps_run"]


def test_cli_probes_by_default_and_says_why_not(capsys, tmp_path):
    target = f"{EXAMPLES}/seed002_high_lr.py:build_model"
    code, out, _ = run_cli(capsys, target, "--format", "json", "--probe-steps", "20")
    doc = json.loads(out)
    probe = doc["targets"][0]["probe"]
    assert 0 < len(probe["losses"]) == probe["steps_run"] <= 20 and probe["grad_norms"]
    assert "CNN401" in {f["code"] for f in doc["findings"]}  # Adam at 0.01 spikes at the first updates
    code, out, _ = run_cli(capsys, target, "--no-probe", "--format", "json")
    assert "probe" not in json.loads(out)["targets"][0]
    code, out, _ = run_cli(capsys, f"{EXAMPLES}/seed000_raw_uint8.py:build_model")  # static errors (CNN101)
    assert "probe skipped: the static rules found errors" in out


def test_plot_saves_a_png(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    png = tmp_path / "probe.png"
    run_cli(capsys, f"{EXAMPLES}/clean_cnn.py:build_model", "--probe-steps", "5", "--plot", png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_progress_bar_only_on_a_terminal(tmp_path):
    """A real pseudo-terminal as stderr: the bar shows; with --format json it does not."""
    import os
    import pty
    import subprocess
    import sys

    def stderr_of(*args):
        master, slave = pty.openpty()
        run = subprocess.Popen([sys.executable, "-m", "cnnlint", f"{EXAMPLES}/clean_cnn.py:build_model",
                                "--probe-steps", "5", *args], stdout=subprocess.PIPE, stderr=slave)
        os.close(slave)
        chunks = []
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        out = run.communicate(timeout=120)[0].decode()
        os.close(master)
        return b"".join(chunks).decode(errors="replace"), out

    err, out = stderr_of()
    assert "probing" in err and "5/5" in err and "probing" not in out
    assert "building the model ..." in err and "importing TensorFlow" in err  # the slow phases say so too
    assert err.endswith("\r\x1b[K")  # the line is cleared: the report never runs into the bar
    err, out = stderr_of("--format", "json")
    assert "probing" not in err and json.loads(out)["targets"][0]["probe"]


def test_no_train_step_at_the_planned_batch_runs_in_process(monkeypatch):
    """A dataset's batch of 256 is timed for CNN410, yet every train step in this process is at the probe's
    fixed batch: a step at the planned batch could exhaust the user's memory (CNN403's trials run that one)."""
    import tensorflow as tf

    from cnnlint.probe import backend_tensorflow
    from helpers import tiny_cnn, tiny_data

    sizes, real = [], backend_tensorflow.make_step

    def recording(model, groups):
        step = real(model, groups)

        def wrapped(x, y):
            sizes.append(len(x))
            return step(x, y)

        return wrapped

    monkeypatch.setattr(backend_tensorflow, "make_step", recording)
    x, y = tiny_data(n=512)
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(256)
    report = cnnlint.check(tiny_cnn(), dataset, probe=True, probe_steps=5, config={})
    assert report.probe["pipeline"] is not None and report.probe["pipeline"]["step_s"] > 0
    assert sizes and max(sizes) <= 16


def test_cnn404_names_unscaled_inputs_as_the_cause():
    """Mean-centred 0-255 pixels (CNN103 only notes them, as Caffe-style preprocessing): the confident start
    comes from the input scale, and the fix says to scale the inputs, not to change the initializer."""
    from helpers import tiny_cnn, tiny_data

    x, y = tiny_data(n=64)
    report = cnnlint.check(tiny_cnn(), x * 255 - 127.5, y, probe=True, probe_steps=5, config={})
    [found] = [f for f in report.findings if f.code == "CNN404"]
    assert "|x| = 127" in found.message and "unscaled inputs" in found.message
    assert found.fix.startswith("scale the inputs") and "initializer" not in found.fix
    report = cnnlint.check(tiny_cnn(), x, y, probe=True, probe_steps=5, config={})
    assert "CNN404" not in report.codes()


def test_the_default_budget_stretches_for_the_steps_a_verdict_needs():
    """A slow step: a firm deadline stops the fit after a step or two; the default budget waits for the 10 steps
    the loss-trend rules need, but never past its far end."""
    import time

    from cnnlint.probe.runner import VERDICT_STEPS, _fit

    def slow_step(x, y):
        time.sleep(0.02)
        return 1.0, np.ones(1), np.ones(1), np.ones(1)

    now = time.perf_counter()
    firm = _fit(slow_step, None, None, 50, now + 0.03)
    assert firm[4] == "timeout" and len(firm[0]) < VERDICT_STEPS
    now = time.perf_counter()
    stretched = _fit(slow_step, None, None, 50, now + 0.03, far=now + 30)
    assert stretched[4] == "timeout" and len(stretched[0]) == VERDICT_STEPS
    now = time.perf_counter()
    capped = _fit(slow_step, None, None, 50, now + 0.03, far=now + 0.1)
    assert len(capped[0]) < VERDICT_STEPS
