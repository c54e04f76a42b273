"""Memory at the planned batch size (CNN403): an analytic estimate, and a search for the largest batch that fits.

Each trial runs in a fresh subprocess (`python -m cnnlint.probe.trial`), because TensorFlow keeps the GPU
memory it took for the life of a process. On a GPU the trial reports TensorFlow's measured peak and a real
out-of-memory error; on a CPU with `--memory-limit` the trial caps its own data segment (RLIMIT_DATA) at the
limit, so an oversized step really fails there too. On a CPU without a limit nothing runs: only the estimate.

Search: try the planned batch; if it fails, halve until one fits, then bisect between the largest batch that
fits and the smallest that fails until they are within 5% (at least 1) of each other. The number of trials and
the total time are bounded (`deadline`: worker start-up, the wait for "ready" and every trial; no trial starts
when the time left cannot hold one, judged by how long the first worker took to get ready); when a bound is hit,
what is known so far is reported.

Clean-up: every trial process gets SIGKILL when the process that started it dies (Linux PR_SET_PDEATHSIG), and
while the search runs SIGTERM and SIGHUP (where their handler is the default one) unwind through the clean-up
(workers killed, the temporary folder removed) before the signal ends the process as it would have.

On a GPU the calling process must not hold the GPU's memory itself: TensorFlow reserves nearly all of it at the
first op unless memory growth is on, and a trial then sees only what is left.

Importing this module is cheap: the device and its memory come from the backend module (`runner.load_backend`,
backend_tensorflow.py), which imports TensorFlow only when asked.
"""
from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from cnnlint.errors import UsageError
from cnnlint.facts.compile import ADAM_FAMILY
from cnnlint.facts.probe import MemoryFacts
from cnnlint.probe.trial import plain_error

BYTES = 4  # float32 weights, gradients, slots and activations
# Each layer output is kept for the backward pass, and a gradient of the same size exists while backprop runs
# through the layer: 2x the forward activations (a first-order estimate; fused kernels may need less).
ACTIVATION_FACTOR = 2
NO_COPY = {"Flatten", "Reshape", "Identity", "ActivityRegularization"}  # outputs that share their input's memory
MARGIN = 0.05  # bisection stops when (smallest failing - largest fitting) <= max(1, 5% of the largest fitting)
MAX_TRIALS = 10  # the planned batch, a halving or two, then ~5 bisections (20 = 1/5% needs log2(20) < 5 halvings)
UNITS = {"b": 1, "kb": 10 ** 3, "mb": 10 ** 6, "gb": 10 ** 9, "tb": 10 ** 12,
         "kib": 2 ** 10, "mib": 2 ** 20, "gib": 2 ** 30, "tib": 2 ** 40}


# --- sizes -----------------------------------------------------------------------------------------------------

def parse_size(text) -> int:
    """"8GiB" -> 8589934592. Units B, KB/KiB, MB/MiB, GB/GiB, TB/TiB (case-insensitive; *iB are 1024-based,
    kB/MB/GB 1000-based); a bare number is bytes. An int passes through."""
    if isinstance(text, int) and not isinstance(text, bool) and text > 0:
        return text
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*([A-Za-z]*)\s*", str(text))
    unit = match.group(2).lower() if match else ""
    if not match or (unit and unit not in UNITS) or float(match.group(1)) <= 0:
        raise UsageError(f"memory limit {str(text)!r} is not a size: use a positive number with B, KB, KiB, MB, "
                         f"MiB, GB or GiB, e.g. 8GiB")
    return int(float(match.group(1)) * UNITS[unit or "b"])


def format_size(n: int | float | None) -> str:
    """1536 -> "1.5 KiB"; 8589934592 -> "8.0 GiB"."""
    if n is None:
        return "?"
    for unit, size in (("GiB", 2 ** 30), ("MiB", 2 ** 20), ("KiB", 2 ** 10)):
        if abs(n) >= size:
            return f"{n / size:.1f} {unit}"
    return f"{int(n)} B"


