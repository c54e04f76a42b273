"""The user's random generators stay as they were: cnnlint seeds its own work (building a factory's model, the
probe fit) and gives Python's, NumPy's and the backend's global generators back afterwards, so a training run
after `preflight` or `check(probe=True)` draws exactly what it would have drawn without it."""
from __future__ import annotations

import contextlib
import random

import numpy as np


def _backend():
    """The probe's backend module (it knows the backend's global generator), or None when there is none."""
    try:
        from cnnlint.probe.runner import load_backend

        return load_backend()
    except Exception:  # noqa: BLE001 - an unsupported backend: Python's and NumPy's generators only
        return None


@contextlib.contextmanager
def seeded(seed: int | None = None):
    """Run the block with the global generators seeded to `seed` (None: as they are); restore them after."""
    backend = _backend()
    saved = random.getstate(), np.random.get_state(), backend.rng_state() if backend else None
    try:
        if seed is not None:
            random.seed(seed)
            np.random.seed(seed)
            if backend:
                backend.seed(seed)
        yield
    finally:
        random.setstate(saved[0])
        np.random.set_state(saved[1])
        if backend:
            backend.set_rng_state(saved[2])
