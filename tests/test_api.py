"""cnnlint.check and Report against real Keras models; the user's model stays untouched."""
import json

import numpy as np
import pytest

import cnnlint
from cnnlint.result import LintFailed
from helpers import run_cli, tiny_cnn, tiny_data


def snapshot(model):
    return [v.numpy().copy() for v in model.weights], [v.numpy().copy() for v in model.optimizer.variables]


def test_check_leaves_weights_and_optimizer_state_bit_for_bit_unchanged():
    model = tiny_cnn()
    x, y = tiny_data()
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)  # optimizer slots now hold real state
    weights, slots = snapshot(model)
    cnnlint.check(model, x * 255, y, batch_size=8, epochs=3, validation_split=0.25)
    after_w, after_s = snapshot(model)
    assert len(after_w) == len(weights) and len(after_s) == len(slots)
    assert all(np.array_equal(a, b) for a, b in zip(weights, after_w))
    assert all(np.array_equal(a, b) for a, b in zip(slots, after_s))


def test_report_api_and_assert_clean():
    x, y = tiny_data()
    report = cnnlint.check(tiny_cnn(), x.astype(np.float64) * 255, y.astype(np.float32), select=["CNN1"])
    assert report.findings and all(isinstance(f, cnnlint.Finding) for f in report.findings)
    assert report.ok  # warnings and infos only; fail-on defaults to error
    with pytest.raises(LintFailed) as failure:
        report.assert_clean(fail_on="warning")
    assert "CNN103" in str(failure.value) and "fixes:" in str(failure.value)
    doc = json.loads(report.to_json())
    assert doc["version"] == 1 and doc["tool"]["name"] == "cnnlint"
    assert {f["code"] for f in doc["findings"]} == report.codes()


def test_no_batch_means_batch_rules_are_skipped_and_said():
    report = cnnlint.check(tiny_cnn(), select=["CNN1", "CNN303"])
    assert not report.findings
    assert {code for code, _ in report.skipped} >= {"CNN101", "CNN103"}
    assert "sample batch" in str(report)


def test_data_sources_mirror_fit():
    import keras
    import tensorflow as tf
    ImageDataGenerator = tf.keras.preprocessing.image.ImageDataGenerator  # not in keras.* any more

    x, y = tiny_data(64)
    raw = (x * 255).astype("uint8")

    class Batches(keras.utils.PyDataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return raw[i * 16:(i + 1) * 16], y[i * 16:(i + 1) * 16]

    sources = {
        "arrays": (raw, y),
        "dataset": (tf.data.Dataset.from_tensor_slices((raw, y)).batch(16), None),
        "unbatched dataset": (tf.data.Dataset.from_tensor_slices((raw, y)), None),
        "pydataset": (Batches(), None),
        "image iterator": (ImageDataGenerator().flow(raw, y, batch_size=16), None),
    }
    for name, (data, labels) in sources.items():
        report = cnnlint.check(tiny_cnn(), data, labels, select=["CNN102", "CNN103"])
        # the image iterator hands out float32 (it casts), still 0-255: only the scale is wrong
        expected = {"CNN103"} if name == "image iterator" else {"CNN102", "CNN103"}
        assert report.codes() == expected, name


def test_factory_may_return_model_with_dataset(tmp_path, capsys):
    (tmp_path / "m.py").write_text(
        "import tensorflow as tf, numpy as np, keras\n"
        "def build():\n"
        "    m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation='softmax')])\n"
        "    m.compile('adam', 'sparse_categorical_crossentropy')\n"
        "    x = np.full((8, 4), np.nan, 'float32')\n"
        "    return m, tf.data.Dataset.from_tensor_slices((x, np.zeros(8))).batch(4)\n")
    code, out, _ = run_cli(capsys, f"{tmp_path}/m.py:build", "--select", "CNN104")
    assert code == 1 and "CNN104" in out


def test_npz_and_image_folder_data(tmp_path, capsys):
    import tensorflow as tf

    x, y = tiny_data(16)
    np.savez(tmp_path / "d.npz", x=x * 255, y=y)
    (tmp_path / "m.py").write_text(
        "import sys; sys.path.insert(0, %r)\nfrom helpers import tiny_cnn\ndef build():\n    return tiny_cnn()\n"
        % str(__import__("pathlib").Path(__file__).parent))
    code, out, _ = run_cli(capsys, f"{tmp_path}/m.py:build", "--data", tmp_path / "d.npz", "--select", "CNN103")
    assert "CNN103" in out
    for cls in ("cat", "dog"):
        (tmp_path / "img" / cls).mkdir(parents=True)
        for i in range(3):
            pixels = np.full((10, 10, 1), 200 if cls == "dog" else 20, np.uint8)
            tf.io.write_file(str(tmp_path / "img" / cls / f"{i}.png"), tf.io.encode_png(pixels))
    code, out, _ = run_cli(capsys, f"{tmp_path}/m.py:build", "--data", tmp_path / "img", "--select", "CNN101")
    assert code == 1 and "CNN101" in out  # 10x10 images, the model wants 8x8: never resized silently


def test_keras_file_loads_in_safe_mode(tmp_path, capsys):
    import keras

    model = keras.Sequential([keras.Input((4,)), keras.layers.Lambda(lambda t: t * 2),
                              keras.layers.Dense(2, activation="softmax")])
    model.save(tmp_path / "lambda.keras")
    code, _, err = run_cli(capsys, tmp_path / "lambda.keras")
    assert code == 2 and "--unsafe" in err
    code, out, err = run_cli(capsys, tmp_path / "lambda.keras", "--unsafe", "--select", "CNN302")
    assert "safe_mode=False" in err and "CNN302" in out
