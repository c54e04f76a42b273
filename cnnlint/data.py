"""Turn whatever `fit` accepts (arrays, tf.data.Dataset, PyDataset, Keras image iterators, generators)
into a sample batch of numpy arrays, and read `--data` sources: .npz, file.py:fn, image folders."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cnnlint.errors import UsageError
from cnnlint.facts.extract import one_line

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif"}
MAX_FOLDER_IMAGES = 256
UNBATCHED_TAKE = 32
GENERATOR_KEYS = ("rotation_range", "width_shift_range", "height_shift_range", "shear_range", "zoom_range",
                  "horizontal_flip", "vertical_flip", "brightness_range", "channel_shift_range", "rescale",
                  "featurewise_center", "samplewise_center", "featurewise_std_normalization")


@dataclass
class Sample:
    x: object
    y: object = None
    source: str = "arrays"
    augmentation: dict = field(default_factory=dict)
    samples: int | None = None  # dataset size when the source knows it
    data: object = None  # the original dataset/generator, for the probe's input-pipeline timing
    sample_shapes: tuple = ()  # distinct image sizes found in a folder, when they differ
    batch_size: int | None = None  # the batch size the dataset/generator yields (fit uses it)
    pipeline_random: bool = False  # a tf.data pipeline with random ops in its maps (augmentation, mixup)
    batch_labels: tuple = ()  # the labels of the first few batches of a dataset/PyDataset (CNN111)
    unreadable: tuple = ()  # (path, one-line reason) of the image files in a folder that could not be decoded


def _is_array_like(value) -> bool:
    if isinstance(value, np.ndarray):
        return True
    if isinstance(value, (list, tuple)):
        return bool(value) and all(_is_array_like(v) or np.isscalar(v) for v in value)
    if isinstance(value, dict):
        return all(_is_array_like(v) for v in value.values())
    return hasattr(value, "__array__") and hasattr(value, "shape")


def split_element(element):
    if isinstance(element, (tuple, list)) and len(element) in (2, 3) and not _all_scalar(element):
        return element[0], element[1]
    return element, None


def _all_scalar(element):
    return all(np.isscalar(v) for v in element)


def to_numpy(value):
    if value is None:
        return None
    if isinstance(value, dict):
        return {k: to_numpy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) and value and not np.isscalar(value[0]):
        return [to_numpy(v) for v in value]
    return np.asarray(value)


def _generator_settings(obj) -> dict:
    gen = getattr(obj, "image_data_generator", None)
    if gen is None:
        return {}
    settings = {}
    for key in GENERATOR_KEYS:
        value = getattr(gen, key, None)
        if value is None:
            continue
        settings[key] = [float(v) for v in value] if isinstance(value, (list, tuple, np.ndarray)) else value
    return settings


def sample_from(obj, y=None, *, sample_rank: int | None = None) -> Sample:
    """A sample batch from anything `model.fit(x, y)` takes."""
    if _is_array_like(obj):
        return Sample(to_numpy(obj), to_numpy(y), "arrays")
    cardinality = None
    source = "generator"
    try:
        import tensorflow as tf

        if isinstance(obj, tf.data.Dataset):
            source = "dataset"
            element = next(iter(obj.take(1)))
            x0, _ = split_element(element)
            first = x0[0] if isinstance(x0, (list, tuple)) else x0
            if sample_rank is not None and len(first.shape) == sample_rank:
                element = next(iter(obj.take(UNBATCHED_TAKE).batch(UNBATCHED_TAKE)))
            card = int(obj.cardinality())
            cardinality = card if card > 0 else None  # batches, or samples when unbatched
            if cardinality and sample_rank is not None and len(first.shape) == sample_rank:
                cardinality = None  # an unbatched dataset: fit would fail on it anyway
        elif hasattr(obj, "__getitem__") and hasattr(obj, "__len__"):  # PyDataset, Keras image iterators
            element = obj[0]
        elif hasattr(obj, "__next__"):
            element = next(obj)
        else:
            raise UsageError(f"cannot read a sample batch from a {type(obj).__name__}")
    except UsageError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise UsageError(f"cannot read a batch from the data: {one_line(exc)}") from None
    x, y = split_element(element)
    x = to_numpy(x)
    batch = len(x[0] if isinstance(x, list) else next(iter(x.values())) if isinstance(x, dict) else x)
    samples = cardinality * batch if cardinality else None  # at most: the last batch may be short
    if isinstance(getattr(obj, "n", None), int):
        samples = obj.n  # Keras image iterators know their dataset size
    elif samples is None and hasattr(obj, "__len__"):
        try:
            samples = len(obj) * batch
        except TypeError:
            pass
    return Sample(x, to_numpy(y), source, _generator_settings(obj), samples, obj, batch_size=batch,
                  pipeline_random=_random_ops(obj), batch_labels=_batch_labels(obj, source))


LABEL_BATCHES = 8


def _batch_labels(obj, source) -> tuple:
    """The labels of up to LABEL_BATCHES batches of a dataset or an indexable PyDataset (re-readable: a plain
    generator is never read ahead, that would take batches from the user's fit)."""
    try:
        if source == "dataset":
            elements = obj.take(LABEL_BATCHES)
        elif hasattr(obj, "__getitem__") and hasattr(obj, "__len__"):
            elements = (obj[i] for i in range(min(len(obj), LABEL_BATCHES)))
        else:
            return ()
        labels = [to_numpy(split_element(e)[1]) for e in elements]
    except Exception:  # noqa: BLE001 - batches we cannot read are not a finding
        return ()
    return tuple(y for y in labels if isinstance(y, np.ndarray))


RANDOM_OP_EXCLUDED = ("Shuffle",)


def _random_ops(obj) -> bool:
    """Does a tf.data pipeline hold random ops in its functions (augmentation, mixup)? Read from the dataset's
    graph; False when it cannot be read."""
    try:
        import tensorflow as tf

        if not isinstance(obj, tf.data.Dataset):
            return False
        graph = tf.compat.v1.GraphDef()
        graph.ParseFromString(tf.raw_ops.DatasetToGraphV2(input_dataset=obj._variant_tensor).numpy())
        ops = {n.op for n in graph.node} | {n.op for f in graph.library.function for n in f.node_def}
    except Exception:  # noqa: BLE001
        return False
    return any("Random" in op and not op.endswith("Dataset") and not any(x in op for x in RANDOM_OP_EXCLUDED)
               for op in ops)


def load_npz(path: Path) -> Sample:
    try:
        with np.load(path, allow_pickle=False) as archive:
            if "x" not in archive.files:
                raise UsageError(f"{path}: no array named 'x' (found: {', '.join(archive.files) or 'none'})")
            return Sample(archive["x"], archive["y"] if "y" in archive.files else None, "npz")
    except UsageError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise UsageError(f"cannot read {path}: {one_line(exc)}") from None


def load_folder(path: Path) -> Sample:
    """Images from class subfolders, at their own size (never resized); labels are class indices."""
    import tensorflow as tf

    classes = sorted(p for p in path.iterdir() if p.is_dir())
    if not classes:
        raise UsageError(f"{path}: expected one subfolder per class, found none")
    files = [(i, f) for i, folder in enumerate(classes) for f in sorted(folder.iterdir())
             if f.suffix.lower() in IMAGE_SUFFIXES]
    if not files:
        raise UsageError(f"{path}: no images ({', '.join(sorted(IMAGE_SUFFIXES))}) in its class subfolders")
    step = max(1, len(files) // MAX_FOLDER_IMAGES)
    picked = files[::step][:MAX_FOLDER_IMAGES]
    images, labels, unreadable = [], [], []
    for label, file in picked:
        try:
            images.append(tf.io.decode_image(tf.io.read_file(str(file)), expand_animations=False).numpy())
        except Exception as exc:  # noqa: BLE001 - a corrupt file is a finding (CNN115), not the end of the run
            unreadable.append((str(file), _reason(exc)))
            continue
        labels.append(label)
    if not images:
        first, reason = unreadable[0]
        raise UsageError(f"{path}: none of the {len(picked)} images could be read; the first, {first}: {reason}")
    shapes = sorted({img.shape for img in images})
    common = max(shapes, key=lambda s: sum(img.shape == s for img in images))
    keep = [i for i, img in enumerate(images) if img.shape == common]
    x = np.stack([images[i] for i in keep])
    y = np.asarray([labels[i] for i in keep])
    return Sample(x, y, "directory", samples=len(files), sample_shapes=tuple(shapes) if len(shapes) > 1 else (),
                  unreadable=tuple(unreadable))


def _reason(exc: Exception) -> str:
    """A decode error as one line, without TensorFlow's op and device decorations."""
    return re.sub(r" ?\{\{.*?\}\}| ?\[Op:.*$", "", one_line(exc))
