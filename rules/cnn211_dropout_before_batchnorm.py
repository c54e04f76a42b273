from cnnlint.facts.model import CONV_DENSE, DROPOUTS
from cnnlint.rule import Rule, bad, good

SHAPE_ONLY = {"Flatten", "Reshape", "Identity", "Permute"}  # Dropout -> Flatten -> BN still shifts the variance


def _source(model, bn, through):
    """The layer feeding `bn`, looking back through `through` layers and nested-model inputs."""
    if len(bn.inbound) != 1:
        return None
    lay = model.get(bn.inbound[0])
    while lay is not None and (lay.is_input or lay.class_name in through) and len(lay.inbound) == 1:
        lay = model.get(lay.inbound[0])
    return lay


def _readers(model, path) -> list[str]:
    """Paths of the layers reading `path`, looking through nested-model inputs."""
    return [p for lay in model.readers(path) for p in (_readers(model, lay.path) if lay.is_input else [lay.path])]


def _cancels_bias(layer, bn) -> bool:
    """Does `bn` normalize over the axis that holds `layer`'s bias (its channel axis)?"""
    shape = bn.output_shape if isinstance(bn.output_shape, tuple) else None
    axis = bn.config.get("axis", -1)
    axis = axis[0] if isinstance(axis, (list, tuple)) and len(axis) == 1 else axis
    if shape is None or not isinstance(axis, int):
        return shape is None
    channel = 1 if layer.class_name != "Dense" and layer.data_format == "channels_first" else len(shape) - 1
    return axis % len(shape) == channel


def _seq(*stack):
    import keras
    from keras import layers

    return keras.Sequential([keras.Input((8, 8, 3)), *stack, layers.GlobalAveragePooling2D(), layers.Dense(2)])


@bad(layer="drop")
def dropout_then_batchnorm():
    from keras import layers

    return _seq(layers.Conv2D(8, 3, use_bias=False), layers.ReLU(), layers.Dropout(0.3, name="drop"),
                layers.BatchNormalization(), layers.Conv2D(8, 3, activation="relu"))


@bad(layer="conv")
def biased_conv_then_batchnorm_channels_first():
    import keras
    from keras import layers

    return keras.Sequential([keras.Input((3, 8, 8)), layers.Conv2D(8, 3, data_format="channels_first", name="conv"),
                             layers.BatchNormalization(axis=1), layers.ReLU(), layers.Flatten(), layers.Dense(2)])


@good
def batchnorm_then_dropout():
    from keras import layers

    return _seq(layers.Conv2D(8, 3, use_bias=False), layers.BatchNormalization(), layers.ReLU(), layers.Dropout(0.3),
                layers.Conv2D(8, 3, activation="relu"), layers.BatchNormalization())


class DropoutBeforeBatchnorm(Rule):
    """Dropout, or a conv/dense bias, feeds BatchNormalization directly.

    ## What it does
    Reports a Dropout (rate > 0, also spatial/Gaussian/alpha dropout) whose output reaches a
    BatchNormalization directly (or only through Flatten/Reshape), and a Conv/Dense layer with
    `use_bias=True` and no activation whose only reader is a BatchNormalization over its channel axis.
    It speaks once per pattern (one finding with the count and the first three places, never a line per
    layer) and says nothing about layers inside a pretrained or frozen nested model (a keras.applications
    backbone): that is code the user did not write.

    ## Why is this bad?
    Dropout changes the variance of its output between training and inference; the BatchNormalization
    after it learns statistics of the dropped-out activations and applies them to full ones at
    inference (the "variance shift"), which costs accuracy. A bias right before BatchNormalization is
    subtracted again with the per-channel mean: its parameters do nothing (BN's beta replaces them).

    ## Example
    ```python
    layers.Dropout(0.3), layers.BatchNormalization()
    layers.Conv2D(64, 3), layers.BatchNormalization(), layers.ReLU()
    ```

    ## Fix
    Put Dropout after the last BatchNormalization (e.g. just before the classifier); pass
    `use_bias=False` to a conv/dense that feeds BatchNormalization.

    ## Source
    NeuraLint f005/f006.
    """

    code, name, severity = "CNN211", "dropout-before-batchnorm", "info"
    needs = ("model",)
    options = {}

    examples = (dropout_then_batchnorm, biased_conv_then_batchnorm_channels_first, batchnorm_then_dropout)

    def check(self, facts):
        model = facts.model
        if not model.graph_known:
            return
        dropouts, biases = [], []
        for bn in model.leaves:
            if bn.class_name != "BatchNormalization" or model.foreign(bn.path):
                continue  # nothing about code inside a pretrained or frozen backbone the user did not write
            drop = _source(model, bn, SHAPE_ONLY)
            if drop is not None and drop.class_name in DROPOUTS and (drop.rate or 0) > 0:
                dropouts.append((drop, bn))
            conv = _source(model, bn, ())
            if (conv is None or conv.class_name not in CONV_DENSE or not conv.config.get("use_bias")
                    or (conv.activation or "linear") != "linear" or not _cancels_bias(conv, bn)):
                continue
            if _readers(model, conv.path) == [bn.path]:  # else the bias also reaches another layer
                biases.append((conv, bn))
        if dropouts:
            drop, bn = dropouts[0]
            yield self.finding(
                f"{_count(dropouts, 'Dropout layer')} feed BatchNormalization ({_first(dropouts)}): BN learns the "
                f"variance of dropped-out activations and sees full ones at inference (variance shift)",
                layer=drop.path, fix=f"move each Dropout after its BatchNormalization (e.g. just before the "
                                     f"classifier), or remove it")
        if biases:
            conv, bn = biases[0]
            params = sum(c.channels(c.output_shape) or 0 for c, _ in biases)
            yield self.finding(
                f"{_count(biases, 'conv/dense layer')} with a bias ({params:,} params) feed BatchNormalization "
                f"directly ({_first(biases)}): BN subtracts the per-channel mean, cancelling the bias (BN's beta "
                f"replaces it)", layer=conv.path, fix="pass use_bias=False to the layers before BatchNormalization")


def _count(pairs, what) -> str:
    return f"{len(pairs)} {what}{'s' if len(pairs) > 1 else ''}"


def _first(pairs, shown=3) -> str:
    text = ", ".join(f"{a.path} -> {b.path}" for a, b in pairs[:shown])
    return text + (f", and {len(pairs) - shown} more" if len(pairs) > shown else "")
