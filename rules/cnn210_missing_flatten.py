from cnnlint.facts.model import ACTIVATION_LAYERS
from cnnlint.rule import Rule, bad, good

# layers that may sit between the Dense and the model output without changing its shape
AFTER_DENSE = set(ACTIVATION_LAYERS) | {"Activation", "Dropout", "GaussianDropout", "GaussianNoise", "AlphaDropout",
                                        "ActivityRegularization", "Identity"}
GAP = {3: "GlobalAveragePooling1D", 4: "GlobalAveragePooling2D", 5: "GlobalAveragePooling3D"}


def _dense_behind(model, path):
    """(the Dense that produces output `path` or None, the output's activation), looking back through
    activation and dropout layers."""
    lay, act = model.get(path), None
    while lay is not None:
        act = act or lay.activation
        if lay.class_name not in AFTER_DENSE or len(lay.inbound) != 1:
            break
        lay = model.get(lay.inbound[0])
    return (lay if lay is not None and lay.class_name == "Dense" else None), act or "linear"


def _head_start(model, dense):
    """The first Dense of the run of Dense (and activation/dropout) layers ending at `dense`."""
    first, lay = dense, dense
    while len(lay.inbound) == 1:
        lay = model.get(lay.inbound[0])
        if lay is None:
            break
        if lay.class_name == "Dense":
            first = lay
        elif lay.class_name not in AFTER_DENSE:
            break
    return first


def _per_position(labels, shape) -> bool:
    """Do the labels carry one target per position (segmentation, sequence tagging)?"""
    spatial = shape[1:-1]
    got = tuple(labels.shape[1:1 + len(spatial)])
    return len(got) == len(spatial) and all(s is None or s == g for s, g in zip(spatial, got))


def _convnet(*head, loss="sparse_categorical_crossentropy"):
    import keras
    from keras import layers

    model = keras.Sequential([keras.Input((16, 16, 3)), layers.Conv2D(8, 3, activation="relu"),
                              layers.MaxPooling2D(), *head])
    if loss:
        model.compile(optimizer="adam", loss=loss)
    return model


@bad(layer="out")
def dense_on_feature_map():
    from keras import layers

    return _convnet(layers.Dense(32, activation="relu"), layers.Dense(10, activation="softmax", name="out"))


@bad(layer="act")
def dense_then_sigmoid_layer_conv1d():
    import keras
    from keras import layers

    model = keras.Sequential([keras.Input((32, 4)), layers.Conv1D(8, 3, activation="relu"), layers.Dense(1),
                              layers.Activation("sigmoid", name="act")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return model


@good
def flatten_before_dense():
    from keras import layers

    return _convnet(layers.Flatten(), layers.Dense(10, activation="softmax"))


@good
def per_pixel_dense_with_per_pixel_labels():
    import numpy as np
    from keras import layers

    rng = np.random.default_rng(0)
    return {"model": _convnet(layers.Dense(3, activation="softmax")), "batch_size": 8,
            "x": rng.random((16, 16, 16, 3), dtype="float32"), "y": rng.integers(0, 3, (16, 7, 7))}


class MissingFlatten(Rule):
    """A classifier's output still has spatial axes: Dense was applied before Flatten or pooling.

    ## What it does
    For each classification output (a cross-entropy loss, or softmax over more than one unit) whose
    shape has rank > 2, looks back through activation and dropout layers for the layer that makes it;
    when that is a Dense (a Conv output is a segmentation map, on purpose) it reports the output.
    When the sample labels carry one target per position (segmentation, sequence tagging) the
    per-position Dense is intended and nothing is reported.

    ## Why is this bad?
    Dense acts on the last axis only: on a (batch, 7, 7, 64) map it classifies each of the 49
    positions separately, so the model outputs (batch, 7, 7, 10) instead of (batch, 10). The loss then
    fails on the label shape or, worse, broadcasts the labels silently and trains on nonsense.

    ## Example
    ```python
    layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(), layers.Dense(10, activation="softmax")
    ```

    ## Fix
    Add `Flatten()` or `GlobalAveragePooling2D()` before the Dense layers.

    ## Source
    NeuraLint f011; SO 47352366; SO 61030068.
    """

    code, name, severity = "CNN210", "missing-flatten", "error"
    needs = ("model",)
    options = {}

    examples = (dense_on_feature_map, dense_then_sigmoid_layer_conv1d, flatten_before_dense,
                per_pixel_dense_with_per_pixel_labels)

    def check(self, facts):
        model = facts.model
        compiled = facts.compile is not None and facts.compile.compiled
        labels = facts.batch.labels if facts.batch is not None else ()
        if not model.graph_known:
            return
        for i, path in enumerate(model.output_layers):
            shape = model.output_shapes[i] if i < len(model.output_shapes) else None
            if not isinstance(shape, tuple) or len(shape) <= 2:
                continue
            loss = facts.compile.losses[i] if compiled and i < len(facts.compile.losses) else None
            dense, act = _dense_behind(model, path)
            if dense is None or not ((loss is not None and loss.is_cross_entropy) or (act == "softmax" and (
                    shape[-1] or 0) > 1)) or (i < len(labels) and _per_position(labels[i], shape)):
                continue
            spatial = "x".join(str(d) for d in shape[1:-1])
            spatial = f"length-{spatial}" if len(shape) == 3 else spatial
            why = f"{loss.name} expects" if loss is not None else "a classifier gives"
            head = _head_start(model, dense)
            rank = len(head.input_shape) if isinstance(head.input_shape, tuple) else 0
            pool = GAP.get(rank, "global pooling")
            yield self.finding(
                f"classification output {path} has shape {shape} (rank {len(shape)}): Dense {dense.path} was "
                f"applied to a {spatial} feature map, so it classifies each position separately, while {why} one "
                f"prediction per sample", layer=path,
                fix=f"add Flatten() or {pool}() before {head.path}")
