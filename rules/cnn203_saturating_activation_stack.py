from cnnlint.facts.model import ACTIVATION_LAYERS, CONV_DENSE, NORMALIZATION, PASS_THROUGH
from cnnlint.rule import Rule, bad, good

SATURATING = {"sigmoid", "tanh", "hard_sigmoid", "hard_tanh", "softsign"}
ACTIVATIONS = {"Activation", *ACTIVATION_LAYERS}


def _activation(model, lay) -> str:
    """The activation applied to the layer's output: its own, or that of the Activation layer it feeds
    through dropout/flatten-like layers."""
    while lay.activation in (None, "linear") and lay.class_name not in ACTIVATIONS:
        nxt = model.readers(lay.path)
        if len(nxt) != 1 or lay.is_output or nxt[0].class_name not in PASS_THROUGH | ACTIVATIONS:
            return "linear"
        lay = nxt[0]
    return lay.activation


def _seq(*stack, shape=(8, 8, 1)):
    import keras
    return keras.Sequential([keras.Input(shape), *stack])


@bad(layer="d4")
def sigmoid_mlp_head():  # seed 001: a deep sigmoid stack
    from keras.layers import Dense, Flatten
    return _seq(Flatten(), *[Dense(32, activation="sigmoid", name=f"d{i}") for i in range(1, 5)],
                Dense(10, activation="softmax"))


@bad(layer="c4")
def tanh_convs_across_nested_backbone():
    import keras
    from keras.layers import Activation, Conv2D, Dense, GlobalAveragePooling2D
    backbone = _seq(Conv2D(4, 3, activation="tanh"), Conv2D(4, 3), Activation("tanh"), shape=(12, 12, 1))
    inp = keras.Input((12, 12, 1))
    x = Conv2D(4, 3, name="c4")(Conv2D(4, 3, activation="tanh")(backbone(inp)))
    return keras.Model(inp, Dense(10, activation="softmax")(GlobalAveragePooling2D()(Activation("tanh")(x))))


@good
def three_hidden_tanh_and_sigmoid_output():
    from keras.layers import Dense, Flatten
    return _seq(Flatten(), *[Dense(16, activation="tanh") for _ in range(3)], Dense(1, activation="sigmoid"))


@good
def tanh_stack_broken_by_batchnorm_and_residual():
    import keras
    from keras import layers
    def tanh2(x):  # two tanh convs: six of them, but never 4 in a row
        for _ in range(2):
            x = layers.Conv2D(4, 3, padding="same", activation="tanh")(x)
        return x

    inp = keras.Input((8, 8, 1))
    x = layers.BatchNormalization()(tanh2(inp))
    x = tanh2(layers.Add()([x, tanh2(x)]))
    return keras.Model(inp, layers.Dense(2, activation="softmax")(layers.GlobalAveragePooling2D()(x)))


class SaturatingActivationStack(Rule):
    """Many sigmoid/tanh layers in a row, with nothing to keep their inputs out of saturation.

    ## What it does
    Counts consecutive trainable Conv/Dense layers whose activation (set on the layer or by the
    Activation layer right after it) is sigmoid or tanh, following the graph through nested models.
    A normalization layer or a skip connection (Add, Concatenate, Multiply, ...) resets the count; the
    output layer does not count. `min_run` (4) such layers in a row are flagged.

    ## Why is this bad?
    sigmoid/tanh saturate: their derivative is at most 0.25 (sigmoid) or 1 (tanh) and near zero once
    inputs grow, so the gradient shrinks with every layer and the first layers stop learning.

    ## Example
    ```python
    Flatten(), Dense(32, activation="sigmoid"), Dense(32, activation="sigmoid"),
    Dense(32, activation="sigmoid"), Dense(32, activation="sigmoid"), Dense(10, activation="softmax")
    ```

    ## Fix
    Use relu/gelu (with He initialization) in hidden layers, or put BatchNormalization between the
    sigmoid/tanh layers; keep sigmoid for the output.

    ## Source
    Seed 001 (sigmoid/tanh saturate), AUTOTRAINER models.
    """

    code, name, severity = "CNN203", "saturating-activation-stack", "warning"
    needs, options = ("model",), {"min_run": 4}
    examples = (sigmoid_mlp_head, tanh_convs_across_nested_backbone, three_hidden_tanh_and_sigmoid_output,
                tanh_stack_broken_by_batchnorm_and_residual)

    def check(self, facts):
        model, runs = facts.model, {}  # path -> the saturating trainable layers (path, activation) ending there
        for lay in model.layers:
            before = max((runs.get(p, ()) for p in lay.inbound), key=len, default=())
            act = lay.activation
            if lay.class_name in CONV_DENSE:
                act, hidden = _activation(model, lay), model.path_to_output(lay.path) is None
                runs[lay.path] = before + ((lay.path, act),) if act in SATURATING and hidden else ()
            elif lay.class_name in NORMALIZATION or lay.is_merge or lay.has_weights or (  # a skip connection resets
                    act not in SATURATING | {None, "linear"}):
                runs[lay.path] = ()
            else:
                runs[lay.path] = before
        ends = {run for path, run in runs.items() if run and run[-1][0] == path}
        for run in sorted(ends, key=lambda r: model.layer(r[-1][0]).index):
            if len(run) >= self.opts["min_run"] and not any(len(o) > len(run) and o[:len(run)] == run for o in ends):
                names = ", ".join(f"{path} ({act})" for path, act in run)
                yield self.finding(f"{len(run)} consecutive sigmoid/tanh layers with no normalization or skip "
                                   f"connection between them: {names}", layer=run[-1][0],
                                   fix="use relu/gelu in the hidden layers, or add BatchNormalization between them")
