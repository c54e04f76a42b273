"""Regression tests for what real models broke: each a real small Keras model, linted end to end."""
import numpy as np
import pytest

import cnnlint
from helpers import run_cli, tiny_cnn, tiny_data


def test_a_model_with_nothing_trainable_is_an_error_and_the_probe_says_why_it_skipped():
    model = tiny_cnn()
    for layer in model.layers:
        layer.trainable = False
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x, y = tiny_data()
    report = cnnlint.check(model, x, y, probe=True)
    assert "CNN213" in {f.code for f in report.errors}
    report = cnnlint.check(model, x, y, probe=True, ignore=["CNN213"])  # the probe itself must not raise
    assert any("no trainable weights" in why for _, why in report.skipped)


class OwnLoss(cnnlint_model := __import__("keras").Model):
    """A model with its own train_step and loss; its compiled loss would fail on these targets."""

    def train_step(self, data):
        import tensorflow as tf

        x, y = data
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(self(x, training=True)[:, 0] - tf.cast(y, "float32")))
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return {"loss": loss}


def test_a_custom_train_step_is_probed_through_it_and_never_raises():
    import keras

    inp = keras.Input((8, 8, 1))
    out = keras.layers.Dense(3)(keras.layers.GlobalAveragePooling2D()(keras.layers.Conv2D(4, 3)(inp)))
    model = OwnLoss(inp, out)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")  # unused by train_step
    x, y = tiny_data()
    report = cnnlint.check(model, x, y.astype("float32") * 7.5, probe=True)  # labels no compiled loss accepts
    assert report.probe is not None and report.probe["steps_run"] > 0
    assert any("own train_step" in why for _, why in report.skipped)  # the rules it cannot judge say so
    assert not {f.code for f in report.findings} & {"CNN901", "CNN902"}


def test_preprocess_input_ops_in_the_graph_are_the_models_preprocessing():
    import keras

    inp = keras.Input((32, 32, 3))
    x = keras.applications.mobilenet_v2.preprocess_input(inp)  # keras.ops nodes that take no training=
    out = keras.layers.Dense(2, activation="softmax")(keras.layers.GlobalAveragePooling2D()(
        keras.layers.Conv2D(4, 3)(x)))
    model = keras.Model(inp, out)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    pixels = np.random.default_rng(0).integers(0, 256, (16, 32, 32, 3)).astype("float32")
    report = cnnlint.check(model, pixels, np.arange(16) % 2)
    assert not {"CNN902", "CNN103"} & report.codes(), str(report)


def test_any_probe_failure_is_a_note_and_the_static_report_stands(monkeypatch, capsys, tmp_path):
    from cnnlint.probe import runner

    def broken(*args, **kwargs):
        raise RuntimeError("injected failure")

    monkeypatch.setattr(runner, "run_probe", broken)
    x, y = tiny_data()
    report = cnnlint.check(tiny_cnn(keras_optimizer := "adam"), x, y, probe=True)
    assert keras_optimizer and any("probe failed (RuntimeError: injected failure)" in why for _, why in report.skipped)
    target = tmp_path / "m.py"
    target.write_text("import keras, numpy as np\n"
                      "def build_model():\n"
                      "    m = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(4, 3),\n"
                      "        keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(3, activation='softmax')])\n"
                      "    m.compile(optimizer='adam', loss='sparse_categorical_crossentropy')\n"
                      "    rng = np.random.default_rng(0)\n"
                      "    return m, (rng.random((32, 8, 8, 1), dtype='float32'), rng.integers(0, 3, 32))\n")
    code, out, err = run_cli(capsys, f"{target}:build_model")
    assert code in (0, 1) and "probe failed" in out and "Traceback" not in err


def test_augmentation_in_a_tf_data_pipeline_and_bn_inside_custom_layers_count_as_regularization():
    import keras
    import tensorflow as tf

    def big(*extra):
        model = keras.Sequential([keras.Input((16, 16, 3)), *extra, keras.layers.Flatten(),
                                  keras.layers.Dense(1500, activation="relu"), keras.layers.Dense(2, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        return model

    x = np.random.default_rng(0).random((64, 16, 16, 3), dtype="float32")
    y = np.arange(64) % 2
    plain = tf.data.Dataset.from_tensor_slices((x, y)).batch(32)
    flipped = plain.map(lambda a, b: (tf.image.random_flip_left_right(a), b))
    assert "CNN204" in cnnlint.check(big(), plain, select=["CNN204"]).codes()
    assert "CNN204" not in cnnlint.check(big(), flipped, select=["CNN204"]).codes()

    @keras.saving.register_keras_serializable(package="test")
    class Block(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.conv, self.norm = keras.layers.Conv2D(4, 3, padding="same"), keras.layers.BatchNormalization()

        def call(self, inputs, training=None):
            return self.norm(self.conv(inputs), training=training)

    assert "CNN204" not in cnnlint.check(big(Block()), x, y, select=["CNN204"]).codes()


@pytest.mark.parametrize("lr,expected", [(1.0, set()), (1e-3, {"CNN303"})])
def test_adadelta_is_judged_by_its_own_range(lr, expected):
    import keras

    model = tiny_cnn(keras.optimizers.Adadelta(learning_rate=lr))
    assert cnnlint.check(model, select=["CNN303"]).codes() == expected
