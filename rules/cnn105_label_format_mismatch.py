from cnnlint.rule import Rule, bad, good

SPARSE = {"sparse_categorical_crossentropy"}
CATEGORICAL = {"categorical_crossentropy", "categorical_focal_crossentropy"}
BINARY = {"binary_crossentropy", "binary_focal_crossentropy"}
ELEMENTWISE = CATEGORICAL | BINARY | {  # built-in losses that compare labels and outputs element by element
    "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_logarithmic_error",
    "huber", "log_cosh", "kl_divergence", "poisson", "hinge", "squared_hinge", "categorical_hinge"}


def _case(loss, labels, units=10, activation="softmax"):
    """A tiny classifier compiled with `loss`; labels: "ids:K" (ids 0..K-1), "onehot:K", "pm1" (-1/+1)."""
    import keras
    import numpy as np

    lay = keras.layers
    model = keras.Sequential([keras.Input((8, 8, 1)), lay.Conv2D(4, 3, activation="relu"),
                              lay.GlobalAveragePooling2D(), lay.Dense(units, activation=activation, name="out")])
    model.compile(optimizer="adam", loss=loss)
    kind, k = (labels.split(":") + ["2"])[:2]
    rng = np.random.default_rng(0)
    ids = rng.integers(0, int(k), 32)
    y = {"ids": ids, "onehot": np.eye(int(k), dtype="float32")[ids], "pm1": 2 * ids - 1,
         "col": ids.reshape(-1, 1).astype("float32")}[kind]
    return {"model": model, "x": rng.random((32, 8, 8, 1), dtype="float32"), "y": y}


@bad(layer="out")
def one_hot_labels_with_sparse_loss():
    return _case("sparse_categorical_crossentropy", "onehot:10")


@bad(layer="out")
def integer_labels_with_categorical_loss():
    return _case("categorical_crossentropy", "ids:10")


@bad(layer="out")
def label_beyond_output_units():
    return _case("sparse_categorical_crossentropy", "ids:13")


@bad(layer="out")
def binary_loss_with_minus_one_labels():
    return _case("binary_crossentropy", "pm1", units=1, activation="sigmoid")


@bad(layer="out")
def one_hot_of_5_for_10_units():
    return _case("categorical_crossentropy", "onehot:5")


@good
def sparse_ids_within_units():
    return _case("sparse_categorical_crossentropy", "ids:10")


@good
def one_hot_with_categorical_loss():
    return _case("categorical_crossentropy", "onehot:10")


@good
def binary_zero_one_column():
    return _case("binary_crossentropy", "col:2", units=1, activation="sigmoid")


def _same(label_shape: tuple, out_shape: tuple) -> bool:
    return len(label_shape) == len(out_shape) and all(o is None or o == s for s, o in zip(label_shape, out_shape))


class LabelFormatMismatch(Rule):
    """The labels don't have the format the loss and the output layer expect.

    ## What it does
    Compares each output's labels with its loss and output layer: one-hot labels with
    `sparse_categorical_crossentropy`; integer class ids (shape `(N,)` or `(N, 1)`) with
    `categorical_crossentropy` (which wants one-hot rows); a class id `< 0` or `>=` the number of output
    units with a sparse cross-entropy; `binary_crossentropy` with labels outside [0, 1]; and a label shape
    that doesn't match the output shape (one-hot of 5 columns for a 10-unit output).

    ## Why is this bad?
    Classic first-epoch crashes ("Received a label value of 12 which is outside the valid range of [0, 10)"),
    or worse, silent broadcasting that trains on garbage: a `(N,)` target is compared with all 10 units.

    ## Example
    ```python
    model.compile(loss="categorical_crossentropy")  # output Dense(10, activation="softmax")
    model.fit(x, y)  # y = [3, 7, 0, ...]: integer ids, not one-hot
    ```

    ## Fix
    Use `sparse_categorical_crossentropy` for integer ids and `categorical_crossentropy` for one-hot rows
    (`keras.utils.to_categorical(y, num_classes)`); give the output one unit per class; map binary labels to 0/1.

    ## Source
    Classic StackOverflow crashes; seed 002 uses sparse labels.
    """

    code, name, severity = "CNN105", "label-format-mismatch", "error"
    needs = ("model", "compile", "batch")
    options = {}

    examples = (one_hot_labels_with_sparse_loss, integer_labels_with_categorical_loss, label_beyond_output_units,
                binary_loss_with_minus_one_labels, one_hot_of_5_for_10_units, sparse_ids_within_units,
                one_hot_with_categorical_loss, binary_zero_one_column)

    def check(self, facts):
        if not facts.compile.compiled or not facts.batch.labels:
            return
        if facts.model.custom_train_step:
            return  # its own train_step decides what the loss reads; the compiled one may be a placeholder
        model = facts.model
        for y, loss, layer, shape in zip(facts.batch.labels, facts.compile.losses, model.output_layers,
                                         model.output_shapes):
            found = self._judge(y, loss.name, shape)
            if found:
                yield self.finding(f"output {layer}: {found[0]}", layer=layer, fix=found[1])

    @staticmethod
    def _judge(y, loss, out_shape):
        if y.min is None or y.nonfinite or not out_shape:
            return None
        out, lab, span = tuple(out_shape[1:]), y.sample_shape, f"{y.min:g}..{y.max:g}"
        units = out[-1] if out else None
        if loss in SPARSE:
            if y.one_hot:
                return (f"one-hot labels of shape {y.shape} with {loss}, which wants integer class ids",
                        "use loss='categorical_crossentropy', or pass y.argmax(axis=-1)")
            if not y.integer_valued:
                return (f"labels {span} are not whole numbers, but {loss} wants integer class ids",
                        "pass integer class ids 0..C-1, or use a regression loss for continuous targets")
            if units and (y.min < 0 or y.max >= units):
                return (f"labels {span} but the output has {units} units, so {loss} accepts class ids "
                        f"0..{units - 1}", f"give the output layer one unit per class ({int(y.max) + 1} for "
                        f"ids 0..{int(y.max)}), or remap the labels to 0..{units - 1}")
            return None
        if loss in CATEGORICAL and y.integer_valued and lab in ((), (1,)) and units != 1:
            return (f"integer class labels {span} of shape {y.shape} with {loss}, which needs one-hot rows"
                    f" of {units} columns", f"use loss='sparse_categorical_crossentropy', or one-hot encode "
                    f"with keras.utils.to_categorical(y, {units})")
        if loss in BINARY and (y.min < 0 or y.max > 1):
            fix = ("map the labels to 0/1 (e.g. (y + 1) / 2 for -1/+1 labels)" if y.max <= 1 else
                   f"for {int(y.max) + 1} classes use a softmax output with sparse_categorical_crossentropy;"
                   f" for binary targets map the labels to 0/1")
            return f"labels {span} with {loss}, which needs labels in [0, 1]", fix
        if loss in ELEMENTWISE and not (_same(lab, out) or _same(lab + (1,), out)):
            what = "one-hot labels" if y.one_hot else "labels"
            hint = f" (one-hot, {units} classes)" if loss in CATEGORICAL else ""
            return (f"{what} of shape {y.shape} don't fit the output shape {tuple(out_shape)} with {loss}",
                    f"make the labels {(y.n, *out)}{hint} or change the output layer to {lab[-1] if lab else 1} units")
        return None
