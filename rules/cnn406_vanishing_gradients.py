from cnnlint.rule import Rule, bad, good


def _dense_stack(depth, activation):
    import keras
    import numpy as np
    from keras import layers

    keras.utils.set_random_seed(0)  # the initial weights too: examples must not depend on test order
    rng = np.random.default_rng(0)
    model = keras.Sequential([
        keras.Input((8, 8, 1)), layers.Flatten(),
        *[layers.Dense(16, activation=activation, name=f"dense_{i}") for i in range(depth)],
        layers.Dense(10, activation="softmax", name="out")])
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return {"model": model, "x": rng.normal(size=(16, 8, 8, 1)).astype("float32"), "y": rng.integers(0, 10, 16)}


@bad(layer="dense_0")
def ten_sigmoid_layers():
    return _dense_stack(10, "sigmoid")


@good
def two_sigmoid_layers():
    return _dense_stack(2, "sigmoid")


@good
def ten_relu_layers():
    return _dense_stack(10, "relu")


class VanishingGradients(Rule):
    """The gradients reaching the first layers are vanishingly small: those layers barely learn.

    ## What it does
    Reads the gradient L2 norm of every trainable layer at the probe's first step. Reports the first
    trainable layer when its norm is below `max_ratio` (1e-3) of the last trainable layer's and below
    `min_first_norm` (1e-4) in absolute terms, and every layer whose mean absolute gradient is below
    `min_mean_abs` (1e-7). A layer whose gradient is exactly zero is left out: no gradient flows at all
    there (dead ReLUs feed it, or it does not reach the loss), which is not vanishing: CNN408 reports dead
    ReLUs, CNN402 the stalled loss that follows.

    ## Why is this bad?
    Backpropagation multiplies the gradient by each layer's local derivative; through many sigmoid/tanh
    layers (derivative <= 0.25) or badly scaled weights it shrinks geometrically, so the first layers get
    updates millions of times smaller than the last: they stay near their random initialization.

    ## Example
    ```python
    keras.Sequential([keras.Input((64,)), *[layers.Dense(16, activation="sigmoid") for _ in range(10)],
                      layers.Dense(10, activation="softmax")])
    ```

    ## Fix
    Use ReLU-family activations in hidden layers with He initialization, add BatchNormalization, or
    residual connections for deep stacks.

    ## Source
    AUTOTRAINER; DeepDiagnosis.
    """

    code, name, severity = "CNN406", "vanishing-gradients", "warning"
    phase = "probe"
    needs = ("probe",)
    options = {"max_ratio": 1e-3, "min_first_norm": 1e-4, "min_mean_abs": 1e-7}

    examples = (ten_sigmoid_layers, two_sigmoid_layers, ten_relu_layers)

    def check(self, facts):
        probe = facts.probe
        fix = "use ReLU-family hidden activations with He initialization, BatchNormalization or residual connections"
        reported = set()
        if probe.first_last_grad():
            first, g_first, last, g_last = probe.first_last_grad()
            if 0 < g_first < self.opts["min_first_norm"] and g_last > 0 \
                    and g_first / g_last < self.opts["max_ratio"]:
                reported.add(first)
                yield self.finding(
                    f"the gradient norm of the first trainable layer {first} is {g_first:.3g} at step 0, "
                    f"{g_first / g_last:.2g}x the last layer {last}'s {g_last:.3g} (below {self.opts['max_ratio']:g}): "
                    f"the first layers barely learn", layer=first, fix=fix)
        for path in probe.trainable_order:
            value = probe.grad_mean_abs.get(path)
            if path in reported or value is None or not 0 < value < self.opts["min_mean_abs"]:
                continue
            yield self.finding(f"the mean absolute gradient of {path} is {value:.3g} at step 0, below "
                               f"{self.opts['min_mean_abs']:g}: its weights barely move", layer=path, fix=fix)
