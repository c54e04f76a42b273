from cnnlint.rule import Rule, bad, good

BATCH_NORMS = {"BatchNormalization", "SyncBatchNormalization"}


def _model(batchnorm=False):
    import keras
    from keras import layers

    model = keras.Sequential([
        keras.Input((16, 16, 3)), layers.Conv2D(8, 3, name="conv"),
        *([layers.BatchNormalization(name="bn")] if batchnorm else []), layers.Activation("relu", name="relu"),
        layers.GlobalAveragePooling2D(name="gap"), layers.Dense(10, activation="softmax", name="head")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


@bad()
def batch_larger_than_data():
    return {"model": _model(), "batch_size": 128, "samples": 64}


@bad()
def default_batch_larger_than_split_data():
    return {"model": _model(), "samples": 36, "validation_split": 0.2}


@bad(layer="bn")
def tiny_batch_with_batchnorm():
    return {"model": _model(batchnorm=True), "batch_size": 4}


@good
def batch_fits_data():
    return {"model": _model(batchnorm=True), "batch_size": 32, "samples": 64}


@good
def tiny_batch_without_batchnorm():
    return {"model": _model(), "batch_size": 4, "samples": 64}


@good
def nothing_known():
    return _model(batchnorm=True)


class BatchSizeVsData(Rule):
    """The batch size doesn't fit the data or the model.

    ## What it does
    Compares the planned `batch_size` with the training samples (after `validation_split`) and with
    the model: a batch size that is not positive (error), larger than the training set, or below 8
    with BatchNormalization in the model.

    ## Why is this bad?
    A batch larger than the data silently becomes one batch of everything: one update per epoch, and
    the batch size you tuned is never used. BatchNormalization estimates its statistics from the
    batch: with a handful of samples they are noise, and the moving averages it keeps for inference
    don't match what the layer saw in training. (A batch size <= 0 is a usage error before any rule runs.)

    ## Example
    ```python
    model.fit(x_train, y_train, batch_size=4)  # model has BatchNormalization layers
    ```

    ## Fix
    Use a batch size between 8 and the number of training samples (32 is the Keras default); if memory
    forces tiny batches, replace BatchNormalization with GroupNormalization or LayerNormalization.

    ## Source
    Seed 000; Humbatova 2025 (no tool detects batch-size faults).
    """

    code, name, severity = "CNN305", "batch-size-vs-data", "warning"
    needs = ("plan",)
    options = {"min_bn_batch": 8}

    examples = (batch_larger_than_data, default_batch_larger_than_split_data, tiny_batch_with_batchnorm,
                batch_fits_data, tiny_batch_without_batchnorm, nothing_known)

    def check(self, facts):
        plan, train = facts.plan, facts.plan.train_samples
        if not plan.batch_size_given and train is None:
            return
        size = plan.batch_size
        said = f"batch_size={size}" + ("" if plan.batch_size_given else " (the Keras default)")
        if train is not None and 0 < train < size:
            split = f" ({plan.samples} minus validation_split={plan.validation_split:g})" \
                if plan.validation_split else ""
            yield self.finding(f"{said} exceeds the {train} training samples{split}: every epoch is one batch of "
                               f"{train}, a single update, and the batch size you set is never used",
                               fix=f"use a batch_size of at most {train} (e.g. {_pow2_below(max(1, train - 1))}), or "
                                   f"train on more data")
        norms = [lay for lay in facts.model.layers if lay.class_name in BATCH_NORMS] if facts.model else []
        if norms and size < self.opts["min_bn_batch"]:
            yield self.finding(f"{said} is below {self.opts['min_bn_batch']} with {len(norms)} "
                               f"BatchNormalization layer(s), first {norms[0].path}: batch statistics of "
                               f"{size} samples are noise and the moving averages won't match training",
                               layer=norms[0].path,
                               fix=f"use batch_size >= {self.opts['min_bn_batch']} (32 if memory allows), or "
                                   f"replace BatchNormalization with GroupNormalization/LayerNormalization")


def _pow2_below(n: int) -> int:
    return 1 << (max(1, n).bit_length() - 1)
