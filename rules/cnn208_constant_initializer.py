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
            cfg = value.get("config") if isinstance(value, dict) else None
            name = f"{cls}({cfg['value']})" if cls == "Constant" and cfg and "value" in cfg else cls
            found.append(name if key == "kernel_initializer" else f"{name} {key.split('_')[0]}")
    if not found and lay.kernel_initializer in CONSTANT:
        found.append(lay.kernel_initializer)
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


class ConstantInitializer(Rule):
    """A hidden Conv/Dense layer starts from a constant kernel (Zeros, Ones or Constant).

    ## What it does
    Reads the kernel initializer (depthwise and pointwise ones too) of every Conv/Dense layer that is
    not a model output (looking through Dropout/activation layers toward the output) and reports
    `Zeros`, `Ones` or `Constant`. A zero-initialized output layer is a known, harmless choice and
    is not reported.

    ## Why is this bad?
    With a constant kernel every unit of the layer computes the same thing and starts with the same
    weights: symmetry is broken, if at all, only by the layers around it, and the layer behaves like
    far fewer units. A Zeros kernel followed by ReLU passes no gradient at all: the layer never learns.

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

    examples = (zeros_conv, constant_dense_in_functional_model, ones_separable_pointwise,
                zero_initialized_output_head)

    def check(self, facts):
        model = facts.model
        for lay in model.leaves:
            if lay.class_name not in CONV_DENSE:
                continue
            inits = _constant_inits(lay)
            if not inits:
                continue
            if model.graph_known and model.path_to_output(lay.path) is not None:
                continue  # an output layer: zero init is fine there
            if not model.graph_known and lay.path in model.output_layers:
                continue
            width = lay.units or lay.filters
            units = f"all {width} {'units' if lay.units else 'filters'}" if width else "every unit"
            yield self.finding(
                f"hidden {lay.class_name} {lay.path} starts from a {' and '.join(inits)} kernel: {units} start "
                f"identical and compute the same feature",
                layer=lay.path,
                fix=f"remove the constant kernel initializer from {lay.path} (default glorot_uniform, or "
                    f"'he_normal' before ReLU); keep constants for biases")