# --- the analytic estimate (facts only, no Keras) ----------------------------------------------------------------

def optimizer_slots(compile_facts) -> int:
    """Optimizer state variables per trainable parameter."""
    name = getattr(compile_facts, "optimizer", None)
    cfg = getattr(compile_facts, "optimizer_config", None) or {}
    if name in ADAM_FAMILY:
        return 3 if cfg.get("amsgrad") else 2
    if name == "RMSprop":
        return 1 + bool(cfg.get("centered")) + bool(cfg.get("momentum"))
    if name == "SGD":
        return 1 if cfg.get("momentum") else 0
    if name in ("Adagrad", "Lion", "Adafactor"):
        return 1
    if name in ("Adadelta", "Ftrl"):
        return 2
    return 2 if name else 0  # an unknown optimizer: assume Adam-like state


def state_bytes(model_facts, compile_facts) -> int:
    """Weights + gradients + optimizer slots: what a train step needs at any batch size."""
    trainable = model_facts.trainable_params
    return BYTES * (model_facts.params + trainable + optimizer_slots(compile_facts) * trainable)


def _numel(shape) -> int:
    """Elements per sample of a layer output (a list of shapes for several outputs); unknown dims count 0."""
    if not isinstance(shape, (tuple, list)) or not shape:
        return 0
    if all(isinstance(d, (tuple, list)) for d in shape):
        return sum(_numel(s) for s in shape)
    total = 1
    for d in shape[1:]:
        if not isinstance(d, int):
            return 0
        total *= d
    return total


def per_sample_bytes(model_facts, compile_facts=None) -> int:
    """Activation memory per sample: the input plus ACTIVATION_FACTOR x every layer output (2 bytes an element
    under mixed precision)."""
    act = 2 if getattr(compile_facts, "loss_scaled", False) else BYTES
    outputs = sum(_numel(lay.output_shape) for lay in model_facts.leaves if lay.class_name not in NO_COPY)
    inputs = sum(_numel(s) for s in model_facts.input_shapes)
    return BYTES * inputs + ACTIVATION_FACTOR * act * outputs


def estimate_bytes(model_facts, compile_facts, batch_size: int) -> int:
    """Weights, gradients and optimizer slots, plus the activations of a train step at `batch_size`."""
    return state_bytes(model_facts, compile_facts) + batch_size * per_sample_bytes(model_facts, compile_facts)


