"""Probe speed: the probe fit on seed 002's CNN (64x64x3) on CPU against a plain `model.fit` of the same
number of steps on the same 16-sample batch, both from a cold start (tracing included), in one run.

The probe stops once the batch is memorized (loss < 1% of its start); the second measurement turns that
off so that both sides run the full --steps.  Run: python bench/probe.py [--steps 50]
"""
import argparse
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))

import keras  # noqa: E402
import numpy as np  # noqa: E402

import cnnlint  # noqa: E402
from cnnlint.probe import runner  # noqa: E402
from seed002_overfit import build_model  # noqa: E402


def timed_probe(model, x, y, steps):
    started = time.perf_counter()
    report = cnnlint.check(model, x, y, probe=True, probe_steps=steps, config={}, select=["CNN4"])
    return time.perf_counter() - started, report.probe


def timed_fit(model, x, y, steps):
    plain = keras.models.clone_model(model)
    plain.set_weights(model.get_weights())
    plain.compile_from_config(model.get_compile_config())
    xs, ys = np.concatenate([x[:16]] * steps), np.concatenate([y[:16]] * steps)  # one epoch of `steps` steps
    started = time.perf_counter()
    plain.fit(xs, ys, batch_size=16, epochs=1, shuffle=False, verbose=0)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=50)
    args = parser.parse_args()
    model, (x, y) = build_model()
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"Keras {keras.__version__}; seed 002 CNN, {model.count_params():,} params, 16 samples")
    probe_s, probe = timed_probe(model, x, y, args.steps)
    fit_s = timed_fit(model, x, y, probe["steps_run"])
    print(f"default probe ({probe['device']}): {probe['steps_run']} of {args.steps} steps"
          f"{' (stopped: batch memorized)' if probe['stopped_early'] else ''}: {probe_s:.2f} s; "
          f"model.fit of {probe['steps_run']} steps: {fit_s:.2f} s; ratio {probe_s / fit_s:.2f}")
    runner.MEMORIZED = 0.0  # never stop early: both sides run every step
    probe_s, probe = timed_probe(model, x, y, args.steps)
    fit_s = timed_fit(model, x, y, probe["steps_run"])
    print(f"full probe: {probe['steps_run']} steps: {probe_s:.2f} s; model.fit of {probe['steps_run']} steps: "
          f"{fit_s:.2f} s; ratio {probe_s / fit_s:.2f}")


if __name__ == "__main__":
    main()
