from cnnlint.facts.compile import BINARY_CE
from cnnlint.facts.task import REGRESSION
from cnnlint.rule import Rule, bad, good

AMBIGUOUS = {"accuracy", "acc"}


def _model(head, loss, metrics, units=10):
    import keras
    from keras import layers

    model = keras.Sequential([
        keras.Input((16, 16, 3)), layers.Conv2D(8, 3, activation="relu", name="conv"),
        layers.GlobalAveragePooling2D(name="gap"), layers.Dense(units, activation=head, name="head")])
    model.compile(optimizer="adam", loss=loss, metrics=metrics)
    return model


@bad(layer="head")
def accuracy_with_bce_on_softmax():
    return _model("softmax", "binary_crossentropy", ["accuracy"])


@bad(layer="head")
def acc_with_bce_on_multilabel_sigmoid():
    return _model("sigmoid", "binary_crossentropy", ["acc"])


@bad(layer="head")
def accuracy_on_a_regression():  # SO 48775305: 'accuracy' compares float predictions with float targets
    return _model(None, "mse", ["accuracy"], units=1)


@good
def mae_metric_on_a_regression():
    return _model(None, "mse", ["mae"], units=1)


@good
def accuracy_with_categorical_ce():
    return _model("softmax", "categorical_crossentropy", ["accuracy"])


@good
def accuracy_with_bce_on_one_unit():
    return _model("sigmoid", "binary_crossentropy", ["accuracy"], units=1)


@good
def explicit_binary_accuracy_for_multilabel():
    import keras

    return _model("sigmoid", "binary_crossentropy", [keras.metrics.BinaryAccuracy(), keras.metrics.AUC()])


class MisleadingAccuracyMetric(Rule):
    """metrics=['accuracy'] with binary_crossentropy on a more-than-2-unit output measures the wrong thing.

    ## What it does
    Flags the string metric `'accuracy'` (or `'acc'`) compiled with binary cross-entropy on an output
    with more than 2 units. Keras resolves the string from shapes, not from the loss: Keras 3 picks
    CategoricalAccuracy (argmax match) for such an output, Keras 2 / tf_keras pick BinaryAccuracy.
    Also flags `'accuracy'` with a regression loss (MSE, MAE, Huber, log-cosh, ...): a classification
    accuracy on continuous targets.

    ## Why is this bad?
    Neither reading is what the run optimizes. BinaryAccuracy averages over every unit: predicting
    "no" everywhere scores 90% on 10 classes, so the number looks high and means nothing.
    CategoricalAccuracy compares the top unit with the first positive label, which is meaningless for
    multi-label targets, and a single-label problem should not use binary cross-entropy at all.

    ## Example
    ```python
    model.add(keras.layers.Dense(10, activation="softmax"))
    model.compile(loss="binary_crossentropy", metrics=["accuracy"])
    ```

    ## Fix
    One label per sample: use categorical_crossentropy (or sparse_categorical_crossentropy) and keep
    'accuracy', which then means CategoricalAccuracy. Several labels per sample: name the metric,
    e.g. `keras.metrics.BinaryAccuracy(threshold=0.5)`, `keras.metrics.AUC(multi_label=True)`.

    ## Source
    Classic StackOverflow bug; Keras `compile_utils.get_metric` resolves 'accuracy' by shape.
    """

    code, name, severity = "CNN306", "misleading-accuracy-metric", "warning"
    needs = ("model", "compile")
    options = {}

    examples = (accuracy_with_bce_on_softmax, acc_with_bce_on_multilabel_sigmoid, accuracy_on_a_regression,
                accuracy_with_categorical_ce, accuracy_with_bce_on_one_unit, explicit_binary_accuracy_for_multilabel,
                mae_metric_on_a_regression)

    def check(self, facts):
        model, comp = facts.model, facts.compile
        metric = next((m for m in comp.metrics if str(m).lower() in AMBIGUOUS), None)
        if not comp.compiled or metric is None:
            return
        for i, loss in enumerate(comp.losses[:len(model.output_shapes)]):
            units = model.output_units(i)
            if loss.name in REGRESSION:
                path = model.output_activation(i)[1] if i < len(model.output_layers) else None
                yield self.finding(f"metrics=['{metric}'] with the regression loss {loss.name} on {path}: Keras "
                                   f"resolves '{metric}' to a classification accuracy (thresholded or exact-match "
                                   f"hits), which on continuous targets means nothing however well the model fits", layer=path,
                                   fix="use a regression metric: 'mae', 'mse' or keras.metrics.RootMeanSquaredError()")
                continue
            if loss.name not in BINARY_CE or not units or units <= 2:
                continue
            act, path = model.output_activation(i) if i < len(model.output_layers) else ("linear", None)
            if act == "softmax":
                fix = ("one label per sample (softmax): use categorical_crossentropy (one-hot labels) or "
                       "sparse_categorical_crossentropy (integer labels) and keep 'accuracy'")
            else:
                fix = (f"several labels per sample: replace '{metric}' with keras.metrics.BinaryAccuracy"
                       f"(threshold=0.5) and keras.metrics.AUC(multi_label=True)")
            yield self.finding(f"metrics=['{metric}'] with {loss.name} on the {units}-unit output {path}: Keras "
                               f"resolves '{metric}' by shape (Keras 3: CategoricalAccuracy, argmax match; "
                               f"Keras 2/tf_keras: BinaryAccuracy over all {units} units, "
                               f"{(units - 1) / units:.0%} for predicting all zeros): neither measures what "
                               f"the loss optimizes", layer=path, fix=fix)
