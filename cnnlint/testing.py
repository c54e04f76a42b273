"""Helpers for building test models: a backbone in the state pretrained weights would leave it.

No pretrained weights can be downloaded in tests (weights=None). What cnnlint's rules read of a pretrained
backbone is its state: BatchNormalization moving statistics that were trained, not their initial 0/1.
`as_pretrained` gives a backbone that state: each BatchNormalization's moving mean/variance become the
statistics of its inputs on a batch fed the way the backbone expects (after its `preprocess_input`), as
pretraining on such inputs would have left them. Pretrained kernels are also calibrated to that input: a
backbone without BatchNormalization (VGG) fed Caffe-style inputs of +-128 keeps its activations moderate. So
each conv/dense kernel that no BatchNormalization reads is first scaled, layer by layer, to give outputs of unit
standard deviation on the batch (LSUV, Mishkin & Matas 2016); the kernels' directions stay random.
"""
from __future__ import annotations

import numpy as np


def as_pretrained(base, x) -> None:
    """Set every BatchNormalization moving statistic of `base` (and of its nested models) from one
    training-mode pass over `x` (already preprocessed as the backbone expects)."""
    import keras

    _calibrate(base, np.asarray(x, dtype="float32"))
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


def _calibrate(base, x) -> None:
    """A backbone without BatchNormalization: scale each conv/dense kernel (and bias), in order, to give unit
    output std on `x` (LSUV). One with BatchNormalization rescales by itself (its statistics do it)."""
    import keras

    kinds = (keras.layers.Conv1D, keras.layers.Conv2D, keras.layers.Conv3D, keras.layers.Dense)
    layers = list(_all_layers(base))
    if any(isinstance(lay, keras.layers.BatchNormalization) for lay in layers):
        return
    for lay in [lay for lay in base.layers if isinstance(lay, kinds)]:
        out = np.asarray(keras.Model(base.inputs, lay.output)(x, training=False))
        std = float(out.std())
        if std > 0 and np.isfinite(std):
            lay.set_weights([w / std for w in lay.get_weights()])
