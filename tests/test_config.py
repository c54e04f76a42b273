"""[tool.cnnlint]: selection, severities, options, per-layer overrides, fail-on, discovery."""
import pytest

import cnnlint
from cnnlint import config as config_mod
from cnnlint import engine
from cnnlint.errors import UsageError
from helpers import tiny_cnn, tiny_data


def codes(cfg, **kwargs):
    return {r.code for r in engine.select(cfg, **kwargs)}


def test_select_prefix_name_and_all():
    cfg = config_mod.from_dict({"select": ["CNN1", "learning-rate-out-of-range"], "ignore": ["CNN104"]})
    chosen = codes(cfg)
    assert "CNN303" in chosen and "CNN101" in chosen and "CNN104" not in chosen
    assert all(c.startswith("CNN1") or c == "CNN303" for c in chosen)
    assert codes(config_mod.from_dict({"select": ["ALL"]})) == codes(config_mod.Config())


def test_cli_select_replaces_and_extend_select_adds():
    cfg = config_mod.from_dict({"select": ["CNN303"]})
    assert codes(cfg, select=["CNN104"]) == {"CNN104"}
    assert codes(cfg, extend_select=["CNN104"]) == {"CNN303", "CNN104"}


def test_severity_and_options_change_findings():
    model = tiny_cnn(compile_with=None)
    import keras

    model.compile(keras.optimizers.Adam(5e-3), "sparse_categorical_crossentropy")
    plain = cnnlint.check(model, config={}, select=["CNN303"])
    assert not plain.findings
    tuned = cnnlint.check(model, select=["CNN303"], config={"rules": {
        "learning-rate-out-of-range": {"severity": "error", "adaptive-max": 1e-3}}})
    assert [(f.code, f.severity) for f in tuned.findings] == [("CNN303", "error")]
    assert not tuned.ok


def test_unknown_option_and_typo_in_rule_name_are_errors():
    with pytest.raises(UsageError, match="unknown option 'adaptive-maxx'"):
        config_mod.from_dict({"rules": {"CNN303": {"adaptive-maxx": 1}}})
    with pytest.raises(UsageError, match="did you mean 'input-scale'"):
        config_mod.from_dict({"rules": {"input-scal": "error"}})
    with pytest.raises(UsageError, match="must be a list of strings"):
        config_mod.from_dict({"ignore": [3]})


def test_layer_override_silences_only_matching_layers():
    x, y = tiny_data()
    cfg = {"overrides": [{"layers": ["con*"], "ignore": ["CNN1"]}]}
    report = cnnlint.check(tiny_cnn(), x * 255, y, select=["CNN103", "CNN903"], config=cfg)
    assert not report.findings
    report = cnnlint.check(tiny_cnn(), x * 255, y, select=["CNN103", "CNN903"],
                           config={"overrides": [{"layers": ["out"], "ignore": ["CNN103"]}]})
    assert {f.code for f in report.findings} == {"CNN103", "CNN903"}


def test_fail_on_decides_ok():
    x, y = tiny_data()
    report = cnnlint.check(tiny_cnn(), x * 255, y, select=["CNN103"], config={"fail-on": "warning"})
    assert report.findings and not report.ok
    assert cnnlint.check(tiny_cnn(), x * 255, y, select=["CNN103"], config={}).ok


def test_discovery_finds_nearest_pyproject_with_table(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.cnnlint]\nignore = ["CNN107"]\n')
    inner = tmp_path / "a" / "b"
    inner.mkdir(parents=True)
    (tmp_path / "a" / "pyproject.toml").write_text('[project]\nname = "x"\n')  # no [tool.cnnlint]: skipped
    cfg = config_mod.load(start=inner)
    assert cfg.path == tmp_path / "pyproject.toml" and cfg.ignore == ["CNN107"]
