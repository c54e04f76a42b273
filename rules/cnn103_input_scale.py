from cnnlint.rule import Rule, bad, good

F32_RTOL = 1e-4  # float32 rounding of x / 255 / 255
KEEPS_VALUES = {"Reshape", "Flatten", "Permute", "Identity", "Dropout", "SpatialDropout1D", "SpatialDropout2D",
                "SpatialDropout3D", "GaussianNoise", "GaussianDropout", "Resizing", "CenterCrop", "RandomCrop", "RandomFlip",
                "RandomRotation", "RandomTranslation", "RandomZoom", "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D",
                "Cropping1D", "Cropping2D", "Cropping3D"}


def _cnn(*head, shape=(8, 8, 1)):
    import keras
    from keras import layers

    return keras.Sequential([keras.Input(shape), *head, layers.Conv2D(4, 3, activation="relu", name="stem"),
                             layers.GlobalAveragePooling2D(), layers.Dense(2, activation="softmax")])


def _pixels(*sample_shape):
    import numpy as np

    return np.random.default_rng(0).integers(0, 256, (32, *(sample_shape or (8, 8, 1)))).astype("float32")


@bad(layer="stem")
def raw_pixels():
    return {"model": _cnn(), "x": _pixels()}


@bad(layer="stem")
def caffe_mean_subtraction():
    return {"model": _cnn(), "x": _pixels() - 127.5}


@bad(layer="stem")
def uint8_wrap_around():  # (x - 128) / 128 computed on uint8 wraps: values in [0, 2)
    import numpy as np

    x = _pixels().astype("uint8")
    return {"model": _cnn(), "x": ((x - np.uint8(128)) / 128).astype("float32")}


@bad(layer="stem")
def normalized_twice():
    import keras

    return {"model": _cnn(keras.layers.Rescaling(1 / 255)), "x": _pixels() / 255}


@bad(layer="stem")
def raw_pixels_with_wrong_shape():
    return {"model": _cnn(), "x": _pixels(8, 8)}  # CNN101's case; the scale is judged on x itself


@good
def rescaling_inside_the_model():
    import keras

    return {"model": _cnn(keras.layers.Rescaling(1 / 255)), "x": _pixels()}


@good
def scaled_to_minus_one_one():
    return {"model": _cnn(), "x": _pixels() / 127.5 - 1}


@good
def standardized():
    import numpy as np

    return {"model": _cnn(), "x": np.random.default_rng(0).normal(0, 1.2, (32, 8, 8, 1)).astype("float32")}


