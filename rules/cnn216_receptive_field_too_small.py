from cnnlint.rule import Rule, bad, good

CLASSIFIER_KINDS = {"classification", "binary", "multi-label"}
GLOBAL_MIXERS = {"MultiHeadAttention", "GroupedQueryAttention", "Attention", "AdditiveAttention"}
SAME_GRID = ("ZeroPadding", "Cropping", "CenterCrop", "RandomCrop")  # change the size, not the pixel pitch
ACTIVATIONS, NORMS = {"Activation", "ReLU", "LeakyReLU", "ELU", "PReLU"}, {"BatchNormalization", "LayerNormalization"}
INF = float("inf")


def _first(shape):  # the first input's shape of a merge
    return shape[0] if isinstance(shape, list) and shape else shape


def _axes(value, n):  # a kernel/stride/dilation per spatial axis
    return tuple(value) if isinstance(value, (tuple, list)) and len(value) == n else (value or 1,) * n


def _step(model, lay, size, jump, n):
    """(field size, jump) per spatial axis after `lay` from those at its input; None: unknown."""
    cls = lay.class_name
    if cls in GLOBAL_MIXERS or cls.startswith("Global") or all(r == INF for r in size):
        return (INF,) * n, jump  # each output sees the whole map (an SE gate, attention), and stays global
    if (lay.kernel_size or lay.pool_size) and not cls.endswith("Transpose"):  # a transposed conv: by shape below
        kernel, dilation = _axes(lay.kernel_size or lay.pool_size, n), _axes(lay.config.get("dilation_rate"), n)
        strides = _axes(lay.strides or lay.pool_size, n) if lay.pool_size else _axes(lay.strides, n)
        size = tuple(r + (k - 1) * d * j for r, k, d, j in zip(size, kernel, dilation, jump))
        return size, tuple(j * s for j, s in zip(jump, strides))
    if any(name.startswith(("Conv", "Pooling")) or name in GLOBAL_MIXERS for name in lay.inner):
        return None  # a custom block with convs inside: its kernels are not in the facts
    before, after = (model.spatial(lay.path, _first(s)) for s in (lay.input_shape, lay.output_shape))
    if before is None or after is None or len(before) != n or len(after) != n:
        return (size, jump) if lay.is_op else None  # a channel slice (preprocess_input's); a layer: a reshape
    if before != after and None not in before + after and not cls.startswith(SAME_GRID):  # resampled: new pitch
        jump = tuple(j * b / a for j, b, a in zip(jump, before, after))
    return size, jump


def receptive_field(model, path, n):
    """(size, jump) per spatial axis of the features `path` outputs, the largest over every path from the input
    (a merge sees all its inputs); None when a layer on the way is opaque. Layers come in graph order."""
    fields = {}
    for lay in model.layers:
        inputs = [fields.get(src) for src in dict.fromkeys(lay.inbound)]
        merged = None if None in inputs else [tuple(max(v) for v in zip(*[f[k] for f in inputs])) if inputs
                                               else (1,) * n for k in (0, 1)]
        fields[lay.path] = merged if merged is None or lay.is_model or lay.is_input else _step(model, lay, *merged, n)
        if lay.path == path:
            return fields[path]
    return None


def _hidden_dense_reads(model, head) -> bool:
    """Does the flattened map feed a hidden nonlinear Dense? Its units weigh every position: whole-image features."""
    after = model.readers(head.path)
    while len(after) == 1 and (after[0].class_name == "Dense" or after[0].class_name in NORMS or
                               not after[0].has_weights):
        cur, after = after[0], model.readers(after[0].path)
        if cur.class_name == "Dense":
            nonlinear = cur.activation not in (None, "linear") or len(after) == 1 and after[0].class_name in ACTIVATIONS
            return model.path_to_output(cur.path) is None and nonlinear
    return False


