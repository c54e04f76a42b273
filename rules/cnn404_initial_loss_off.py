import math

from cnnlint.rule import Rule, bad, good


def _softmax(**dense):
    import keras
    import numpy as np
    from keras import layers

    keras.utils.set_random_seed(0)  # the initial weights too: examples must not depend on test order
    rng = np.random.default_rng(0)
    model = keras.Sequential([
        keras.Input((8, 8, 1)), layers.Conv2D(8, 3, activation="relu"), layers.Flatten(),
        layers.Dense(10, activation="softmax", **dense)])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return {"model": model, "x": rng.normal(size=(16, 8, 8, 1)).astype("float32"), "y": rng.integers(0, 10, 16)}


def _sigmoid(y, bias):
    import keras
    import numpy as np
    from keras import layers

    keras.utils.set_random_seed(0)  # the initial weights too: examples must not depend on test order
    rng = np.random.default_rng(0)
    model = keras.Sequential([
        keras.Input((8, 8, 1)), layers.Conv2D(8, 3, activation="relu"), layers.Flatten(),
        layers.Dense(1, activation="sigmoid", bias_initializer=keras.initializers.Constant(bias))])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return {"model": model, "x": rng.normal(size=(16, 8, 8, 1)).astype("float32"), "y": y}


@bad()
def softmax_head_with_huge_kernel_init():
    import keras

    return _softmax(kernel_initializer=keras.initializers.RandomNormal(stddev=10.0))


@bad()
def binary_batch_of_one_class_with_confident_bias():
    import numpy as np

    return _sigmoid(np.ones((16, 1), "float32"), bias=6.0)


@good
def softmax_head_with_default_init():
    return _softmax()


@good
def binary_with_zero_bias():
    import numpy as np

    return _sigmoid(np.random.default_rng(0).integers(0, 2, (16, 1)).astype("float32"), bias=0.0)


LARGE_INPUT = 10.0  # |x| reaching the first weighted layer above this makes large logits at any sane init


def input_cause(facts) -> str | None:
    """The inputs' scale, when the facts show it explains confident logits at init (nothing normalizes them)."""
    batch = facts.batch
    arr = batch.preprocessed if batch is not None else None
    if arr is None or not arr.is_numeric or arr.min is None:
        return None
    top, layer = max(abs(arr.min), abs(arr.max)), batch.first_trainable
    if top <= LARGE_INPUT or layer and facts.model is not None and facts.model.normalized_after(layer):
        return None
    return f"the values reaching {layer or 'the first layer'} reach |x| = {top:.4g} (std {arr.std:.3g})"


class InitialLossOff(Rule):
    """A classifier's loss at step 0 is far from the -ln(1/C) of a model that has not learned anything yet.

    ## What it does
    For classification (C = the number of classes; 2 for binary), compares the probe's loss at step 0,
    before any update, with `ln(C)` (2.30 for 10 classes, 0.69 for binary) and reports it when it is
    more than `max_factor` (3x) above or less than `min_factor` (0.3x) below it. Multi-label heads count
    as binary per unit; per-pixel losses (segmentation) and focal losses are not judged. The step-0 loss is
    measured as the first training step sees it: in training mode when the model's BatchNormalization
    statistics are still at their initial 0/1 (inference mode would not normalize at all). A loss far
    above that drops to info when the probe then memorized its batch anyway: the start cost a few steps.

    ## Why is this bad?
    A freshly initialized classifier should be unsure: its predictions close to uniform and its loss
    close to ln(C). Far above means the initialization is too large (the last layer's kernel or bias
    makes confident wrong guesses, exploding logits): the first updates go into undoing that. Far below
    means the model is already sure of the answer: labels leaked into the inputs, every label in the
    batch is the same, or the loss is computed on the wrong tensor.

    ## Example
    ```python
    layers.Dense(10, activation="softmax", kernel_initializer=keras.initializers.RandomNormal(stddev=10))
    ```

    ## Fix
    Use the default (Glorot) initializers with a zero bias on the output layer (or the log of the class
    priors for imbalanced data); for a loss that is too low, check the labels and the input pipeline.

    ## Source
    Karpathy, "A recipe for training neural networks" (verify the loss at init); TheDeepChecker.
    """

    code, name, severity = "CNN404", "initial-loss-off", "warning"
    phase = "probe"
    needs = ("probe",)
    options = {"max_factor": 3.0, "min_factor": 0.3}

    examples = (softmax_head_with_huge_kernel_init, binary_batch_of_one_class_with_confident_bias,
                softmax_head_with_default_init, binary_with_zero_bias)

    def check(self, facts):
        probe = facts.probe
        # a classifier's head: a per-pixel loss (segmentation) at init is set by spatially correlated logits
        classes = 2 if probe.task in ("binary", "multi-label") else (
            probe.classes if probe.task == "classification" else None)
        loss_name = facts.compile.loss.name if facts.compile is not None and facts.compile.loss else ""
        if "focal" in loss_name or facts.task is not None and facts.task.custom_loss:
            return  # focal losses down-weight the easy share of ln(C); a custom loss has no ln(C) baseline
        loss = probe.initial_loss - probe.penalty if probe.initial_loss is not None else None  # the data's loss
        if not classes or classes < 2 or loss is None or not math.isfinite(loss):
            return
        expected = math.log(classes)
        ratio = loss / expected
        what = f"the loss at step 0 is {loss:.4g}, {ratio:.2g}x the ln({classes}) = {expected:.3g} of an untrained " \
               f"{classes}-class model"
        if ratio > self.opts["max_factor"]:
            quick = probe.stopped_early  # it memorized its batch anyway: the start cost a few steps, no more
            cause = input_cause(facts)
            why = f"{cause}: unscaled inputs make large logits" if cause else "init too large"
            fix = ("scale the inputs: x / 255 for pixels, or a Rescaling / adapted Normalization layer first"
                   if cause else "use the default Glorot kernel initializer and a zero bias on the output layer "
                                 "(or the log of the class priors)")
            yield self.finding(f"{what}: the initial predictions are confidently wrong ({why})"
                               + (f"; harmless here: the probe memorized its batch in {probe.steps_run} steps"
                                  if quick else ""), severity="info" if quick else None, fix=fix)
        elif ratio < self.opts["min_factor"]:
            yield self.finding(f"{what}: the model is already sure of the answers before learning",
                               fix="check the labels (one class only? leaked into the inputs?) and that the loss "
                                   "reads the right output; use a zero output bias")