def largest_by_estimate(model_facts, compile_facts, limit: int) -> int:
    """The largest batch size whose estimate fits in `limit` (0 when not even the weights do)."""
    per = per_sample_bytes(model_facts, compile_facts)
    room = limit - state_bytes(model_facts, compile_facts)
    return max(0, room // per) if per else (10 ** 9 if room >= 0 else 0)


# --- trial subprocesses ------------------------------------------------------------------------------------------

def _parts(value):
    """(kind, keys, arrays) of a single array, a list/tuple or a dict of arrays."""
    import numpy as np

    if isinstance(value, dict):
        return "dict", list(value), [np.asarray(v) for v in value.values()]
    if isinstance(value, (list, tuple)):
        return "list", list(range(len(value))), [np.asarray(v) for v in value]
    return "array", [0], [np.asarray(value)]


def _write_inputs(folder: Path, x, y, keep: int = 64) -> None:
    """The trial's data: one sample of each float input (the trial draws random float32 data of its shape), up
    to `keep` samples of integer inputs and labels (the trial tiles them to its batch size)."""
    import numpy as np

    arrays, spec = {}, {}
    for name, value in (("x", x), ("y", y)):
        kind, keys, parts = _parts(value)
        spec[name] = {"kind": kind, "keys": keys}
        for i, arr in enumerate(parts):
            rows = 1 if name == "x" and np.issubdtype(arr.dtype, np.floating) else keep
            arrays[f"{name}{i}"] = arr[:rows] if arr.ndim else arr
    np.savez(folder / "data.npz", **arrays)
    (folder / "data.json").write_text(json.dumps(spec))


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with_parent():
    """A preexec_fn that has the kernel SIGKILL the trial when the thread that started it dies, so no trial
    outlives a killed linter (Linux prctl(PR_SET_PDEATHSIG) through ctypes); None where prctl is missing."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    prctl.argtypes, prctl.restype = [ctypes.c_int] + [ctypes.c_ulong] * 4, ctypes.c_int
    parent = os.getpid()

    def preexec():  # in the child, between fork and exec
        prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the prctl
            os._exit(1)

    return preexec


class _Worker:
    """One trial subprocess: it loads the model and warms up, says it is ready, then takes one batch size."""

    def __init__(self, folder: Path, device: str, limit: int | None):
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow", "PYTHONWARNINGS": "ignore"}
        if device == "CPU":
            env["CUDA_VISIBLE_DEVICES"] = "-1"
        package_root = str(Path(__file__).resolve().parents[2])  # importable from a checkout that is not installed
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
        cmd = [sys.executable, "-m", "cnnlint.probe.trial", str(folder), "--device", device.split(":")[0].lower()]
        if limit:
            cmd += ["--limit", str(limit)]
        self.stderr = tempfile.TemporaryFile()
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr,
                                     env=env, text=True, cwd=folder, preexec_fn=_die_with_parent())
        self.lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line)
        self.proc.stdout.close()
        self.lines.put(None)

    def message(self, deadline: float) -> dict:
        """The next JSON line; {"crashed": ...} when the process died, {"timeout": True} past the deadline."""
        while True:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.perf_counter()))
            except queue.Empty:
                self.kill()
                return {"timeout": True}
            if line is None:
                self.proc.wait()
                return {"crashed": True, "error": self._last_error()}
            try:
                msg = json.loads(line)
            except ValueError:
                continue  # a library printing to stdout
            if isinstance(msg, dict):
                return msg

    def send(self, batch: int) -> None:
        self.proc.stdin.write(f"{batch}\n")
        self.proc.stdin.flush()

    def _last_error(self) -> str:
        """How the process ended and the last line of its stderr that says something."""
        self.stderr.seek(0)
        lines = self.stderr.read().decode(errors="replace").splitlines()
        last = next((text for text in map(plain_error, reversed(lines)) if text), "")
        code = self.proc.returncode
        how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        return plain_error(f"trial crashed ({how})" + (f": {last}" if last else ""))

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.stderr):
            try:
                stream.close()
            except OSError:
                pass


class _Search:
    """Runs trials, each in a fresh worker; on a CPU the next worker starts while one runs. `deadline`: a
    time.perf_counter() value; `budget`: the seconds it allowed, for the stop message; `progress(text)`: told
    before each trial."""

    def __init__(self, folder, device, limit, deadline, max_trials, budget, progress=None):
        self.folder, self.device, self.limit = folder, device, limit
        self.deadline, self.budget, self.progress = deadline, budget, progress or (lambda text: None)
        self.max_trials, self.trials, self.peaks = max_trials, [], {}
        self.error = self.stop = None
        self.nothing_fits = False
        self.ready_s = None  # how long the first worker took to load the model and warm up: the guide for the rest
        self.step_s = 0.0  # the longest trial step so far
        self.spares: list[_Worker] = []

    def _top_up(self):
        """On a CPU the next worker imports TensorFlow while this one runs its step (one ahead: two imports at once
        took 8 s each on 2 cores against 3.5 s alone); none on a GPU, which must hold one process at a time, none
        when no further trial may start or get ready in time."""
        if len(self.trials) + 1 >= self.max_trials or time.perf_counter() + (self.ready_s or 0) >= self.deadline:
            return
        while self.device == "CPU" and not self.spares:
            self.spares.append(_Worker(self.folder, self.device, self.limit))

    def _room(self) -> bool:
        """Whether the time left can hold one more trial: the next worker's start-up (as long as the first one's,
        less what a spare has had) and the longest step so far."""
        now = time.perf_counter()
        if self.ready_s is None:
            return now < self.deadline
        start_up = max(0.0, self.ready_s - (now - self.spares[0].started if self.spares else 0.0))
        return self.deadline - now >= start_up + self.step_s

    def trial(self, batch: int) -> bool | None:
        """True/False for a finished trial; None when the search must stop (self.stop says why)."""
        if len(self.trials) >= self.max_trials:
            self.stop = f"the memory search stopped after {len(self.trials)} trials"
            return None
        if not self._room():
            return self._out_of_time()
        worker = self.spares.pop(0) if self.spares else _Worker(self.folder, self.device, self.limit)
        try:
            ready = worker.message(self.deadline)
            if "ready" not in ready:
                return self._failed_start(ready, batch)
            if self.ready_s is None:
                self.ready_s = time.perf_counter() - worker.started
            self._top_up()
            self.progress(f"memory: trial {len(self.trials) + 1}, batch {batch}")
            sent = time.perf_counter()
            worker.send(batch)
            result = worker.message(self.deadline)
            self.step_s = max(self.step_s, time.perf_counter() - sent)
        finally:
            worker.kill()
        if result.get("timeout"):
            return self._out_of_time()
        fits = bool(result.get("fits"))
        self.trials.append((batch, fits))
        if fits:
            self.peaks[batch] = result.get("peak_bytes")
        else:
            self.error = plain_error(result.get("error")) or "out of memory"
        return fits

    def _failed_start(self, msg, batch):
        if msg.get("timeout"):
            return self._out_of_time()
        error = plain_error(msg.get("error")) or "no error message"
        if msg.get("fits") is False:  # out of memory while loading or warming up (a GPU): nothing fits
            self.trials.append((batch, False))
            self.error = f"out of memory loading the model or at batch sizes 1-2: {error}"
            self.nothing_fits = True
            return False
        self.stop = f"cannot load or run the model in a trial subprocess: {error}"
        return None

    def _out_of_time(self):
        done = len(self.trials)
        after = f"after {done} trial{'s' * (done != 1)}" if done else "before a trial finished"
        budget = f"{self.budget:.0f}" if self.budget >= 5 else f"{max(0.0, self.budget):.1f}"
        self.stop = f"the memory search stopped when its {budget} s ran out {after}"
        return None

    def close(self):
        for worker in self.spares:
            worker.kill()
        self.spares = []


class _Signalled(BaseException):
    """SIGTERM or SIGHUP during the search: unwinds through the finally blocks (not an Exception: nothing on the
    way may swallow it)."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def _clean_up_on_signals():
    """While the block runs in the main thread, SIGTERM and SIGHUP whose handler is the default raise _Signalled,
    so the workers are killed and the temporary folder removed; afterwards the handlers are restored and a signal
    that arrived is delivered again, with its default action, so the process still ends as the signal ends it."""
    caught: list[int] = []

    def handler(signum, frame):
        if not caught:  # a second signal must not cut the clean-up short
            caught.append(signum)
            raise _Signalled(signum)

    ours = {}
    if threading.current_thread() is threading.main_thread():
        for name in ("SIGTERM", "SIGHUP"):
            signum = getattr(signal, name, None)
            if signum is not None and signal.getsignal(signum) == signal.SIG_DFL:
                ours[signum] = signal.signal(signum, handler)
    try:
        yield
    finally:
        for signum, previous in ours.items():
            signal.signal(signum, previous)
        if caught:  # the clean-up is done: end the way the signal ends a process
            os.kill(os.getpid(), caught[0])


