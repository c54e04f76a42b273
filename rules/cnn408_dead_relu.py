from cnnlint.rule import Rule, bad, good


def _classifier(conv=None, hidden=None):
    import keras
    import numpy as np
    from keras import layers

    keras.utils.set_random_seed(0)  # the initial weights too: examples must not depend on test order
    rng = np.random.default_rng(0)
    model = keras.Sequential([
        keras.Input((8, 8, 1)), layers.Conv2D(8, 3, activation="relu", name="conv", **(conv or {})), layers.Flatten(),
        layers.Dense(32, activation="relu", name="hidden", **(hidden or {})), layers.Dense(10, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return {"model": model, "x": rng.normal(size=(16, 8, 8, 1)).astype("float32"), "y": rng.integers(0, 10, 16)}


@bad(layer="conv")
def zero_initialized_conv_kernel():
    return _classifier(conv={"kernel_initializer": "zeros"})


@bad(layer="hidden")
def large_negative_bias():
    import keras

    return _classifier(hidden={"bias_initializer": keras.initializers.Constant(-10.0)})


@good
def small_cnn():
    return _classifier()


class DeadRelu(Rule):
    """Most units of a ReLU layer output 0 for every sample: they are dead and no longer learn.

    ## What it does
    Reads, per ReLU-family layer, the share of its units (channels for convolutions) that output 0 for
    every sample and position of the probe batch, before and after the probe fit (the larger of the two),
    and reports each layer where it is `min_dead` (70%) or more.

    ## Why is this bad?
    A ReLU that outputs 0 everywhere also passes a zero gradient: its incoming weights never change
    again, so the unit is lost for good. With most of a layer dead the network has a fraction of its
    capacity, or none at all when the whole layer is dead (the loss stalls: CNN402). Typical causes:
    zero or constant kernels, a large negative bias, a learning rate so high that one update knocks the
    pre-activations negative, or unscaled inputs.

    ## Example
    ```python
    layers.Dense(32, activation="relu", bias_initializer=keras.initializers.Constant(-10.0))
    ```

    ## Fix
    Use He initialization with a zero bias, lower the learning rate, scale the inputs; or use LeakyReLU,
    ELU or GELU, which keep a gradient for negative inputs.

    ## Source
    Seed 001 (dying ReLU); AUTOTRAINER and DeepDiagnosis (70%).
    """

    code, name, severity = "CNN408", "dead-relu", "warning"
    phase = "probe"
    needs = ("probe",)
    options = {"min_dead": 0.7}

    examples = (zero_initialized_conv_kernel, large_negative_bias, small_cnn)

    def check(self, facts):
        probe = facts.probe
        order = {p: i for i, p in enumerate(probe.trainable_order)}
        for path, share in sorted(probe.dead_units.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])):
            if share is None or not share >= self.opts["min_dead"]:
                continue
            yield self.finding(f"{share:.0%} of the units of {path} output 0 for every sample of the probe batch "
                               f"(at least {self.opts['min_dead']:.0%}): they are dead and pass no gradient",
                               layer=path,
                               fix="use He initialization with a zero bias, a lower learning rate and scaled inputs, "
                                   "or LeakyReLU/ELU/GELU")
