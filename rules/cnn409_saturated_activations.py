from cnnlint.rule import Rule, bad, good


def _tanh_model(scale, activation="tanh"):
    import keras
    import numpy as np
    from keras import layers

    keras.utils.set_random_seed(0)  # the initial weights too: examples must not depend on test order
    rng = np.random.default_rng(0)
    model = keras.Sequential([
        keras.Input((8, 8, 1)), layers.Flatten(), layers.Dense(16, activation=activation, name="squash"),
        layers.Dense(10, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x = rng.normal(size=(16, 8, 8, 1)).astype("float32") * scale
    return {"model": model, "x": x, "y": rng.integers(0, 10, 16)}


@bad(layer="squash")
def tanh_on_inputs_scaled_x100():
    return _tanh_model(100.0)


@bad(layer="squash")
def sigmoid_on_inputs_scaled_x100():
    return _tanh_model(100.0, activation="sigmoid")


@good
def tanh_on_standardized_inputs():
    return _tanh_model(1.0)


@good
def binary_sigmoid_output_that_memorizes_the_batch():
    import keras
    import numpy as np
    from keras import layers

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    model = keras.Sequential([
        keras.Input((8, 8, 1)), layers.Conv2D(8, 3, activation="relu"), layers.Flatten(),
        layers.Dense(16, activation="tanh"), layers.Dense(1, activation="sigmoid", name="out")])
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy", metrics=["accuracy"])
    return {"model": model, "x": rng.normal(size=(16, 8, 8, 1)).astype("float32"),
            "y": rng.integers(0, 2, (16, 1)).astype("float32")}


class SaturatedActivations(Rule):
    """Most pre-activations of a sigmoid/tanh layer sit in its flat tails, where the gradient is ~0.

    ## What it does
    Reads, per sigmoid/tanh layer, the share of its outputs on the probe batch whose pre-activation lies
    beyond +-5 (sigmoid outputs within 0.0067 of 0 or 1, tanh outputs beyond +-0.9999), before and after
    the probe fit (the larger of the two), and reports each layer where it is above `max_saturated` (50%).
    The last trainable layer (normally the sigmoid output of a binary classifier) is left out: once it
    has memorized the probe batch its outputs are confidently 0 or 1, as they should be.

    ## Why is this bad?
    The derivative of sigmoid at +-5 is 0.0066 and of tanh 0.00018: a saturated unit passes almost no
    gradient, so it and every layer before it barely learn (vanishing gradients, CNN406), and its output
    is a near-binary value that carries little information.

    ## Example
    ```python
    model.fit(x_uint8.astype("float32"), y)  # pixels 0..255 straight into Dense(16, activation="tanh")
    ```

    ## Fix
    Scale the inputs (Rescaling(1/255) or Normalization), keep the default Glorot initialization, add
    BatchNormalization before the activation, or use ReLU-family activations in hidden layers.

    ## Source
    DeepDiagnosis.
    """

    code, name, severity = "CNN409", "saturated-activations", "warning"
    phase = "probe"
    needs = ("probe",)
    options = {"max_saturated": 0.5}

    examples = (tanh_on_inputs_scaled_x100, sigmoid_on_inputs_scaled_x100, tanh_on_standardized_inputs,
                binary_sigmoid_output_that_memorizes_the_batch)

    def check(self, facts):
        probe = facts.probe
        order = {p: i for i, p in enumerate(probe.trainable_order)}
        output = probe.trainable_order[-1] if probe.trainable_order else None
        for path, share in sorted(probe.saturated.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])):
            if path == output or share is None or not share > self.opts["max_saturated"]:
                continue
            yield self.finding(f"{share:.0%} of the pre-activations of {path} lie beyond +-5 on the probe batch "
                               f"(above {self.opts['max_saturated']:.0%}): the units are saturated and pass almost "
                               f"no gradient", layer=path,
                               fix="scale the inputs (Rescaling(1/255) or Normalization), add BatchNormalization "
                                   "before the activation, or use a ReLU-family activation")
