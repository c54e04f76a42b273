"""Helpers for building test models: a backbone in the state pretrained weights would leave it.

No pretrained weights can be downloaded in tests (weights=None). What cnnlint's rules read of a pretrained
backbone is its state: BatchNormalization moving statistics that were trained, not their initial 0/1.
`as_pretrained` gives a backbone that state: each BatchNormalization's moving mean/variance become the
statistics of its inputs on a batch fed the way the backbone expects (after its `preprocess_input`), as
pretraining on such inputs would have left them. Kernels keep their values.
"""
from __future__ import annotations

import numpy as np


def as_pretrained(base, x) -> None:
    """Set every BatchNormalization moving statistic of `base` (and of its nested models) from one
    training-mode pass over `x` (already preprocessed as the backbone expects)."""
    import keras

    norms = [lay for lay in _all_layers(base) if isinstance(lay, keras.layers.BatchNormalization)]
    saved = [lay.momentum for lay in norms]
    for lay in norms:
        lay.momentum = 0.0  # moving = this batch's statistics
    try:
        base(np.asarray(x, dtype="float32"), training=True)
    finally:
        for lay, momentum in zip(norms, saved):
            lay.momentum = momentum


def _all_layers(model):
    for lay in model.layers:
        yield lay
        if hasattr(lay, "layers"):
            yield from _all_layers(lay)
