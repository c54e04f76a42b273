import math

from cnnlint.probe.runner import diverged, head_only, still_falling, too_few
from cnnlint.rule import Rule, bad, good


def _fit(body, loss="sparse_categorical_crossentropy", regression=False, lr=3e-3):
    import keras
    import numpy as np

    keras.utils.set_random_seed(0)  # the initial weights too: examples must not depend on test order
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 8, 8, 1)).astype("float32")
    y = rng.normal(size=(16, 1)).astype("float32") if regression else rng.integers(0, 10, 16)
    model = keras.Sequential([keras.Input((8, 8, 1)), *body])
    model.compile(optimizer=keras.optimizers.Adam(lr), loss=loss, metrics=[] if regression else ["accuracy"])
    return {"model": model, "x": x, "y": y}


@bad()
def one_filter_into_ten_classes():
    from keras import layers

    return _fit([layers.Conv2D(1, 3), layers.GlobalAveragePooling2D(), layers.Dense(10, activation="softmax")])


@good
def dropout_and_augmentation_still_learning():  # seed 002's fix: noisy, slow, but the loss keeps falling
    from keras import layers

    return _fit([layers.RandomFlip(), layers.Conv2D(16, 3, activation="relu"), layers.Flatten(), layers.Dropout(0.5),
                 layers.Dense(32, activation="relu"), layers.Dropout(0.3), layers.Dense(10, activation="softmax")])


@bad()
def one_filter_regression():
    from keras import layers

    return _fit([layers.Conv2D(1, 3), layers.GlobalAveragePooling2D(), layers.Dense(1)], loss="mse", regression=True)


@good
def small_cnn():
    from keras import layers

    return _fit([layers.Conv2D(8, 3, activation="relu"), layers.Flatten(), layers.Dense(32, activation="relu"),
                 layers.Dense(10, activation="softmax")])


@good
def small_cnn_regression():
    from keras import layers

    return _fit([layers.Conv2D(8, 3, activation="relu"), layers.Flatten(), layers.Dense(32, activation="relu"),
                 layers.Dense(1)], loss="mse", regression=True)


@good
def global_pooling_cnn_at_adam_default_still_learning():
    from keras import layers

    built = _fit([layers.Conv2D(8, 3, activation="relu"), layers.MaxPooling2D(),
                  layers.Conv2D(16, 3, activation="relu"), layers.GlobalAveragePooling2D(),
                  layers.Dense(32, activation="relu"), layers.Dense(10, activation="softmax")], lr=1e-3)
    return built  # at 50 steps: ~50% (loss 2.3 -> 1.4) but still falling, so not judged starved


