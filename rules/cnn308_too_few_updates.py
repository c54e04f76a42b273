import math

from cnnlint.facts.model import CONV_DENSE, NORMALIZATION
from cnnlint.rule import Rule, bad, good


def _cnn(frozen_base=False):
    import keras
    from keras import layers

    base = keras.Sequential([keras.Input((16, 16, 3)), layers.Conv2D(8, 3, activation="relu"),
                             layers.MaxPooling2D(), layers.Conv2D(16, 3, activation="relu")], name="base")
    base.trainable = not frozen_base
    inp = keras.Input((16, 16, 3))
    model = keras.Model(inp, layers.Dense(10, activation="softmax")(layers.GlobalAveragePooling2D()(base(inp))))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


@bad()
def batch_1000_on_50k_for_10_epochs():  # the catalogue's case: 500 updates
    return {"model": _cnn(), "batch_size": 1000, "epochs": 10, "samples": 50_000}


@bad()
def full_batch_training():  # 20 epochs of one 4,096-sample batch: 20 updates
    return {"model": _cnn(), "batch_size": 4096, "epochs": 20, "samples": 4096}


@good
def mnist_convnet_plan():  # Keras example: batch 128, 15 epochs, 54k training samples = 6,330 updates
    return {"model": _cnn(), "batch_size": 128, "epochs": 15, "samples": 60_000, "validation_split": 0.1}


@good
def small_data_many_epochs():  # timeseries example: 3,601 samples, batch 32, 500 epochs
    return {"model": _cnn(), "batch_size": 32, "epochs": 500, "samples": 3601, "validation_split": 0.2}


@good
def head_on_a_frozen_base():  # transfer learning: a few hundred updates train a head
    return {"model": _cnn(frozen_base=True), "batch_size": 512, "epochs": 5, "samples": 20_000}


@good
def plan_unknown():
    return {"model": _cnn(), "batch_size": 1000}


class TooFewUpdates(Rule):
    """The training plan makes too few optimizer updates for a model trained from scratch.

    ## What it does
    Counts the updates the plan makes, epochs x steps per epoch (ceil(training samples / batch_size), or
    fit's `steps_per_epoch`), and reports a plan under `min_updates` (1,000) for a model trained from
    scratch. A warning when the batch is large (over `large_batch`, 256: the small-batch size of Keskar et
    al.) and so the likely cause; info otherwise (a short plan of ordinary batches, e.g. a demo of a few
    epochs, or a tiny dataset). Silent when the plan is unknown (no epochs, or no dataset size), when nothing
    trains (CNN213), and for transfer learning: a pretrained or frozen nested model, layers with trained
    BatchNormalization statistics, or frozen Conv/Dense/normalization layers (weights brought in).

    ## Why is this bad?
    A network trained from random weights needs thousands of gradient steps; a huge batch divides the steps
    per epoch by its size without making each step proportionally better (the learning rate is not scaled
    up with it), so the run ends long before it converges and its accuracy looks like a capacity or data
    problem. Large batches also tend toward sharp minima that generalize worse.

    ## Example
    ```python
    model.fit(x_train, y_train, batch_size=1000, epochs=10)  # 50,000 samples: 500 updates
    ```

    ## Fix
    Use a batch size of 32-128 (or scale the learning rate with the batch and warm it up), or train for more
    epochs, with EarlyStopping on the validation loss to stop once it converges.

    ## Source
    Seed 000 (batch size); Keskar et al., ICLR 2017 (large batches); Theia (large batch size).
    """

    code, name, severity = "CNN308", "too-few-updates", "warning"
    needs = ("model", "plan")
    options = {"min_updates": 1000, "large_batch": 256}

    examples = (batch_1000_on_50k_for_10_epochs, full_batch_training, mnist_convnet_plan, small_data_many_epochs,
                head_on_a_frozen_base, plan_unknown)

    def check(self, facts):
        model, plan = facts.model, facts.plan
        total, least = plan.total_steps, self.opts["min_updates"]
        if total is None or total >= least or model.trainable_params == 0 or plan.batch_size <= 0:
            return
        if _transferred(model):
            return
        steps, train, size = plan.steps_per_epoch, plan.train_samples, plan.batch_size
        per = f"{steps:,} step(s) per epoch" if plan.fixed_steps or train is None else \
            f"ceil({train:,} training samples / batch {size:,}) = {steps:,} step(s) per epoch"
        epochs_needed = math.ceil(least / steps)
        # the batch limits the count only when fit derives the steps from it (no steps_per_epoch)
        large = bool(train) and not plan.fixed_steps and plan.batch_size_given and size > self.opts["large_batch"]
        if large:
            smaller = next((b for b in (256, 128, 64, 32) if math.ceil(train / b) * plan.epochs >= least), 32)
            updates = math.ceil(train / smaller) * plan.epochs
            fix = (f"use batch_size={smaller} ({updates:,} updates over the same {plan.epochs} epochs), or train "
                   f"{epochs_needed:,}+ epochs (scale the learning rate up with the batch if you keep it)")
            cause = f"; batch {size:,} is the cause"
        else:
            fix = (f"train for {epochs_needed:,}+ epochs (with EarlyStopping on the validation loss) or use a smaller "
                   f"batch; fine when this run is a quick demo or fine-tunes weights trained elsewhere")
            cause = ""
        yield self.finding(
            f"the plan makes {total:,} optimizer updates in all ({plan.epochs} epoch(s) x {per}), fewer than "
            f"{least:,} for a model trained from scratch{cause}; "
            + ("it will stop long before converging" if large else "it may stop before converging"),
            fix=fix, severity=None if large else "info")


def _transferred(model) -> bool:
    """Weights brought in from elsewhere: a pretrained or frozen nested model, trained BatchNormalization
    statistics, or frozen Conv/Dense/normalization layers (nobody freezes random weights)."""
    if model.pretrained or any(not lay.trainable for lay in model.nested()):
        return True
    return any(lay.bn_trained or (lay.class_name in CONV_DENSE | NORMALIZATION and lay.params > 0
                                  and lay.trainable_params == 0) for lay in model.leaves)
