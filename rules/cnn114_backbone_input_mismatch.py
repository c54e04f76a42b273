from cnnlint.rule import Rule, bad, good


def _transfer(preprocess_in_data, size=32):
    """A pretrained-state MobileNetV2 (BatchNorm statistics from [-1, 1] inputs) with a new head, fed 0-255
    images either raw (its preprocess_input forgotten) or preprocessed."""
    import keras
    import numpy as np

    from cnnlint.testing import as_pretrained

    prep = keras.applications.mobilenet_v2.preprocess_input
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (32, size, size, 3)).astype("float32")
    base = keras.applications.MobileNetV2(input_shape=(size, size, 3), include_top=False, weights=None)
    as_pretrained(base, prep(pixels.copy()))
    base.trainable = False
    inp = keras.Input((size, size, 3))
    head = keras.layers.Dense(4, activation="softmax")(keras.layers.GlobalAveragePooling2D()(base(inp, training=False)))
    model = keras.Model(inp, head)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x = prep(pixels.copy()) if preprocess_in_data else pixels
    return {"model": model, "x": x, "y": rng.integers(0, 4, 32)}


@bad()
def preprocess_input_forgotten():
    return _transfer(False)


@good
def preprocess_input_in_the_pipeline():
    return _transfer(True)


class BackboneInputMismatch(Rule):
    """A pretrained backbone receives inputs on another scale than the one it was trained on.

    ## What it does
    For every nested model whose BatchNormalization moving statistics are trained (a pretrained backbone:
    judged from its weights, never from its name), reads the values that reach its first BatchNormalization
    on the sample batch and compares their per-channel mean with that layer's moving mean, in units of its
    moving standard deviation. It reports a median over channels of `|z|` above `max_z` (3).

    ## Why is this bad?
    Pretrained weights expect the exact preprocessing they were trained with (`[-1, 1]` for MobileNet and
    Xception, Caffe-style BGR mean subtraction for VGG and ResNet50, raw 0-255 for EfficientNet). Fed
    something else, every BatchNormalization normalizes with statistics of another distribution: the
    features are garbage, transfer learning reaches a fraction of its accuracy, and nothing crashes.

    ## Example
    ```python
    base = keras.applications.MobileNetV2(include_top=False, weights="imagenet")
    outputs = head(base(inputs))                       # 0-255 images, preprocess_input never applied
    ```

    ## Fix
    Apply the backbone's own `keras.applications.<family>.preprocess_input` once: in the input pipeline or
    on the model's Input, not twice and not another family's.

    ## Source
    fchollet/deep-learning-models#96; keras-team/keras#3622; keras-team/keras-io#1549.
    """

    code, name, severity = "CNN114", "backbone-input-mismatch", "warning"
    needs = ("model", "batch")
    options = {"max_z": 3.0}
    examples = (preprocess_input_forgotten, preprocess_input_in_the_pipeline)

    def check(self, facts):
        for owner, (bn, z) in facts.batch.backbone_inputs.items():
            if z <= self.opts["max_z"]:
                continue
            yield self.finding(
                f"pretrained {owner} is fed inputs far from what it was trained on: at its first "
                f"BatchNormalization {bn} the per-channel means lie a median {z:.3g} moving standard deviations "
                f"from its moving means (over {self.opts['max_z']:g})", layer=owner,
                fix=f"apply {owner}'s own keras.applications preprocess_input once (in the pipeline or on the "
                    f"model's Input); check it is not applied twice or from another family")
