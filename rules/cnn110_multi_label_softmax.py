from cnnlint.rule import Rule, bad, good

# categorical CE losses that normalize over the classes (sparse CE cannot even take multi-hot rows)
SOFTMAX_LOSSES = {"categorical_crossentropy", "categorical_focal_crossentropy", "sparse_categorical_crossentropy"}


def _tagger(activation, loss, labels="multi-hot"):
    import keras
    import numpy as np
    from keras import layers

    model = keras.Sequential([keras.Input((16, 16, 3)), layers.Conv2D(8, 3, activation="relu"),
                              layers.GlobalAveragePooling2D(), layers.Dense(5, activation=activation, name="tags")])
    model.compile(optimizer="adam", loss=loss)
    rng = np.random.default_rng(0)
    if labels == "multi-hot":  # 1-3 tags per image
        y = (rng.random((32, 5)) < 0.4).astype("float32")
        y[np.arange(32), rng.integers(0, 5, 32)] = 1
    else:
        y = np.eye(5, dtype="float32")[rng.integers(0, 5, 32)]
    return {"model": model, "x": rng.random((32, 16, 16, 3), dtype="float32"), "y": y}


@bad(layer="tags")
def softmax_with_categorical_ce_on_multi_hot():  # SO 44164749
    return _tagger("softmax", "categorical_crossentropy")


@bad(layer="tags")
def softmax_with_binary_ce_on_multi_hot():  # the loss is right, the softmax still makes tags compete
    return _tagger("softmax", "binary_crossentropy")


@bad(layer="tags")
def logits_with_categorical_ce_from_logits():  # the softmax hides in the loss
    import keras
    return _tagger(None, keras.losses.CategoricalCrossentropy(from_logits=True))


@good
def sigmoid_with_binary_ce_on_multi_hot():
    return _tagger("sigmoid", "binary_crossentropy")


@good
def softmax_on_one_hot_labels():
    return _tagger("softmax", "categorical_crossentropy", labels="one-hot")


class MultiLabelSoftmax(Rule):
    """Multi-hot labels (several classes per sample) trained through a softmax.

    ## What it does
    For each model output, reads its label rows: when they are multi-hot (0/1 values, some row holding
    several 1s) and the output activation is softmax (looking back through Dropout/Flatten/Reshape) or the
    loss is a categorical cross-entropy (which applies a softmax itself with `from_logits=True`), it reports
    the output layer with the number of labels per sample.

    ## Why is this bad?
    Softmax makes the classes compete: the outputs sum to 1, so an image with three true tags can give each
    at most ~1/3, and raising one tag lowers the others. Categorical cross-entropy on a multi-hot row is a
    sum over the true classes of a normalized score: the model learns to split its probability, never to say
    "yes" to each tag. Thresholding at 0.5 then finds at most one tag.

    ## Example
    ```python
    model.add(Dense(n_tags, activation="softmax"))
    model.compile(loss="categorical_crossentropy")
    model.fit(images, tags)  # tags: multi-hot rows such as [1, 0, 1, 1, 0]
    ```

    ## Fix
    One independent sigmoid per class and binary cross-entropy:
    `Dense(n_tags, activation="sigmoid")` with `loss="binary_crossentropy"` (or a linear output with
    `BinaryCrossentropy(from_logits=True)`); threshold each class separately at prediction.

    ## Source
    SO 44164749 (canonical); keras-team/keras#741, #761.
    """

    code, name, severity = "CNN110", "multi-label-softmax", "error"
    needs = ("model", "batch")
    options = {}

    examples = (softmax_with_categorical_ce_on_multi_hot, softmax_with_binary_ce_on_multi_hot,
                logits_with_categorical_ce_from_logits, sigmoid_with_binary_ce_on_multi_hot,
                softmax_on_one_hot_labels)

    def check(self, facts):
        model = facts.model
        compiled = facts.compile is not None and facts.compile.compiled
        losses = facts.compile.losses if compiled else ()
        for i, y in enumerate(facts.batch.labels[:len(model.output_layers)]):
            if not y.multi_hot:
                continue
            loss = losses[i] if i < len(losses) else None
            activation, path = model.output_activation(i)
            softmax_loss = loss is not None and loss.name in SOFTMAX_LOSSES
            if activation != "softmax" and not softmax_loss:
                continue
            classes = y.shape[-1]
            per_row = f"{y.mean * classes:.2f}" if y.mean is not None else "several"
            cause = " and ".join(
                ([f"a softmax output ({path})"] if activation == "softmax" else [])
                + ([f"{loss.name}" + (" (from_logits: a softmax inside the loss)" if loss.from_logits else "")]
                   if softmax_loss else []))
            yield self.finding(
                f"labels for output {path} are multi-hot ({per_row} of {classes} classes per sample on average) but "
                f"the model trains through {cause}: softmax makes the classes compete, so a sample can hold only "
                f"one of them",
                layer=path,
                fix=f"give {path} activation='sigmoid' (one independent probability per class) and compile with "
                    f"loss='binary_crossentropy' (or a linear output with BinaryCrossentropy(from_logits=True))")
