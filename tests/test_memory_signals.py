"""CNN403's memory search leaves nothing behind when its process is ended: SIGTERM runs the clean-up (trial
processes killed, the temporary folder removed) and still ends the process; SIGKILL takes the trials with it."""
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from helpers import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs /proc")]

SEARCH = textwrap.dedent("""
    import numpy as np

    from cnnlint.facts.compile import extract_compile
    from cnnlint.facts.model import extract_model
    from cnnlint.probe.memory import check_memory
    from models import build

    model = build()
    rng = np.random.default_rng(0)
    x, y = rng.random((16, 32, 32, 3), dtype=np.float32), rng.integers(0, 10, 16)
    check_memory(model, x, y, batch_size=256, model_facts=extract_model(model)[0],
                 compile_facts=extract_compile(model), limit_bytes=64 * 2 ** 20, timeout=300)
    print("the search finished before the signal")
""")



FACTORY = textwrap.dedent("""
    import keras
    from keras import layers


    def build():
        model = keras.Sequential([
            keras.Input((32, 32, 3)), layers.Conv2D(16, 3, padding="same", activation="relu"),
            layers.Conv2D(16, 3, padding="same", activation="relu"), layers.MaxPooling2D(4), layers.Flatten(),
            layers.Dense(10, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        return model
""")


def _trials(folder: Path) -> list[int]:
    """Live `cnnlint.probe.trial` processes whose command line names `folder` (zombies have an empty one)."""
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:  # not a process, or gone
            continue
        if b"cnnlint.probe.trial" in cmdline and str(folder).encode() in cmdline:
            pids.append(int(entry.name))
    return pids


def _start_search(tmp_path, argv=None):
    """The search (or the command `argv`) in its own process, once its temporary folder and a trial exist."""
    script, tmp = tmp_path / "search.py", tmp_path / "tmp"
    script.write_text(SEARCH)
    (tmp_path / "models.py").write_text(FACTORY)
    tmp.mkdir()
    argv = argv or [sys.executable, str(script)]
    env = {**os.environ, "TMPDIR": str(tmp), "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow",
           "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}
    proc = subprocess.Popen(argv, env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    end = time.monotonic() + 180
    while time.monotonic() < end and proc.poll() is None:
        folders = list(tmp.glob("cnnlint-memory-*"))
        if folders and _trials(folders[0]):
            return proc, tmp, folders[0]
        time.sleep(0.05)
    proc.kill()
    out, err = proc.communicate()
    pytest.fail(f"no trial process appeared (exit {proc.returncode}): {out[-500:]} {err[-2000:]}")


def _gone(folder: Path, seconds: float = 3.0) -> list[int]:
    """The trial processes of `folder` still alive after up to `seconds` (the kernel delivers and reaps)."""
    end = time.monotonic() + seconds
    while _trials(folder) and time.monotonic() < end:
        time.sleep(0.05)
    return _trials(folder)


def _terminate(proc) -> str:
    """SIGTERM, then the process's stdout once it ended by that signal."""
    proc.send_signal(signal.SIGTERM)
    try:
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == -signal.SIGTERM, (proc.returncode, out[-500:], err[-2000:])
    return out


def test_sigterm_cleans_up_and_still_ends_the_process(tmp_path):
    proc, tmp, folder = _start_search(tmp_path)
    assert "finished" not in _terminate(proc)
    assert not list(tmp.glob("cnnlint-memory-*"))  # the model-sized folder is removed
    assert _gone(folder) == []


def test_sigterm_during_a_cli_run_leaves_nothing_behind(tmp_path):
    """The same through `cnnlint` itself: the probe's memory search under the CLI."""
    import numpy as np

    rng = np.random.default_rng(0)
    np.savez(tmp_path / "d.npz", x=rng.random((16, 32, 32, 3), dtype=np.float32), y=rng.integers(0, 10, 16))
    proc, tmp, folder = _start_search(tmp_path, [sys.executable, "-m", "cnnlint", "models.py:build", "--data",
                                                 "d.npz", "--memory-limit", "64MiB", "--batch-size", "256",
                                                 "--probe-timeout", "600"])
    assert _terminate(proc) == "" and not list(tmp.glob("cnnlint-memory-*")) and _gone(folder) == []


def test_trial_processes_die_with_a_killed_parent(tmp_path):
    """SIGKILL runs no clean-up: the trial (still importing TensorFlow, seconds from ready) dies by
    PR_SET_PDEATHSIG."""
    proc, tmp, folder = _start_search(tmp_path)
    proc.kill()
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert _gone(folder, seconds=2.0) == []
