"""When a factory fails because Keras refuses a zero or negative dimension, find the layer and the
shape trail up to it from the failing call's frames, so that CNN201 can report it (not a traceback)."""
from __future__ import annotations

import re

from cnnlint.facts import Problem

KERAS_REFUSALS = ("output size would be zero or negative", "negative dimension", "dimensions in the output is <= 0")


def is_collapse(exc: BaseException) -> bool:
    return isinstance(exc, ValueError) and any(text in str(exc).lower() for text in KERAS_REFUSALS)


def _frames(exc):
    tb, frames = exc.__traceback__, []
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    return frames


def _tensors(value):
    import keras

    if isinstance(value, keras.KerasTensor):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _tensors(item)


def _failing_call(frames):
    """(layer, its input tensor) of the deepest layer call in the traceback."""
    import keras

    layer, tensor = None, None
    for frame in frames:
        owner = frame.f_locals.get("self")
        if isinstance(owner, keras.layers.Layer) and not isinstance(owner, keras.Model):
            if owner is not layer:
                layer, tensor = owner, None
            if tensor is None and frame.f_code.co_name == "__call__":
                tensor = next(_tensors(frame.f_locals.get("args", ())), None)
    return layer, tensor


def _partial_model(frames, tensor):
    """A model from the factory's input to the failing layer's input (None when it cannot be traced)."""
    import keras

    seen = set()
    for frame in frames:
        for value in frame.f_locals.values():
            for candidate in _tensors(value):
                if id(candidate) in seen or candidate is tensor:
                    continue
                seen.add(id(candidate))
                try:
                    return keras.Model(candidate, tensor)
                except Exception:  # noqa: BLE001 - not an ancestor input: try the next one
                    continue
    return None


def _output_size(layer, shape) -> int | None:
    """The first spatial output size <= 0 that `layer` computes from its input `shape` (valid padding)."""
    cfg = layer.get_config()
    window = cfg.get("kernel_size") or cfg.get("pool_size")
    if not window or cfg.get("padding") == "same":
        return None
    channels_first = cfg.get("data_format") == "channels_first"
    spatial = shape[2:] if channels_first else shape[1:-1]
    strides = cfg.get("strides") or window
    dilation = cfg.get("dilation_rate") or (1,) * len(window)
    for size, k, s, d in zip(spatial, window, strides, dilation):
        if size is not None:
            out = (size - ((k - 1) * d + 1)) // s + 1
            if out <= 0:
                return out
    return None


def diagnose(exc: BaseException) -> Problem | None:
    """A 'collapse' Problem naming the layer and the trail, or None when the failure is something else."""
    if not is_collapse(exc):
        return None
    from cnnlint.facts.model import extract_model

    frames = _frames(exc)
    layer, tensor = _failing_call(frames)
    if layer is None:
        return None
    trail, size = None, None
    if tensor is not None:
        partial = _partial_model(frames, tensor)
        if partial is not None:
            trail = extract_model(partial)[0].shape_trail()
        size = _output_size(layer, tuple(tensor.shape))
    reason = re.split(r"(?<=[.:])\s", " ".join(str(exc).split()), maxsplit=1)[0]
    end = f"{size if size is not None else '<= 0'} at {layer.name}"
    path = f"spatial size {trail} -> {end}" if trail else f"a spatial size reaches {end}"
    return Problem("collapse", f"{path}: Keras refused to build the model ({reason.rstrip('.')})", layer.name)