class InputScale(Rule):
    """The values reaching the first trainable layer are not scaled to a small, centred range.

    ## What it does
    Judges the sample batch as it reaches the first layer with weights, after the model's own
    preprocessing (Rescaling, Normalization, the ops `preprocess_input` adds to a graph; a frozen
    backbone's first convolution counts), so a model that rescales inside is clean. Values in [0, 1] or
    [-1, 1] (5% tolerance), standardized (|mean| < 0.5 and 0.5 < std < 2) or zero-centred with a
    moderate spread pass. It warns on raw pixels (max |x| > 2, e.g. 0-255), on other ranges up to 2 (the
    [0, 2) of uint8 wrap-around in `(x - 128) / 128`), reports mean-centred data with a large spread
    (std > 10, Caffe-style mean subtraction) as info; warns when max |x| <= 1/255 (normalized twice).
    Raw pixels into a BatchNormalization, or a linear conv only a BatchNormalization reads, are info.

    ## Why is this bad?
    With 0-255 inputs the first pre-activations are ~100x too large: the initial loss is huge, ReLUs
    die or saturate, the LR that fits them is wrong. Data divided by 255 twice is almost constant.

    ## Example
    ```python
    (x_train, y_train), _ = keras.datasets.cifar10.load_data()
    model.fit(x_train.astype("float32"), y_train)  # 0-255
    ```

    ## Fix
    Scale once: `x / 255` in the pipeline or `keras.layers.Rescaling(1 / 255)` first in the model (or
    an adapted `keras.layers.Normalization`), never both.

    ## Source
    Seeds 000/001/002; TheDeepChecker; UMLAUT; StackOverflow 55328966.
    """

    code, name, severity = "CNN103", "input-scale", "warning"
    needs = ("model", "batch")
    options = {"raw_max": 2.0, "range_tolerance": 0.05, "too_small_max": 1 / 255, "standardized_mean_max": 0.5, "standardized_std_min": 0.5,
               "standardized_std_max": 2.0, "centred_std_min": 10.0, "centred_mean_ratio": 1.0}

    examples = (raw_pixels, caffe_mean_subtraction, uint8_wrap_around, normalized_twice, raw_pixels_with_wrong_shape,
                rescaling_inside_the_model, scaled_to_minus_one_one, standardized)

    def check(self, facts):
        batch, o = facts.batch, self.opts
        arr, layer, applied = batch.preprocessed, batch.first_trainable, batch.preprocess_layers
        if arr is None:  # the shape does not fit the model: judge x itself, when the model would not change it
            model = facts.model
            if any(model.layer(path).class_name not in KEEPS_VALUES for path in applied):
                return
            arr, applied = batch.x, ()
        if not arr.is_numeric or arr.min is None:
            return
        lo, hi, mean, std, top = arr.min, arr.max, arr.mean, arr.std, max(abs(arr.min), abs(arr.max))
        if abs(mean) < o["standardized_mean_max"] and o["standardized_std_min"] < std < o["standardized_std_max"]:
            return
        where = f"values reaching {layer or 'the first layer'}"
        if applied:
            where += f" (after {', '.join(applied)})"
        stats = f"{lo:.4g}..{hi:.4g}, mean {mean:.3g}, std {std:.3g}"
        pre = (f"; check the model's preprocessing ({', '.join(applied)}): adapt a Normalization layer "
               f"(layer.adapt(x_train)) or correct the Rescaling scale") if applied else ""
        if 0 < top <= o["too_small_max"] * (1 + F32_RTOL):
            yield self.finding(f"{where} span only {lo:.4g}..{hi:.4g} (max |x| <= 1/255, std {std:.3g}): "
                               f"normalized twice?", layer=layer,
                               fix="scale once: drop one of the two divisions by 255 (in the pipeline or "
                                   f"a Rescaling layer){pre}")
        elif lo < 0 and std > o["centred_std_min"] and abs(mean) <= o["centred_mean_ratio"] * std:
            yield self.finding(f"{where} are mean-centred with a large spread ({stats}), like Caffe-style mean "
                               f"subtraction: fine when it is the model's documented preprocessing (e.g. "
                               f"keras.applications' preprocess_input)", layer=layer, severity="info",
                               fix="otherwise also divide by the std (or scale to [-1, 1])")
        elif lo < 0 and abs(mean) < o["standardized_mean_max"] and std < o["standardized_std_max"] or (
                lo >= -1 - o["range_tolerance"] and hi <= 1 + o["range_tolerance"]):
            return  # [0, 1], [-1, 1], or zero-centred with a moderate spread (sensor signals)
        elif top <= o["raw_max"]:
            yield self.finding(f"{where} lie in {lo:.4g}..{hi:.4g} (mean {mean:.3g}, std {std:.3g}): neither [0, 1], "
                               f"[-1, 1] nor standardized, e.g. uint8 wrap-around in (x - 128) / 128 on uint8 "
                               f"images", layer=layer,
                               fix="cast to float32 before arithmetic (x.astype('float32') / 127.5 - 1), or "
                                   f"scale to [0, 1]{pre}")
        elif top > o["raw_max"]:
            raw = lo >= 0 and hi <= 255 * (1 + F32_RTOL)
            what = "look like raw 0-255 pixels" if raw else "are not normalized"
            fix = ("scale to [0, 1]: x / 255 in the pipeline, or keras.layers.Rescaling(1 / 255) as the model's "
                   "first layer" if raw else "standardize them: an adapted keras.layers.Normalization as the "
                   "model's first layer, or (x - mean) / std in the pipeline")
            absorbed = facts.model.normalized_after(layer) if layer else None
            note = f"; BatchNormalization {absorbed} normalizes them first, absorbing the scale" * bool(absorbed)
            yield self.finding(f"{where} {what} ({stats}){note}", layer=layer, fix=fix + pre,
                               severity="info" if absorbed else None)

