from cnnlint.facts.model import CONV_DENSE
from cnnlint.rule import Rule, bad, good

# layers whose weights are statistics, never trained by fit: they can't be "unfrozen" into learning
STATISTICS_ONLY = {"Normalization"}


def _transfer_model(freeze="base"):
    import keras
    from keras import layers

    base = keras.Sequential([keras.Input((16, 16, 3)), layers.Conv2D(8, 3, activation="relu"),
                             layers.Conv2D(8, 3, activation="relu")], name="base")
    inp = keras.Input((16, 16, 3))
    out = layers.Dense(4, activation="softmax", name="head")(layers.GlobalAveragePooling2D()(base(inp)))
    model = keras.Model(inp, out)
    if freeze == "base":
        base.trainable = False
    elif freeze == "everything":
        for layer in model.layers:  # the classic slip: the loop freezes the new head too
            layer.trainable = False
    elif freeze == "model":
        model.trainable = False
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


@bad(layer="head")
def loop_froze_the_head_too():  # keras-team/keras#4471
    return _transfer_model("everything")


@bad(layer="head")
def whole_model_frozen():
    return _transfer_model("model")


@bad(layer="dense_out")
def sequential_with_every_layer_frozen():
    import keras
    from keras import layers

    model = keras.Sequential([keras.Input((8, 8, 1)), layers.Conv2D(4, 3, trainable=False),
                              layers.Flatten(), layers.Dense(3, trainable=False, name="dense_out")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    return model


@good
def frozen_base_trainable_head():
    return _transfer_model("base")


@good
def nothing_frozen():
    return _transfer_model(None)


class NothingTrainable(Rule):
    """The model has no trainable weights: every layer, head included, is frozen.

    ## What it does
    Reads the trainable parameter count of the whole model (nested models included): when it is 0 while the
    model holds weights, it reports the last layer with weights (usually the head) as the one to unfreeze. A
    model without any weights is reported only when it is compiled for training.

    ## Why is this bad?
    `fit` runs without complaint, prints a loss every epoch and changes nothing: the optimizer has no
    variables to update. It usually comes from freezing a backbone with a loop over `model.layers` (which
    reaches the new head too), or `model.trainable = False` instead of `base_model.trainable = False`.

    ## Example
    ```python
    for layer in model.layers:
        layer.trainable = False  # the new Dense head too
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    ```

    ## Fix
    Freeze only the pretrained base (`base_model.trainable = False`) and leave the head trainable, or set
    `trainable = True` on the layers that must learn; then compile again (`trainable` is read at compile).

    ## Source
    keras-team/keras#2506, #4471.
    """

    code, name, severity = "CNN213", "nothing-trainable", "error"
    needs = ("model",)
    options = {}

    examples = (loop_froze_the_head_too, whole_model_frozen, sequential_with_every_layer_frozen,
                frozen_base_trainable_head, nothing_frozen)

    def check(self, facts):
        model = facts.model
        if model.trainable_params > 0:
            return
        weighted = [lay for lay in model.leaves if lay.params > 0 and lay.class_name not in STATISTICS_ONLY]
        if not weighted:
            if facts.compile is not None and facts.compile.compiled:
                yield self.finding("the model is compiled for training but holds no trainable weights at all "
                                   "(no Conv/Dense or other layer with weights): fit has nothing to update",
                                   fix="add layers with weights (Conv2D, Dense) before fitting, or don't fit this "
                                       "model")
            return
        last = next((lay for lay in reversed(weighted) if lay.class_name in CONV_DENSE), weighted[-1])
        owner = next((lay for lay in model.nested() if last.path.startswith(lay.path + "/")), None)
        nested = [lay for lay in model.nested() if "/" not in lay.path]
        how = (f"set model.get_layer('{last.path}').trainable = True" if owner is None else
               f"set trainable = True on {owner.path} (or on its last layers, {last.name} first)")
        if nested and owner is None:
            how += f", keep only the base frozen ({nested[0].path}.trainable = False)"
        yield self.finding(
            f"no trainable weights: all {model.params:,} parameters are frozen, head included ({last.path}, "
            f"{last.params:,} params): fit runs and nothing learns",
            layer=last.path,
            fix=f"{how}, then compile again (trainable is read at compile time)")
