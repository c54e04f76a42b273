"""Activation taps for the probe: one forward pass gives the model's prediction and, per watched layer (top-level
ReLU, sigmoid and tanh outputs), the share of dead ReLU units (0 for every sample and position) and of saturated
sigmoid/tanh outputs. The tap model is built once and shares the probed copy's layers and weights, so the same
pass serves the loss at step 0, the activation statistics and the final loss: no extra forward passes."""
from __future__ import annotations

import math

import numpy as np

RELU = {"relu", "relu6"}
SATURATING = {"sigmoid", "tanh"}
SIGMOID_EDGE, TANH_EDGE = 1 / (1 + math.exp(5)), math.tanh(5)  # |pre-activation| = 5 on the output side


def watched_layers(model_facts):
    return [lay for lay in model_facts.leaves if "/" not in lay.path and lay.output_shape
            and (lay.activation in RELU or lay.activation in SATURATING)]


class Taps:
    def __init__(self, model, model_facts):
        import keras

        self.model, self.watched, self.tapped = model, watched_layers(model_facts), None
        if not self.watched or model_facts.kind == "subclassed":
            return
        try:
            inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
            self.outputs = len(model.outputs)
            self.tapped = keras.Model(inputs, [*model.outputs, *(model.get_layer(lay.name).output
                                                                 for lay in self.watched)])
        except Exception:  # noqa: BLE001 - a graph we cannot tap: predictions only, no activation statistics
            self.tapped = None

    def __call__(self, x, training: bool = False):
        """(prediction, dead units by layer path, saturated outputs by layer path)."""
        if self.tapped is None:
            return self.model(x, training=training), {}, {}
        outs = list(self.tapped(x, training=training))
        n = self.outputs
        return (outs[0] if n == 1 else outs[:n]), *stats(self.watched, outs[n:])


def stats(watched, outs) -> tuple[dict, dict]:
    dead, saturated = {}, {}
    for lay, out in zip(watched, outs):
        out = np.asarray(out)
        if lay.activation in RELU:
            axis = 1 if lay.data_format == "channels_first" and out.ndim > 2 else out.ndim - 1
            alive = np.moveaxis(out != 0, axis, -1).reshape(-1, out.shape[axis]).any(axis=0)
            dead[lay.path] = float(1 - alive.mean())
        elif lay.activation == "sigmoid":
            saturated[lay.path] = float(np.mean((out <= SIGMOID_EDGE) | (out >= 1 - SIGMOID_EDGE)))
        else:
            saturated[lay.path] = float(np.mean(np.abs(out) >= TANH_EDGE))
    return dead, saturated
