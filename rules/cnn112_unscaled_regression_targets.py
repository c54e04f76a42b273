from cnnlint.rule import Rule, bad, good

REGRESSION_LOSSES = {"mean_squared_error", "mean_absolute_error", "huber", "log_cosh"}  # MSLE works on a log scale
REGRESSION_TASKS = ("regression", "dense-regression")


def _regressor(targets, loss="mse", activation=None):
    import keras
    import numpy as np
    from keras import layers

    model = keras.Sequential([keras.Input((16, 16, 3)), layers.Conv2D(8, 3, activation="relu"),
                              layers.GlobalAveragePooling2D(), layers.Dense(1, activation=activation, name="price")])
    model.compile(optimizer="adam", loss=loss)
    rng = np.random.default_rng(0)
    y = {"prices": rng.normal(250_000, 60_000, (64, 1)), "years": rng.normal(1990, 8, (64, 1)),
         "standardized": rng.standard_normal((64, 1)), "scores": rng.uniform(0, 8, (64, 1))}[targets]
    return {"model": model, "x": rng.random((64, 16, 16, 3), dtype="float32"), "y": y.astype("float32")}


@bad(layer="price")
def house_prices_with_mse():  # SO 52800582: MSE in the 1e9s
    return _regressor("prices")


@bad(layer="price")
def years_far_from_zero_with_mae():  # std 8, but mean 1990: the output starts ~2000 off
    return _regressor("years", loss="mae")


@bad(layer="restored")
def pixel_targets_0_255_for_a_linear_conv_output():
    import keras
    import numpy as np
    from keras import layers

    inp = keras.Input((16, 16, 3))
    out = layers.Conv2D(3, 1, name="restored")(layers.Conv2D(8, 3, padding="same", activation="relu")(inp))
    model = keras.Model(inp, out)
    model.compile(optimizer="adam", loss=keras.losses.Huber())
    rng = np.random.default_rng(0)
    return {"model": model, "x": rng.random((16, 16, 16, 3), dtype="float32"),
            "y": rng.integers(0, 256, (16, 16, 16, 3)).astype("float32")}


@good
def standardized_targets():
    return _regressor("standardized")


@good
def small_positive_scores():
    return _regressor("scores")


@good
def prices_with_msle():  # a log-scale loss: large targets are what it is for
    return _regressor("prices", loss="msle")


@good
def prices_through_a_relu_output():  # a bounded or rectified output is judged by CNN106, not here
    return _regressor("prices", activation="relu")


class UnscaledRegressionTargets(Rule):
    """Regression targets far from unit scale on a linear output.

    ## What it does
    For each output trained with MSE, MAE, Huber or log-cosh (MSLE excluded: it takes logs) through a
    linear activation, in a regression or dense-regression task, reads the targets' statistics: it reports
    the output layer when their standard deviation exceeds `max_std` (10), or when their mean lies far from
    0 relative to their spread (|mean| > `max_mean` (10) and > `mean_per_std` (3) standard deviations).

    ## Why is this bad?
    A freshly initialized network outputs values near 0, so it starts ~|y| off: the loss is huge (MSE in the
    billions for house prices), its gradients are scaled by the targets, and a learning rate that suits them
    is far from one that suits the weights. Training spends its first epochs moving the output bias, or
    diverges; the weights that matter barely learn.

    ## Example
    ```python
    model.add(Dense(1))
    model.compile(loss="mse", optimizer="adam")
    model.fit(x, prices)  # prices ~ 250,000 +- 60,000
    ```

    ## Fix
    Standardize the targets, `y_scaled = (y - y.mean()) / y.std()`, train on them and invert at prediction
    (`pred * y.std() + y.mean()`); for pixel targets divide by 255 like the inputs. When only the mean is off,
    starting the output bias at the mean (`bias_initializer=Constant(mean)`) helps too.

    ## Source
    SO 52800582 and the many "huge MSE" questions.
    """

    code, name, severity = "CNN112", "unscaled-regression-targets", "warning"
    needs = ("model", "batch", "compile")
    options = {"max_std": 10.0, "max_mean": 10.0, "mean_per_std": 3.0}

    examples = (house_prices_with_mse, years_far_from_zero_with_mae, pixel_targets_0_255_for_a_linear_conv_output,
                standardized_targets, small_positive_scores, prices_with_msle, prices_through_a_relu_output)

    def check(self, facts):
        model, comp = facts.model, facts.compile
        if not comp.compiled or model.custom_train_step:
            return  # a train_step of its own computes its own loss, maybe on rescaled targets
        if facts.task is not None and facts.task.kind not in REGRESSION_TASKS:
            return
        max_std, max_mean, per_std = self.opts["max_std"], self.opts["max_mean"], self.opts["mean_per_std"]
        for i, y in enumerate(facts.batch.labels[:len(model.output_layers)]):
            loss = comp.losses[i] if i < len(comp.losses) else None
            if loss is None or loss.name not in REGRESSION_LOSSES or y.std is None or y.nonfinite:
                continue
            activation, path = model.output_activation(i)
            if activation not in ("linear", "identity"):
                continue
            mean, std = y.mean, y.std
            if std > max_std:
                why = f"std {_n(std)} > {max_std:g}"
            elif abs(mean) > max_mean and abs(mean) > per_std * std:
                why = f"mean {_n(mean)} is {_n(abs(mean) / std)} std from 0" if std else f"mean {_n(mean)}, std 0"
            else:
                continue
            start = (mean * mean + std * std) ** 0.5
            fix = (f"standardize the targets of {path}: y = (y - {_n(mean)}) / {_n(std)}, and invert at "
                   f"prediction (pred * {_n(std)} + {_n(mean)})")
            if std <= max_std:
                fix += f"; or start its bias at the mean (bias_initializer=keras.initializers.Constant({_n(mean)}))"
            yield self.finding(
                f"{loss.name} on linear output {path} with unscaled targets (mean {_n(mean)}, std {_n(std)}: {why}): "
                f"the untrained model starts ~{_n(start)} off (initial {_initial(loss.name, start)}), and the "
                f"gradients and the learning rate that suits them scale with the targets",
                layer=path, fix=fix)


def _n(value: float) -> str:
    """4 significant digits, with thousands separators instead of an exponent below 1e9: 254,012 not 2.54e+05."""
    if 1e4 <= abs(value) < 1e9:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def _initial(loss: str, rms: float) -> str:
    """The loss of predicting 0 for every target with root-mean-square `rms`, roughly."""
    if loss == "mean_squared_error":
        return f"MSE ~{_n(rms * rms)}"
    return f"{loss} ~{_n(rms)}"
