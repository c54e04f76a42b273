from cnnlint.facts.model import CONV_DENSE
from cnnlint.rule import Rule, bad, good

CONSTANT = {"Zeros", "Ones", "Constant"}
KERNEL_KEYS = ("kernel_initializer", "depthwise_initializer", "pointwise_initializer")


def _constant_inits(lay) -> list[str]:
    """'Zeros', 'Constant(0.5)', ... for each kernel initializer of `lay` that gives every unit the same weights."""
    found = []
    for key in KERNEL_KEYS:
        value = lay.config.get(key)
        cls = value.get("class_name") if isinstance(value, dict) else value
        if cls in CONSTANT:
            cfg = (value.get("config") if isinstance(value, dict) else None) or {}
            name = f"{cls}({cfg['value']})" if "value" in cfg else cls
            found.append(name if key == "kernel_initializer" else f"{name} {key.split('_')[0]}")
    return found


@bad(layer="conv_zero")
def zeros_conv():
    import keras
    from keras import layers

    return keras.Sequential([keras.Input((8, 8, 3)), layers.Conv2D(8, 3, kernel_initializer="zeros", name="conv_zero"),
                             layers.ReLU(), layers.Flatten(), layers.Dense(3)])


@bad(layer="hidden")
def constant_dense_in_functional_model():
    import keras
    from keras import layers

    inp = keras.Input((10,))
    h = layers.Dense(16, activation="relu", kernel_initializer=keras.initializers.Constant(0.1), name="hidden")(inp)
    return keras.Model(inp, [layers.Dense(1, name="a")(h), layers.Dense(2, name="b")(h)])


@bad(layer="sep")
def ones_separable_pointwise():
    import keras
    from keras import layers

    return keras.Sequential([keras.Input((8, 8, 3)), layers.SeparableConv2D(4, 3, pointwise_initializer="ones",
                                                                            name="sep"),
                             layers.GlobalAveragePooling2D(), layers.Dense(2)])


@good
def zero_initialized_output_head():
    import keras
    from keras import layers
    return keras.Sequential([keras.Input((8, 8, 3)), layers.Conv2D(8, 3, activation="relu"), layers.Flatten(),
                             layers.Dense(3, kernel_initializer="zeros"), layers.Softmax()])


@good
def fcn_zero_score_layer_fused_by_add():  # FCN-8s: zero-initialized 1x1 score layers, fused with Add
    import keras
    from keras import layers
    inp = keras.Input((16, 16, 3))
    pool = layers.MaxPooling2D()(layers.Conv2D(8, 3, padding="same", activation="relu")(inp))
    deep = layers.Conv2D(4, 1)(layers.MaxPooling2D()(layers.Conv2D(8, 3, padding="same", activation="relu")(pool)))
    score = layers.Conv2D(4, 1, kernel_initializer="zeros", name="score_pool")(pool)
    fused = layers.Add()([layers.UpSampling2D()(deep), score])
    return keras.Model(inp, layers.Softmax()(layers.UpSampling2D()(fused)))


@good
def transform_head_with_identity_bias():  # PointNet's T-Net: zero kernel, identity bias
    import keras
    import numpy as np
    from keras import layers
    inp = keras.Input((32, 3))
    feat = layers.GlobalMaxPooling1D()(layers.Conv1D(16, 1, activation="relu")(inp))
    t = layers.Dense(9, kernel_initializer="zeros", bias_initializer=keras.initializers.Constant(np.eye(3).flatten()))(feat)
    moved = layers.Dot(axes=(2, 1))([inp, layers.Reshape((3, 3))(t)])
    out = layers.Dense(4, activation="softmax")(layers.GlobalMaxPooling1D()(layers.Conv1D(8, 1)(moved)))
    return keras.Model(inp, out)


@good
def zeros_initializer_overwritten_by_set_weights():  # the weights it holds are what count
    import numpy as np

    model = zeros_conv()
    kernel, bias = model.get_layer("conv_zero").get_weights()
    model.get_layer("conv_zero").set_weights([np.random.default_rng(0).normal(0, 0.1, kernel.shape), bias])
    return model


@bad(layer="hidden_ones")
def constant_weights_copied_in():  # a default initializer, but set_weights put ones everywhere
    import keras
    import numpy as np
    from keras import layers

    model = keras.Sequential([keras.Input((10,)), layers.Dense(8, "relu", name="hidden_ones"), layers.Dense(2)])
    model.get_layer("hidden_ones").set_weights([np.ones((10, 8), "float32"), np.zeros(8, "float32")])
    return model


class ConstantInitializer(Rule):
    """A hidden Conv/Dense layer holds a constant kernel (zeros, ones, one value everywhere).

    ## What it does
    Reads the weights the model holds (kernels, depthwise and pointwise ones too), not the initializer's
    name: a trainable hidden Conv/Dense layer whose kernel values are all equal is reported, with the
    initializer named when the config has one. Weights copied in with `set_weights` count as what they are.
    Deliberate designs are not reported: a zero-initialized output layer; a layer whose units each keep their
    own channel into an elementwise merge (FCN's zero-initialized score layers fused by Add, a zero-init
    residual branch); a layer whose bias differs per unit (PointNet's transform head: zero kernel, identity
    bias); and layers inside a pretrained or frozen backbone.

    ## Why is this bad?
    Every unit computes the same thing from the same weights and gets the same gradient: the layer acts
    like one unit. A zeros kernel followed by ReLU passes no gradient at all: the layer never learns.

    ## Example
    ```python
    layers.Conv2D(32, 3, activation="relu", kernel_initializer="zeros")
    ```

    ## Fix
    Drop the argument to get the default (glorot_uniform), or use `he_normal` before ReLU; constant
    initializers belong on biases, not kernels.

    ## Source
    NeuraLint f004; TheDeepChecker.
    """

    code, name, severity = "CNN208", "constant-initializer", "error"
    needs = ("model",)
    options = {}

    examples = (zeros_conv, constant_dense_in_functional_model, ones_separable_pointwise, constant_weights_copied_in,
                zero_initialized_output_head, fcn_zero_score_layer_fused_by_add, transform_head_with_identity_bias,
                zeros_initializer_overwritten_by_set_weights)

    def check(self, facts):
        model = facts.model
        for lay in model.leaves:
            if lay.class_name not in CONV_DENSE or not lay.kernel_constant or not lay.trainable_params:
                continue
            if model.foreign(lay.path) or lay.bias_varies:
                continue  # a backbone's weights; or each unit starts apart (a transform head's identity bias)
            if model.graph_known and (model.path_to_output(lay.path) is not None or model.merges_per_channel(lay.path)):
                continue  # an output layer, or units that each keep their own channel into a merge
            if not model.graph_known and lay.path in model.output_layers:
                continue
            inits = _constant_inits(lay) or ["constant"]
            width = lay.units or lay.filters
            units = f"all {width} {'units' if lay.units else 'filters'}" if width else "every unit"
            yield self.finding(
                f"hidden {lay.class_name} {lay.path} holds a {' and '.join(inits)} kernel (every value equal): "
                f"{units} start identical and compute the same feature",
                layer=lay.path,
                fix=f"remove the constant kernel initializer from {lay.path} (default glorot_uniform, or "
                    f"'he_normal' before ReLU), or load real weights; keep constants for biases")
