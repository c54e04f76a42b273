"""Adopting cnnlint on an existing codebase: baselines, and `# cnnlint: ignore[...]` on the factory."""
import json

from helpers import run_cli

MODELS = '''
import keras

def _model(units, lr):
    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(4, 3, activation="relu", name="conv"),
                              keras.layers.GlobalAveragePooling2D(),
                              keras.layers.Dense(units, activation="softmax", name="out")])
    model.compile(keras.optimizers.Adam(lr), "sparse_categorical_crossentropy")
    return model

def legacy():
    return _model(1, 1e-3)          # CNN301 on "out": known, baselined

def legacy_plus_new():
    return _model(1, 0.05)          # the same CNN301, and a new CNN303

def suppressed():  # cnnlint: ignore[output-loss-mismatch]
    return _model(1, 1e-3)

def stale():  # cnnlint: ignore[CNN303]
    return _model(10, 1e-3)
'''


def test_baseline_fails_only_on_new_findings(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "models.py").write_text(MODELS)
    code, _, err = run_cli(capsys, "models.py:legacy", "--no-probe", "--write-baseline", "base.json")
    assert code == 0 and "wrote 1 findings" in err
    saved = json.loads((tmp_path / "base.json").read_text())["findings"]
    assert saved == [{"target": "models.py:legacy", "code": "CNN301", "layer": "out"}]
    code, out, _ = run_cli(capsys, "models.py:legacy", "--no-probe", "--baseline", "base.json")
    assert code == 0 and "0 new, 0 fixed" in out
    # the same finding on another target is new: keys are (target, code, layer)
    baseline = tmp_path / "base.json"
    baseline.write_text(json.dumps({"version": 1, "tool": "cnnlint", "findings": [
        {"target": "models.py:legacy_plus_new", "code": "CNN301", "layer": "out"},
        {"target": "models.py:legacy_plus_new", "code": "CNN208", "layer": "conv"}]}))
    code, out, _ = run_cli(capsys, "models.py:legacy_plus_new", "--no-probe", "--baseline", "base.json",
                           "--fail-on", "warning")
    assert code == 1 and "CNN303" in out and "CNN301" not in out
    assert "1 new, 1 fixed" in out


def test_def_line_suppression_and_stale_ones(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "models.py").write_text(MODELS)
    code, out, _ = run_cli(capsys, "models.py:suppressed", "--no-probe", "--format", "json")
    assert code == 0 and json.loads(out)["findings"] == []
    code, out, _ = run_cli(capsys, "models.py:stale", "--no-probe", "--format", "json")
    findings = json.loads(out)["findings"]
    assert [(f["code"], f["severity"]) for f in findings] == [("CNN903", "info")]
    assert "ignore[CNN303]" in findings[0]["message"]


def test_bad_baseline_is_a_usage_error(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "models.py").write_text(MODELS)
    (tmp_path / "bad.json").write_text("{not json")
    code, _, err = run_cli(capsys, "models.py:legacy", "--no-probe", "--baseline", "bad.json")
    assert code == 2 and err.startswith("cnnlint: error: cannot read baseline bad.json")