def _search(search: _Search, planned: int) -> tuple[bool | None, int | None]:
    """(fits at the planned batch, the largest batch that fits when it does not)."""
    first = search.trial(planned)
    if first is not False:
        return first, None
    hi, lo = planned, 0
    while lo == 0 and hi > 1 and not getattr(search, "nothing_fits", False):
        batch = hi // 2
        fits = search.trial(batch)
        if fits is None:
            return False, None
        if fits:
            lo = batch
        else:
            hi = batch
    if lo == 0:  # not even batch size 1
        return False, 0 if not search.stop else None
    while hi - lo > max(1, MARGIN * lo):
        mid = (lo + hi) // 2
        fits = search.trial(mid)
        if fits is None:
            break
        lo, hi = (mid, hi) if fits else (lo, mid)
    return False, lo


def check_memory(model, x, y, *, batch_size, model_facts, compile_facts, limit_bytes=None, timeout=120.0,
                 max_trials=MAX_TRIALS, deadline: float | None = None, progress=None) -> MemoryFacts:
    """Does a train step at `batch_size` fit, and if not, what is the largest batch that does?

    `model` is compiled; it is only saved (`model.save`, which changes nothing) for the trial subprocesses, so
    the user's model may be passed, though the probe runner passes its copy. `x`, `y`: the sample (arrays, or
    lists/dicts of arrays); trials use random float32 inputs of x's per-sample shape and y tiled to the batch.
    `limit_bytes`: the target device's memory (default: the GPU's; on a CPU without it, only the estimate).
    `deadline`: when the search must be over, a time.perf_counter() value (default: `timeout` seconds from now).
    `progress`: called with a short text when the search starts and before each trial.
    """
    from cnnlint.probe.runner import load_backend

    started = time.perf_counter()
    deadline = started + timeout if deadline is None else deadline

    batch_size = int(batch_size or 32)  # Keras' default
    estimate = estimate_bytes(model_facts, compile_facts, max(1, batch_size))
    backend = load_backend()
    device = "GPU:0" if backend.gpu_present() else "CPU"
    limit = limit_bytes or (backend.gpu_total_bytes() if device != "CPU" else None)
    base = dict(batch_size=batch_size, device=device, estimate_bytes=estimate, limit_bytes=limit)

    def estimated(error=None):  # fits stays None: CNN403 compares estimate_bytes with limit_bytes
        largest = None
        if limit is not None and estimate > limit:
            largest = min(largest_by_estimate(model_facts, compile_facts, limit), batch_size - 1)
        return MemoryFacts(fits=None, method="estimate", error=error, largest_batch=largest, **base)

    if limit is None and device == "CPU" or batch_size < 1:
        return estimated(None if batch_size >= 1 else f"batch_size={batch_size} cannot be tried")
    if limit is not None and state_bytes(model_facts, compile_facts) > limit:
        return estimated(f"the weights, gradients and optimizer slots alone need "
                         f"{format_size(state_bytes(model_facts, compile_facts))}")
    if y is None:
        return estimated("no labels to run a trial step with")
    with _clean_up_on_signals(), tempfile.TemporaryDirectory(prefix="cnnlint-memory-") as tmp:
        folder = Path(tmp)
        try:
            model.save(folder / "model.keras")
            _write_inputs(folder, x, y)
        except Exception as exc:  # noqa: BLE001 - custom objects, subclassed models: estimate only
            return estimated(f"the model cannot be saved for a trial subprocess ({plain_error(exc)})")
        search = _Search(folder, device, limit_bytes if device != "CPU" else limit, deadline, max_trials,
                         budget=deadline - started, progress=progress)
        if progress:
            progress("memory: starting a trial process")
        try:
            fits, largest = _search(search, batch_size)
        finally:
            search.close()
    if fits is None and not search.trials:
        return estimated(search.stop)
    peak_at = batch_size if fits else largest
    error = search.error if not fits else None
    if search.stop:
        error = f"{error}; {search.stop}" if error else search.stop
    return MemoryFacts(fits=fits, method="measured" if device != "CPU" else "subprocess",
                       peak_bytes=search.peaks.get(peak_at), largest_batch=largest, trials=tuple(search.trials),
                       error=error, **base)
