"""The pytest plugin as a user's project sees it: `pytest --cnnlint` items per target, the `cnnlint` fixture,
readable failures, -k/-x/xdist, and a plugin import that loads neither TensorFlow nor Keras."""
import subprocess
import sys
from importlib.metadata import entry_points

import pytest

pytest_plugins = ["pytester"]

MODEL = '''
import keras


def build():
    inputs = keras.Input((8, 8, 1))
    x = keras.layers.Conv2D(4, 3, activation="relu", name="conv")(inputs)
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    outputs = keras.layers.Dense({units}, activation="softmax", name="out")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model
'''
FIXTURE_TESTS = '''
import numpy as np

import bad
import good

rng = np.random.default_rng(0)
x = rng.random((16, 8, 8, 1), dtype="float32")
y = rng.integers(0, 3, 16)


def test_clean_model(cnnlint):
    cnnlint(good.build(), x, y, batch_size=8).assert_clean()


def test_broken_model(cnnlint):
    cnnlint(bad.build(), x, y, batch_size=8).assert_clean()
'''
BROKEN_CALL = "    cnnlint(bad.build(), x, y, batch_size=8).assert_clean()"
BROKEN_LINE = FIXTURE_TESTS.strip().splitlines().index(BROKEN_CALL) + 1  # makepyfile strips the first newline
INTERNALS = ("Traceback", "cnnlint/targets.py", "cnnlint/result.py", "cnnlint/api.py", "cnnlint/loader.py")


@pytest.fixture(autouse=True)
def preloaded():
    """In-process runs (pytester.runpytest) drop the modules they import afterwards, and numpy and TensorFlow
    cannot load twice: import them, cnnlint's engine and rules, and hypothesis (its plugin imports it at the end
    of every run), here first."""
    import keras  # noqa: F401
    pytest.importorskip("hypothesis")

    from cnnlint import api, registry, targets  # noqa: F401
    from cnnlint.report import text  # noqa: F401

    registry.all_rules()


@pytest.fixture
def project(pytester, monkeypatch):
    """good.py (3-unit softmax) and bad.py (1-unit softmax with sparse CE: CNN301), their targets, and a test
    module using the fixture on both."""
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "3")
    pytester.makepyprojecttoml('[tool.cnnlint]\ntargets = ["good.py:build", "bad.py:build"]\n')
    pytester.makepyfile(good=MODEL.format(units=3), bad=MODEL.format(units=1), test_models=FIXTURE_TESTS)
    return pytester


def assert_readable(output: str) -> None:
    """The findings table (code, name, layer) and the fix line, with no traceback into cnnlint."""
    for text in ("code    name", "CNN301  output-loss-mismatch  error       out", "fixes:",
                 "CNN301 (out): use Dense(1, activation='sigmoid') with binary_crossentropy"):
        assert text in output
    for text in INTERNALS:
        assert text not in output


def test_entry_point_and_cheap_import():
    assert "cnnlint.pytest_plugin" in {ep.value for ep in entry_points(group="pytest11") if ep.name == "cnnlint"}
    code = ("import sys, cnnlint.pytest_plugin; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'tensorflow', 'keras'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.slow
def test_lint_items_and_fixture_in_a_fresh_process(project):
    result = project.runpytest_subprocess("--cnnlint", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines(["*pyproject.toml .F*", "*test_models.py .F*",
                                 "FAILED pyproject.toml::cnnlint[[]bad.py:build[]] - cnnlint found 1 problem*",
                                 "FAILED test_models.py::test_broken_model - cnnlint found 2 problem*"])
    output = result.stdout.str()
    assert_readable(output)
    assert f"test_models.py:{BROKEN_LINE}: LintFailed" in output  # where the test called assert_clean


@pytest.mark.slow
def test_xdist_gives_the_same_outcomes(project):
    result = project.runpytest_subprocess("--cnnlint", "-p", "xdist", "-n", "2", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=2)
    assert_readable(result.stdout.str())


def test_k_selects_a_target(project):
    result = project.runpytest("--cnnlint", "-k", "good")
    result.assert_outcomes(passed=1, deselected=3)
    result.stdout.fnmatch_lines(["*pyproject.toml .*"])


def test_x_stops_after_the_first_failure(project):
    result = project.runpytest("--cnnlint", "-x")
    result.assert_outcomes(passed=1, failed=1)
    assert "test_models.py" not in result.stdout.str()


def test_without_the_flag_only_the_tests_run(project):
    project.runpytest("-k", "clean").assert_outcomes(passed=1, deselected=1)


def test_lint_items_are_added_when_the_arguments_skip_pyproject(project):
    result = project.runpytest("--cnnlint", "--collect-only", "-q", "test_models.py")
    result.stdout.fnmatch_lines(["pyproject.toml::cnnlint[[]good.py:build[]]",
                                 "pyproject.toml::cnnlint[[]bad.py:build[]]",
                                 "test_models.py::test_clean_model", "test_models.py::test_broken_model",
                                 "4 tests collected*"])
    result = project.runpytest("--cnnlint", "--collect-only", "-q", "-m", "cnnlint", "-k", "bad")
    result.stdout.fnmatch_lines(["pyproject.toml::cnnlint[[]bad.py:build[]]", "1/4 tests collected*"])


def test_probe_flag_reaches_the_items(project):
    for flags, probe in (((), False), (("--cnnlint-probe",), True)):
        items, _ = project.inline_genitems("--cnnlint", *flags, "pyproject.toml")
        assert [(item.name, item.options.probe) for item in items] == [
            ("cnnlint[good.py:build]", probe), ("cnnlint[bad.py:build]", probe)]


def test_bad_target_fails_with_one_line(pytester):
    pytester.makepyprojecttoml('[tool.cnnlint]\ntargets = ["missing.py:build"]\n')
    result = pytester.runpytest("--cnnlint")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["cnnlint: error: file not found: missing.py"])
    assert "Traceback" not in result.stdout.str()


def test_no_targets_is_a_collection_error(pytester):
    pytester.makepyprojecttoml("[tool.cnnlint]\n")
    result = pytester.runpytest("--cnnlint")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["cnnlint: error: no target:*"])
