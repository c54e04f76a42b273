from cnnlint.rule import Rule, bad, good

WEIGHTING = {"Multiply", "Dot", "Matmul", "Einsum"}  # a softmax feeding these is attention / gating weights, on purpose


def _seq(*stack):
    import keras

    return keras.Sequential([keras.Input((8, 8, 3)), *stack])


@bad(layer="hidden")
def softmax_dense_in_the_middle():
    from keras import layers

    return _seq(layers.Flatten(), layers.Dense(16, activation="softmax", name="hidden"), layers.Dense(3))


@bad(layer="probs")
def softmax_layer_then_dense():
    from keras import layers

    return _seq(layers.Conv2D(4, 3, activation="relu"), layers.GlobalAveragePooling2D(), layers.Dense(5),
                layers.Softmax(name="probs"), layers.Dense(5, activation="softmax"))


@bad(layer="classifier")
def softmax_applied_twice():
    from keras import layers

    return _seq(layers.Flatten(), layers.Dense(3, activation="softmax", name="classifier"),
                layers.Activation("softmax"))


@good
def softmax_on_outputs_and_attention():
    import keras
    from keras import layers

    inp = keras.Input((16, 4))
    h = layers.Conv1D(8, 3, padding="same", activation="relu")(inp)
    weights = layers.Softmax(axis=1)(layers.Dense(1)(h))  # attention pooling over time
    pooled = layers.GlobalAveragePooling1D()(layers.Multiply()([h, weights]))
    cls = layers.Activation("softmax", name="cls")(layers.Dense(3)(pooled))
    aux = layers.Dropout(0.1)(layers.Dense(2, activation="softmax", name="aux")(pooled))
    return keras.Model(inp, [cls, aux])


class SoftmaxInHiddenLayer(Rule):
    """A softmax activation on a layer that is not a model output.

    ## What it does
    Finds layers with a softmax activation (`activation="softmax"`, `Softmax()`, `Activation("softmax")`)
    that are not a model output, looking through Dropout, Flatten, Reshape and activation layers toward
    the output; a second softmax on that way is reported too. A softmax that feeds a Multiply or Dot is
    taken for attention or gating weights and left alone.

    ## Why is this bad?
    Softmax squashes a layer's features into one probability vector that sums to 1: the features
    compete, saturate and pass tiny gradients, and the layers after must undo the normalization. It
    usually means a classifier (often a pretrained model with its top) was stacked under more layers.

    ## Example
    ```python
    layers.Dense(64, activation="softmax"), layers.Dense(10, activation="softmax")
    ```

    ## Fix
    Use relu (or no activation) on hidden layers and keep softmax only on the output; load a
    pretrained backbone with `include_top=False`.

    ## Source
    NeuraLint; UMLAUT.
    """

    code, name, severity = "CNN209", "softmax-in-hidden-layer", "warning"
    needs = ("model",)
    options = {}

    examples = (softmax_dense_in_the_middle, softmax_layer_then_dense, softmax_applied_twice,
                softmax_on_outputs_and_attention)

    def check(self, facts):
        model = facts.model
        if not model.graph_known:
            return
        for lay in model.leaves:
            if lay.activation != "softmax":
                continue
            chain = model.path_to_output(lay.path)
            if chain is not None:
                again = next((c for c in chain if c.activation == "softmax"), None)
                if again is not None:
                    yield self.finding(
                        f"{lay.path} applies softmax and {again.path} applies it again before the output: "
                        f"the second softmax flattens the probabilities toward uniform",
                        layer=lay.path, fix=f"remove one of the two softmax activations ({lay.path} or "
                                            f"{again.path})")
                continue
            after = model.readers(lay.path)
            if any(c.class_name in WEIGHTING for c in after):
                continue
            readers = ", ".join(f"{c.class_name} {c.path}" for c in after) or "no layer"
            width = lay.output_shape[-1] if isinstance(lay.output_shape, tuple) and lay.output_shape else "?"
            yield self.finding(
                f"{lay.class_name} {lay.path} applies softmax over {width} features but is not a model output "
                f"(it feeds {readers}): the features are squashed into probabilities the next layers must undo",
                layer=lay.path,
                fix=f"use activation='relu' (or none) on {lay.path} and keep softmax on the output layer only; "
                    f"for a pretrained classifier used as a backbone, load it with include_top=False")
