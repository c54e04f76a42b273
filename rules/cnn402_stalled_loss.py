import math

from cnnlint.probe.runner import diverged, head_only, too_few
from cnnlint.rule import Rule, bad, good


def _classifier(optimizer, hidden_bias=0.0):
    import keras
    import numpy as np
    from keras import layers

    keras.utils.set_random_seed(0)  # the initial weights too: examples must not depend on test order
    rng = np.random.default_rng(0)
    model = keras.Sequential([
        keras.Input((8, 8, 1)), layers.Conv2D(8, 3, activation="relu"), layers.Flatten(),
        layers.Dense(32, activation="relu", bias_initializer=keras.initializers.Constant(hidden_bias)),
        layers.Dense(10, activation="softmax")])
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return {"model": model, "x": rng.normal(size=(16, 8, 8, 1)).astype("float32"), "y": rng.integers(0, 10, 16)}


@bad()
def sgd_at_1e_9():
    import keras

    return _classifier(keras.optimizers.SGD(learning_rate=1e-9))


@bad()
def dead_hidden_layer():
    import keras

    return _classifier(keras.optimizers.Adam(learning_rate=3e-3), hidden_bias=-10.0)


@good
def adam_at_0_003():
    import keras

    return _classifier(keras.optimizers.Adam(learning_rate=3e-3))


class StalledLoss(Rule):
    """The loss barely moves while the probe fits one fixed small batch.

    ## What it does
    Compares the loss at step 0 with the lowest of the last `tail_steps` probe losses on one fixed batch
    of 16 samples and reports it when the loss fell by less than `min_drop` (5%). It stays silent when
    the loss diverged (CNN401 reports it), when it starts below `converged_loss` (nothing left to learn)
    and when the batch was memorized; when fewer than `min_steps` steps ran (the probe hit its time budget,
    or `--probe-steps` is lower) the report lists it as not judged, with how many steps it needs.
    The drop is measured above the targets' loss floor. On a head over a frozen backbone (under 20% of the
    weights train) it is info: fixed features at a fine-tuning rate move slowly in the probe's steps.

    ## Why is this bad?
    Fitting 16 samples is the easiest task the model will ever get: a loss that stays flat there means
    the weights do not move (learning rate far too low, frozen layers) or no gradient flows (dead ReLUs,
    saturated units, a broken graph). The full run would burn its whole budget standing still.

    ## Example
    ```python
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=1e-9), loss="sparse_categorical_crossentropy")
    ```

    ## Fix
    Raise the learning rate (1e-3 for Adam, 0.01-0.1 for SGD with momentum); check that the layers are
    trainable and that CNN406/CNN408/CNN409 (vanishing gradients, dead ReLUs, saturation) are clean.

    ## Source
    Seeds 001/003; DeepLocalize; TheDeepChecker (5% per window).
    """

    code, name, severity = "CNN402", "stalled-loss", "warning"
    phase = "probe"
    needs = ("probe",)
    options = {"min_drop": 0.05, "tail_steps": 5, "converged_loss": 1e-3, "min_steps": 10}

    examples = (sgd_at_1e_9, dead_hidden_layer, adam_at_0_003)

    def check(self, facts):
        for finding in self._check(facts):
            yield head_only(facts, finding)

    def _check(self, facts):
        probe = facts.probe  # the planned steps: the probe's extension (for CNN405) would let a bias alone move it
        losses, initial = probe.losses[:probe.steps_planned or None], probe.initial_loss
        if not losses or diverged(initial, losses):
            return
        if len(losses) < self.opts["min_steps"]:
            if probe.stopped_early:
                return  # it memorized the batch: it learns
            self.cannot_judge(too_few(probe, self.opts["min_steps"]))
        start, floor = probe.start_loss, probe.loss_floor
        if start - floor < self.opts["converged_loss"]:
            return
        end = min(losses[-max(1, int(self.opts["tail_steps"])):])
        drop = (start - end) / (start - floor)
        if drop >= self.opts["min_drop"]:
            return
        lr = f"learning rate {probe.learning_rate:g}" if probe.learning_rate else "its learning rate"
        yield self.finding(
            f"the loss fell only {drop:.1%} (from {start:.4g} to {end:.4g}) in {len(losses)} steps on one fixed "
            f"batch of {probe.samples} samples, less than {self.opts['min_drop']:.0%}: the model does not learn "
            f"with {lr}",
            fix="raise the learning rate (1e-3 for Adam, 0.01-0.1 for SGD), make the layers trainable, and check "
                "for dead ReLUs or vanishing gradients (CNN406/CNN408)")
