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
import math
import os
import queue
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, replace
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
MARGIN = 0.05  # the default margin: recommend 5% below the largest batch that fits
STEP = 0.03  # the ladder's step near a known failure, and the precision of the answer (largest fit to failure)
CALIBRATION = 0.1  # the first trial step: this share of the estimate's largest batch (small: see FRESH)
FRESH = 0.15  # steps below this share of the next one do not count as the climb's steps
NEAR = 0.9  # a step whose peak comes this close to the room leaves the allocator holding all of it
WASTE = 1.5  # at the largest batch that fits, the allocator holds up to 1.5x the bytes its tensors use (regions, fragments)
MAX_JUMP = 0.12  # the climb's largest step
DROP = 1.5  # a new process after a failure starts at most this factor below it
SLOW, SLOW_MIN_S = 3, 2.0  # a step this much slower than the last fit's pace waits at the allocator's limit in
# vain: TensorFlow waits 10 s for memory that no other op frees before it raises its out-of-memory error
MAX_TRIALS = 24  # trial steps in all (each process runs several)
MAX_PROCESSES = 6
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


# --- the search: which batch sizes to try (pure; the trial processes are below) ----------------------------------

@dataclass(frozen=True)
class Plan:
    """What the search knows before its results: the planned batch and margin, the room for the batch (the limit
    less the weights and optimizer slots; None when unknown), the analytic estimate's largest batch, and what any
    fit needs beyond the weights whatever the batch (the trial's warm-up measures it)."""

    planned: int
    margin: float = MARGIN
    room: int | None = None
    guess: int | None = None
    fixed: int = 0

    @property
    def wanted(self) -> int:
        """The planned batch with the margin on top: the batch that must fit for the planned one to fit with it."""
        return max(self.planned, math.ceil(self.planned / (1 - self.margin) - 1e-9))


@dataclass(frozen=True)
class Trial:
    """One trial step: a real fit at `batch` in trial process `process` (1, 2, ...); `need`: the bytes beyond the
    weights and optimizer slots at its peak, when it fitted."""

    batch: int
    fits: bool
    process: int
    need: int | None = None


def bounds(plan: Plan, trials) -> tuple[int, int | None, int | None]:
    """(lo, hi, soft): the largest batch that fitted (below hi; 0), the smallest that failed (None), and the
    smallest failure above lo that does not count yet (None). TensorFlow's allocator keeps the regions it grew
    for a process's earlier batches, so later steps fit more or fewer than a fresh process would: a fit after a
    step of its process came within NEAR of the room does not count (the allocator then holds regions up to the
    limit, which larger steps reuse), and neither does a failure after two full-size steps (the regions were
    shaped by smaller batches): a new process checks it."""
    fails = [(t.batch, sum(u.process == t.process and u.batch >= FRESH * t.batch for u in trials[:i]) <= 1)
             for i, t in enumerate(trials) if not t.fits]
    hi = min((batch for batch, counts in fails if counts), default=None)
    full, lo = set(), 0
    for t in trials:
        if t.fits and t.process not in full and t.batch < (hi or math.inf):
            lo = max(lo, t.batch)
        if plan.room and (t.need or 0) >= NEAR * plan.room:
            full.add(t.process)
    soft = min((batch for batch, counts in fails if not counts and lo < batch < (hi or math.inf)), default=None)
    return lo, hi, soft


def predicted(plan: Plan, trials) -> tuple[int, int] | None:
    """(low, high): the largest batch by the measured bytes per sample (the analytic estimate, calibrated by the
    first step that fitted, and by the slope from it to the next one of twice its size or more), with the
    allocator holding up to WASTE times what its tensors need (low) or exactly that (high)."""
    fitted = [t for t in trials if t.fits and t.need]
    if not fitted or plan.room is None:
        return None
    first = fitted[0]
    second = next((t for t in fitted if t.batch >= 2 * first.batch and t.need > first.need), None)
    fixed = plan.fixed if not second else first.need - (second.need - first.need) / (second.batch - first.batch) * \
        first.batch
    per = (first.need - fixed) / first.batch
    room = plan.room - max(0.0, fixed)
    per = max(1.0, per)
    return max(0, int(room / (WASTE * per))), max(0, int(room / per))


