"""Bad input, as a matrix: every case gets the right exit code, one clear stderr line naming the problem (or the
finding that names it), no traceback, no file of the user changed, no child process or temp file left behind."""
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from helpers import EXAMPLES, run_cli

FACTORIES = '''
import sys

import keras


def good():
    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(4, 3, activation="relu"),
                              keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    return model


def raises():
    raise RuntimeError("the GPU ate my homework")


def exits():
    sys.exit(3)


def not_a_model():
    return [1, 2, 3]


def bad_tuple():
    return good(), 1, 2, 3


def data_raises():
    raise ValueError("no such bucket")
'''


def _npz(path, **arrays):
    np.savez(path, **arrays)


@pytest.fixture
def project(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    x = rng.random((32, 8, 8, 1), dtype=np.float32)
    (tmp_path / "models.py").write_text(FACTORIES)
    (tmp_path / "syntax.py").write_text("def build(:\n")
    (tmp_path / "matrixpkg").mkdir()
    (tmp_path / "matrixpkg" / "__init__.py").write_text("")
    (tmp_path / "matrixpkg" / "models.py").write_text(FACTORIES)
    (tmp_path / "broken.npz").write_bytes(b"this is not a zip file")
    _npz(tmp_path / "ok.npz", x=x, y=rng.integers(0, 2, 32))
    _npz(tmp_path / "flat.npz", x=np.zeros(10, dtype=np.float32), y=np.zeros(10))
    _npz(tmp_path / "noy.npz", x=x)
    _npz(tmp_path / "nox.npz", a=x)
    _npz(tmp_path / "empty.npz", x=np.zeros((0, 8, 8, 1), np.float32), y=np.zeros(0))
    _npz(tmp_path / "strings.npz", x=x, y=np.array(["cat", "dog"] * 16))
    _npz(tmp_path / "mismatch.npz", x=x, y=np.zeros(30))
    nan = x.copy()
    nan[0, 0, 0, 0] = np.nan
    _npz(tmp_path / "nan.npz", x=nan, y=rng.integers(0, 2, 32))
    (tmp_path / "pyproject.toml").write_text('[tool.cnnlint]\nfail-on = "error"\n')
    (tmp_path / "typo.toml").write_text('[tool.cnnlint]\nselct = ["CNN1"]\n')
    (tmp_path / "badsev.toml").write_text('[tool.cnnlint.rules]\ninput-scale = "fatal"\n')
    (tmp_path / "unparsable.toml").write_text('[tool.cnnlint\nselect = \n')
    (tmp_path / "noselect.toml").write_text('[tool.cnnlint]\nselect = []\n')
    (tmp_path / "ten.toml").write_text('[tool.cnnlint]\ntargets = [{target = "models.py:good", epochs = "ten"}]\n')
    (tmp_path / "split.toml").write_text('[tool.cnnlint]\ntargets = [{target = "models.py:good", '
                                         'validation-split = 2.0}]\n')
    (tmp_path / "images" / "cats").mkdir(parents=True)
    (tmp_path / "noclass").mkdir()
    (tmp_path / "weights.onnx").write_bytes(b"\x08\x07onnx")
    import h5py
    import tensorflow as tf

    with h5py.File(tmp_path / "only.weights.h5", "w") as weights:
        weights.create_dataset("kernel", data=np.zeros(3))
    (tmp_path / "exported").mkdir()
    (tmp_path / "exported" / "saved_model.pb").write_bytes(b"")
    for i, folder in enumerate(("cats", "dogs") * 2):
        (tmp_path / "pets" / folder).mkdir(parents=True, exist_ok=True)
        png = tf.io.encode_png(rng.integers(0, 255, (8, 8, 1), dtype=np.uint8)).numpy()
        (tmp_path / "pets" / folder / f"{i}.png").write_bytes(png)
    (tmp_path / "pets" / "dogs" / "broken.png").write_bytes(b"<html>not an image</html>")
    (tmp_path / "corrupt.keras").write_bytes(os.urandom(256))
    scratch = tmp_path.parent / f"{tmp_path.name}-tmp"  # temp files cnnlint makes land here, to be counted
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    for name in [n for n in sys.modules if n.startswith("matrixpkg")]:  # each project imports its own copy
        del sys.modules[name]


def _snapshot(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): hashlib.sha1(p.read_bytes()).hexdigest()
            for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts}


