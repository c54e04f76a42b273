from cnnlint.facts.model import CONV_DENSE, PASS_THROUGH
from cnnlint.rule import Rule, bad, good

POINTWISE = {"Conv1D", "Conv2D", "Conv3D"}
# layers that are linear (affine) maps of one input: they do not stop two linear layers collapsing
LINEAR = PASS_THROUGH | {"BatchNormalization", "Permute", "RepeatVector", "Rescaling", "Normalization"} | {
    f"{kind}{d}D" for kind in ("AveragePooling", "GlobalAveragePooling", "ZeroPadding", "Cropping", "UpSampling")
    for d in (1, 2, 3)}


def _seq(*stack, shape=(8, 8, 3), name=None):
    import keras

    return keras.Sequential([keras.Input(shape), *stack], name=name)


@bad(layer="conv_a")
def conv_bn_conv():
    from keras import layers

    return _seq(layers.Conv2D(8, 3, name="conv_a"), layers.BatchNormalization(),
                layers.Conv2D(8, 3, activation="relu"), layers.GlobalAveragePooling2D(), layers.Dense(2))


@bad(layer="hidden")
def dense_dropout_dense():
    from keras import layers

    return _seq(layers.Flatten(), layers.Dense(32, name="hidden"), layers.Dropout(0.2),
                layers.Dense(10, activation="softmax"))


@bad(layer="backbone/last")
def nested_backbone_linear_end():
    import keras
    from keras import layers

    backbone = _seq(layers.Conv1D(8, 3, activation="relu"), layers.Conv1D(8, 3, name="last"), shape=(16, 4),
                    name="backbone")
    inp = keras.Input((16, 4))
    x = layers.Conv1D(4, 3, activation="relu")(backbone(inp))
    return keras.Model(inp, layers.Dense(1)(layers.GlobalAveragePooling1D()(x)))


@good
def relu_between():
    from keras import layers

    return _seq(layers.Conv2D(8, 3), layers.BatchNormalization(), layers.ReLU(), layers.MaxPooling2D(),
                layers.Conv2D(8, 3), layers.Activation("relu"), layers.Flatten(), layers.Dense(2))


@good
def residual_projection_and_linear_bottleneck():
    import keras
    from keras import layers

    inp = keras.Input((8, 8, 16))
    x = layers.Conv2D(8, 3, padding="same", activation="relu")(inp)
    x = layers.BatchNormalization()(layers.Conv2D(4, 1)(x))  # linear bottleneck 8 -> 4 -> 16, on purpose
    x = layers.ReLU()(layers.BatchNormalization()(layers.Conv2D(16, 1)(x)))
    x = layers.Add()([x, layers.Conv2D(16, 1)(inp)])  # residual projection: reaches an Add
    return keras.Model(inp, layers.Dense(2)(layers.GlobalAveragePooling2D()(x)))


class MissingNonlinearity(Rule):
    """Two Conv/Dense layers follow each other with nothing nonlinear between them.

    ## What it does
    Finds a Conv/Dense layer with a linear activation whose output reaches only one other Conv/Dense
    layer through linear layers alone (Dropout, Flatten, Reshape, padding, average pooling,
    BatchNormalization, an `Activation("linear")`). Max pooling, merges (Add, Concatenate) and any
    activation stop the chain. Deliberate linear maps are left alone: a linear bottleneck, where the
    first layer is narrower than the second's output and than its own input (or as wide, for a 1x1
    conv): the "project" convs of MobileNetV2/V3 and EfficientNet, an autoencoder's code layer;
    a DepthwiseConv followed by a 1x1 conv (a separable conv); residual projections (they reach an Add).

    ## Why is this bad?
    A composition of linear maps is one linear map: the second layer adds parameters and compute
    but no expressive power, and the network is shallower than it looks.

    ## Example
    ```python
    layers.Conv2D(32, 3), layers.BatchNormalization(), layers.Conv2D(64, 3, activation="relu")
    ```

    ## Fix
    Give the first layer an activation (`activation="relu"`), or put a `ReLU()` after its
    BatchNormalization; or remove one of the two layers.

    ## Source
    NeuraLint f009; UMLAUT.
    """

    code, name, severity = "CNN206", "missing-nonlinearity", "warning"
    needs = ("model",)
    options = {}

    examples = (conv_bn_conv, dense_dropout_dense, nested_backbone_linear_end, relu_between,
                residual_projection_and_linear_bottleneck)

    def check(self, facts):
        model = facts.model
        if not model.graph_known or model.has_unlisted_nodes():
            return  # unknown data flow: a subclassed model, or keras.ops nodes (x + y) that may read a layer
        for first in model.leaves:
            if first.class_name not in CONV_DENSE or (first.activation or "linear") != "linear":
                continue
            between, second, cur = [], None, first
            while not cur.is_output:
                after = model.readers(cur.path)
                if len(after) != 1 or len(after[0].inbound) != 1:
                    break
                cur = after[0]
                if cur.class_name in CONV_DENSE:
                    second = cur
                    break
                if not (cur.is_input or cur.class_name in LINEAR or (cur.class_name, cur.activation) == (
                        "Activation", "linear")):
                    break
                between.append(cur)
            if second is None or not (first.trainable_params or second.trainable_params):
                continue
            mid, w_in, w_out = (first.channels(first.output_shape), first.channels(first.input_shape),
                                second.channels(second.output_shape))
            pointwise = first.class_name in POINTWISE and set(first.kernel_size or ()) == {1}
            if mid and w_in and w_out and mid < w_out and (mid < w_in or (pointwise and mid == w_in)):
                continue  # a linear bottleneck: a deliberate low-rank factorization
            if first.class_name.startswith("DepthwiseConv") and second.class_name in POINTWISE and set(
                    second.kernel_size or ()) == {1}:
                continue  # depthwise + pointwise = a separable conv
            via = [lay for lay in between if not lay.is_input]
            via_text = f" (through {', '.join(lay.class_name for lay in via)})" if via else ""
            yield self.finding(
                f"{first.class_name} {first.path} has a linear activation and feeds {second.class_name} "
                f"{second.path}{via_text} with nothing nonlinear between: the two collapse into one linear map",
                layer=first.path,
                fix=f"give {first.path} activation='relu' (or add a ReLU after "
                    f"{(via or [first])[-1].path}), or remove one of the two layers")
