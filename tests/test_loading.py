"""Loading targets and data from real files: saved models (.keras, .h5), files Keras cannot load, dotted
targets from the working directory, and image folders with unreadable files."""
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

from helpers import run_cli, tiny_cnn

FACTORY = '''
import keras

def build_model():
    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Rescaling(1 / 255),
                              keras.layers.Conv2D(4, 3, activation="relu"), keras.layers.GlobalAveragePooling2D(),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model
'''


def usage_error(code, out, err, *words):
    """Exit 2, one `cnnlint: error:` line that holds every word, nothing on stdout."""
    lines = err.strip().splitlines()
    assert code == 2, (code, out, err)
    assert len(lines) == 1 and lines[0].startswith("cnnlint: error: "), err
    assert "Traceback" not in err and out == ""
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


@pytest.fixture
def saved(tmp_path, monkeypatch):
    """A folder with a compiled, never trained model saved as .keras and as .h5."""
    monkeypatch.chdir(tmp_path)
    model = tiny_cnn()
    model.save(tmp_path / "model.keras")
    model.save(tmp_path / "model.h5")
    model.save_weights(tmp_path / "model.weights.h5")
    return tmp_path


# 1. corrupt .keras files

def test_random_bytes_keras_file(capsys, saved):
    (saved / "random.keras").write_bytes(np.random.default_rng(0).bytes(2000))
    usage_error(*run_cli(capsys, "random.keras"), "cannot load random.keras", "not a valid .keras file", "zip")


def test_truncated_keras_file(capsys, saved):
    data = (saved / "model.keras").read_bytes()
    (saved / "truncated.keras").write_bytes(data[: len(data) // 2])
    usage_error(*run_cli(capsys, "truncated.keras"), "cannot load truncated.keras", "not a valid .keras file")


def test_zip_without_config_is_not_a_keras_file(capsys, saved):
    import zipfile

    with zipfile.ZipFile(saved / "other.keras", "w") as archive:
        archive.writestr("readme.txt", "hello")
    usage_error(*run_cli(capsys, "other.keras"), "not a valid .keras file", "config.json")


# 2. HDF5, SavedModel and other formats

def test_h5_model_lints(capsys, saved):
    code, out, err = run_cli(capsys, "model.h5", "--select", "CNN3")
    assert code in (0, 1) and "cnnlint: error" not in err and "Traceback" not in err, err
    assert "model.h5" in out


@pytest.mark.parametrize("name", ["model.weights.h5", "plain.h5", "plain.hdf5"])
def test_weights_only_h5(capsys, saved, name):
    if name != "model.weights.h5":  # a legacy weights file under a model's name: no model config inside
        (saved / name).write_bytes((saved / "model.weights.h5").read_bytes())
    usage_error(*run_cli(capsys, name), f"{name} holds weights only", "factory", "load_weights")


def test_corrupt_h5(capsys, saved):
    (saved / "broken.h5").write_bytes(b"not an hdf5 file" * 10)
    usage_error(*run_cli(capsys, "broken.h5"), "cannot load broken.h5", "not a valid HDF5 file")


def test_h5_with_a_lambda_needs_unsafe(capsys, saved):
    """Keras 3 applies safe_mode to .h5 files too: a Lambda loads only with --unsafe."""
    import keras

    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Lambda(lambda t: t / 255.0),
                              keras.layers.Conv2D(2, 3), keras.layers.Flatten(), keras.layers.Dense(2)])
    model.save(saved / "lambda.h5")
    usage_error(*run_cli(capsys, "lambda.h5"), "cannot load lambda.h5", "Lambda", "--unsafe")
    code, out, err = run_cli(capsys, "lambda.h5", "--unsafe", "--select", "CNN3")
    assert code in (0, 1) and "safe_mode=False" in err and "cnnlint: error" not in err


def test_savedmodel_folder_and_pb(capsys, saved):
    import tensorflow as tf

    module = tf.Module()
    module.scale = tf.Variable(2.0)
    tf.saved_model.save(module, str(saved / "exported"))
    for spec in ("exported", "exported/saved_model.pb"):
        usage_error(*run_cli(capsys, spec), f"{spec} is a TensorFlow SavedModel", "Keras 3 cannot load as a model",
                    "factory", "TFSMLayer")


@pytest.mark.parametrize("suffix", [".onnx", ".pt", ".pth", ".tflite", ".pkl"])
def test_other_frameworks_files(capsys, saved, suffix):
    (saved / f"model{suffix}").write_bytes(b"\x00" * 16)
    usage_error(*run_cli(capsys, f"model{suffix}"), f"model{suffix} is not a Keras model file", "model.keras",
                "model.h5", "file.py:build_model")