def next_batch(plan: Plan, trials, live=()) -> int | None:
    """The next batch size to try, None when the search is done. `trials`: every result so far, in order;
    `live`: the batches the running trial process has run (all fitted; empty when the next step starts a new
    process). A live process only gets batches above all it ran, a new one starts where the knowledge is thinnest.

    The first step calibrates (CALIBRATION of the estimate's largest batch, or the planned batch when it is far
    below); the next starts at the calibrated estimate's low end; then the ladder climbs, in steps that double
    from STEP while no failure is known, and of STEP (or a quarter of the gap to a failure) after one. The search
    ends when the planned batch fits with its margin (or the calibrated estimate says it does), when a failure
    judged fresh lies within the margin above it, or when the largest fit and a fresh failure are STEP apart."""
    if not trials:
        guess = plan.guess or plan.planned
        return plan.planned if plan.planned <= guess / 4 else max(1, min(plan.planned, round(CALIBRATION * guess)))
    lo, hi, soft = bounds(plan, trials)
    pred = predicted(plan, trials)
    if lo >= plan.planned:
        if lo >= plan.wanted or (hi or math.inf) <= plan.wanted or (pred and plan.wanted <= pred[0]):
            return None
        top = plan.wanted
    elif hi == 1 or (hi is not None and hi - lo <= max(1, STEP * lo)):
        return None
    else:
        top = plan.planned
    top = min(top, hi - 1) if hi else top
    if not live:  # a new process: check a failure that does not count yet, or bisect
        gap = soft or hi
        if gap is None:
            batch = lo * (1 + STEP)
        elif lo == 0:
            batch = gap / 8
        else:
            batch = gap if soft and gap <= lo * (1 + 2 * STEP) else max(math.sqrt(lo * gap), gap / DROP)
        return max(lo + 1, min(int(batch), top))
    last = max(live)  # climb, in steps that double from STEP (and cross at least a quarter of the way to a
    big = sum(b >= FRESH * last for b in live)  # failure), or to the calibrated estimate's low end when ahead
    jump = max(STEP * 2 ** max(0, big - 1), (hi / last) ** 0.25 - 1 if hi else 0)
    batch = max(last * (1 + min(MAX_JUMP, jump)), pred[0] if pred and not hi else 0)
    return max(last + 1, min(int(batch), top)) if last < top else lo + 1  # at or below `last`: a new process


