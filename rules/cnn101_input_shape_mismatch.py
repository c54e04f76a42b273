from itertools import permutations
from math import prod

from cnnlint.rule import Rule, bad, good

SPATIAL = {1: ("length",), 2: ("height", "width"), 3: ("depth", "height", "width")}


def _cnn(shape=(8, 8, 3), functional=False):
    import keras
    from keras import layers

    stack = [layers.Conv2D(4, 3, activation="relu", name="stem"), layers.GlobalAveragePooling2D(), layers.Dense(2)]
    if not functional:
        return keras.Sequential([keras.Input(shape), *stack])
    inp = keras.Input(shape, name="image")
    return keras.Model(inp, keras.Sequential(stack)(inp))


def _x(*sample_shape):
    import numpy as np

    return np.random.default_rng(0).random((16, *sample_shape), dtype="float32")


@bad(layer="image")
def channels_first_data():
    return {"model": _cnn(functional=True), "x": _x(3, 8, 8)}


@bad(layer="stem")
def missing_channel_axis():
    return {"model": _cnn((28, 28, 1)), "x": _x(28, 28)}


@bad(layer="stem")
def different_image_size():
    return {"model": _cnn(), "x": _x(16, 16, 3)}


@bad(layer="stem")
def folder_with_several_sizes():
    from cnnlint.data import Sample

    return {"model": _cnn(), "x": Sample(_x(8, 8, 3), None, "directory", sample_shapes=((8, 8, 3), (12, 9, 3)))}


@good
def matching_shape():
    return {"model": _cnn(), "x": _x(8, 8, 3)}


@good
def any_size_model():
    return {"model": _cnn((None, None, 3)), "x": _x(16, 16, 3)}


def _fits(data, model) -> bool:
    return len(data) == len(model) and all(m is None or m == d for d, m in zip(data, model))


def _axis(i, rank, first):
    names = (("channels",) + SPATIAL.get(rank - 1, ())) if first else (SPATIAL.get(rank - 1, ()) + ("channels",))
    return f"axis {i + 1} ({names[i]})" if len(names) == rank > 1 else f"axis {i + 1}"


def _diagnose(data, model, first):
    """(what is wrong, fix) for a per-sample data shape that does not fit the model's."""
    rank, fmt, ch = len(model), "channels_first" if first else "channels_last", 1 if first else -1
    if len(data) == rank:
        if _fits(data[-1:] + data[:-1] if first else data[1:] + data[:1], model):
            other = "channels_last" if first else "channels_first"
            return (f"{other} data for a {fmt} model (the channel axis, size {data[-1] if first else data[0]}, "
                    f"is on the wrong side)", f"move it: x = np.moveaxis(x, {-ch}, {ch}), or build the model with "
                    f"data_format='{other}'")
        if rank <= 5 and any(_fits(p, model) for p in permutations(data)):
            return "the same axes in a different order", "np.transpose x into the model's axis order"
        wrong = [i for i, (d, m) in enumerate(zip(data, model)) if m is not None and d != m]
        where = ", ".join(f"{_axis(i, rank, first)} is {data[i]} instead of {model[i]}" for i in wrong)
        if rank == 1:
            return f"{where}: a different number of features", "give the data the model's input size"
        if all(_axis(i, rank, first).endswith("(channels)") for i in wrong):
            return (f"{where}: a different number of channels", "convert the images (tf.image.grayscale_to_rgb "
                    f"or rgb_to_grayscale), or change the model's Input to {data[wrong[0]]} channels")
        size = ", ".join(str(m) for m in (model[1:] if first else model[:-1]))
        return (f"{where}: a different image size", f"resize in the data pipeline (e.g. image_dataset_from_"
                f"directory(image_size=({size})) or tf.image.resize), or add keras.layers.Resizing({size}) "
                f"as the model's first layer")
    missing = 0 if first else rank - 1
    if len(data) == rank - 1 and _fits(data, model[:missing] + model[missing + 1:]):
        n, expand = model[missing], "x[:, None]" if first else "x[..., None]"
        if n not in (None, 1):
            return (f"a missing channel axis (the model expects {n} channels)",
                    f"add the axis and repeat it: np.repeat({expand}, {n}, axis={ch})")
        return (f"a missing channel axis (rank {len(data)} instead of {rank})",
                f"add it: x = {expand} (or np.expand_dims(x, {ch}))")
    for i, d in enumerate(data):
        if d == 1 and len(data) == rank + 1 and _fits(data[:i] + data[i + 1:], model):
            return f"an extra axis of size 1 at axis {i + 1}", f"drop it: x = np.squeeze(x, axis={i + 1})"
    if None not in model and prod(data) == prod(model):
        return (f"the same {prod(data)} values per sample in another layout",
                f"reshape: x = x.reshape(-1, {', '.join(map(str, model))})")
    return f"rank {len(data)} instead of {rank}", "give the data the model's input shape, or change the Input"


class InputShapeMismatch(Rule):
    """The sample batch's per-sample shape differs from the model's input shape.

    ## What it does
    Compares each model input's per-sample shape (`None` matches any size) with the data's (each
    distinct size of an image folder), names the axis and the likely cause: channels-first data for
    a channels-last model or the reverse (a permutation matches; the first conv's `data_format`
    decides), a missing channel axis (`(28, 28)` for `(28, 28, 1)`), or a different image size.

    ## Why is this bad?
    `fit` stops with a long shape error, or a model with flexible axes trains on transposed images.

    ## Example
    `model.fit(x_train, y_train)` with `x_train.shape == (60000, 28, 28)` and `keras.Input((28, 28, 1))`.

    ## Fix
    Add the channel axis (`x[..., None]`), move it (`np.moveaxis(x, 1, -1)`), or resize the images
    in the pipeline or with `keras.layers.Resizing`.

    ## Source
    Seed 000 (shape); NeuraLint; StackOverflow 45711636.
    """

    code, name, severity = "CNN101", "input-shape-mismatch", "error"
    needs, options = ("model", "batch"), {}
    examples = (channels_first_data, missing_channel_axis, different_image_size, folder_with_several_sizes,
                matching_shape, any_size_model)

    def check(self, facts):
        model, batch = facts.model, facts.batch
        conv = next((lay for lay in model.leaves if lay.data_format), None)
        first = conv is not None and conv.data_format == "channels_first"
        for i, (arr, shape) in enumerate(zip(batch.inputs, model.input_shapes)):
            if not isinstance(shape, tuple) or not all(d is None or isinstance(d, int) for d in shape):
                continue
            expected = shape[1:]
            label = "x" if len(batch.inputs) == 1 else f"x[{i}]"
            entry = model.input_layer(i)
            layer = entry.path if entry else None
            for data in dict.fromkeys(tuple(s) for s in (arr.sample_shapes or (arr.sample_shape,))):
                if not _fits(data, expected):
                    what, fix = _diagnose(data, expected, first)
                    who = f"some {label} images have" if arr.sample_shapes else f"{label} samples have"
                    yield self.finding(f"{who} shape {data} but the model input expects {expected}: {what}",
                                       layer=layer, fix=fix)
