from cnnlint.facts.model import DROPOUTS, NORMALIZATION
from cnnlint.rule import Rule, bad, good

REGULARIZING = DROPOUTS | {"GaussianNoise", "ActivityRegularization"}
# narrower than NORMALIZATION on purpose: the catalogue's BatchNorm/LayerNorm (and GroupNorm), trainable only
REGULARIZING_NORMALIZATION = NORMALIZATION - {"UnitNormalization", "RMSNormalization"}
AUGMENTATION = {"RandAugment", "AugMix", "CutMix", "MixUp", "Solarization", "Equalization"}  # besides Random*


def _regularizes(lay) -> bool:
    """The layer fights overfitting: dropout/noise, (trainable) normalization, augmentation, a weight penalty,
    also as a sublayer of a custom layer."""
    if lay.class_name in REGULARIZING or lay.class_name in REGULARIZING_NORMALIZATION and lay.trainable:
        return True
    if lay.inner_regularized or any(name in REGULARIZING or name in REGULARIZING_NORMALIZATION
                                    or name.startswith("Random") for name in lay.inner):
        return True
    if lay.class_name.startswith("Random") or lay.class_name in AUGMENTATION:
        return True
    return any(kind != "bias" and (reg["l1"] > 0 or reg["l2"] > 0 or reg["class_name"] not in ("L1", "L2", "L1L2"))
               for kind, reg in lay.regularizers.items())


def _seed002_cnn(*head, augment=()):
    import keras
    from keras import layers
    return keras.Sequential([
        keras.Input((64, 64, 3)), *augment,
        layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(),
        layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(),
        layers.Conv2D(128, 3, activation="relu"), layers.MaxPooling2D(),
        layers.Flatten(), *head, layers.Dense(10, activation="softmax")])


@bad()
def seed002_overfitting_cnn_on_2000_images():  # 684k params for 2,000 images, nothing against overfitting
    from keras import layers
    return {"model": _seed002_cnn(layers.Dense(128, activation="relu")), "samples": 2000}


@bad()
def over_a_million_params():
    import keras
    from keras import layers
    return keras.Sequential([keras.Input((32, 32, 3)), layers.Conv2D(8, 3, activation="relu"), layers.Flatten(),
                             layers.Dense(160, activation="relu"), layers.Dense(10, activation="softmax")])


@good
def seed002_fixed_with_dropout_and_augmentation():
    from keras import layers
    model = _seed002_cnn(layers.Dropout(0.5), layers.Dense(128, activation="relu"), layers.Dropout(0.3),
                         augment=(layers.RandomFlip("horizontal"), layers.RandomRotation(0.05)))
    return {"model": model, "samples": 2000}


@good
def big_model_with_l2():
    import keras
    from keras import layers
    l2 = keras.regularizers.L2(1e-4)
    return keras.Sequential([keras.Input((32, 32, 3)), layers.Conv2D(8, 3, activation="relu", kernel_regularizer=l2),
                             layers.Flatten(), layers.Dense(160, activation="relu", kernel_regularizer=l2),
                             layers.Dense(10, activation="softmax")])


class MissingRegularization(Rule):
    """A large model, or one large for its data, has nothing that fights overfitting.

    ## What it does
    Looks for Dropout/SpatialDropout/GaussianDropout/GaussianNoise, kernel or activity regularizers,
    BatchNormalization/LayerNormalization/GroupNormalization, augmentation layers (Random*), also inside
    custom layers, and augmentation in the input pipeline (an augmenting ImageDataGenerator, random ops in
    a tf.data map). When there is none, it flags a model with more than `max_params` (1M) trainable
    parameters, or with more than `params_per_sample` (100) trainable parameters per supervised value when
    the plan knows the dataset size. For dense prediction (segmentation, depth, super-resolution: the output
    keeps spatial axes) every pixel is supervised, so it counts samples x output values and the absolute
    1M bound does not apply (super-resolution nets are built without BatchNorm or Dropout on purpose).

    ## Why is this bad?
    With many more parameters than examples the network memorizes the training set: training
    accuracy climbs to ~100% while validation accuracy stalls and validation loss rises.

    ## Example
    ```python
    # seed 002: 684k parameters, trained on 2,000 images
    Conv2D(32, 3), MaxPooling2D(), Conv2D(64, 3), MaxPooling2D(), Conv2D(128, 3), MaxPooling2D(),
    Flatten(), Dense(128, activation="relu"), Dense(10, activation="softmax")
    ```

    ## Fix
    Add Dropout (0.3-0.5) before and after the dense head, data augmentation (RandomFlip,
    RandomRotation), BatchNormalization after convs, or an L2 kernel regularizer (1e-4); more data
    or a smaller model help too.

    ## Source
    Seeds 001/002/003 (overfitting; seed 002's fix adds Dropout 0.5/0.3 and augmentation).
    """

    code, name, severity = "CNN204", "missing-regularization", "warning"
    needs, options = ("model",), {"max_params": 1_000_000, "params_per_sample": 100}
    examples = (seed002_overfitting_cnn_on_2000_images, over_a_million_params,
                seed002_fixed_with_dropout_and_augmentation, big_model_with_l2)

    def check(self, facts):
        model, params = facts.model, facts.model.trainable_params
        if any(_regularizes(lay) for lay in model.leaves):
            return
        if facts.batch is not None and facts.batch.augments:
            return  # augmentation in the input pipeline (an ImageDataGenerator, random ops in a tf.data map)
        samples = facts.plan.train_samples if facts.plan is not None else None
        dense = facts.task is not None and facts.task.dense
        per = facts.task.supervised_per_sample if dense else 1
        if params > self.opts["max_params"] and not dense:
            size = f"{params:,} trainable parameters (over {self.opts['max_params']:,})"
        elif samples and params > self.opts["params_per_sample"] * samples * per:
            what = f"{samples * per:,} supervised values ({samples:,} samples x {per:,})" if dense else \
                f"{samples:,} training samples"
            size = (f"{params:,} trainable parameters, {params / (samples * per):,.0f}x the {what} "
                    f"(over {self.opts['params_per_sample']}x)")
        else:
            return
        yield self.finding(f"no dropout, weight regularizer, normalization or augmentation in a model with {size}: "
                           f"expect it to memorize the training set",
                           fix="add Dropout(0.3-0.5) around the dense head and data augmentation (RandomFlip, "
                               "RandomRotation layers), or BatchNormalization / an L2 kernel_regularizer of 1e-4")