def recommend(lo: int, margin: float) -> int:
    """The batch the margin leaves below the largest that fits (at least 1 when anything fits)."""
    return max(1, math.floor(lo * (1 - margin) + 1e-9)) if lo else 0


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
    """One trial subprocess: it loads the model and warms up, says it is ready, then takes batch sizes in increasing
    order, one result line each, until one does not fit."""

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
    """Runs the steps that next_batch asks for: in the live trial process while its steps fit, in a new one after
    a failure (on a CPU the next process starts while one runs). `start()`: a new _Worker; `deadline`: a clock()
    value; `budget`: the seconds it allowed, for the stop message; `progress(text)`: told before each step."""

    def __init__(self, plan, start, deadline, max_trials, budget, *, device="CPU", progress=None,
                 clock=time.perf_counter):
        self.plan, self.start, self.device, self.clock = plan, start, device, clock
        self.deadline, self.budget, self.progress = deadline, budget, progress or (lambda text: None)
        self.max_trials, self.trials, self.peaks = max_trials, [], {}
        self.error = self.stop = None
        self.nothing_fits = False
        self.processes, self.state = 0, 0
        self.ready_s = None  # how long the first worker took to load the model and warm up: the guide for the rest
        self.step_s = 0.0  # the longest trial step so far
        self.worker, self.live, self.spares = None, [], []
        self.pace = None  # seconds a sample took in the latest step that fitted

    def run(self) -> None:
        while not self.stop and not self.nothing_fits:
            batch = next_batch(self.plan, self.trials, self.live if self.worker else ())
            if batch is not None and self.live and batch <= max(self.live):  # a live process only climbs
                self._close_worker()
                batch = next_batch(self.plan, self.trials, ())
            if batch is None:
                return
            if len(self.trials) >= self.max_trials:
                self.stop = f"the memory search stopped after {len(self.trials)} trial steps"
            elif self.worker is None and self.processes >= MAX_PROCESSES:
                self.stop = f"the memory search stopped after {self.processes} trial processes"
            elif not self._room(new=self.worker is None):
                self._out_of_time()
            elif self.worker is not None or self._open():
                self._step(batch)

    def _open(self) -> bool:
        worker = self.spares.pop(0) if self.spares else self.start()
        ready = worker.message(self.deadline)
        if "ready" not in ready:
            worker.kill()
            self._failed_start(ready)
            return False
        self.processes += 1
        self.ready_s = self.ready_s or self.clock() - worker.started
        if self.processes == 1:
            self.state = int(ready.get("state_bytes") or 0)
            room = self.plan.room - self.state if self.plan.room is not None else None
            self.plan = replace(self.plan, room=room, fixed=int(ready.get("fixed_bytes") or 0))
        self.worker, self.live = worker, []
        self._top_up()
        return True

    def _step(self, batch: int) -> None:
        self.progress(f"memory: process {self.processes}, batch {batch}")
        sent = self.clock()
        self.worker.send(batch)
        waited = sent + max(SLOW_MIN_S, SLOW * self.pace * batch) if self.pace else math.inf
        result = self.worker.message(min(self.deadline, waited))
        took = self.clock() - sent
        self.step_s = max(self.step_s, took)
        if result.get("timeout") and self.clock() < self.deadline:  # waiting at the allocator's limit (SLOW)
            result = {"fits": False, "error": f"out of memory: the step took {took:.0f} s, {SLOW}x its expected "
                                              f"time, waiting for memory at the allocator's limit"}
        elif result.get("timeout"):
            self._close_worker()
            self._out_of_time()
            return
        fits, peak = bool(result.get("fits")), result.get("peak_bytes")
        self.trials.append(Trial(batch, fits, self.processes, peak - self.state if fits and peak else None))
        if fits:
            self.live.append(batch)
            self.peaks[batch] = peak
            self.pace = took / batch  # how long the next steps may take (SLOW)
        else:
            self.error = plain_error(result.get("error")) or "out of memory"
            self._close_worker()

    def _top_up(self):
        """On a CPU the next worker imports TensorFlow while this one runs its steps (one ahead: two imports at
        once took 8 s each on 2 cores against 3.5 s alone); none on a GPU, which must hold one process at a time,
        none when no further process may start or get ready in time."""
        if self.processes >= MAX_PROCESSES or self.clock() + (self.ready_s or 0) >= self.deadline:
            return
        while self.device == "CPU" and not self.spares:
            self.spares.append(self.start())

    def _room(self, new: bool) -> bool:
        """Whether the time left can hold one more step: the longest step so far and, in a new process, its
        start-up (as long as the first one's, less what a spare has had)."""
        now = self.clock()
        if self.ready_s is None:
            return now < self.deadline
        start_up = max(0.0, self.ready_s - (now - self.spares[0].started if self.spares else 0.0)) if new else 0.0
        return self.deadline - now >= start_up + self.step_s

    def _failed_start(self, msg):
        if msg.get("timeout"):
            return self._out_of_time()
        error = plain_error(msg.get("error")) or "no error message"
        if msg.get("fits") is False:  # out of memory while loading or warming up (a GPU): nothing fits
            self.error = f"out of memory loading the model or at batch size 2: {error}"
            self.nothing_fits = True
        else:
            self.stop = f"cannot load or run the model in a trial subprocess: {error}"

    def _out_of_time(self):
        done = len(self.trials)
        after = f"after {done} trial step{'s' * (done != 1)}" if done else "before a trial step finished"
        budget = f"{self.budget:.0f}" if self.budget >= 5 else f"{max(0.0, self.budget):.1f}"
        self.stop = f"the memory search stopped when its {budget} s ran out {after}"

    def _close_worker(self):
        if self.worker is not None:
            self.worker.kill()
        self.worker, self.live = None, []

    def close(self):
        self._close_worker()
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


def _measured(search: _Search, base: dict) -> dict:
    """MemoryFacts fields from the search's trials: fits, the largest batch that fits, the recommendation."""
    plan, trials = search.plan, search.trials
    lo, hi, soft = bounds(plan, trials)
    failed = soft or hi  # a failure that does not count yet is still one at that batch
    if search.nothing_fits:
        return dict(fits=False, largest_batch=0, recommended_batch=0, error=search.error)
    if lo >= plan.planned:
        close = failed is not None and failed <= plan.wanted  # it fits, but the batch the margin asks for does not
        fits, recommended = True, recommend(lo, plan.margin) if close else plan.planned
    elif failed is not None and failed <= plan.planned:
        fits, recommended = False, recommend(lo, plan.margin)
    else:
        return {}  # stopped before anything was known about the planned batch
    return dict(fits=fits, largest_batch=lo if failed is not None else None, recommended_batch=recommended,
                peak_bytes=search.peaks.get(plan.planned if fits else lo), error=None if fits else search.error)


