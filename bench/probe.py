"""Probe speed: the probe fit on seed 002's CNN (64x64x3) on CPU against a plain `model.fit` of the same
number of steps on the same 16-sample batch, both from a cold start (tracing included), in one run.

Run: python bench/probe.py [--steps 50]
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

import cnnlint  # noqa: E402
from seed002_overfit import build_model  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=50)
    args = parser.parse_args()
    model, (x, y) = build_model()
    started = time.perf_counter()
    report = cnnlint.check(model, x, y, probe=True, probe_steps=args.steps, config={}, select=["CNN4"])
    probe_s = time.perf_counter() - started
    plain = keras.models.clone_model(model)
    plain.set_weights(model.get_weights())
    plain.compile_from_config(model.get_compile_config())
    started = time.perf_counter()
    plain.fit(x[:16], y[:16], batch_size=16, epochs=args.steps, verbose=0)
    fit_s = time.perf_counter() - started
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"Keras {keras.__version__}, device {report.probe['device']}")
    print(f"seed 002 CNN, {model.count_params():,} params, {args.steps} steps on 16 samples")
    print(f"probe (check with probe=True, CNN4xx rules): {probe_s:.2f} s")
    print(f"plain model.fit, same steps and batch:        {fit_s:.2f} s")
    print(f"ratio probe / fit:                           {probe_s / fit_s:.2f}")


if __name__ == "__main__":
    main()
