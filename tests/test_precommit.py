"""The pre-commit hook, run for real by `pre-commit` on commits in a throwaway git repo.

Everything pre-commit writes (its hook environments, the virtualenv seed data) goes to a temporary folder that
is removed afterwards: the user's ~/.cache/pre-commit is never touched. Git runs without the user's global and
system config, so their hooks path, signing or templates cannot get in the way.
"""
from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

pytest.importorskip("pre_commit")

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = '[tool.cnnlint]\ntargets = ["model.py:build"]\n'
MODEL = '''
import keras


def build():
    model = keras.Sequential([
        keras.Input((8, 8, 1)),
        keras.layers.Conv2D(4, 3, activation="relu", name="conv"),
        keras.layers.GlobalAveragePooling2D(name="gap"),
        keras.layers.Dense({units}, activation="softmax", name="head"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model
'''
BAD_MODEL, GOOD_MODEL = MODEL.format(units=1), MODEL.format(units=3)  # one-unit softmax: CNN301 error


def _git_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}  # no GIT_DIR/GIT_INDEX_FILE leaking in
    return {**env, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", **extra}


def _run(args, cwd, env, timeout=120, check=True) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode:
        pytest.fail(f"{args} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return proc


def _commit(repo: Path, env, message: str, timeout=120) -> subprocess.CompletedProcess:
    _run(["git", "add", "-A"], repo, env)
    return _run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-m", message], repo, env,
                timeout=timeout, check=False)


@pytest.fixture(scope="module")
def scratch():
    """A folder for the whole module, deleted afterwards (hook environments are ~2 GB: not left in /tmp)."""
    folder = Path(tempfile.mkdtemp(prefix="cnnlint-precommit-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def env(scratch):
    home = scratch / "pre-commit-home"
    return _git_env(PRE_COMMIT_HOME=str(home), VIRTUALENV_OVERRIDE_APP_DATA=str(scratch / "virtualenv-app-data"))


def _project(folder: Path, config: str, env) -> Path:
    """A git repo with [tool.cnnlint] targets, a bad model and pre-commit installed as its git hook."""
    folder.mkdir()
    (folder / "pyproject.toml").write_text(PYPROJECT)
    (folder / "model.py").write_text(BAD_MODEL)
    (folder / ".pre-commit-config.yaml").write_text(config)
    _run(["git", "init", "-q"], folder, env)
    _run([sys.executable, "-m", "pre_commit", "install"], folder, env)
    return folder


def _bad_fails_then_good_passes(project: Path, env, timeout) -> None:
    bad = _commit(project, env, "bad model", timeout=timeout)
    out = bad.stdout + bad.stderr
    assert bad.returncode != 0, out
    assert "cnnlint" in out and "Failed" in out, out
    assert "CNN301" in out and "output-loss-mismatch" in out and "head" in out, out
    assert _run(["git", "rev-parse", "--verify", "-q", "HEAD"], project, env, check=False).returncode, "committed"

    (project / "model.py").write_text(GOOD_MODEL)
    good = _commit(project, env, "good model", timeout=timeout)
    out = good.stdout + good.stderr
    assert good.returncode == 0, out
    assert "cnnlint" in out and "Passed" in out and "CNN301" not in out, out


def _snapshot_of_this_checkout(dest: Path, env) -> str:
    """This working tree (tracked and untracked-but-not-ignored files, uncommitted edits included) committed
    into a fresh repo, so the hook under test is the one on disk whatever the checkout's git state."""
    listed = subprocess.run(["git", "ls-files", "-z", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True,
                            env={k: v for k, v in os.environ.items() if not k.startswith("GIT_")})
    if listed.returncode:
        pytest.skip("not a git checkout: cannot snapshot the hook repository")
    for name in filter(None, listed.stdout.decode().split("\0")):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the working tree is listed too
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    assert (dest / ".pre-commit-hooks.yaml").is_file()
    _run(["git", "init", "-q"], dest, env)
    _run(["git", "add", "-A"], dest, env)
    _run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "snapshot"], dest, env)
    return _run(["git", "rev-parse", "HEAD"], dest, env).stdout.strip()


@pytest.mark.slow
def test_hook_from_this_repo_blocks_a_bad_model_and_passes_a_good_one(scratch, env):
    """`repo:` this repository as users reference it: pre-commit installs cnnlint (and TensorFlow) into its own
    virtualenv, then lints [tool.cnnlint] targets on each commit. The first install is the slow part."""
    source = scratch / "cnnlint-src"
    source.mkdir()
    rev = _snapshot_of_this_checkout(source, env)
    config = f"repos:\n  - repo: {json.dumps(str(source))}\n    rev: {rev}\n    hooks:\n      - id: cnnlint\n"
    project = _project(scratch / "python-hook-project", config, env)
    _run([sys.executable, "-m", "pre_commit", "install-hooks"], project, env, timeout=900)
    _bad_fails_then_good_passes(project, env, timeout=300)


def test_system_hook_with_the_installed_cnnlint(scratch, env):
    """The README's `language: system` variant: a local hook running the cnnlint of an existing environment."""
    cnnlint = Path(sys.executable).with_name("cnnlint")
    entry = f"{shlex.quote(str(cnnlint))} --no-probe" if cnnlint.is_file() else \
        f"{shlex.quote(sys.executable)} -m cnnlint --no-probe"
    config = ("repos:\n  - repo: local\n    hooks:\n      - id: cnnlint\n        name: cnnlint\n"
              f"        entry: {json.dumps(entry)}\n        language: system\n        pass_filenames: false\n"
              "        always_run: true\n        require_serial: true\n")
    project = _project(scratch / "system-hook-project", config, env)
    _bad_fails_then_good_passes(project, env, timeout=300)
