from cnnlint.facts.compile import ADAM_FAMILY
from cnnlint.rule import Rule, bad, good

ADAPTIVE = ADAM_FAMILY | {"RMSprop", "Lion"}
SGD = {"SGD"}


def _finetune(optimizer=None, trainable=True, pretrained=True):
    """A MobileNetV2 base (pretrained state: trained BatchNorm statistics) called with training=False under a
    new head, compiled with `optimizer` (default Adam 1e-5)."""
    import keras
    import numpy as np
    from keras import layers

    from cnnlint.testing import as_pretrained

    base = keras.applications.MobileNetV2(input_shape=(32, 32, 3), include_top=False, weights=None, name="base")
    if pretrained:
        pixels = np.random.default_rng(0).integers(0, 256, (32, 32, 32, 3)).astype("float32")
        as_pretrained(base, keras.applications.mobilenet_v2.preprocess_input(pixels))
    base.trainable = trainable
    inp = keras.Input((32, 32, 3))
    h = layers.GlobalAveragePooling2D()(base(inp, training=False))
    model = keras.Model(inp, layers.Dense(4)(h))
    model.compile(optimizer=optimizer or keras.optimizers.Adam(1e-5),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


@bad(layer="base")
def unfrozen_base_at_adam_default():
    return _finetune("adam")  # 1e-3


@bad(layer="base")
def unfrozen_base_at_sgd_0_1():
    import keras
    return _finetune(keras.optimizers.SGD(0.1, momentum=0.9))


@good
def transfer_guide_phase2_adam_1e5():
    return _finetune()


@good
def transfer_guide_phase1_frozen_base_head_at_1e2():
    import keras
    return _finetune(keras.optimizers.Adam(1e-2), trainable=False)


@good
def unfrozen_base_at_sgd_1e3():  # the classic fine-tuning recipe: SGD(1e-3, momentum=0.9)
    import keras
    return _finetune(keras.optimizers.SGD(1e-3, momentum=0.9))


@good
def backbone_trained_from_scratch_at_adam_default():  # nothing pretrained to wreck
    return _finetune("adam", pretrained=False)


def _peak(compile_facts):
    """The largest learning rate the run reaches: a schedule's warmup target when it has one."""
    lr = compile_facts.learning_rate
    target = ((compile_facts.schedule or {}).get("config") or {}).get("warmup_target")
    if isinstance(target, (int, float)) and (lr is None or target > lr):
        return float(target)
    return lr


class FinetuneLearningRate(Rule):
    """A pretrained backbone's weights train under a learning rate meant for training from scratch.

    ## What it does
    For every pretrained nested model (its BatchNormalization moving statistics are trained) with trainable
    parameters inside, compares the optimizer's learning rate (a schedule's initial value, or its warmup target
    when higher) with fine-tuning rates: Adam family (Adam, AdamW, Nadam, Adamax, Lamb), RMSprop and Lion above
    `adaptive_max` (1e-4), SGD above `sgd_max` (1e-2). A frozen base (only the head trains) is never reported,
    whatever the head's rate; other optimizers have no range here.

    ## Why is this bad?
    The pretrained features are a good solution the new task should only nudge. At a from-scratch learning rate
    the first updates, driven by the large gradients of a randomly initialized head, move every backbone weight
    far from it: the features are wrecked before the head has learned to use them, and fine-tuning ends below
    the frozen-base accuracy.

    ## Example
    ```python
    base.trainable = True
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=...)
    ```

    ## Fix
    Train the head first with the base frozen (any usual rate), then unfreeze the base and recompile with a low
    rate: Adam(1e-5) as in the Keras guide (at most 1e-4), or SGD at most 1e-2 (1e-3 with momentum 0.9 is
    common).

    ## Source
    Keras transfer-learning guide (keras.io/guides/transfer_learning: fine-tune "with a very low learning
    rate", Adam 1e-5).
    """

    code, name, severity = "CNN215", "finetune-learning-rate", "warning"
    needs = ("model", "compile")
    options = {"adaptive_max": 1e-4, "sgd_max": 1e-2}
    examples = (unfrozen_base_at_adam_default, unfrozen_base_at_sgd_0_1, transfer_guide_phase2_adam_1e5,
                transfer_guide_phase1_frozen_base_head_at_1e2, unfrozen_base_at_sgd_1e3,
                backbone_trained_from_scratch_at_adam_default)

    def check(self, facts):
        opt, lr = facts.compile.optimizer, _peak(facts.compile)
        if not facts.compile.compiled or lr is None:
            return
        limit = self.opts["adaptive_max"] if opt in ADAPTIVE else self.opts["sgd_max"] if opt in SGD else None
        if limit is None or lr <= limit * (1 + 1e-6):
            return
        model = facts.model
        for base in model.pretrained:
            if any(base.path.startswith(other.path + "/") for other in model.pretrained):
                continue  # judged with the pretrained model around it
            trainable = sum(lay.trainable_params for lay in model.inside(base.path) if not lay.is_model)
            if not trainable:
                continue
            low = "SGD(learning_rate=1e-3, momentum=0.9)" if opt in SGD else f"{opt}(learning_rate=1e-5)"
            total = sum(lay.params for lay in model.inside(base.path) if not lay.is_model)
            yield self.finding(
                f"pretrained {base.path} has {trainable:,} of {total:,} parameters trainable under {opt} "
                f"learning rate {lr:g}, above the fine-tuning limit {limit:g}: the first updates wreck the "
                f"pretrained features",
                layer=base.path,
                fix=f"train the head with {base.path}.trainable = False first, then unfreeze it and recompile with "
                    f"a low rate: {low}")
