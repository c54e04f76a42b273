from cnnlint.facts.model import DROPOUTS, PASS_THROUGH
from cnnlint.rule import Rule, bad, good


def _penalties(lay) -> list[tuple[str, float]]:
    """("kernel L2", factor) for every L1/L2 factor of the layer, ActivityRegularization layers included."""
    regs = dict(lay.regularizers)
    if lay.class_name == "ActivityRegularization":
        regs["activity"] = {"l1": lay.config.get("l1", 0.0), "l2": lay.config.get("l2", 0.0)}
    return [(f"{kind} {norm.upper()}", float(reg.get(norm) or 0.0))
            for kind, reg in regs.items() for norm in ("l1", "l2")]


def _seq(*stack, shape=(8, 8, 3)):
    import keras
    return keras.Sequential([keras.Input(shape), *stack])


@bad(layer="drop")
def dropout_0_7():  # seed 003: "excessively strong regularization"
    from keras import layers
    return _seq(layers.Flatten(), layers.Dense(32, activation="relu"), layers.Dropout(0.7, name="drop"),
                layers.Dense(10, activation="softmax"))


@bad(layer="drop_c")
def stacked_dropouts():
    from keras import layers
    return _seq(layers.Conv2D(8, 3, activation="relu"), layers.SpatialDropout2D(0.5), layers.Flatten(),
                layers.Dropout(0.5), layers.Dropout(0.3, name="drop_c"), layers.Dense(10, activation="softmax"))


@bad(layer="dense")
def l2_of_0_1():
    import keras
    from keras import layers
    return _seq(layers.Flatten(), layers.Dense(32, activation="relu", name="dense",
                                               kernel_regularizer=keras.regularizers.L2(0.1)),
                layers.Dense(10, activation="softmax"))


@good
def seed002_fixed_dropouts_and_small_l2():
    import keras
    from keras import layers
    l2 = keras.regularizers.L2(1e-4)
    return _seq(layers.Conv2D(8, 3, activation="relu", kernel_regularizer=l2), layers.Flatten(), layers.Dropout(0.5),
                layers.Dense(32, activation="relu", kernel_regularizer=l2), layers.Dropout(0.3),
                layers.Dense(10, activation="softmax"))


class ExcessiveRegularization(Rule):
    """Regularization so strong that the model cannot fit even the training data.

    ## What it does
    Flags a dropout rate above `max_dropout` (0.5); dropout layers stacked with only pass-through
    layers between them (Flatten, Reshape, noise) that together keep fewer than `min_keep` (25%) of
    the activations (the product of `1 - rate`); and any L1/L2 factor above `max_l` (0.01) in a
    kernel, bias or activity regularizer or an ActivityRegularization layer.

    ## Why is this bad?
    Dropping most activations, or a weight penalty that outweighs the data loss, keeps the network
    from fitting anything: training and validation accuracy both stay low (underfitting).

    ## Example
    ```python
    Dense(128, activation="relu", kernel_regularizer=keras.regularizers.L2(0.1)), Dropout(0.7)
    ```

    ## Fix
    Use dropout rates of 0.2-0.5 (one dropout layer per place), and L2 factors of 1e-5 to 1e-3.

    ## Source
    Seed 003 ("excessively strong regularization"), UMLAUT.
    """

    code, name, severity = "CNN205", "excessive-regularization", "warning"
    needs, options = ("model",), {"max_dropout": 0.5, "min_keep": 0.25, "max_l": 0.01}
    examples = (dropout_0_7, stacked_dropouts, l2_of_0_1, seed002_fixed_dropouts_and_small_l2)

    def check(self, facts):
        model, opts = facts.model, self.opts
        stacks = {}  # path -> paths of the dropout layers stacked up to this layer's output
        for lay in model.leaves:
            before = stacks.get(lay.inbound[0], ()) if len(lay.inbound) == 1 else ()
            if lay.class_name in DROPOUTS and lay.rate is not None:
                stacks[lay.path] = before + (lay.path,)
            elif lay.class_name in PASS_THROUGH:
                stacks[lay.path] = before
        ends = {s for path, s in stacks.items() if s and s[-1] == path}
        in_stack = set()
        for stack in sorted(ends, key=lambda s: model.layer(s[-1]).index):
            keep = 1.0
            for path in stack:
                keep *= 1.0 - model.layer(path).rate
            longer = any(len(o) > len(stack) and o[:len(stack)] == stack for o in ends)
            if len(stack) > 1 and keep < opts["min_keep"] and not longer:
                in_stack |= set(stack)
                rates = " -> ".join(f"{path} ({model.layer(path).rate:g})" for path in stack)
                yield self.finding(f"stacked dropouts {rates} keep only {keep:.0%} of the activations "
                                   f"(under {opts['min_keep']:.0%})", layer=stack[-1],
                                   fix="keep one dropout layer here, with a rate of 0.2-0.5")
        for lay in model.leaves:
            if lay.class_name in DROPOUTS and (lay.rate or 0) > opts["max_dropout"] and lay.path not in in_stack:
                yield self.finding(f"dropout rate {lay.rate:g} at {lay.path} (over {opts['max_dropout']:g}) drops "
                                   f"most activations: the model will underfit", layer=lay.path,
                                   fix="use a dropout rate of 0.2-0.5")
            strong = [(what, f) for what, f in _penalties(lay) if f > opts["max_l"]]
            if strong:
                what = ", ".join(f"{w} {f:g}" for w, f in strong)
                yield self.finding(f"{what} at {lay.path} (over {opts['max_l']:g}): the weight penalty outweighs "
                                   f"the data loss and the model will underfit", layer=lay.path,
                                   fix="use an L2 factor of 1e-5 to 1e-3 (L1: 1e-6 to 1e-4)")
