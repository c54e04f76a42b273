import math

from cnnlint.rule import Rule, bad, good


def _fit(body, optimizer="adam", loss="sparse_categorical_crossentropy", regression=False):
    import keras
    import numpy as np

    keras.utils.set_random_seed(0)  # the initial weights too: examples must not depend on test order
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 8, 8, 1)).astype("float32")
    y = rng.normal(size=(16, 1)).astype("float32") if regression else rng.integers(0, 10, 16)
    model = keras.Sequential([keras.Input((8, 8, 1)), *body])
    model.compile(optimizer=optimizer, loss=loss)
    return {"model": model, "x": x, "y": y}


@bad()
def sgd_at_3_gives_nan_gradients():
    import keras
    from keras import layers

    return _fit([layers.Flatten(), layers.Dense(16), layers.Dense(1)], optimizer=keras.optimizers.SGD(3.0), loss="mse",
                regression=True)


@bad(layer="dense_0")
def huge_output_kernel_amplifies_early_gradients():
    import keras
    from keras import layers

    return _fit([layers.Flatten(), layers.Dense(32, activation="relu", name="dense_0"),
                 layers.Dense(10, activation="softmax", kernel_initializer=keras.initializers.RandomNormal(stddev=50.0),
                              name="out")])


@bad(layer="out")
def deep_relu_stack_with_large_init():
    import keras
    from keras import layers

    big = keras.initializers.RandomNormal(stddev=5.0)
    return _fit([layers.Flatten(), *[layers.Dense(16, activation="relu", kernel_initializer=big) for _ in range(6)],
                 layers.Dense(10, activation="softmax", name="out")])


@good
def small_cnn():
    from keras import layers

    return _fit([layers.Conv2D(8, 3, activation="relu"), layers.Flatten(), layers.Dense(32, activation="relu"),
                 layers.Dense(10, activation="softmax")])


@good
def deep_relu_stack_with_default_init():
    from keras import layers

    return _fit([layers.Flatten(), *[layers.Dense(16, activation="relu") for _ in range(6)],
                 layers.Dense(10, activation="softmax")])


class ExplodingGradients(Rule):
    """The gradients explode: NaN/Inf, far larger in the first layers than the last, or simply huge.

    ## What it does
    Reads the per-layer gradient L2 norms the probe measured at each step and reports (1) the first step
    with a NaN/Inf gradient, (2) a first/last trainable-layer norm ratio above `max_ratio` (70) at step 0,
    (3) any layer's gradient norm above `max_norm` (1e6) at any step (the first such step).

    ## Why is this bad?
    Exploding gradients make single updates so large that the weights jump out of any good region: the
    loss spikes or turns NaN and training cannot recover. A first layer whose gradient dwarfs the last
    one's gets updates far too large for the learning rate that suits the rest of the network.

    ## Example
    ```python
    layers.Dense(10, activation="softmax", kernel_initializer=keras.initializers.RandomNormal(stddev=50))
    ```

    ## Fix
    Lower the learning rate, clip gradients (`clipnorm=1.0` on the optimizer), use the default (Glorot/He)
    initializers, add BatchNormalization, and scale the inputs to about [-1, 1].

    ## Source
    AUTOTRAINER; TheDeepChecker.
    """

    code, name, severity = "CNN407", "exploding-gradients", "error"
    phase = "probe"
    needs = ("probe",)
    options = {"max_ratio": 70.0, "max_norm": 1e6}

    examples = (sgd_at_3_gives_nan_gradients, huge_output_kernel_amplifies_early_gradients,
                deep_relu_stack_with_large_init, small_cnn, deep_relu_stack_with_default_init)

    def check(self, facts):
        probe = facts.probe
        order = [p for p in probe.trainable_order if probe.grad_norms.get(p)]
        fix = "lower the learning rate, add clipnorm=1.0 to the optimizer, use Glorot/He initializers and scaled inputs"
        step = probe.nonfinite_grad_step
        if step is not None:
            layer = next((p for p in order if len(probe.grad_norms[p]) > step
                          and not math.isfinite(probe.grad_norms[p][step])), None)
            where = f" (first in {layer})" if layer else ""
            yield self.finding(f"the gradients became NaN/Inf at step {step}{where}", layer=layer, fix=fix)
            return
        if probe.first_last_grad():
            first, g_first, last, g_last = probe.first_last_grad()
            if g_last > 0 and g_first / g_last > self.opts["max_ratio"]:
                yield self.finding(
                    f"the gradient norm of the first trainable layer {first} is {g_first:.3g} at step 0, "
                    f"{g_first / g_last:.3g}x the last layer {last}'s {g_last:.3g} (above {self.opts['max_ratio']:g})",
                    layer=first, fix=fix)
        worst = None
        for path in order:
            hit = next((i for i, g in enumerate(probe.grad_norms[path]) if g > self.opts["max_norm"]), None)
            if hit is not None and (worst is None or probe.grad_norms[path][hit] > worst[2]):
                worst = (path, hit, probe.grad_norms[path][hit])
        if worst:
            path, hit, value = worst
            yield self.finding(f"the gradient norm of {path} reaches {value:.3g} at step {hit} (above "
                               f"{self.opts['max_norm']:g})", layer=path, fix=fix)
