"""BatchFacts: statistics of the sample batch (x and y), and of x after the model's preprocessing."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

MAX_CLASSES = 10_000
# ImageDataGenerator settings that change the images, with the value that leaves them unchanged
GENERATOR_NEUTRAL = {"rotation_range": 0, "width_shift_range": 0, "height_shift_range": 0, "shear_range": 0,
                     "zoom_range": [1.0, 1.0], "horizontal_flip": False, "vertical_flip": False,
                     "brightness_range": None, "channel_shift_range": 0}


@dataclass(frozen=True)
class ArrayFacts:
    shape: tuple  # batch axis first
    dtype: str
    kind: str  # numpy dtype kind: f float, i int, u unsigned, b bool, O object, U/S string
    n: int
    min: float | None = None
    max: float | None = None
    mean: float | None = None
    std: float | None = None
    nonfinite: int = 0
    sample_shapes: tuple = ()  # distinct per-sample shapes when samples differ (image folders)

    @property
    def sample_shape(self) -> tuple:
        return tuple(self.shape[1:])

    @property
    def is_float(self) -> bool:
        return self.kind == "f"

    @property
    def is_numeric(self) -> bool:
        return self.kind in "fiub"


@dataclass(frozen=True)
class LabelFacts(ArrayFacts):
    integer_valued: bool = False  # every value is a whole number
    one_hot: bool = False  # rank 2, values 0/1, each row sums to 1
    classes: tuple = ()  # class ids present (integer labels, or argmax of one-hot)
    counts: tuple = ()  # samples per class, aligned with `classes`
    grouped: bool = False  # the labels come in one block per class (sorted or grouped by class)
    block_order: tuple = ()  # when grouped: class ids in the order their blocks appear
    multi_hot: bool = False  # rank 2, values 0/1, some row holds several 1s (multi-label)
    soft: bool = False  # rows are probabilities that are not all 0/1 (mixup, label smoothing, distillation)
    entropy: float | None = None  # mean entropy of the soft rows, in nats: the floor of a cross-entropy loss
    value_entropy: float | None = None  # mean binary entropy of values in [0, 1] that are not 0/1: the floor of
    # binary cross-entropy on such targets (pixel intensities, soft multi-label targets)


@dataclass(frozen=True)
class BatchFacts:
    inputs: tuple[ArrayFacts, ...]
    labels: tuple[LabelFacts, ...] = ()
    preprocessed: ArrayFacts | None = None  # first input as it reaches the first trainable layer
    preprocess_layers: tuple[str, ...] = ()  # paths of the layers applied to get `preprocessed`
    first_trainable: str | None = None  # path of the first layer with weights (a frozen backbone's first conv too)
    backbone_inputs: dict = field(default_factory=dict)  # pretrained nested model -> (its first BN, median |z|)
    source: str = "arrays"  # arrays, npz, dataset, generator, directory
    augmentation: dict = field(default_factory=dict)  # ImageDataGenerator settings, when data is one
    pipeline_random: bool = False  # a tf.data pipeline whose maps hold random ops (augmentation, mixup)
    label_mix: tuple | None = None  # (batches read, mean per-batch class entropy, entropy over them all)
    unreadable: tuple = ()  # (path, reason) of the image files of a data folder that could not be decoded

    @property
    def x(self) -> ArrayFacts:
        return self.inputs[0]

    @property
    def y(self) -> LabelFacts | None:
        return self.labels[0] if self.labels else None

    @property
    def augments(self) -> bool:
        """The data is augmented on the way in: an ImageDataGenerator that changes the images (not just
        rescales/standardizes them), or a tf.data pipeline with random ops in its maps."""
        settings = self.augmentation
        return self.pipeline_random or any(settings.get(key) is not None and settings[key] != neutral
                                           for key, neutral in GENERATOR_NEUTRAL.items())


def _stats(array: np.ndarray) -> dict:
    if array.dtype.kind not in "fiub" or array.size == 0:
        return {}
    values = array.astype(np.float64, copy=False) if array.dtype.kind != "f" else array
    finite = np.isfinite(values)
    nonfinite = int(values.size - np.count_nonzero(finite))
    if nonfinite:
        values = values[finite]
    if values.size == 0:
        return {"nonfinite": nonfinite}
    return {"min": float(values.min()), "max": float(values.max()), "mean": float(values.mean(dtype=np.float64)),
            "std": float(values.std(dtype=np.float64)), "nonfinite": nonfinite}


def array_facts(array, *, sample_shapes: tuple = ()) -> ArrayFacts:
    array = np.asarray(array)
    return ArrayFacts(shape=tuple(array.shape), dtype=str(array.dtype), kind=array.dtype.kind,
                      n=int(array.shape[0]) if array.ndim else 1, sample_shapes=sample_shapes, **_stats(array))


def label_facts(array) -> LabelFacts:
    array = np.asarray(array)
    base = array_facts(array).__dict__
    if array.dtype.kind not in "fiub" or array.size == 0 or base.get("nonfinite"):
        return LabelFacts(**base)
    flat = array.astype(np.float64, copy=False)
    integer_valued = bool(np.all(np.mod(flat, 1) == 0))
    one_hot = bool(array.ndim == 2 and array.shape[1] > 1 and integer_valued and flat.min() >= 0
                   and flat.max() <= 1 and np.all(flat.sum(axis=1) == 1))
    ids = None
    if one_hot:
        ids = flat.argmax(axis=1)
    elif integer_valued and (array.ndim == 1 or (array.ndim == 2 and array.shape[1] == 1)):
        ids = flat.reshape(-1)
    classes, counts, grouped, block_order = (), (), False, ()
    if ids is not None:
        tally = Counter(ids.astype(np.int64).tolist())
        if len(tally) <= MAX_CLASSES:
            classes = tuple(sorted(tally))
            counts = tuple(tally[c] for c in classes)
            runs = 1 + int(np.count_nonzero(ids[1:] != ids[:-1]))
            grouped = len(classes) > 1 and runs == len(classes)
            if grouped:
                starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
                block_order = tuple(int(ids[s]) for s in starts)
    rows = flat.reshape(len(flat), -1) if array.ndim >= 2 and array.shape[-1] > 1 else None
    binary = rows is not None and integer_valued and flat.min() >= 0 and flat.max() <= 1
    multi_hot = bool(binary and array.ndim == 2 and np.any(rows.sum(axis=1) > 1))
    soft = bool(rows is not None and not integer_valued and flat.min() >= 0 and flat.max() <= 1
                and np.allclose(flat.sum(axis=-1), 1, atol=1e-3))
    entropy = None
    if soft:
        p = flat.reshape(-1, array.shape[-1])
        entropy = float(np.mean(-np.sum(np.where(p > 0, p * np.log(np.clip(p, 1e-12, 1)), 0), axis=1)))
    value_entropy = None
    if not integer_valued and flat.min() >= 0 and flat.max() <= 1:
        q = np.clip(flat, 1e-7, 1 - 1e-7)
        value_entropy = float(np.mean(-(q * np.log(q) + (1 - q) * np.log(1 - q))))
    return LabelFacts(**base, integer_valued=integer_valued, one_hot=one_hot, classes=classes,
                      counts=counts, grouped=grouped, block_order=block_order, multi_hot=multi_hot, soft=soft,
                      entropy=entropy, value_entropy=value_entropy)


def _class_ids(y) -> np.ndarray | None:
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        return y.argmax(axis=1)
    if y.ndim <= 2 and y.dtype.kind in "iub" or y.ndim <= 2 and y.dtype.kind == "f" and np.all(np.mod(y, 1) == 0):
        return y.reshape(-1).astype(np.int64)
    return None


def _entropy(ids) -> float:
    _, counts = np.unique(ids, return_counts=True)
    p = counts / counts.sum()
    return float(-(p * np.log(p)).sum())


def label_mix(batches) -> tuple | None:
    """(batches, mean per-batch class entropy, the same for batches drawn at random from all of them, mean batch
    size, classes), for >= 2 batches of class labels; None otherwise."""
    ids = [_class_ids(y) for y in batches]
    if len(ids) < 2 or any(i is None or i.size == 0 for i in ids):
        return None
    pool = np.concatenate(ids)
    size = int(round(np.mean([len(i) for i in ids])))
    rng = np.random.default_rng(0)
    expected = float(np.mean([_entropy(rng.choice(pool, size, replace=False)) for _ in range(64)]))
    return len(ids), float(np.mean([_entropy(i) for i in ids])), expected, size, len(np.unique(pool))