class CannotOverfitBatch(Rule):
    """The model cannot memorize one batch of 16 samples within the probe's steps.

    ## What it does
    After the probe has fitted one fixed batch of 16 samples (50 steps by default, the user's optimizer,
    loss and learning rate), reads the train accuracy on that batch for classifiers and reports it when it
    is below `min_accuracy` (95%); for other tasks (or when no accuracy could be measured) it reports a
    final loss that is not below `max_loss_ratio` (10%) of the step-0 loss. It stays silent when the loss
    diverged (CNN401 explains that) and when the loss started below `converged_loss`; when fewer than
    `min_steps` steps ran (the probe hit its time budget, or `--probe-steps` is set lower) the report lists
    it as not judged. Classifiers are judged by accuracy alone: label smoothing and weight penalties keep a
    memorized batch's loss well above zero. 50 steps are short for a slow learner (a healthy CNN with a
    global-pooling head at Adam's default 1e-3 needs 100-200 steps for 16 samples), so the rule also
    requires that the loss has stopped falling: the mean of the last quarter of the run (at least
    `plateau_window` steps) is less than `plateau_progress` (5%) below the quarter before, measured above the
    targets' loss floor (soft labels, pixel targets). The probe extends a still-falling run up to 3x its
    steps within its budget before this rule judges. A model with Dropout, noise or augmentation layers
    whose batch loss more than halved is learning: those layers keep its training-mode loss noisy. Accuracy
    and loss are the better of training and inference mode. On a head over a frozen backbone (under 20% of
    the weights train) it is info.

    ## Why is this bad?
    Any model that is going to learn the full data set can first memorize 16 samples. If it cannot,
    something structural is wrong: too little capacity (a 1-channel bottleneck), a learning rate too low,
    labels that do not match the outputs, or a frozen/dead part of the network.

    ## Example
    ```python
    keras.Sequential([keras.Input((8, 8, 1)), layers.Conv2D(1, 3), layers.GlobalAveragePooling2D(),
                      layers.Dense(10, activation="softmax")])  # 30 weights for 10 classes
    ```

    ## Fix
    Widen the bottleneck (more filters/units before the head), check the learning rate (CNN402/CNN303),
    the labels against the output layer, and that every layer is trainable.

    ## Source
    Seeds 001/002 (underfitting); TheDeepChecker (overfit 16 samples).
    """

    code, name, severity = "CNN405", "cannot-overfit-batch", "warning"
    phase = "probe"
    needs = ("probe",)
    options = {"min_accuracy": 0.95, "max_loss_ratio": 0.1, "converged_loss": 1e-3, "min_steps": 30,
               "plateau_window": 10, "plateau_progress": 0.05}

    examples = (one_filter_into_ten_classes, one_filter_regression, small_cnn, small_cnn_regression,
                global_pooling_cnn_at_adam_default_still_learning, dropout_and_augmentation_still_learning)

    def check(self, facts):
        for finding in self._check(facts):
            yield head_only(facts, finding)

    def _check(self, facts):
        probe = facts.probe
        losses, initial = probe.losses, probe.initial_loss
        if not losses or diverged(initial, losses):
            return
        floor = probe.loss_floor
        if len(losses) < self.opts["min_steps"] and not probe.stopped_early:
            self.cannot_judge(too_few(probe, self.opts["min_steps"]))
        if probe.stopped_early or still_falling(
                losses, floor, self.opts["plateau_window"], self.opts["plateau_progress"]):
            return
        start = probe.start_loss - probe.penalty  # the data's loss: weight penalties and add_loss terms stay
        final = probe.final_loss if probe.final_loss is not None else losses[-1]
        where = f"after {len(losses)} steps on one fixed batch of {probe.samples} samples"
        fix = ("give the model more capacity (more filters/units before the head), check the learning rate and "
               "that the labels match the outputs")
        where += ", and the loss has stopped falling"
        accuracy = probe.final_accuracy
        if facts.model is not None and facts.model.stochastic and final - floor < 0.5 * (start - floor):
            return  # dropout/augmentation keep a learning model's batch loss noisy and high: it more than halved
        soft = facts.batch is not None and facts.batch.y is not None and facts.batch.y.soft  # mixup: no argmax truth
        if probe.task in ("classification", "binary", "segmentation") and not soft and accuracy is not None \
                and math.isfinite(accuracy):
            # soft labels (mixup) hold no single right class per sample; multi-label and pixel accuracies are
            # dominated by the easy zeros: only one-class-per-sample tasks are judged by accuracy
            if accuracy < self.opts["min_accuracy"]:
                yield self.finding(f"train accuracy is {accuracy:.0%} {where} (loss {start:.4g} -> {final:.4g}), "
                                   f"below {self.opts['min_accuracy']:.0%}: the model cannot memorize one batch",
                                   fix=fix)
            return
        if start - floor < self.opts["converged_loss"] or not math.isfinite(final):
            return
        if final - floor >= self.opts["max_loss_ratio"] * (start - floor):
            above = f" above the targets' floor {floor:.4g}" if floor else ""
            yield self.finding(f"the loss is {final:.4g} {where}, {(final - floor) / (start - floor):.0%} of its "
                               f"step-0 value {start:.4g}{above} (not below {self.opts['max_loss_ratio']:.0%}): the "
                               f"model cannot memorize one batch", fix=fix)
