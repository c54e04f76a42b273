"""The CLI as a user runs it: target kinds, data functions, output options, exit codes, rule docs."""
import json

import pytest

from cnnlint import registry
from helpers import EXAMPLES, run_cli

PACKAGE_MODEL = '''
import keras

def build():
    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(2, 3, activation="relu"),
                              keras.layers.Flatten(), keras.layers.Dense(1, activation="softmax")])
    model.compile("adam", "binary_crossentropy")
    return model
'''
DATA_FN = '''
import numpy as np

def sample():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (16, 8, 8, 1)).astype("uint8"), rng.integers(0, 2, 16)
'''


@pytest.fixture
def project(tmp_path, monkeypatch):
    pkg = tmp_path / "mypkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "models.py").write_text(PACKAGE_MODEL)
    (tmp_path / "data.py").write_text(DATA_FN)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_package_module_target_and_data_function(capsys, project):
    code, out, err = run_cli(capsys, "mypkg.models:build", "--data", "data.py:sample", "--format", "json")
    doc = json.loads(out)
    codes = {f["code"] for f in doc["findings"]}
    assert {"CNN301", "CNN102", "CNN103"} <= codes  # 1-unit softmax; uint8 0-255 data
    assert code == 1 and doc["summary"]["errors"] >= 1


def test_exit_zero_statistics_and_quiet(capsys, project):
    code, out, _ = run_cli(capsys, "mypkg.models:build", "--exit-zero", "--statistics")
    assert code == 0
    assert "count" in out and "CNN301" in out and "output-loss-mismatch" in out
    assert "1 error" in out.splitlines()[-1]
    _, quiet, _ = run_cli(capsys, "mypkg.models:build", "--quiet")
    assert "not judged:" not in quiet and "not judged (run without -q" in quiet.splitlines()[-1]
    _, loud, _ = run_cli(capsys, "mypkg.models:build")
    assert "not judged:" in loud and "sample batch" in loud


def test_fail_on_flag(capsys):
    target = f"{EXAMPLES}/seed002_high_lr.py:build_model"
    assert run_cli(capsys, target, "--no-probe", "--fail-on", "error")[0] == 0  # static warnings only
    assert run_cli(capsys, target, "--no-probe", "--fail-on", "warning")[0] == 1
    assert run_cli(capsys, target, "--fail-on", "error")[0] == 1  # the probe sees the loss spike: CNN401


def test_select_narrows_to_named_rules(capsys):
    code, out, _ = run_cli(capsys, f"{EXAMPLES}/seed000_raw_uint8.py:build_model", "--select", "input-dtype",
                           "--format", "json")
    assert {f["code"] for f in json.loads(out)["findings"]} == {"CNN102"}


def test_internal_crash_exits_101(capsys, monkeypatch):
    import cnnlint.targets

    def boom(*_args, **_kwargs):
        raise RuntimeError("bug in cnnlint")

    monkeypatch.setattr(cnnlint.targets, "lint", boom)
    code, out, err = run_cli(capsys, f"{EXAMPLES}/clean_cnn.py:build_model")
    assert code == 101 and "internal error: RuntimeError: bug in cnnlint" in err and out == ""


@pytest.mark.parametrize("selector", ["CNN103", "input-scale", "cnn103"])
def test_rule_docs_by_code_or_name(capsys, selector):
    code, out, _ = run_cli(capsys, "rule", selector)
    assert code == 0
    assert out.startswith("# CNN103 input-scale")
    for section in ("## What it does", "## Why is this bad?", "## Example", "## Fix", "## Options"):
        assert section in out


def test_rule_all_lists_every_rule(capsys):
    code, out, _ = run_cli(capsys, "rule", "--all")
    assert code == 0
    for rule_code, rule in registry.all_rules().items():
        assert rule_code in out and rule.name in out


def test_rule_typo_is_a_usage_error(capsys):
    code, _, err = run_cli(capsys, "rule", "input-scael")
    assert code == 2 and "did you mean 'input-scale'" in err


def test_targets_from_config(capsys, monkeypatch):
    monkeypatch.chdir(EXAMPLES)
    code, out, _ = run_cli(capsys, "--format", "json", "--select", "CNN303")
    doc = json.loads(out)
    assert len(doc["targets"]) >= 10  # every target in examples/pyproject.toml
    flagged = {f["target"] for f in doc["findings"]}
    assert flagged == {"seed000_raw_uint8.py:build_model", "seed001_capacity.py:build_model",
                       "seed002_high_lr.py:build_model"}
    assert code == 1


def test_layer_names_do_not_depend_on_earlier_targets(capsys):
    target = f"{EXAMPLES}/seed001_excessive_pooling.py:build_model"
    code, out, _ = run_cli(capsys, target, target, "--format", "json")
    layers = [f["layer"] for f in json.loads(out)["findings"]]
    assert layers == ["conv2d_3", "conv2d_3"]  # the same target twice: the same layer names


def test_the_same_target_gives_the_same_findings(capsys):
    """Factories run with Keras seeded and a fresh session: random weights, and so the probe, repeat."""
    target = f"{EXAMPLES}/seed002_high_lr.py:build_model"
    code, out, _ = run_cli(capsys, target, target, "--format", "json", "--probe-steps", "5")
    first, second = json.loads(out)["targets"]
    assert first["probe"]["losses"] == second["probe"]["losses"]
    findings = [(f["code"], f["layer"], f["message"]) for f in json.loads(out)["findings"]]
    assert first["findings"] == second["findings"] > 0
    assert all(findings.count(f) == 2 for f in findings)  # every finding, message and numbers, appears twice
