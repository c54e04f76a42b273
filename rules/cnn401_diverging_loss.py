import math

from cnnlint.probe.runner import END_RISE, RISE_STEPS, diverged, too_few
from cnnlint.rule import Rule, bad, good



def _regression(optimizer):
    import keras
    import numpy as np
    from keras import layers

    keras.utils.set_random_seed(0)  # the initial weights too: examples must not depend on test order
    rng = np.random.default_rng(0)
    model = keras.Sequential([
        keras.Input((8, 8, 1)), layers.Conv2D(8, 3, activation="relu"), layers.Flatten(),
        layers.Dense(16, activation="relu"), layers.Dense(1)])
    model.compile(optimizer=optimizer, loss="mse")
    return {"model": model, "x": rng.normal(size=(16, 8, 8, 1)).astype("float32"),
            "y": rng.normal(size=(16, 1)).astype("float32")}


def _classifier(optimizer):
    import keras
    import numpy as np
    from keras import layers

    keras.utils.set_random_seed(0)  # the initial weights too: examples must not depend on test order
    rng = np.random.default_rng(0)
    model = keras.Sequential([
        keras.Input((8, 8, 1)), layers.Conv2D(8, 3, activation="relu"), layers.Flatten(),
        layers.Dense(10, activation="softmax")])
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return {"model": model, "x": rng.normal(size=(16, 8, 8, 1)).astype("float32"), "y": rng.integers(0, 10, 16)}


@bad()
def sgd_at_3_on_mse():
    import keras

    return _regression(keras.optimizers.SGD(learning_rate=3.0))


@bad()
def adam_at_1_spikes_at_the_first_update():
    import keras

    return _classifier(keras.optimizers.Adam(learning_rate=1.0))


@good
def sgd_at_0_01_on_mse():
    import keras

    return _regression(keras.optimizers.SGD(learning_rate=0.01))


@good
def adam_at_0_003():
    import keras

    return _classifier(keras.optimizers.Adam(learning_rate=3e-3))


class DivergingLoss(Rule):
    """The training loss blows up while the probe fits one fixed batch: the learning rate is too high.

    ## What it does
    Reads the loss of every probe step on one fixed batch of 16 samples and reports it when it becomes
    NaN/Inf, when it jumps above 3x its step-0 value at some step, or when it ends above
    its start. It does not compare the end with the minimum: a healthy run near zero loss ends 2x above
    its minimum. The message names the step; when the probe's learning-rate sweep found a smaller rate
    whose loss still fell, the fix suggests it.
    A spike the loss recovers from (it ends below its start, in the model's own loss too) is an optimizer's
    first-update transient and is info, unless a static cause (the learning rate out of its range, unscaled
    input) is in the same report: then it is the error, naming that cause.

    ## Why is this bad?
    A loss that climbs, spikes or turns NaN on a batch the model only has to memorize will not train on
    the full data either: the updates overshoot, and a long job ends with NaN weights or a model that
    wanders instead of converging.

    ## Example
    ```python
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=3.0), loss="mse")  # NaN after 3 steps
    ```

    ## Fix
    Lower the learning rate (the suggested one, or 10x lower), add gradient clipping (`clipnorm=1.0`)
    or a warm-up schedule; check the inputs are scaled.

    ## Source
    Seeds 000-003; AUTOTRAINER (loss >= 1e3 or NaN); TheDeepChecker.
    """

    code, name, severity = "CNN401", "diverging-loss", "error"
    phase = "probe"
    needs = ("probe",)
    options = {"spike_factor": 3.0}

    examples = (sgd_at_3_on_mse, adam_at_1_spikes_at_the_first_update, sgd_at_0_01_on_mse, adam_at_0_003)

    def check(self, facts):
        probe = facts.probe
        losses, initial = probe.losses, probe.initial_loss
        if not diverged(initial, losses, self.opts["spike_factor"]):
            if probe.budget_hit and len(losses) < RISE_STEPS:  # a NaN or a spike shows early, a rise does not
                self.cannot_judge(too_few(probe, RISE_STEPS))
            return
        start = probe.start_loss
        nonfinite = next((i for i, v in enumerate(losses) if not math.isfinite(v)), None)
        spike = next((i for i, v in enumerate(losses) if math.isfinite(v) and v > self.opts["spike_factor"] * start), None)
        if nonfinite is None and spike is None and probe.final_loss is not None and \
                probe.final_loss <= start - probe.penalty + END_RISE * abs(start):
            return  # only training mode's noise (dropout, augmentation) ended high: the model's loss did not rise
        recovered = (nonfinite is None and spike is not None and probe.final_loss is not None
                     and probe.final_loss < start - probe.penalty)  # the model's own loss ended below its start
        if nonfinite is not None and (spike is None or nonfinite <= spike):
            what = f"the loss became {losses[nonfinite]} at step {nonfinite} (from {start:.4g} at step 0)"
        elif spike is not None:
            then = f", and became {losses[nonfinite]} at step {nonfinite}" if nonfinite is not None else ""
            what = (f"the loss jumped to {losses[spike]:.4g} at step {spike}, above {self.opts['spike_factor']:g}x its step-0 value "
                    f"{start:.4g}{then}")
        else:
            what = f"the loss ended at {losses[-1]:.4g} after {len(losses)} steps, above its step-0 value {start:.4g}"
        lr = probe.learning_rate
        if probe.lr_suggestion and lr:
            fix = (f"lower the learning rate to {probe.lr_suggestion:g} (the largest rate of a sweep below "
                   f"{lr:g} whose loss still fell), or add clipnorm=1.0")
        elif lr:
            fix = f"lower the learning rate 10x (to {lr / 10:g}), or add clipnorm=1.0 or a warm-up"
        else:
            fix = "lower the learning rate 10x, or add clipnorm=1.0 or a warm-up"
        rate = f"learning rate {lr:g}" if lr else "the learning rate"
        if recovered:  # an optimizer's first-update transient at a rate CNN303 finds fine (the engine raises it
            # back to an error when a static cause, such as the rate itself, is in the report)
            yield self.finding(f"{what}, then recovered: the model's loss ended at {probe.final_loss:.4g} while fitting one "
                               f"fixed batch of {probe.samples} samples: a transient at the first updates with "
                               f"{rate}", fix="nothing unless it recurs; a warm-up or clipnorm=1.0 smooths it",
                               severity="info")
            return
        yield self.finding(f"{what} while fitting one fixed batch of {probe.samples} samples: {rate} is too high",
                           fix=fix)
