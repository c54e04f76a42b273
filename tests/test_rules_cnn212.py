"""Cases of CNN212, CNN214, CNN215 and CNN216 that their examples do not cover (small real models)."""
import keras
import numpy as np
from keras import layers

import cnnlint
from cnnlint.testing import as_pretrained


def codes(model, code, **kw):
    report = cnnlint.check(model, select=[code], config={}, **kw)
    assert "CNN901" not in report.codes(), str(report)
    return [f for f in report.findings if f.code == code]


def _compiled(model, loss="sparse_categorical_crossentropy", optimizer="adam"):
    model.compile(optimizer=optimizer, loss=loss)
    return model


def _head(inp, h, units=10):
    return _compiled(keras.Model(inp, layers.Dense(units, activation="softmax")(layers.GlobalAveragePooling2D()(h))))


# CNN216 ---------------------------------------------------------------------------------------------------------


def test_cnn216_message_carries_field_input_and_layer():
    inp = keras.Input((64, 64, 3))
    (found,) = codes(_head(inp, layers.Conv2D(8, 3, name="only")(inp)), "CNN216")
    assert found.layer == "only" and found.message.startswith("receptive field 3x3 of 64x64 input at only")


def test_cnn216_dilation_widens_the_field():
    inp = keras.Input((32, 32, 3))
    h = inp
    for d in (1, 2, 4):  # 3 + 4 + 8 = 15 of 32
        h = layers.Conv2D(8, 3, dilation_rate=d, padding="same", activation="relu")(h)
    assert not codes(_head(inp, h), "CNN216")


def test_cnn216_a_merge_takes_the_widest_branch():  # Add([shortcut, deep]): the shortcut comes first
    inp = keras.Input((32, 32, 3))
    short = layers.Conv2D(8, 1)(inp)
    deep = inp
    for _ in range(5):  # 11x11 of 32x32
        deep = layers.Conv2D(8, 3, padding="same", activation="relu")(deep)
    assert not codes(_head(inp, layers.Add()([short, deep])), "CNN216")
    inp = keras.Input((32, 32, 3))
    assert codes(_head(inp, layers.Conv2D(8, 1)(inp)), "CNN216")


def test_cnn216_flatten_into_linear_output_fires_and_into_hidden_dense_not():
    def model(*head):
        return _compiled(keras.Sequential([keras.Input((64, 64, 3)), layers.Conv2D(8, 3, activation="relu"),
                                           layers.MaxPooling2D(), layers.Flatten(), layers.Dropout(0.3), *head,
                                           layers.Dense(10, activation="softmax")]))
    assert codes(model(), "CNN216")
    assert codes(model(layers.Dense(32)), "CNN216")  # a linear hidden Dense composes nothing
    assert not codes(model(layers.Dense(32, activation="relu")), "CNN216")


def test_cnn216_judges_3d_and_leaves_1d_and_dense_tasks_alone():
    inp = keras.Input((32, 32, 32, 1))
    assert codes(_compiled(keras.Model(inp, layers.Dense(2, activation="softmax")(
        layers.GlobalAveragePooling3D()(layers.Conv3D(4, 3)(inp))))), "CNN216")
    seq = keras.Input((500, 1))
    assert not codes(_compiled(keras.Model(seq, layers.Dense(2, activation="softmax")(
        layers.GlobalAveragePooling1D()(layers.Conv1D(8, 3)(seq))))), "CNN216")
    seg = keras.Sequential([keras.Input((64, 64, 3)), layers.Conv2D(3, 3, padding="same", activation="softmax")])
    assert not codes(_compiled(seg), "CNN216")


def test_cnn216_squeeze_excitation_and_attention_see_the_whole_map():
    inp = keras.Input((64, 64, 3))
    h = layers.Conv2D(8, 3, padding="same", activation="relu")(inp)
    gate = layers.Reshape((1, 1, 8))(layers.Dense(8, activation="sigmoid")(layers.GlobalAveragePooling2D()(h)))
    assert not codes(_head(inp, layers.Multiply()([h, gate])), "CNN216")
    tokens = layers.Reshape((64 * 64, 8))(h)
    out = layers.Dense(3, activation="softmax")(layers.GlobalAveragePooling1D()(
        layers.MultiHeadAttention(2, 4)(tokens, tokens)))
    assert not codes(_compiled(keras.Model(inp, out)), "CNN216")


def test_cnn216_pretrained_backbone_passes():
    base = keras.applications.MobileNetV2(input_shape=(64, 64, 3), include_top=False, weights=None)
    inp = keras.Input((64, 64, 3))
    assert not codes(_head(inp, base(inp, training=False)), "CNN216")


# CNN212 ---------------------------------------------------------------------------------------------------------


def test_cnn212_one_finding_names_every_moving_layer():
    model = keras.Sequential([keras.Input((32, 32, 3)), layers.RandomContrast(0.1), layers.RandomShear(0.1, name="s"),
                              layers.RandomCrop(32, 32, name="c"), layers.Conv2D(1, 3, padding="same")])
    (found,) = codes(_compiled(model, "mse"), "CNN212")
    assert found.layer == "s" and "s (RandomShear)" in found.message and "c (RandomCrop)" in found.message
    assert "RandomContrast" not in found.message


# CNN214 / CNN215 ------------------------------------------------------------------------------------------------


def _pretrained(name="base"):
    base = keras.applications.MobileNetV2(input_shape=(32, 32, 3), include_top=False, weights=None, name=name)
    pixels = np.random.default_rng(0).uniform(-1, 1, (16, 32, 32, 3)).astype("float32")
    as_pretrained(base, pixels)
    return base


def test_cnn214_training_false_on_a_wrapper_keeps_inner_batchnorm_in_inference():
    base = _pretrained()
    wrapper = keras.Sequential([keras.Input((32, 32, 3)), base], name="encoder")
    inp = keras.Input((32, 32, 3))
    model = _head(inp, wrapper(inp, training=False), 4)
    assert not codes(model, "CNN214")
    inp = keras.Input((32, 32, 3))
    (found,) = codes(_head(inp, wrapper(inp, training=True), 4), "CNN214")  # one finding, on the outermost
    assert found.layer == "encoder" and "training=True" in found.message


def test_cnn215_warmup_peak_and_lion():
    base = _pretrained()
    inp = keras.Input((32, 32, 3))
    peak = keras.optimizers.schedules.CosineDecay(1e-6, 1000, warmup_target=1e-3, warmup_steps=100)
    model = _compiled(_head(inp, base(inp, training=False), 4), optimizer=keras.optimizers.Adam(peak))
    (found,) = codes(model, "CNN215")
    assert "0.001" in found.message and found.layer == "base"
    low = _compiled(_head(inp, base(inp, training=False), 4), optimizer=keras.optimizers.Lion(1e-5))
    assert not codes(low, "CNN215")
    assert not codes(_compiled(_head(inp, base(inp, training=False), 4), optimizer=keras.optimizers.Adagrad(0.01)),
                     "CNN215")  # no fine-tuning range for Adagrad
