"""Probe speed: the probe fit (`check(..., probe=True)`, default budget) against a plain `model.fit` of the same
number of steps on the same 16-sample batch, both from a cold start (tracing included), in one run, for seed
002's CNN (64x64x3) and for MobileNetV2 and ResNet50 at 224x224 (weights=None). Target: ratio <= 1.3, and a
verdict (the 10 steps the loss-trend rules need) within the default budget.

The probe stops once the batch is memorized (loss < 1% of its start); for seed 002 a second measurement turns
that off so that both sides run the full --steps.  Run: python bench/probe.py [--steps 50] [--models ...]
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

TARGET = 1.3


def seed002():
    from seed002_overfit import build_model

    return build_model()


def application(name):
    def build():
        keras.utils.set_random_seed(0)
        model = getattr(keras.applications, name)(weights=None, input_shape=(224, 224, 3), classes=10)
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        rng = np.random.default_rng(0)
        return model, (rng.random((16, 224, 224, 3), dtype=np.float32), rng.integers(0, 10, 16))

    return build


MODELS = {"seed002": seed002, "MobileNetV2": application("MobileNetV2"), "ResNet50": application("ResNet50")}


def timed_probe(model, x, y, steps):
    started = time.perf_counter()
    report = cnnlint.check(model, x, y, probe=True, probe_steps=steps, config={}, select=["CNN4"])
    return time.perf_counter() - started, report


def timed_fit(model, x, y, steps):
    plain = keras.models.clone_model(model)
    plain.set_weights(model.get_weights())
    plain.compile_from_config(model.get_compile_config())
    xs, ys = np.concatenate([x[:16]] * steps), np.concatenate([y[:16]] * steps)  # one epoch of `steps` steps
    started = time.perf_counter()
    plain.fit(xs, ys, batch_size=16, epochs=1, shuffle=False, verbose=0)
    return time.perf_counter() - started


def line(label, model, x, y, steps) -> None:
    probe_s, report = timed_probe(model, x, y, steps)
    probe = report.probe
    fit_s = timed_fit(model, x, y, probe["steps_run"])
    memorized = " (batch memorized)" if probe["stopped_early"] else ""
    print(f"{label}: probe {probe['steps_run']} steps{memorized} {probe_s:.1f} s; model.fit of "
          f"{probe['steps_run']} steps {fit_s:.1f} s; ratio {probe_s / fit_s:.2f} (target <= {TARGET}); "
          f"{len(report.skipped)} rules not judged{': ' + ', '.join(c for c, _ in report.skipped) if report.skipped else ''}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--models", nargs="*", default=list(MODELS), choices=list(MODELS))
    args = parser.parse_args()
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"Keras {keras.__version__}; 16 samples; default probe budget")
    for name in args.models:
        model, (x, y) = MODELS[name]()
        line(f"{name} ({model.count_params():,} params)", model, x, y, args.steps)
        if name == "seed002":
            saved, runner.MEMORIZED = runner.MEMORIZED, 0.0  # never stop early: both sides run every step
            line(f"{name}, no early stop", model, x, y, args.steps)
            runner.MEMORIZED = saved


if __name__ == "__main__":
    main()
