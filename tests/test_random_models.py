"""Property test: cnnlint.check never crashes a rule (CNN901) or raises on random valid CNNs built from
conv/pool/BN/dropout/dense/activation layers, residual adds, a nested sub-model, varied paddings,
strides, data formats and input sizes."""
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cnnlint

EXAMPLES = 200
ACTIVATIONS = ["relu", "sigmoid", "tanh", "linear", "elu", "softmax"]


@st.composite
def block_specs(draw):
    return {
        "filters": draw(st.integers(1, 16)),
        "kernel": draw(st.integers(1, 5)),
        "stride": draw(st.sampled_from([1, 1, 2])),
        "padding": draw(st.sampled_from(["valid", "same"])),
        "activation": draw(st.sampled_from(ACTIVATIONS)),
        "separable": draw(st.booleans()),
        "bn": draw(st.booleans()),
        "dropout": draw(st.sampled_from([0.0, 0.0, 0.2, 0.6])),
        "pool": draw(st.sampled_from([None, "max", "avg"])),
        "residual": draw(st.booleans()),
        "extra_activation": draw(st.sampled_from([None, "relu", "sigmoid", "tanh"])),
    }


@st.composite
def model_specs(draw):
    return {
        "size": draw(st.integers(6, 48)),
        "channels": draw(st.sampled_from([1, 3])),
        "rank": draw(st.sampled_from([1, 2, 2, 2])),  # Conv1D or Conv2D
        "blocks": draw(st.lists(block_specs(), min_size=1, max_size=5)),
        "nested_from": draw(st.integers(0, 4)),
        "rescale": draw(st.booleans()),
        "head": draw(st.sampled_from(["gap", "flatten", "gmp"])),
        "hidden": draw(st.sampled_from([0, 0, 4, 64])),
        "units": draw(st.sampled_from([1, 2, 10])),
        "out_activation": draw(st.sampled_from(["softmax", "sigmoid", "linear", "tanh"])),
        "loss": draw(st.sampled_from(["sparse_categorical_crossentropy", "categorical_crossentropy",
                                      "binary_crossentropy", "mse"])),
        "lr": draw(st.sampled_from([1e-5, 1e-3, 0.05, 1.0])),
        "optimizer": draw(st.sampled_from(["Adam", "SGD", "RMSprop"])),
        "compiled": draw(st.sampled_from([True, True, True, False])),
        "batch_size": draw(st.sampled_from([None, 1, 4, 64])),
        "validation_split": draw(st.sampled_from([0.0, 0.2])),
        "scale": draw(st.sampled_from([1.0, 255.0, 1e-3])),
        "sort_labels": draw(st.booleans()),
    }


def _block(layers, x, spec, size, rank):
    conv = {1: layers.Conv1D, 2: layers.Conv2D}[rank]
    if spec["separable"]:
        conv = {1: layers.SeparableConv1D, 2: layers.SeparableConv2D}[rank]
    kernel = min(spec["kernel"], size)  # keep every dimension >= 1: Keras refuses anything else
    stride = spec["stride"] if size >= 2 * kernel else 1
    out = conv(spec["filters"], kernel, strides=stride, padding=spec["padding"], activation=spec["activation"])(x)
    size = -(-size // stride) if spec["padding"] == "same" else (size - kernel) // stride + 1
    if spec["residual"]:
        out = layers.Add()([out, conv(spec["filters"], 1, padding="same")(out)])
    if spec["bn"]:
        out = layers.BatchNormalization()(out)
    if spec["extra_activation"]:
        out = layers.Activation(spec["extra_activation"])(out)
    if spec["dropout"]:
        out = layers.Dropout(spec["dropout"])(out)
    if spec["pool"] and size >= 2:
        pool = {("max", 1): layers.MaxPooling1D, ("max", 2): layers.MaxPooling2D,
                ("avg", 1): layers.AveragePooling1D, ("avg", 2): layers.AveragePooling2D}[(spec["pool"], rank)]
        out = pool(2)(out)
        size //= 2
    return out, size


def build(spec):
    import keras
    from keras import layers

    rank, size = spec["rank"], spec["size"]
    shape = (size,) * rank + (spec["channels"],)
    inputs = keras.Input(shape)
    x = layers.Rescaling(1 / 255)(inputs) if spec["rescale"] else inputs
    for i, block in enumerate(spec["blocks"]):
        if i == spec["nested_from"]:  # the remaining blocks go into a nested sub-model
            sub_in = keras.Input(tuple(x.shape[1:]))
            y, sub_size = sub_in, size
            for inner in spec["blocks"][i:]:
                y, sub_size = _block(layers, y, inner, sub_size, rank)
            x, size = keras.Model(sub_in, y, name="backbone")(x), sub_size
            break
        x, size = _block(layers, x, block, size, rank)
    head = {"gap": {1: layers.GlobalAveragePooling1D, 2: layers.GlobalAveragePooling2D},
            "gmp": {1: layers.GlobalMaxPooling1D, 2: layers.GlobalMaxPooling2D},
            "flatten": {1: layers.Flatten, 2: layers.Flatten}}[spec["head"]][rank]
    x = head()(x)
    if spec["hidden"]:
        x = layers.Dense(spec["hidden"], activation="relu")(x)
    outputs = layers.Dense(spec["units"], activation=spec["out_activation"])(x)
    model = keras.Model(inputs, outputs)
    if spec["compiled"]:
        optimizer = getattr(keras.optimizers, spec["optimizer"])(learning_rate=spec["lr"])
        model.compile(optimizer=optimizer, loss=spec["loss"], metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x_data = (rng.random((40, *shape)) * spec["scale"]).astype("float32")
    y_data = rng.integers(0, max(2, spec["units"]), 40)
    if spec["sort_labels"]:
        y_data = np.sort(y_data)
    return model, x_data, y_data


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(model_specs())
def test_check_never_crashes_a_rule(spec):
    import keras

    model, x, y = build(spec)
    report = cnnlint.check(model, x, y, batch_size=spec["batch_size"], epochs=5,
                           validation_split=spec["validation_split"], config={})
    crashed = [f.message for f in report.findings if f.code == "CNN901"]
    assert not crashed, crashed
    keras.backend.clear_session()
