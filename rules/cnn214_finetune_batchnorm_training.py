from cnnlint.rule import Rule, bad, good

BATCH_NORMS = {"BatchNormalization", "SyncBatchNormalization"}


def _finetune(training=None, sequential=False, pretrained=True, trainable=True, freeze_bn=False):
    """A MobileNetV2 base (pretrained state: trained BatchNorm statistics) under a new head, fine-tuned."""
    import keras
    import numpy as np
    from keras import layers

    from cnnlint.testing import as_pretrained

    base = keras.applications.MobileNetV2(input_shape=(32, 32, 3), include_top=False, weights=None, name="base")
    if pretrained:
        pixels = np.random.default_rng(0).integers(0, 256, (32, 32, 32, 3)).astype("float32")
        as_pretrained(base, keras.applications.mobilenet_v2.preprocess_input(pixels))
    base.trainable = trainable
    for lay in base.layers if freeze_bn else ():
        if isinstance(lay, layers.BatchNormalization):
            lay.trainable = False
    if sequential:
        model = keras.Sequential([keras.Input((32, 32, 3)), base, layers.GlobalAveragePooling2D(), layers.Dense(4)])
    else:
        inp = keras.Input((32, 32, 3))
        h = base(inp) if training is None else base(inp, training=training)
        model = keras.Model(inp, layers.Dense(4)(layers.GlobalAveragePooling2D()(h)))
    model.compile(optimizer=keras.optimizers.Adam(1e-5),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


@bad(layer="base")
def unfrozen_base_called_without_training_false():
    return _finetune()


@bad(layer="base")
def unfrozen_base_in_a_sequential_model():  # Sequential cannot pass training=False to the base
    return _finetune(sequential=True)


@good
def transfer_guide_phase2_training_false():  # base.trainable = True, base(x, training=False)
    return _finetune(training=False)


@good
def frozen_base():
    return _finetune(sequential=True, trainable=False)


@good
def unfrozen_base_with_batchnorm_frozen():
    return _finetune(freeze_bn=True)


@good
def backbone_trained_from_scratch():  # fresh statistics: nothing pretrained to keep
    return _finetune(pretrained=False)


def _ancestors(path):
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


class FinetuneBatchnormTraining(Rule):
    """A pretrained backbone is fine-tuned with its BatchNormalization layers in training mode.

    ## What it does
    For every pretrained nested model (its BatchNormalization moving statistics are trained, not 0/1) that is
    trainable, counts the BatchNormalization layers inside that are trainable and not kept in inference mode by a
    `training=False` call of the backbone (or of a nested model around them). One finding per backbone, with the
    count. In Keras 3 a BatchNormalization with `trainable=False` runs in inference mode, so freezing those
    layers is fine too.

    ## Why is this bad?
    In training mode BatchNormalization normalizes with the statistics of each small fine-tuning batch and
    moves its moving mean/variance toward them: the statistics learned on millions of images are overwritten
    by a few batches of new data, the features the head relies on shift, and accuracy drops at the start of
    fine-tuning (or for good at inference, when the moving statistics are used).

    ## Example
    ```python
    base = keras.applications.MobileNetV2(include_top=False, weights="imagenet")
    base.trainable = True
    model = keras.Sequential([base, layers.GlobalAveragePooling2D(), layers.Dense(2)])
    ```

    ## Fix
    Call the backbone in a functional model with `training=False` (`x = base(inputs, training=False)`): its
    BatchNormalization layers stay in inference mode even after `base.trainable = True`; or set
    `trainable = False` on each of its BatchNormalization layers.

    ## Source
    Keras transfer-learning guide (keras.io/guides/transfer_learning: "keep the BatchNormalization layers in
    inference mode by passing training=False").
    """

    code, name, severity = "CNN214", "finetune-batchnorm-training", "warning"
    needs = ("model",)
    options = {}
    examples = (unfrozen_base_called_without_training_false, unfrozen_base_in_a_sequential_model,
                transfer_guide_phase2_training_false, frozen_base, unfrozen_base_with_batchnorm_frozen,
                backbone_trained_from_scratch)

    def check(self, facts):
        model = facts.model
        pretrained = [lay for lay in model.pretrained if lay.trainable]
        outermost = [p for p in pretrained if not any(model.get(a) in pretrained for a in _ancestors(p.path))]
        for base in outermost:
            norms = [lay for lay in model.inside(base.path) if lay.class_name in BATCH_NORMS]
            live = [lay for lay in norms if lay.trainable and not any(
                (model.get(a) is not None and (model.get(a).call_training is False or not model.get(a).trainable))
                for a in _ancestors(lay.path))]
            if not live:
                continue
            if base.call_training is True:
                how = f"{base.path} is called with training=True"
            elif model.kind == "sequential" and "/" not in base.path:
                how = f"{base.path} is a layer of a Sequential model, which cannot call it with training=False"
            else:
                how = f"{base.path} is not called with training=False"
            yield self.finding(
                f"{len(live)} of {len(norms)} BatchNormalization layers in pretrained {base.path} are trainable and "
                f"{how}: fit runs them in training mode, so fine-tuning batches overwrite the pretrained moving "
                f"statistics (first {live[0].path})",
                layer=base.path,
                fix=f"call the backbone with training=False in a functional model (x = {base.name}(inputs, "
                    f"training=False)): its BatchNormalization stays in inference mode even when trainable; or set "
                    f"trainable=False on its BatchNormalization layers")
