"""Small shared helpers for the tests: run the CLI in-process, and tiny models."""
from __future__ import annotations

import json
from pathlib import Path

from cnnlint.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def run_cli(capsys, *args):
    """(exit code, stdout, stderr) of `cnnlint ARGS`, run in this process."""
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def run_json(capsys, *args):
    code, out, err = run_cli(capsys, *args, "--format", "json")
    return code, json.loads(out), err


def tiny_cnn(compile_with="adam"):
    import keras

    model = keras.Sequential([
        keras.Input((8, 8, 1)),
        keras.layers.Conv2D(4, 3, activation="relu", name="conv"),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(3, activation="softmax", name="out"),
    ])
    if compile_with:
        model.compile(optimizer=compile_with, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def tiny_data(n=32, seed=0):
    import numpy as np

    rng = np.random.default_rng(seed)
    return rng.random((n, 8, 8, 1), dtype=np.float32), rng.integers(0, 3, n)