def _children() -> list[int]:
    """Live child processes of this process (trial subprocesses must never outlive a run)."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(os.getpid()) and not fields.get("State", "").startswith("Z"):
            found.append(int(status.parent.name))
    return found


ERR = 2  # usage, config, target and data errors
# id: (arguments, exit code, the stderr line's key words (exit 2) or the stdout key words (a finding or a note))
CASES = {
    # targets
    "missing file": (["nope.py:build"], ERR, "file not found: nope.py"),
    "missing factory name": (["models.py"], ERR, "names no function"),
    "unknown factory": (["models.py:build_modle"], ERR, "has no function 'build_modle'"),
    "factory raises": (["models.py:raises"], ERR, "raised RuntimeError: the GPU ate my homework"),
    "factory exits": (["models.py:exits"], ERR, "raised SystemExit: 3"),
    "factory returns non-model": (["models.py:not_a_model"], ERR, "returned a list, expected a keras.Model"),
    "factory returns a long tuple": (["models.py:bad_tuple"], ERR, "returned a tuple of 4"),
    "syntax error in the target": (["syntax.py:build"], ERR, "cannot import syntax.py: SyntaxError"),
    "unknown module": (["nopkg.models:build"], ERR, "no module named 'nopkg.models'"),
    "missing .keras": (["gone.keras"], ERR, "file not found: gone.keras"),
    "corrupt .keras": (["corrupt.keras"], ERR, "cannot load corrupt.keras"),
    "not a Keras file": (["weights.onnx"], ERR, "not a Keras model"),
    "weights-only HDF5": (["only.weights.h5"], ERR, "holds weights only, no model"),
    "a SavedModel folder": (["exported"], ERR, "is a TensorFlow SavedModel"),
    "a dotted target from the working directory": (["matrixpkg.models:good", "--no-probe"], 0,
                                                   "matrixpkg.models:good"),
    # data
    "unreadable npz": (["models.py:good", "--data", "broken.npz"], ERR, "cannot read broken.npz"),
    "npz without x": (["models.py:good", "--data", "nox.npz"], ERR, "no array named 'x'"),
    "empty arrays": (["models.py:good", "--data", "empty.npz"], ERR, "the sample batch is empty"),
    "string labels": (["models.py:good", "--data", "strings.npz"], ERR, "y holds strings (e.g. 'cat')"),
    "data of the wrong rank": (["models.py:good", "--data", "flat.npz"], ERR, "expected a batch of samples"),
    "x and y lengths differ": (["models.py:good", "--data", "mismatch.npz"], ERR, "x has 32 samples but y has 30"),
    "missing data": (["models.py:good", "--data", "gone.npz"], ERR, "data file not found: gone.npz"),
    "data folder without classes": (["models.py:good", "--data", "noclass"], ERR, "one subfolder per class"),
    "data folder without images": (["models.py:good", "--data", "images"], ERR, "no images"),
    "a corrupt image in the data folder": (["models.py:good", "--data", "pets", "--no-probe", "--format", "json"],
                                           0, "pets/dogs/broken.png"),
    "data function raises": (["models.py:good", "--data", "models.py:data_raises"], ERR,
                             "raised ValueError: no such bucket"),
    "npz without y: not judged": (["models.py:good", "--data", "noy.npz", "--probe-steps", "5"], 0,
                                  "probe skipped: the sample has no labels (y)"),
    "NaN in x: a finding": (["models.py:good", "--data", "nan.npz"], 1, "CNN104"),
    # flags
    "empty --select": (["models.py:good", "--select", ""], ERR, "selects no rules"),
    "unknown rule in --select": (["models.py:good", "--select", "input-scael"], ERR, "did you mean 'input-scale'"),
    "unknown code in --ignore": (["models.py:good", "--ignore", "CNN999"], ERR, "unknown rule 'CNN999'"),
    "ignore everything": (["models.py:good", "--ignore", "ALL"], ERR, "selects no rules"),
    "zero epochs": (["models.py:good", "--epochs", "0"], ERR, "--epochs must be a positive integer, got 0"),
    "validation split 1.0": (["models.py:good", "--validation-split", "1.0"], ERR, "must be a fraction in [0, 1)"),
    "validation split 1.5": (["models.py:good", "--validation-split", "1.5"], ERR, "must be a fraction in [0, 1)"),
    "negative samples": (["models.py:good", "--samples", "-5"], ERR, "--samples must be a positive integer, got -5"),
    "zero batch size": (["models.py:good", "--batch-size", "0"], ERR, "--batch-size must be a positive integer"),
    "bad flag value": (["models.py:good", "--batch-size", "many"], ERR, "invalid int value"),
    "zero probe timeout": (["models.py:good", "--probe-timeout", "0"], ERR, "--probe-timeout must be a positive"),
    "zero probe steps": (["models.py:good", "--probe-steps", "0"], ERR, "--probe-steps must be a positive integer"),
    "bad memory limit": (["models.py:good", "--memory-limit", "lots"], ERR, "memory limit 'lots' is not a size"),
    "memory margin out of range": (["models.py:good", "--memory-margin", "0.7"], ERR,
                                   "--memory-margin must be a fraction in [0, 0.5)"),
    "unknown format": (["models.py:good", "--format", "xml"], ERR, "invalid choice: 'xml'"),
    "--plot into a missing folder": (["models.py:good", "--plot", "no/such/dir/p.png"], ERR,
                                     "--plot no/such/dir/p.png: the folder no/such/dir does not exist"),
    "--write-baseline into a missing folder": (["models.py:good", "--write-baseline", "no/dir/b.json"], ERR,
                                               "the folder no/dir does not exist"),
    "missing --baseline": (["models.py:good", "--baseline", "gone.json"], ERR, "gone.json"),
    # config
    "malformed config key": (["models.py:good", "--config", "typo.toml"], ERR,
                             "unknown key 'selct' (did you mean 'select'?)"),
    "malformed config severity": (["models.py:good", "--config", "badsev.toml"], ERR, "severity must be one of"),
    "unparsable config": (["models.py:good", "--config", "unparsable.toml"], ERR, "unparsable.toml"),
    "missing config": (["models.py:good", "--config", "gone.toml"], ERR, "config file not found: gone.toml"),
    "config selects nothing": (["models.py:good", "--config", "noselect.toml"], ERR, "selects no rules"),
    "epochs = 'ten' in a target table": (["--config", "ten.toml"], ERR, "targets[0]: epochs must be a positive integer"),
    "validation-split 2 in a target table": (["--config", "split.toml"], ERR, "validation-split must be a fraction"),
}


@pytest.mark.parametrize("args,exit_code,expected", CASES.values(), ids=CASES.keys())
def test_bad_input_matrix(capsys, project, args, exit_code, expected):
    before, children = _snapshot(project), set(_children())
    code, out, err = run_cli(capsys, *args)
    assert code == exit_code, err
    assert "Traceback" not in out + err
    lines = [line for line in err.splitlines() if line.strip()]
    if exit_code == ERR:
        assert len(lines) == 1 and lines[0].startswith("cnnlint: error: "), err
        assert expected in lines[0] and "\x1b[" not in lines[0]
        assert out == ""
    else:
        assert not lines, err
        assert expected in out
    assert _snapshot(project) == before, "a file of the user changed"
    assert not list(Path(tempfile.tempdir).iterdir()), "a temp file was left behind"
    assert set(_children()) <= children, "a child process outlived the run"


def test_plot_without_matplotlib_fails_before_the_probe(capsys, project, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib raises ImportError
    code, out, err = run_cli(capsys, "models.py:good", "--data", "ok.npz", "--plot", "p.png")
    assert code == ERR and err.strip() == "cnnlint: error: --plot needs matplotlib: pip install matplotlib " \
                                          "(or cnnlint[plot])"
    assert out == "" and not (project / "p.png").exists()


@pytest.mark.parametrize("fmt", ["json", "sarif", "junit", "text"])
def test_a_broken_target_does_not_lose_the_others(capsys, project, fmt):
    code, out, err = run_cli(capsys, "models.py:raises", "models.py:good", "nope.py:x", "--no-probe",
                             "--format", fmt)
    assert code == ERR
    assert err.splitlines() == ["cnnlint: error: models.py:raises raised RuntimeError: the GPU ate my homework",
                                "cnnlint: error: nope.py:x: file not found: nope.py"]
    if fmt == "json":
        targets = {t["target"]: t for t in json.loads(out)["targets"]}
        assert targets["models.py:good"]["error"] is None and targets["models.py:good"]["ok"]
        assert "GPU ate my homework" in targets["models.py:raises"]["error"]
        assert json.loads(out)["summary"]["broken_targets"] == 2
    elif fmt == "sarif":
        invocation = json.loads(out)["runs"][0]["invocations"][0]
        assert invocation["executionSuccessful"] is False
        assert [n["level"] for n in invocation["toolExecutionNotifications"]].count("error") == 2
    elif fmt == "junit":
        assert out.count("<error ") == 2 and 'name="models.py:good"' in out
    else:
        assert "models.py:good\n  no findings" in out and "2 targets not linted" in out.splitlines()[-1]


def test_a_probe_cut_short_says_which_rules_it_could_not_judge(capsys, project):
    code, out, err = run_cli(capsys, "models.py:good", "--data", "ok.npz", "--probe-timeout", "0.05",
                             "--probe-steps", "500", "--format", "json")
    doc = json.loads(out)
    reasons = {s["code"]: s["reason"] for s in doc["targets"][0]["skipped"]}
    for code_ in ("CNN401", "CNN402", "CNN405"):
        assert "steps in the" in reasons[code_] and "s it had (raise --probe-timeout)" in reasons[code_]
    assert doc["summary"]["not_judged"] >= 3 and doc["targets"][0]["probe"]["budget_hit"] == "timeout"
    code, out, err = run_cli(capsys, "models.py:good", "--data", "ok.npz", "--probe-timeout", "0.05", "-q")
    assert "rules not judged (run without -q for why)" in out.splitlines()[-1]


def test_junit_failures_follow_fail_on(capsys, project):
    """Warnings are reported, not failed, when the run passes under fail-on = error."""
    code, out, _ = run_cli(capsys, f"{EXAMPLES}/seed002_high_lr.py:build_model", "--no-probe", "--format", "junit",
                           "--fail-on", "error")
    assert code == 0 and "<failure" not in out and "CNN303" in out and "<system-out>warning CNN303" in out
    code, out, _ = run_cli(capsys, f"{EXAMPLES}/seed002_high_lr.py:build_model", "--no-probe", "--format", "junit",
                           "--fail-on", "warning")
    assert code == 1 and '<failure type="CNN303"' in out


@pytest.fixture
def broken_plugin(tmp_path, monkeypatch):
    """An installed third-party rule plugin whose module raises on import."""
    from cnnlint import registry

    info = tmp_path / "site" / "broken_rules-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-rules\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[cnnlint.rules]\nbroken = broken_rules_mod\n")
    (tmp_path / "site" / "broken_rules_mod.py").write_text("raise ImportError('needs torch 9')\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    registry.all_rules.cache_clear()
    registry._names.cache_clear()
    yield
    monkeypatch.undo()
    registry.all_rules.cache_clear()
    registry._names.cache_clear()


@pytest.mark.parametrize("args", [["rule", "--all"], ["rule", "CNN103"], ["models.py:good", "--no-probe"]],
                         ids=["rule --all", "rule CODE", "lint"])
def test_a_broken_rule_plugin_is_reported_once_and_left_out(capsys, project, broken_plugin, args):
    code, out, err = run_cli(capsys, *args)
    assert code == 0 and ("CNN103" in out if args[0] == "rule" else out.startswith("models.py:good"))
    assert err.splitlines() == ["cnnlint: warning: rule plugin 'broken' (broken_rules_mod) failed to load and is "
                                "left out: ImportError: needs torch 9"]


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
