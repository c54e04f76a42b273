from cnnlint.rule import Rule, bad, good

# layers that move pixels (RandAugment and AugMix draw shears, rotations and translations among their ops)
GEOMETRIC = {"RandomFlip", "RandomRotation", "RandomZoom", "RandomTranslation", "RandomCrop", "RandomShear",
             "RandomPerspective", "RandomElasticTransform", "RandAugment", "AugMix"}


def _dense_model(*augment, loss="sparse_categorical_crossentropy"):
    import keras
    from keras import layers
    inp = keras.Input((32, 32, 3))
    h = keras.Sequential(list(augment), name="augment")(inp) if augment else inp
    h = layers.Conv2D(8, 3, padding="same", activation="relu")(h)
    out = layers.Conv2D(3, 1, activation="softmax" if "categorical" in loss else None)(h)
    model = keras.Model(inp, out)
    model.compile(optimizer="adam", loss=loss)
    return model


@bad(layer="augment/flip")
def segmentation_with_flip_and_rotation_inside():
    from keras import layers
    return _dense_model(layers.RandomFlip("horizontal", name="flip"), layers.RandomRotation(0.1, name="rot"))


@bad(layer="zoom")
def depth_regression_with_zoom():
    import keras
    from keras import layers
    model = keras.Sequential([keras.Input((32, 32, 3)), layers.RandomZoom(0.2, name="zoom"),
                              layers.Conv2D(8, 3, padding="same", activation="relu"), layers.Conv2D(1, 1)])
    model.compile(optimizer="adam", loss="mse")
    return model


@good
def segmentation_with_color_augmentation_only():
    from keras import layers
    return _dense_model(layers.RandomContrast(0.2), layers.RandomBrightness(0.2))


@good
def classifier_with_geometric_augmentation():
    import keras
    from keras import layers
    model = keras.Sequential([keras.Input((32, 32, 3)), layers.RandomFlip("horizontal"), layers.RandomRotation(0.1),
                              layers.Conv2D(8, 3, activation="relu"), layers.GlobalAveragePooling2D(),
                              layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


class AugmentationMisalignsTarget(Rule):
    """Geometric augmentation inside a dense-prediction model moves the image but not its target.

    ## What it does
    For a model whose output keeps the input's spatial axes (segmentation, depth, super-resolution, denoising),
    reports the geometric random augmentation layers it holds (RandomFlip, RandomRotation, RandomZoom,
    RandomTranslation, RandomCrop, RandomShear, RandomPerspective, RandomElasticTransform, RandAugment, AugMix),
    nested models included, in one finding. Color-only augmentation (RandomContrast, RandomBrightness, ...)
    leaves pixels where they are and is fine.

    ## Why is this bad?
    A layer inside the model sees only the image: fit passes the target mask (or depth map, or high-resolution
    image) straight to the loss. A flipped or rotated image is then scored against the unflipped target, so the
    model learns to predict the wrong pixels and the loss cannot fall below the misalignment's floor.

    ## Example
    ```python
    inputs = keras.Input((160, 160, 3))
    x = layers.RandomFlip("horizontal")(inputs)   # the mask is not flipped
    ...
    outputs = layers.Conv2D(num_classes, 1, activation="softmax")(x)
    ```

    ## Fix
    Augment image and target together in the input pipeline: one layer called on a dict, e.g.
    `dataset.map(lambda x, y: aug({"images": x, "segmentation_masks": y}))`, or one stateless random transform
    applied to both; keep color-only augmentation in the model if you like.

    ## Source
    keras-team/keras-preprocessing#236; keras-team/keras#20857.
    """

    code, name, severity = "CNN212", "augmentation-misaligns-target", "warning"
    needs = ("model", "task")
    options = {}
    examples = (segmentation_with_flip_and_rotation_inside, depth_regression_with_zoom,
                segmentation_with_color_augmentation_only, classifier_with_geometric_augmentation)

    def check(self, facts):
        if not facts.task.dense:
            return
        moving = [lay for lay in facts.model.leaves if lay.class_name in GEOMETRIC]
        if not moving:
            return
        names = ", ".join(f"{lay.path} ({lay.class_name})" for lay in moving[:4])
        more = f" and {len(moving) - 4} more" if len(moving) > 4 else ""
        yield self.finding(
            f"{len(moving)} geometric augmentation layer(s) inside a {facts.task.kind} model, {names}{more}: they "
            f"move the image but not its per-pixel target, so the loss compares misaligned pixels",
            layer=moving[0].path,
            fix="move the geometric augmentation into the input pipeline and apply it to image and target "
                "together (one layer called on {'images': x, 'segmentation_masks': y}, or the same random "
                "transform on both); color-only augmentation may stay in the model")
