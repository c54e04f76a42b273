from cnnlint.facts.compile import ADAPTIVE
from cnnlint.rule import Rule, bad, good



def _seed002_cnn(optimizer):
    import keras
    from keras import layers

    model = keras.Sequential([
        keras.Input((64, 64, 3)),
        layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(),
        layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(),
        layers.Flatten(), layers.Dense(128, activation="relu"), layers.Dense(10, activation="softmax")])
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


@bad()
def adam_at_0_01():
    import keras

    return _seed002_cnn(keras.optimizers.Adam(learning_rate=0.01))


@bad()
def schedule_starting_too_high():
    import keras

    schedule = keras.optimizers.schedules.ExponentialDecay(0.05, decay_steps=1000, decay_rate=0.9)
    return _seed002_cnn(keras.optimizers.RMSprop(learning_rate=schedule))


@bad()
def sgd_negative():
    import keras

    return _seed002_cnn(keras.optimizers.SGD(learning_rate=-0.1))


@good
def adam_at_0_001():
    import keras

    return _seed002_cnn(keras.optimizers.Adam(learning_rate=1e-3))


@good
def sgd_at_0_1():
    import keras

    return _seed002_cnn(keras.optimizers.SGD(learning_rate=0.1, momentum=0.9))


class LearningRateOutOfRange(Rule):
    """The optimizer's learning rate is outside the range where it usually trains.

    ## What it does
    Reads the optimizer's learning rate (for a schedule, its starting value) and compares it with the
    usual range of its optimizer family: adaptive optimizers (Adam, AdamW, Nadam, RMSprop, ...) want
    `1e-6 <= lr < 1e-2`; plain SGD wants `1e-5 <= lr <= 0.5`. A learning rate `<= 0` is an error.

    ## Why is this bad?
    Too high and the loss oscillates or diverges (Adam at 0.01 on a small CNN jumps at the first
    update); too low and training crawls and looks stalled. Either way the long job is wasted.

    ## Example
    ```python
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy")
    ```

    ## Fix
    Start Adam-family optimizers at 1e-3 (or 3e-4) and SGD at 0.01-0.1 with momentum; find the best
    value with a short learning-rate sweep.

    ## Source
    Seeds 000/002/003 (Adam at 0.01 diverges in seed 002); UMLAUT (lr > 0.01 or < 1e-7).
    """

    code, name, severity = "CNN303", "learning-rate-out-of-range", "warning"
    needs = ("compile",)
    options = {"adaptive_max": 1e-2, "adaptive_min": 1e-6, "sgd_max": 0.5, "sgd_min": 1e-5}

    examples = (adam_at_0_01, schedule_starting_too_high, sgd_negative, adam_at_0_001, sgd_at_0_1)

    def check(self, facts):
        opt, lr = facts.compile.optimizer, facts.compile.learning_rate
        if not facts.compile.compiled or lr is None:
            return
        what = f"{opt} learning rate {lr:g}" + (" (schedule start)" if facts.compile.schedule else "")
        if lr <= 0:
            yield self.finding(f"{what} is not positive: the weights never move, or move uphill",
                               fix="set a positive learning rate, e.g. 1e-3 for Adam", severity="error")
            return
        if opt in ADAPTIVE:
            low, high, suggestion = self.opts["adaptive_min"], self.opts["adaptive_max"], "1e-3"
            too_high = lr >= high
        else:
            low, high, suggestion = self.opts["sgd_min"], self.opts["sgd_max"], "0.01-0.1 with momentum"
            too_high = lr > high
        if too_high:
            yield self.finding(f"{what} is too high for {opt} (usual range {low:g} to {high:g}): expect "
                               f"the loss to jump and oscillate", fix=f"use a learning rate of {suggestion}")
        elif lr < low:
            yield self.finding(f"{what} is too low for {opt} (usual range {low:g} to {high:g}): expect "
                               f"the loss to crawl", fix=f"use a learning rate of {suggestion}")
