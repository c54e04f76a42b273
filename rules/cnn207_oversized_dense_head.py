from cnnlint.facts.model import DROPOUTS
from cnnlint.rule import Rule, bad, good

GAP = {3: "GlobalAveragePooling1D", 4: "GlobalAveragePooling2D", 5: "GlobalAveragePooling3D"}


def _flatten_before(model, dense):
    """The Flatten layer feeding `dense`, looking back through Dropout-like layers; None otherwise."""
    cur = dense
    while cur is not None and len(cur.inbound) == 1:
        cur = model.get(cur.inbound[0])
        if cur is None or cur.class_name == "Flatten":
            return cur
        if cur.class_name not in DROPOUTS:
            return None
    return None


def _cnn(*head, size=64, data_format="channels_last"):
    import keras
    from keras import layers

    shape = (size, size, 3) if data_format == "channels_last" else (3, size, size)
    return keras.Sequential([keras.Input(shape), layers.Conv2D(8, 3, activation="relu", data_format=data_format),
                             *head, layers.Dense(10, activation="softmax")])


@bad(layer="fc")
def flatten_dense_on_a_large_map():
    from keras import layers

    return {"model": _cnn(layers.Flatten(), layers.Dense(64, activation="relu", name="fc")), "samples": 2000}


@bad(layer="fc")
def flatten_dropout_dense_channels_first():
    from keras import layers

    return _cnn(layers.Flatten(data_format="channels_first"), layers.Dropout(0.5),  # info: no training-set size
                layers.Dense(64, activation="relu", name="fc"), data_format="channels_first")


@good
def global_average_pooling_head():
    from keras import layers

    return _cnn(layers.GlobalAveragePooling2D(), layers.Dense(64, activation="relu"))


@good
def small_flatten_head():
    from keras import layers

    return _cnn(layers.MaxPooling2D(4), layers.Flatten(), layers.Dense(64, activation="relu"), size=28)


class OversizedDenseHead(Rule):
    """A Dense layer after Flatten holds most of the model's parameters.

    ## What it does
    Finds a Dense layer fed by Flatten (possibly through Dropout) that holds more than `max_share`
    (50%) of all the model's parameters and more than `min_params` (1,000,000) parameters, and says
    how many it would hold after global average pooling instead. It is a warning when the plan's
    training-set size is known and the head holds more than `params_per_sample` (100) parameters per
    training sample (it will memorize them) and the data is not augmented; otherwise an info: such heads
    train fine on large or augmented data sets (a 1.6M-parameter head on 50,000 images is a design choice, not a fault).

    ## Why is this bad?
    Flattening a large feature map makes the first Dense layer huge: it memorizes positions instead of
    features, overfits small data sets, and dominates memory and checkpoint size while the conv layers
    that do the real work hold a fraction of the weights.

    ## Example
    ```python
    layers.Conv2D(64, 3, activation="relu"), layers.Flatten(), layers.Dense(512, activation="relu")
    ```

    ## Fix
    Replace Flatten with `GlobalAveragePooling2D()`, or downsample more (pooling, strided convs)
    before Flatten so the map reaching it is small.

    ## Source
    Seed 002 examples (Flatten -> Dense).
    """

    code, name, severity = "CNN207", "oversized-dense-head", "warning"
    needs = ("model",)  # the plan (training-set size) decides between warning and info
    options = {"max_share": 0.5, "min_params": 1_000_000, "params_per_sample": 100}

    examples = (flatten_dense_on_a_large_map, flatten_dropout_dense_channels_first, global_average_pooling_head,
                small_flatten_head)

    def check(self, facts):
        model = facts.model
        total = model.params
        if not model.graph_known or total <= 0:
            return
        for dense in model.leaves:
            if dense.class_name != "Dense" or dense.params <= self.opts["min_params"]:
                continue
            share = dense.params / total
            flatten = _flatten_before(model, dense) if share > self.opts["max_share"] else None
            if flatten is None:
                continue
            shape = flatten.input_shape if isinstance(flatten.input_shape, tuple) else None
            map_text, fix = "", "or downsample more (pooling or strided convs) before Flatten"
            if shape and len(shape) in GAP and all(d is not None for d in shape[1:]):
                features = 1
                for d in shape[1:]:
                    features *= d
                map_text = f", the flattened {'x'.join(map(str, shape[1:]))} map ({features:,} features)"
                bias = dense.units if dense.config.get("use_bias", True) else 0
                pooled = flatten.channels(shape) * (dense.units or 0) + (bias or 0)
                arg = "data_format='channels_first'" if flatten.data_format == "channels_first" else ""
                fix = (f"replace {flatten.path} with {GAP[len(shape)]}({arg}) ({dense.path} would hold {pooled:,} "
                       f"params), {fix}")
            else:
                fix = f"replace {flatten.path} with global average pooling, {fix}"
            samples = facts.plan.train_samples if facts.plan is not None else None
            per_sample = dense.params / samples if samples else None
            augmented = facts.batch is not None and facts.batch.augments or any(
                lay.class_name.startswith("Random") for lay in model.leaves)  # every epoch shows new images
            large = per_sample is not None and per_sample > self.opts["params_per_sample"] and not augmented
            data = (f"; {per_sample:,.0f} head params per training sample (over {self.opts['params_per_sample']}): "
                    f"it will memorize the {samples:,} samples" if large else
                    f"; {per_sample:,.0f} per training sample, but augmentation shows new images every epoch"
                    if augmented and per_sample is not None else
                    f"; {per_sample:,.1f} per training sample: a design choice that trains on this much data"
                    if per_sample is not None else "; the training-set size is unknown (pass --samples)")
            yield self.finding(
                f"{dense.path} holds {dense.params:,} params, {share:.0%} of the model's {total:,}: it reads "
                f"{flatten.path}{map_text}{data}", layer=dense.path, fix=fix,
                severity="warning" if large else "info")