# 3. dotted targets import from the working directory

@pytest.fixture
def package(tmp_path, monkeypatch):
    """A package `cnnlint_pkg_loading` in tmp_path, the working directory, which is not on sys.path."""
    pkg = tmp_path / "cnnlint_pkg_loading"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "models.py").write_text(FACTORY)
    (pkg / "data.py").write_text("import numpy as np\n\ndef load():\n"
                                 "    return np.zeros((16, 8, 8, 1), 'float32'), np.arange(16) % 2\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", ".", str(tmp_path))])
    yield tmp_path
    for name in [n for n in sys.modules if n.startswith("cnnlint_pkg_loading")]:
        del sys.modules[name]


def test_dotted_target_and_data_from_the_working_directory(capsys, package):
    code, out, err = run_cli(capsys, "cnnlint_pkg_loading.models:build_model", "--data",
                             "cnnlint_pkg_loading.data:load", "--select", "CNN1")
    assert code in (0, 1) and "cnnlint: error" not in err, err
    assert sys.path.count(str(package)) == 1


def test_working_directory_goes_on_sys_path_once(package):
    from cnnlint.loader import import_module

    import_module("cnnlint_pkg_loading.models")
    import_module("cnnlint_pkg_loading.data")
    assert sys.path.count(os.getcwd()) == 1


# 4. Keras's notes on a fresh load stay off stderr

def test_loading_a_model_saved_before_training_is_quiet(saved):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    run = subprocess.run([sys.executable, "-m", "cnnlint", "model.keras", "model.h5", "--select", "CNN3"],
                         cwd=saved, capture_output=True, text=True, timeout=180, env=env)
    assert run.returncode in (0, 1), run.stderr
    assert "Skipping variable loading" not in run.stderr and "compiled metrics" not in run.stderr, run.stderr
    assert "Traceback" not in run.stderr


def test_quiet_loading_silences_only_the_load_notes(saved):
    from cnnlint.loader import _quiet_loading, load_target

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load_target("model.keras")
        with _quiet_loading():
            warnings.warn("Skipping variable loading for optimizer 'adam', because it has 10 variables")
            warnings.warn("A total of 2 objects could not be loaded")  # a real problem
    texts = [str(w.message) for w in caught]
    assert not any(t.startswith("Skipping variable loading") for t in texts), texts
    assert "A total of 2 objects could not be loaded" in texts


# 5. unreadable images in a data folder

def _image_folder(root, good=3, garbage=("dogs/broken.png",)):
    import tensorflow as tf

    rng = np.random.default_rng(0)
    for name in ("cats", "dogs"):
        (root / "images" / name).mkdir(parents=True)
        for i in range(good):
            pixels = rng.integers(0, 256, (8, 8, 1), dtype=np.uint8)
            tf.io.write_file(str(root / "images" / name / f"{i}.png"), tf.io.encode_png(pixels))
    for rel in garbage:
        (root / "images" / rel).write_bytes(b"<html>404 Not Found</html>")
    (root / "models.py").write_text(FACTORY)
    return root / "images"


def test_load_folder_skips_unreadable_images(tmp_path):
    from cnnlint.data import load_folder

    sample = load_folder(_image_folder(tmp_path))
    assert sample.x.shape == (6, 8, 8, 1) and sample.y.tolist() == [0, 0, 0, 1, 1, 1]
    [(path, reason)] = sample.unreadable
    assert path.endswith(os.path.join("dogs", "broken.png"))
    assert "Unknown image file format" in reason and "{{" not in reason and "\n" not in reason


def test_cli_reports_unreadable_images(capsys, tmp_path, monkeypatch):
    _image_folder(tmp_path)
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(capsys, "models.py:build_model", "--data", "images", "--select", "CNN115")
    assert code == 0 and "cnnlint: error" not in err, err  # a warning; fail-on is "error"
    assert "CNN115" in out and "unreadable-sample" in out
    assert "1 of 7 files in the data folder could not be read" in out
    assert os.path.join("images", "dogs", "broken.png") in out
    code, out, err = run_cli(capsys, "models.py:build_model", "--data", "images")  # every rule runs on the rest
    assert code in (0, 1) and "CNN115" in out and "cnnlint: error" not in err, err


def test_cli_folder_of_only_unreadable_images(capsys, tmp_path, monkeypatch):
    _image_folder(tmp_path, good=0, garbage=("cats/a.png", "dogs/b.jpg"))
    monkeypatch.chdir(tmp_path)
    usage_error(*run_cli(capsys, "models.py:build_model", "--data", "images"), "none of the 2 images could be read",
                os.path.join("cats", "a.png"), "Unknown image file format")
