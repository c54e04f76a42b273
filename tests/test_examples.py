"""The CLI on every example: the findings each must produce, and those it must not."""
import pytest

from helpers import EXAMPLES, run_json

# (module, extra CLI args, codes that must appear, codes that must not (None: no finding at all), exit code).
# examples/pyproject.toml sets fail-on = "warning", so a warning fails the run there.
CASES = [
    ("seed000_raw_uint8", ["--epochs", "10"], {"CNN101", "CNN102", "CNN103", "CNN303", "CNN304"}, set(), 1),
    ("seed000_raw_uint8_fixed", ["--epochs", "10", "--samples", "50000"], set(), None, 0),  # CIFAR-10's size
    ("seed001_capacity", [], {"CNN303", "CNN402", "CNN405"}, set(), 1),  # the probe sees the stall
    ("seed001_capacity_fixed", ["--samples", "60000"], set(), None, 0),  # the arrays sample an MNIST-size set
    ("seed001_excessive_pooling", [], {"CNN201"}, set(), 1),  # Keras refuses to build it; CNN201 names the layer
    ("seed001_excessive_pooling_fixed", ["--samples", "50000"], set(), None, 0),
    ("seed002_overfit", ["--epochs", "20"], {"CNN204"}, set(), 1),
    ("seed002_overfit_fixed", ["--epochs", "20", "--samples", "2000"], set(), None, 0),  # the seed's 2,000 images
    # it memorizes 16 samples easily, but one conv layer sees 4x4 pixels of 64x64: insufficient capacity
    ("seed002_underfit", ["--epochs", "20", "--samples", "60000"], {"CNN216"}, set(), 1),
    ("seed002_underfit_fixed", ["--epochs", "20", "--samples", "60000"], set(), None, 0),
    ("seed002_high_lr", [], {"CNN303", "CNN207", "CNN401"}, set(), 1),  # the probe sees the loss jump
    ("seed002_high_lr_fixed", [], {"CNN207"}, {"CNN303"}, 1),  # the seed's fix keeps a 1.6M-param dense head
    ("clean_cnn", ["--batch-size", "32", "--epochs", "10", "--samples", "50000"], set(), None, 0),
]


@pytest.mark.parametrize("module,args,must,must_not,exit_code", CASES, ids=[c[0] for c in CASES])
def test_example(capsys, module, args, must, must_not, exit_code):
    code, doc, err = run_json(capsys, EXAMPLES / f"{module}.py:build_model", *args)
    codes = {f["code"] for f in doc["findings"]}
    assert must <= codes, f"missing {must - codes}; got {codes}"
    if must_not is None:
        assert not codes, f"{module} should be clean, got: {doc['findings']}"
    else:
        assert not (must_not & codes), f"unexpected {must_not & codes}"
    assert "CNN901" not in codes and "CNN902" not in codes
    assert code == exit_code, err


def test_collapse_that_keras_refuses_names_the_layer_and_the_trail(capsys):
    code, doc, err = run_json(capsys, EXAMPLES / "seed001_excessive_pooling.py:build_model")
    (finding,) = doc["findings"]
    layer = finding["layer"]  # the fourth Conv2D; its auto name depends on what this process built before
    assert finding["code"] == "CNN201" and finding["severity"] == "error" and layer.startswith("conv2d")
    assert finding["message"].startswith(f"spatial size 32 -> 30 -> 15 -> 13 -> 6 -> 4 -> 2 -> 0 at {layer}:")
    assert code == 1 and "Traceback" not in err


def test_collapse_in_a_functional_factory(tmp_path, capsys):
    (tmp_path / "f.py").write_text(
        "import keras\nfrom keras import layers\n"
        "def build():\n"
        "    inputs = keras.Input((8, 8, 3))\n"
        "    x = layers.MaxPooling2D(4, name='p1')(inputs)\n"
        "    x = layers.MaxPooling2D(4, name='p2')(x)\n"
        "    return keras.Model(inputs, x)\n")
    code, doc, _ = run_json(capsys, f"{tmp_path}/f.py:build")
    assert [(f["code"], f["layer"]) for f in doc["findings"]] == [("CNN201", "p2")]
    assert doc["findings"][0]["message"].startswith("spatial size 8 -> 2 -> 0 at p2")