def _classifier(*filters, head=(), size=64, padding="valid"):
    import keras
    from keras import layers
    blocks = [lay for i, f in enumerate(filters) for lay in (layers.Conv2D(f, 3, activation="relu", padding=padding),
                                                             layers.MaxPooling2D(name=f"pool{i}"))]
    model = keras.Sequential([keras.Input((size, size, 3)), *blocks, *(head or [layers.Flatten()]),
                              layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


@bad(layer="pool0")
def seed002_one_conv_on_64x64():  # sees 4x4 pixels of 64x64
    return _classifier(16)


@bad(layer="stem/conv_b")
def two_convs_in_a_nested_stem_into_global_pooling():  # 5x5 of 96x96; a hidden Dense after pooling sees no more
    import keras
    from keras import layers
    stem = keras.Sequential([layers.Conv2D(16, 3, activation="relu", padding="same"),
                             layers.Conv2D(32, 3, activation="relu", padding="same", name="conv_b")], name="stem")
    model = keras.Sequential([keras.Input((96, 96, 3)), stem, layers.GlobalAveragePooling2D(), layers.Dense(16, "relu"),
                              layers.Dense(1, "sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return model


@good
def three_conv_blocks():  # seed 002's fix: 22x22 of 64x64
    return _classifier(32, 64, 128)


@good
def flatten_into_hidden_dense():  # the TF tutorials' shape: 22x22 of 96x96, and each Dense(64) unit reads all of it
    from keras import layers
    return _classifier(16, 32, 64, padding="same", head=[layers.Flatten(), layers.Dense(64, "relu")], size=96)


class ReceptiveFieldTooSmall(Rule):
    """The features an image classifier decides from each see only a small patch of the image.

    ## What it does
    For a 2D/3D image classifier, computes the receptive field of the spatial features its head (Flatten, global
    pooling) reads, from kernel_size, strides, dilation_rate and pool_size, over every path from the input (nested
    models and backbones included), and reports one under `fraction` (1/4) of the input's height or width.
    Silent on 1D signals (local motifs often suffice), when a custom block hides its kernels, when attention or a
    squeeze-excitation gate mixes the whole map, and when a Flatten feeds a hidden nonlinear Dense.

    ## Why is this bad?
    Each feature is computed from a window of the image: a few pixels wide, the classifier sums local texture and
    never sees an object's shape; it underfits however long it trains (seed 002's one conv sees 4x4 of 64x64).

    ## Example
    ```python
    Input((64, 64, 3)), Conv2D(16, 3), MaxPooling2D(), Flatten(), Dense(10, "softmax")  # receptive field 4x4
    ```

    ## Fix
    Add conv/pool stages (a 3x3 conv + 2x2 pooling block about doubles the field), strided/dilated convs, a backbone.

    ## Source
    Seeds 001 (insufficient capacity), 002 (underfitting example); Theia (insufficient depth); Luo et al., NeurIPS 2016.
    """

    code, name, severity = "CNN216", "receptive-field-too-small", "warning"
    needs, options = ("model", "task"), {"fraction": 0.25}
    examples = (seed002_one_conv_on_64x64, two_convs_in_a_nested_stem_into_global_pooling, three_conv_blocks,
                flatten_into_hidden_dense)

    def check(self, facts):
        model = facts.model
        shape = _first(model.input_shapes[0]) if model.input_shapes else None
        n = len(shape) - 2 if isinstance(shape, tuple) else 0
        if facts.task.kind not in CLASSIFIER_KINDS or not model.graph_known or not model.output_layers or n < 2:
            return  # a 1D signal: local motifs often suffice
        chain = model.upstream(model.output_layers[0])  # from the output back: the head reads the image-rank map
        ranks = [0 if lay.is_input else len(_first(lay.input_shape) or ()) for lay in chain]
        at = ranks.index(n + 2) if n + 2 in ranks else None
        if at is None or any(r > 2 or lay.class_name in GLOBAL_MIXERS for r, lay in zip(ranks[:at], chain)):
            return  # no map, or a sequence/token stage after it: not a plain conv classifier
        head = chain[at]
        if not head.inbound or not head.class_name.startswith("Global") and _hidden_dense_reads(model, head):
            return
        feature = head.inbound[0]
        size, field = model.spatial(feature, shape), receptive_field(model, feature, n)
        if field is None or size is None or all(not d or r >= self.opts["fraction"] * d
                                                for r, d in zip(field[0], size)):
            return
        rf, dims = "x".join(str(int(round(r))) for r in field[0]), "x".join(str(s) for s in size)
        yield self.finding(
            f"receptive field {rf} of {dims} input at {feature}: the {head.class_name} head reads features that each "
            f"see under {self.opts['fraction']:.0%} of the image's height or width: it decides from local patches",
            layer=feature,
            fix="add conv/pool stages before the head (each 3x3 conv + 2x2 pooling block about doubles the field), "
                "strided or dilated convolutions, or a pretrained backbone")
