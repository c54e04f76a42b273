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


@good
def adadelta_at_its_standard_1_0():
    import keras

    return _seed002_cnn(keras.optimizers.Adadelta(learning_rate=1.0))


@bad()
def adadelta_at_the_old_0_001_default():
    import keras

    return _seed002_cnn(keras.optimizers.Adadelta(learning_rate=1e-3))


@good
def head_at_1e_2_on_a_frozen_base():  # keras.io's EfficientNet example trains its head at Adam 1e-2
    import keras
    from keras import layers

    base = keras.applications.MobileNetV2(input_shape=(32, 32, 3), include_top=False, weights=None)
    base.trainable = False
    inp = keras.Input((32, 32, 3))
    model = keras.Model(inp, layers.Dense(5, activation="softmax")(layers.GlobalAveragePooling2D()(base(inp))))
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy")
    return model


# (low, high, suggestion) per optimizer family: each from its paper or Keras' default
RANGES = {
    "adam": (1e-6, 1e-2, "1e-3 (or 3e-4)"),  # Adam, AdamW, Nadam, Adamax, RMSprop (Keras default 1e-3)
    "lion": (1e-7, 1e-3, "1e-4 (Lion wants 3-10x less than Adam)"),
    "sgd": (1e-5, 0.5, "0.01-0.1 with momentum"),
    "adadelta": (1e-2, 10.0, "1.0 (Zeiler 2012; Keras' default 0.001 barely moves)"),
    "adagrad": (1e-4, 1.0, "0.01 (Duchi et al. 2011)"),
    "adafactor": (1e-5, 0.1, "1e-3 (Keras' default)"),
    "ftrl": (1e-5, 1.0, "1e-3 (Keras' default) to 0.1"),
}
FAMILY = {"Adam": "adam", "AdamW": "adam", "Nadam": "adam", "Adamax": "adam", "RMSprop": "adam", "Lamb": "adam",
          "Lion": "lion", "SGD": "sgd", "Adadelta": "adadelta", "Adagrad": "adagrad", "Adafactor": "adafactor",
          "Ftrl": "ftrl"}


class LearningRateOutOfRange(Rule):
    """The optimizer's learning rate is outside the range where its optimizer usually trains.

    ## What it does
    Reads the optimizer's learning rate (for a schedule, its starting value) and compares it with the
    usual range of its family, each from its paper or Keras' default: Adam/AdamW/Nadam/Adamax/RMSprop
    `1e-6 <= lr < 1e-2`; Lion `1e-7 <= lr < 1e-3`; SGD `1e-5 <= lr <= 0.5`; Adadelta `1e-2..10` (1.0 is its
    standard value; the old tf.keras default 0.001 barely moves); Adagrad `1e-4..1`; Adafactor `1e-5..0.1`;
    Ftrl `1e-5..1`. An optimizer it does not know gets no range; `lr <= 0` is always an error. When only a
    small share of the parameters train (`head_share`, 20%: a head on a frozen backbone) the upper bound is
    `head_factor` (10x) higher: a small head from scratch takes larger steps (keras.io trains one at Adam
    1e-2). When the probe ran and its loss fell smoothly, the finding drops to info and says so.

    ## Why is this bad?
    Too high and the loss oscillates or diverges (Adam at 0.01 on a small CNN jumps at the first
    update); too low and training crawls and looks stalled. Either way the long job is wasted.

    ## Example
    ```python
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy")
    ```

    ## Fix
    Start at the family's usual value (Adam 1e-3, SGD 0.01-0.1 with momentum, Adadelta 1.0); find the
    best value with a short learning-rate sweep.

    ## Source
    Seeds 000/002/003 (Adam at 0.01 diverges in seed 002); UMLAUT (lr > 0.01 or < 1e-7); Kingma & Ba 2015,
    Zeiler 2012 (Adadelta), Duchi et al. 2011 (Adagrad), Chen et al. 2023 (Lion).
    """

    code, name, severity = "CNN303", "learning-rate-out-of-range", "warning"
    needs = ("compile",)
    options = {"head_share": 0.2, "head_factor": 10.0, "adaptive_min": 1e-6, "adaptive_max": 1e-2, "sgd_min": 1e-5,
               "sgd_max": 0.5}

    examples = (adam_at_0_01, schedule_starting_too_high, sgd_negative, adadelta_at_the_old_0_001_default,
                adam_at_0_001, sgd_at_0_1, adadelta_at_its_standard_1_0, head_at_1e_2_on_a_frozen_base)

    def check(self, facts):
        opt, lr = facts.compile.optimizer, facts.compile.learning_rate
        if not facts.compile.compiled or lr is None:
            return
        what = f"{opt} learning rate {lr:g}" + (" (schedule start)" if facts.compile.schedule else "")
        if lr <= 0:
            yield self.finding(f"{what} is not positive: the weights never move, or move uphill",
                               fix="set a positive learning rate, e.g. 1e-3 for Adam", severity="error")
            return
        if opt not in FAMILY:
            return
        low, high, suggestion = RANGES[FAMILY[opt]]
        if FAMILY[opt] in ("adam", "sgd"):  # the two ranges users tune most are options
            low, high = self.opts[f"{'adaptive' if FAMILY[opt] == 'adam' else 'sgd'}_min"], \
                self.opts[f"{'adaptive' if FAMILY[opt] == 'adam' else 'sgd'}_max"]
        model = facts.model
        head = ""
        if model is not None and model.params and model.trainable_share < self.opts["head_share"]:
            high *= self.opts["head_factor"]
            head = f", raised {self.opts['head_factor']:g}x: only {model.trainable_share:.0%} of the weights train"
        open_top = FAMILY[opt] in ("adam", "lion")  # their top value is already too high; SGD's is not
        usual = f"usual {opt} range {low:g} <= lr {'<' if open_top else '<='} {high:g}{head}"
        if lr >= high if open_top else lr > high:
            yield self.finding(f"{what} is {'at or ' * open_top}above the top of the {usual}: expect the loss to "
                               f"jump and oscillate", fix=f"use a learning rate of {suggestion}")
        elif lr < low:
            yield self.finding(f"{what} is below the {usual}: expect the loss to crawl",
                               fix=f"use a learning rate of {suggestion}")
