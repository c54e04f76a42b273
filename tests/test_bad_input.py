"""Bad input gets one clear line on stderr and exit 2, never a traceback."""
import subprocess
import sys

import numpy as np
import pytest

from helpers import EXAMPLES, run_cli

FACTORIES = '''
import keras

def raises():
    raise RuntimeError("the GPU ate my homework")

def not_a_model():
    return [1, 2, 3]

def good():
    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(2, 3), keras.layers.Flatten(),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    return model
'''


@pytest.fixture
def project(tmp_path):
    (tmp_path / "models.py").write_text(FACTORIES)
    (tmp_path / "broken.npz").write_bytes(b"this is not a zip file")
    np.savez(tmp_path / "flat.npz", x=np.zeros(10, dtype=np.float32), y=np.zeros(10))
    (tmp_path / "pyproject.toml").write_text('[tool.cnnlint]\nselect = "CNN1"\nfail-on = "warning"\n')
    (tmp_path / "typo.toml").write_text('[tool.cnnlint]\nselct = ["CNN1"]\n')
    (tmp_path / "badsev.toml").write_text('[tool.cnnlint.rules]\ninput-scale = "fatal"\n')
    return tmp_path


CASES = {
    "missing file": (["nope.py:build"], "file not found: nope.py"),
    "missing factory name": (["models.py"], "names no function"),
    "unknown factory": (["models.py:build_modle"], "has no function 'build_modle'"),
    "factory raises": (["models.py:raises"], "raised RuntimeError: the GPU ate my homework"),
    "factory returns non-model": (["models.py:not_a_model"], "returned a list, expected a keras.Model"),
    "unreadable npz": (["models.py:good", "--data", "broken.npz"], "cannot read broken.npz"),
    "data of the wrong rank": (["models.py:good", "--data", "flat.npz"], "expected a batch of samples"),
    "unknown rule in --select": (["models.py:good", "--select", "input-scael"], "did you mean 'input-scale'"),
    "unknown code in --ignore": (["models.py:good", "--ignore", "CNN999"], "unknown rule 'CNN999'"),
    "malformed config key": (["models.py:good", "--config", "typo.toml"], "unknown key 'selct' (did you mean 'select'?)"),
    "malformed config severity": (["models.py:good", "--config", "badsev.toml"], "severity must be one of"),
    "bad flag value": (["models.py:good", "--batch-size", "many"], "invalid int value"),
}


@pytest.mark.parametrize("args,expected", CASES.values(), ids=CASES.keys())
def test_bad_input_exits_2_with_one_line(capsys, monkeypatch, project, args, expected):
    monkeypatch.chdir(project)
    code, out, err = run_cli(capsys, *args)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cnnlint: error: "), err
    assert expected in lines[0]
    assert out == ""


def test_console_script_bad_input_has_no_traceback(project):
    """The real console script, in a fresh process: one line, exit 2."""
    run = subprocess.run([sys.executable, "-m", "cnnlint", "models.py:raises"], cwd=project,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert run.stderr.strip().splitlines()[-1].startswith("cnnlint: error: models.py:raises raised RuntimeError")


def test_console_script_runs_an_example():
    run = subprocess.run([sys.executable, "-m", "cnnlint", f"{EXAMPLES}/seed002_high_lr.py:build_model"],
                         capture_output=True, text=True, timeout=120)
    assert "CNN303" in run.stdout and "learning-rate-out-of-range" in run.stdout
    assert run.returncode == 1  # examples/pyproject.toml sets fail-on = "warning"
    assert "Traceback" not in run.stderr
