from cnnlint.facts.compile import ADAM_FAMILY
from cnnlint.rule import Rule, bad, good



def _model(optimizer):
    import keras
    from keras import layers

    model = keras.Sequential([
        keras.Input((16, 16, 3)), layers.Conv2D(8, 3, activation="relu"), layers.GlobalAveragePooling2D(),
        layers.Dense(10, activation="softmax")])
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    return model


@bad()
def adam_epsilon_1e_12():
    import keras

    return _model(keras.optimizers.Adam(learning_rate=1e-3, epsilon=1e-12))


@bad()
def adamw_epsilon_zero_under_loss_scaling():
    import keras

    return _model(keras.optimizers.LossScaleOptimizer(keras.optimizers.AdamW(epsilon=0.0)))


@good
def adam_default_epsilon():
    import keras

    return _model(keras.optimizers.Adam(learning_rate=1e-3))


@good
def adam_epsilon_1e_8():
    import keras

    return _model(keras.optimizers.Nadam(epsilon=1e-8))


class AdamEpsilonTooSmall(Rule):
    """An Adam-family optimizer's epsilon is too small to keep its updates bounded.

    ## What it does
    Reads `epsilon` from Adam, AdamW, Adamax, Nadam or Lamb (also inside a LossScaleOptimizer) and
    flags a value below 1e-10.

    ## Why is this bad?
    Adam divides each update by `sqrt(v) + epsilon`. For a weight whose gradients have been ~0 (a rare
    feature, a dead unit, a late layer early in training) `v` is ~0 and the step becomes
    `lr * m / epsilon`: with epsilon near zero one small gradient makes a huge jump. In float16 a tiny
    epsilon also rounds to 0.

    ## Example
    ```python
    model.compile(optimizer=keras.optimizers.Adam(epsilon=1e-12), loss="sparse_categorical_crossentropy")
    ```

    ## Fix
    Keep the Keras default `epsilon=1e-7` (PyTorch uses 1e-8); raise it (1e-4 to 1.0) rather than lower
    it when training is unstable.

    ## Source
    TheDeepChecker (low_adam_epsilon).
    """

    code, name, severity = "CNN307", "adam-epsilon-too-small", "info"
    needs = ("compile",)
    options = {"min_epsilon": 1e-10}

    examples = (adam_epsilon_1e_12, adamw_epsilon_zero_under_loss_scaling, adam_default_epsilon, adam_epsilon_1e_8)

    def check(self, facts):
        opt, cfg = facts.compile.optimizer, facts.compile.optimizer_config  # LossScaleOptimizer unwrapped
        eps = cfg.get("epsilon")
        if opt not in ADAM_FAMILY or not isinstance(eps, (int, float)) or eps >= self.opts["min_epsilon"]:
            return
        yield self.finding(f"{opt} epsilon={eps:g} is below {self.opts['min_epsilon']:g}: where a weight's "
                           f"second-moment estimate is ~0 the update lr*m/(sqrt(v)+epsilon) explodes",
                           fix=f"keep the Keras default epsilon=1e-7 ({opt}(epsilon=1e-7)), or raise it if "
                               f"training is unstable")