def check_memory(model, x, y, *, batch_size, model_facts, compile_facts, limit_bytes=None, timeout=120.0,
                 max_trials=MAX_TRIALS, deadline: float | None = None, progress=None,
                 margin: float = MARGIN) -> MemoryFacts:
    """Does a train step at `batch_size` fit, and if not, what is the largest batch that does?

    `model` is compiled; it is only saved (`model.save`, which changes nothing) for the trial subprocesses, so
    the user's model may be passed, though the probe runner passes its copy. `x`, `y`: the sample (arrays, or
    lists/dicts of arrays); trials use random float32 inputs of x's per-sample shape and y tiled to the batch.
    `limit_bytes`: the target device's memory (default: the GPU's; on a CPU without it, only the estimate).
    `deadline`: when the search must be over, a time.perf_counter() value (default: `timeout` seconds from now).
    `progress`: called with a short text when the search starts and before each trial step. `margin`: the
    recommended batch is this fraction below the largest that fits (and a planned batch that fits with less
    room than that is reported as such).
    """
    from cnnlint.probe.runner import load_backend

    started = time.perf_counter()
    deadline = started + timeout if deadline is None else deadline

    batch_size = int(batch_size or 32)  # Keras' default
    estimate = estimate_bytes(model_facts, compile_facts, max(1, batch_size))
    backend = load_backend()
    device = "GPU:0" if backend.gpu_present() else "CPU"
    limit = limit_bytes or (backend.gpu_total_bytes() if device != "CPU" else None)
    base = dict(batch_size=batch_size, device=device, estimate_bytes=estimate, limit_bytes=limit, margin=margin)

    def estimated(error=None, search=None):  # fits stays None: CNN403 compares estimate_bytes with limit_bytes
        largest = None
        if limit is not None and estimate > limit:
            largest = min(largest_by_estimate(model_facts, compile_facts, limit), batch_size - 1)
        found = dict(trials=tuple((t.batch, t.fits) for t in search.trials), processes=search.processes) \
            if search else {}
        return MemoryFacts(fits=None, method="estimate", error=error, largest_batch=largest,
                           recommended_batch=None if largest is None else recommend(largest, margin), **found, **base)

    if limit is None and device == "CPU" or batch_size < 1:
        return estimated(None if batch_size >= 1 else f"batch_size={batch_size} cannot be tried")
    if limit is not None and state_bytes(model_facts, compile_facts) > limit:
        return estimated(f"the weights, gradients and optimizer slots alone need "
                         f"{format_size(state_bytes(model_facts, compile_facts))}")
    if y is None:
        return estimated("no labels to run a trial step with")
    guess = largest_by_estimate(model_facts, compile_facts, limit) if limit else None
    plan = Plan(planned=batch_size, margin=margin, room=limit, guess=guess)  # room: less the state, once measured
    trial_limit = limit_bytes if device != "CPU" else limit
    with _clean_up_on_signals(), tempfile.TemporaryDirectory(prefix="cnnlint-memory-") as tmp:
        folder = Path(tmp)
        try:
            model.save(folder / "model.keras")
            _write_inputs(folder, x, y)
        except Exception as exc:  # noqa: BLE001 - custom objects, subclassed models: estimate only
            return estimated(f"the model cannot be saved for a trial subprocess ({plain_error(exc)})")
        search = _Search(plan, lambda: _Worker(folder, device, trial_limit), deadline, max_trials,
                         budget=deadline - started, device=device, progress=progress)
        if progress:
            progress("memory: starting a trial process")
        try:
            search.run()
        finally:
            search.close()
    found = _measured(search, base)
    if not found:
        return estimated(search.stop or search.error, search if search.trials else None)
    if search.stop:
        found["error"] = f"{found['error']}; {search.stop}" if found["error"] else search.stop
    return MemoryFacts(method="measured" if device != "CPU" else "subprocess", processes=search.processes,
                       trials=tuple((t.batch, t.fits) for t in search.trials), **found, **base)
