"""No false alarms on real CNNs: keras.applications models (weights=None, small inputs), compiled with
Adam(1e-3) and sparse categorical cross-entropy, fed a random batch scaled by each model's own
preprocess_input. Zero errors; every warning listed here with the reason it is right. Infos are allowed: ResNet50 gets
CNN211 for each conv bias feeding BatchNormalization (true: those biases are cancelled), and ResNet50/VGG16
get CNN103's info for caffe-style mean subtraction (their documented preprocessing)."""
import numpy as np
import pytest

import cnnlint

SIZE, CLASSES = 64, 10
# model -> keras.applications module holding its preprocess_input
MODELS = {
    "ResNet50": "resnet50",
    "MobileNetV2": "mobilenet_v2",
    "EfficientNetB0": "efficientnet",
    "DenseNet121": "densenet",
    "VGG16": "vgg16",
}
# (model, code) -> why the warning is right
EXPECTED_WARNINGS = {
    ("VGG16", "CNN204"): "VGG16 really has no dropout, batch norm or regularizer, with 40M parameters",
}


@pytest.fixture(scope="module")
def reports():
    import keras

    rng = np.random.default_rng(0)
    raw = rng.integers(0, 256, (16, SIZE, SIZE, 3)).astype("float32")
    labels = rng.integers(0, CLASSES, 16)
    out = {}
    for name, module in MODELS.items():
        model = getattr(keras.applications, name)(weights=None, input_shape=(SIZE, SIZE, 3), classes=CLASSES)
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        x = getattr(keras.applications, module).preprocess_input(raw.copy())
        out[name] = cnnlint.check(model, x, labels, batch_size=32, epochs=10, samples=50_000, config={})
        keras.backend.clear_session()
    return out


@pytest.mark.parametrize("name", MODELS)
def test_no_errors_and_only_explained_warnings(reports, name):
    report = reports[name]
    assert not report.errors, report
    warnings = {f.code for f in report.warnings}
    expected = {code for model, code in EXPECTED_WARNINGS if model == name}
    assert warnings == expected, f"{name}: warnings {warnings}, expected {expected}\n{report}"
    assert "CNN901" not in report.codes() and "CNN902" not in report.codes()
