import math

from cnnlint.rule import Rule, bad, good

FROZEN = -29.0  # the runner floors |dW|/|W| at 1e-30: a layer that did not move at all


def _fit(optimizer, body=None, regression=False):
    import keras
    import numpy as np
    from keras import layers

    keras.utils.set_random_seed(0)  # the initial weights too: examples must not depend on test order
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 8, 8, 1)).astype("float32")
    y = rng.normal(size=(16, 1)).astype("float32") if regression else rng.integers(0, 10, 16)
    body = body or [layers.Conv2D(8, 3, activation="relu", name="conv"), layers.Flatten(),
                    layers.Dense(10, activation="softmax", name="out")]
    model = keras.Sequential([keras.Input((8, 8, 1)), *body])
    model.compile(optimizer=optimizer, loss="mse" if regression else "sparse_categorical_crossentropy")
    return {"model": model, "x": x, "y": y}


@bad(layer="conv")
def sgd_at_1e_7_too_slow():
    import keras

    return _fit(keras.optimizers.SGD(1e-7))


@bad(layer="conv")
def rmsprop_at_1_too_fast():
    import keras
    from keras import layers

    return _fit(keras.optimizers.RMSprop(1.0), [layers.Conv2D(1, 3, name="conv"), layers.GlobalAveragePooling2D(),
                                                layers.Dense(10, activation="softmax", name="out")])


@good
def adam_at_0_003():
    import keras

    return _fit(keras.optimizers.Adam(3e-3))


@good
def sgd_regression_that_fits_the_batch_in_ten_steps():
    import keras
    from keras import layers

    # memorized in ~8 steps; the ratios count only while it learns, so the fading updates after that do
    # not read as "too slow" (SGD 0.1 would move 10^-0.98 of the weights per step: flagged as too fast)
    return _fit(keras.optimizers.SGD(0.05), [layers.Flatten(), layers.Dense(1, name="out")], regression=True)


class UpdateRatioOutOfRange(Rule):
    """A layer's weights move too fast or too slowly relative to their size at each step.

    ## What it does
    Reads, per trainable layer, the median over the probe steps of `log10(|dW| / |W|)` (the L2 norm of
    one step's update over the L2 norm of the weights) and reports a layer above `max_log_ratio` (-1:
    more than 10% of the weights' size per step) or below `min_log_ratio` (-4: less than 0.01%).
    "Too slow" is not reported when the probe's loss fell below `converged_fraction` (10%) of its start:
    once a batch is memorized the gradients, and with them the updates, fade to zero.

    ## Why is this bad?
    A healthy update is about 1e-3 of the weights per step. Much faster and the layer's weights are
    re-drawn every few steps (noisy, diverging training); much slower and the layer stays at its
    initialization for the whole run (learning rate too low for it, or no gradient reaching it).

    ## Example
    ```python
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=1e-7), loss="sparse_categorical_crossentropy")
    ```

    ## Fix
    Tune the learning rate until the ratios sit around 1e-3 (log10 -3); for a single layer out of range,
    check its initialization and whether a gradient reaches it (CNN406/CNN408).

    ## Source
    Karpathy (CS231n, "ratio of weights:updates ~ 1e-3"); TheDeepChecker.
    """

    code, name, severity = "CNN411", "update-ratio-out-of-range", "info"
    phase = "probe"
    needs = ("probe",)
    options = {"max_log_ratio": -1.0, "min_log_ratio": -4.0, "converged_fraction": 0.1}

    examples = (sgd_at_1e_7_too_slow, rmsprop_at_1_too_fast, adam_at_0_003,
                sgd_regression_that_fits_the_batch_in_ten_steps)

    def check(self, facts):
        probe = facts.probe
        high, low = self.opts["max_log_ratio"], self.opts["min_log_ratio"]
        lr = f"learning rate {probe.learning_rate:g}" if probe.learning_rate else "the learning rate"
        order = [p for p in probe.trainable_order if p in probe.update_ratios]
        order += sorted(p for p in probe.update_ratios if p not in order)
        for path in order:
            ratio = probe.update_ratios[path]
            if ratio is None or not math.isfinite(ratio):
                continue
            if ratio > high:
                yield self.finding(f"{path}'s weights move by 10^{ratio:.2g} = {10 ** ratio:.2g}x their size per "
                                   f"step (log10 above {high:g}): {lr} is too high for it", layer=path,
                                   fix="lower the learning rate until the update ratio is about 1e-3")
            elif ratio < low and not self._converged(probe):
                what = "do not move at all" if ratio <= FROZEN else f"move by only 10^{ratio:.2g} of their size"
                yield self.finding(f"{path}'s weights {what} per step (log10 below {low:g}): {lr} is too low "
                                   f"for it, or no gradient reaches it", layer=path,
                                   fix="raise the learning rate until the update ratio is about 1e-3; "
                                       "check CNN406/CNN408")

    def _converged(self, probe) -> bool:
        losses, start = probe.losses, probe.start_loss
        end = min(losses[-5:]) if losses else None
        if start is None or end is None or not math.isfinite(end) or not math.isfinite(start):
            return False
        return start <= 0 or end < self.opts["converged_fraction"] * start
