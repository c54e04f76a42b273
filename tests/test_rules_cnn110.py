"""Cases of CNN110, CNN112, CNN213 and CNN308 that their examples do not cover (small real models)."""
import keras
import numpy as np
from keras import layers

import cnnlint

RNG = np.random.default_rng(0)


def codes(model, code, **kw):
    report = cnnlint.check(model, select=[code], config={}, **kw)
    assert "CNN901" not in report.codes(), str(report)
    return [f for f in report.findings if f.code == code]


def _cnn(*head, shape=(8, 8, 3)):
    return keras.Sequential([keras.Input(shape), layers.Conv2D(4, 3, activation="relu"),
                             layers.GlobalAveragePooling2D(), *head])


def test_cnn110_judges_each_output_with_its_own_labels():
    inp = keras.Input((8, 8, 3))
    h = layers.GlobalAveragePooling2D()(layers.Conv2D(4, 3, activation="relu")(inp))
    model = keras.Model(inp, [layers.Dense(3, activation="softmax", name="kind")(h),
                              layers.Dense(4, activation="softmax", name="tags")(h)])
    model.compile(optimizer="adam", loss=["categorical_crossentropy", "categorical_crossentropy"])
    kind = np.eye(3, dtype="float32")[RNG.integers(0, 3, 16)]
    tags = np.ones((16, 4), "float32")
    tags[:, 0] = 0
    found = codes(model, "CNN110", x=RNG.random((16, 8, 8, 3), dtype="float32"), y=[kind, tags])
    assert [f.layer for f in found] == ["tags"]


def test_cnn110_silent_on_soft_mixup_rows():
    model = _cnn(layers.Dense(4, activation="softmax"))
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    lam = RNG.uniform(0.2, 0.8, (16, 1))
    y = (lam * np.eye(4)[RNG.integers(0, 4, 16)] + (1 - lam) * np.eye(4)[RNG.integers(0, 4, 16)]).astype("float32")
    assert not codes(model, "CNN110", x=RNG.random((16, 8, 8, 3), dtype="float32"), y=y)


def test_cnn112_silent_for_a_custom_train_step():
    class OwnStep(keras.Model):
        def train_step(self, data):  # pragma: no cover - never run
            return super().train_step(data)

    inp = keras.Input((8, 8, 3))
    model = OwnStep(inp, layers.Dense(1)(layers.GlobalAveragePooling2D()(layers.Conv2D(4, 3)(inp))))
    model.compile(optimizer="adam", loss="mse")
    y = RNG.normal(1000, 300, (16, 1)).astype("float32")
    assert not codes(model, "CNN112", x=RNG.random((16, 8, 8, 3), dtype="float32"), y=y)


def test_cnn112_silent_on_class_labels_and_without_labels():
    model = _cnn(layers.Dense(1))
    model.compile(optimizer="adam", loss="mse")
    assert not codes(model, "CNN112", x=RNG.random((16, 8, 8, 3), dtype="float32"))
    model = _cnn(layers.Dense(50, activation="softmax"))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    y = RNG.integers(0, 50, 16)
    assert not codes(model, "CNN112", x=RNG.random((16, 8, 8, 3), dtype="float32"), y=y)


def test_cnn213_weightless_model_only_when_compiled():
    model = keras.Sequential([keras.Input((8, 8, 3)), layers.GlobalAveragePooling2D()])
    assert not codes(model, "CNN213")
    model.compile(optimizer="adam", loss="mse")
    found = codes(model, "CNN213")
    assert found and found[0].layer is None


def test_cnn213_names_the_frozen_nested_model_when_its_layers_hold_the_last_weights():
    base = keras.Sequential([keras.Input((8, 8, 3)), layers.Conv2D(4, 3, name="top_conv")], name="base")
    base.trainable = False
    inp = keras.Input((8, 8, 3))
    model = keras.Model(inp, layers.GlobalAveragePooling2D()(base(inp)))
    found = codes(model, "CNN213")
    assert found and found[0].layer == "base/top_conv" and "base" in found[0].fix


def test_cnn308_short_plan_of_ordinary_batches_is_info():
    model = _cnn(layers.Dense(10, activation="softmax"))
    found = codes(model, "CNN308", batch_size=64, epochs=5, samples=9305)  # 730 updates
    assert [f.severity for f in found] == ["info"]
    assert "730" in found[0].message


def test_cnn308_default_batch_and_steps_per_epoch():
    model = _cnn(layers.Dense(10, activation="softmax"))
    assert [f.severity for f in codes(model, "CNN308", epochs=10, steps_per_epoch=20)] == ["info"]
    assert not codes(model, "CNN308", epochs=10, steps_per_epoch=200)


def test_cnn308_silent_with_frozen_or_pretrained_layers():
    conv = layers.Conv2D(4, 3, activation="relu", trainable=False)  # weights brought in, kept fixed
    model = keras.Sequential([keras.Input((8, 8, 3)), conv, layers.GlobalAveragePooling2D(), layers.Dense(10)])
    assert not codes(model, "CNN308", batch_size=1000, epochs=2, samples=20_000)
    bn = layers.BatchNormalization()
    model = keras.Sequential([keras.Input((8, 8, 3)), layers.Conv2D(4, 3), bn, layers.GlobalAveragePooling2D(),
                              layers.Dense(10)])
    assert [f.severity for f in codes(model, "CNN308", batch_size=1000, epochs=2, samples=20_000)] == ["warning"]
    bn.moving_mean.assign(np.full(4, 0.3, "float32"))  # trained statistics: pretrained weights loaded
    assert not codes(model, "CNN308", batch_size=1000, epochs=2, samples=20_000)


def test_cnn308_silent_when_nothing_trains():
    model = _cnn(layers.Dense(10))
    model.trainable = False
    assert not codes(model, "CNN308", batch_size=1000, epochs=2, samples=20_000)
