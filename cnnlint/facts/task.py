"""TaskFacts: what the model is trained to do, known once from its output, its loss and its labels.

Kinds: "classification" (one class per sample), "binary" (one probability per sample), "multi-label" (several
independent sigmoid classes), "segmentation" (a class per pixel or point: the output keeps the input's spatial or
point axes), "dense-regression" (a value per pixel: depth, super-resolution, reconstruction, denoising),
"regression" (a few values per sample: scores, boxes, keypoints), "unknown" (a custom loss on an output that
tells nothing).
"""
from __future__ import annotations

from dataclasses import dataclass

from cnnlint.facts.compile import CROSS_ENTROPY, HINGE

DENSE = {"segmentation", "dense-regression"}
CLASSIFYING = {"classification", "binary", "multi-label", "segmentation"}


@dataclass(frozen=True)
class TaskFacts:
    kind: str
    classes: int | None = None  # output units for a classification-like task
    supervised_per_sample: int = 1  # target values per sample (pixels x channels for dense prediction)
    soft_labels: bool = False  # targets are probabilities (mixup, label smoothing), not hard classes
    label_smoothing: float = 0.0
    loss_floor: float = 0.0  # the lowest loss the targets allow (the entropy of soft labels), in nats
    custom_loss: bool = False  # the loss is not one cnnlint knows (a function of the user's, or its train_step)

    @property
    def dense(self) -> bool:
        """The output keeps the input's spatial (or point) axes: a prediction per position."""
        return self.kind in DENSE

    @property
    def classifies(self) -> bool:
        return self.kind in CLASSIFYING


def _kept_axes(shape) -> int:
    """Positions per sample of an output with spatial/point axes (1 when it has none, e.g. (None, 1, 1, 48));
    an axis of unknown size (a fully convolutional model on any image size) counts as kept."""
    if not isinstance(shape, tuple) or len(shape) < 3:
        return 1
    size = 1
    for d in shape[1:-1]:
        size *= 2 if d is None else d
    return size


def _values(shape) -> int:
    size = 1
    for d in (shape or (None, 1))[1:]:
        size *= d or 1
    return size


def task_facts(model, compile_facts, batch) -> TaskFacts | None:
    if model is None or not model.output_shapes:
        return None
    shape = model.output_shapes[0] if isinstance(model.output_shapes[0], tuple) else None
    act = model.output_activation(0)[0] if model.output_layers else "linear"
    loss = compile_facts.loss if compile_facts is not None and compile_facts.compiled else None
    y = batch.y if batch is not None else None
    units = shape[-1] if shape else None
    dense = _kept_axes(shape) > 1
    known = loss is not None and (loss.name in CROSS_ENTROPY or loss.name in HINGE or loss.name in REGRESSION)
    smoothing = float((loss.config or {}).get("label_smoothing", 0.0) or 0.0) if loss is not None else 0.0
    if loss is not None and loss.is_categorical_ce or (not known and act == "softmax"):
        kind = "segmentation" if dense else "classification"
    elif loss is not None and loss.is_binary_ce or (not known and act == "sigmoid" and not dense):
        kind = "segmentation" if dense else ("binary" if units == 1 else "multi-label")
    elif loss is not None and loss.name in HINGE:
        kind = "binary" if units == 1 else "classification"
    else:
        kind = "dense-regression" if dense else "regression" if known or loss is not None else "unknown"
    soft = bool(y is not None and y.soft) or smoothing > 0
    floor = _floor(loss, y, smoothing, units)
    return TaskFacts(kind=kind, classes=units if kind in CLASSIFYING else None,
                     supervised_per_sample=(_values(y.shape) if y is not None and len(y.shape) > 1 else _values(shape))
                     if dense else 1,
                     soft_labels=soft, label_smoothing=smoothing, loss_floor=floor or 0.0,
                     custom_loss=bool(model.custom_train_step or loss is None or not known))


def _floor(loss, y, smoothing, units) -> float:
    """The loss the targets themselves cannot go below: their entropy (0 for hard labels)."""
    import math

    if loss is None or y is None:
        return 0.0
    if loss.is_categorical_ce:
        if y.soft and y.entropy:
            return y.entropy
        if smoothing > 0 and units and units > 1:
            hit, miss = 1 - smoothing + smoothing / units, smoothing / units
            return -(hit * math.log(hit) + (units - 1) * miss * math.log(miss))
    if loss.is_binary_ce and y.value_entropy:
        return y.value_entropy
    return 0.0


REGRESSION = {"mean_squared_error", "mean_absolute_error", "huber", "log_cosh", "mean_squared_logarithmic_error",
              "mean_absolute_percentage_error", "cosine_similarity", "kl_divergence", "poisson"}
