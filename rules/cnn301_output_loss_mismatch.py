from cnnlint.facts.compile import BINARY_CE, CATEGORICAL_CE
from cnnlint.rule import Rule, bad, good

REGRESSION = {"mean_squared_error", "mean_absolute_error"}
NOT_PROBABILITIES = {"linear", "relu"}
ONE_LABEL = "use sparse_categorical_crossentropy (integer labels) or categorical_crossentropy (one-hot labels)"
PAIRING = f"use Dense(1, activation='sigmoid') with binary_crossentropy, or Dense(N, softmax) and {ONE_LABEL[4:]}"


def _model(head, loss, units=10, **loss_args):
    import keras

    model = keras.Sequential([
        keras.Input((16, 16, 3)), keras.layers.Conv2D(8, 3, activation="relu", name="conv"),
        keras.layers.GlobalAveragePooling2D(name="gap"), keras.layers.Dense(units, activation=head, name="head")])
    model.compile(optimizer="adam", loss=getattr(keras.losses, loss)(**loss_args) if loss_args else loss)
    return model


@bad(layer="head")
def softmax_on_one_unit():
    return _model("softmax", "binary_crossentropy", units=1)


@bad(layer="head")
def double_softmax():
    return _model("softmax", "SparseCategoricalCrossentropy", from_logits=True)


@bad(layer="head")
def double_sigmoid():
    return _model("sigmoid", "BinaryCrossentropy", units=1, from_logits=True)


@bad(layer="head")
def logits_scored_as_probabilities():
    return _model(None, "sparse_categorical_crossentropy")


@bad(layer="head")
def binary_ce_on_softmax():
    return _model("softmax", "binary_crossentropy")


@bad(layer="head")
def categorical_ce_on_sigmoid():
    return _model("sigmoid", "categorical_crossentropy")


@bad(layer="head")
def mse_on_softmax():
    return _model("softmax", "mse")


@good
def softmax_with_sparse_ce():
    return _model("softmax", "sparse_categorical_crossentropy")


@good
def logits_with_from_logits():
    return _model(None, "SparseCategoricalCrossentropy", from_logits=True)


@good
def binary_ce_on_two_unit_softmax():
    return _model("softmax", "binary_crossentropy", units=2)


@good
def linear_regression_head():
    return _model(None, "mse", units=1)


class OutputLossMismatch(Rule):
    """The output layer's activation and the loss don't pair.

    ## What it does
    For each output, reads the activation from the layer config (never from names), the units and the
    loss. Errors: softmax over 1 unit; softmax/sigmoid with `from_logits=True` (applied twice); a
    linear/relu output with a cross-entropy expecting probabilities (`from_logits=False`); binary CE on
    a softmax over > 2 units. Warnings: categorical CE on sigmoid units; MSE/MAE on a softmax.

    ## Why is this bad?
    Keras trains every one of these pairings without a word, but the loss is not the objective you
    meant: it is constant, its gradients vanish, or it scores classes as independent.

    ## Example
    ```python
    model.add(keras.layers.Dense(10, activation="softmax"))
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    ```

    ## Fix
    Pair them: sigmoid on 1 unit with binary_crossentropy; softmax on N units with (sparse_)
    categorical_crossentropy; or a linear output with the same loss and `from_logits=True`.

    ## Source
    SO 31880720, 47352366, 38648195; UMLAUT's name-based check was wrong on most programs.
    """

    code, name, severity = "CNN301", "output-loss-mismatch", "error"
    needs, options = ("model", "compile"), {}

    examples = (softmax_on_one_unit, double_softmax, double_sigmoid, logits_scored_as_probabilities,
                binary_ce_on_softmax, categorical_ce_on_sigmoid, mse_on_softmax, softmax_with_sparse_ce,
                logits_with_from_logits, binary_ce_on_two_unit_softmax, linear_regression_head)

    def check(self, facts):
        model, losses, labels = facts.model, facts.compile.losses, facts.batch.labels if facts.batch else ()
        if not facts.compile.compiled or not model.graph_known:
            return
        if facts.model.custom_train_step:
            return  # its own train_step decides what the loss reads; the compiled one may be a placeholder
        for i, loss in enumerate(losses[:len(model.output_layers)]):
            act, path = model.output_activation(i)
            yield from self._judge(act, path, model.output_units(i), loss, labels[i] if i < len(labels) else None)

    def _judge(self, act, path, units, loss, labels):
        name, cls = loss.name, "".join(w.capitalize() for w in loss.name.split("_"))
        on, at = f"{act} output {path} ({units} unit{'' if units == 1 else 's'})", {"layer": path}
        if act == "softmax" and units == 1:
            yield self.finding(f"softmax over 1 unit at {path} always outputs 1.0: {name} is constant and nothing "
                               f"trains", fix=PAIRING, **at)
            return
        if act in ("softmax", "sigmoid") and loss.from_logits and loss.is_cross_entropy:
            yield self.finding(f"{name} has from_logits=True but the {on} already applies {act}: the loss applies "
                               f"it a second time (double {act}) and the gradients shrink", **at,
                               fix=f"remove activation='{act}' from {path}, or build the loss with from_logits=False")
        if act in NOT_PROBABILITIES and loss.is_cross_entropy and not loss.from_logits:
            want = "sigmoid" if name in BINARY_CE else "softmax"
            yield self.finding(f"{name} expects probabilities (from_logits=False) but the {on} emits raw {act} "
                               f"values: Keras clips them into (0, 1) and the loss and gradients are wrong", **at,
                               fix=f"use keras.losses.{cls}(from_logits=True), or add activation='{want}' to {path}")
        if act == "softmax" and name in BINARY_CE and (units or 0) > 2:
            yield self.finding(f"{name} on the {on}: each unit is scored as an independent yes/no while softmax "
                               f"ties them to sum to 1", **at, fix=f"one label per sample: {ONE_LABEL}; several "
                                                                  f"labels per sample: activation='sigmoid' on {path}")
        if act == "sigmoid" and name in CATEGORICAL_CE:
            one = units == 1
            yield self.finding(f"{name} on the {on}: " + (
                "over a single unit the categorical loss is constant (or the labels index past it)" if one else
                "the sigmoids don't sum to 1, so the loss renormalizes them and scores the wrong distribution"),
                **at, severity="error" if one else "warning", fix=PAIRING if one else (
                    f"one label per sample: activation='softmax' on {path}; several: keep sigmoid with "
                    f"binary_crossentropy and multi-hot labels"))
        soft_targets = labels is not None and labels.n and not (labels.one_hot or labels.integer_valued)
        if act == "softmax" and name in REGRESSION and not soft_targets:
            yield self.finding(f"{name} on the {on} with class labels: squared/absolute error on probabilities "
                               f"gives weak gradients when the model is confidently wrong", **at,
                               severity="warning", fix=ONE_LABEL)
