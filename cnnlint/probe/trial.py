"""CNN403 memory trials in their own process: `python -m cnnlint.probe.trial DIR [--batch N ...] [--limit BYTES]
[--device cpu|gpu]`.

Loads DIR/model.keras (compiled) and warms up with `model.fit` on 3 samples at batch size 2 (the train function
is traced once, for any batch size, and TensorFlow's and tf.data's threads exist), then once more on 2 samples,
which measures what any fit needs beyond the batch ("fixed_bytes"). It prints {"ready": true, "state_bytes",
"fixed_bytes"} and then runs one step per batch size N it reads from stdin (or each --batch, in order): a real
`model.fit(x, y, batch_size=N, epochs=1, verbose=0, shuffle=False)` on N samples held in numpy, as a user runs
it (the data adapter and its copies of the batch, the compiled metrics). Inputs are random float32 of the
sample's per-sample shape (integer inputs are tiled), labels the sample's, tiled. Each step prints one JSON line
{"batch_size", "fits", "peak_bytes", "error"}; the first step that does not fit ends the process (the parent
sends batch sizes in increasing order: a smaller one after a failure would learn nothing). An empty line or the
end of stdin ends it too.

A failure while loading or warming up is reported as {"fits": null, "error", "stage": "start"} (fits=false when
it is an out-of-memory error).

CPU with --limit: during each step the data segment is capped (RLIMIT_DATA: it counts malloc and private
anonymous mmaps, which is where TensorFlow's CPU tensors live) at its size after the warm-up, plus the step's
numpy batch, plus the limit less the weights and optimizer slots. The cap is the same for every step of the
process, so what earlier steps left allocated (TensorFlow's allocator keeps its regions) counts against it:
later steps in a process are judged more strictly than a fresh process would judge them, never less. An
oversized step fails as on a device with that memory (TensorFlow raises, aborts or segfaults: the parent counts
a crash as "does not fit"). peak_bytes is what the cap limits: the peak of the data segment during the step
above its size after the warm-up (sampled every millisecond), less the batch, plus the weights and slots.
GPU: --limit caps TensorFlow's allocator (a logical device with that memory_limit); peak_bytes is TF's peak.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys

# --- errors as one plain line ------------------------------------------------------------------------------------

PLAIN_CHARS = 160
_TAIL = re.compile(r"\s(Stack trace|Original stack trace|Function call stack|Hint:|Call arguments received|"
                   r"Arguments received)(\W|$).*", re.S)
_NOISE = re.compile("|".join([  # what TensorFlow and Python wrap around an error's one useful sentence
    r"\[\[.*?(\]\]|$)",  # [[{{node loss/SparseSoftmaxCrossEntropyWithLogits}}]]
    r"\{\{.*?(\}\}|$)",  # {{function_node __wrapped__Fill_device_/job:localhost/...}}
    r"\[Op:[^\]]*\]( name:[ ]?\S*)?",  # [Op:__inference_one_step_on_data_784] name:
    r"Graph execution error:", r"Exception encountered when calling \S+\.", r"\x1b\[[0-9;]*m",  # Keras' wrapper
    r"Detected at node .*? defined at \(most recent call last\):", r"Detected at node \S+", r"Node: '[^']*'",
    r'File "[^"]*("|$)(, line \d+)?(, in \S+)?',  # a frame of a stack trace
    r"Traceback \(most recent call last\):", r"\d+ root error\(s\) found\.", r"\(\d+\) (?=[A-Z])",  # (0) Resource...
    r"\b[IWEF]\d{4} [\d:.]+ +\d+ \S+:\d+\] ",  # an absl log prefix: E0000 00:00:1796.31 3433 port.cc:153]
]), re.S)
_DEVICE = re.compile(r"/job:\S*?/device:(\w+:\d+)")  # /job:localhost/replica:0/task:0/device:CPU:0 -> CPU:0
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def plain_error(error: BaseException | str | None) -> str:
    """A trial's error as one short plain line: `ResourceExhaustedError: OOM when allocating tensor with shape[..]
    and type float on CPU:0 by allocator mklcpu`. Keeps the exception type (an exception, or a text that starts
    with one) and the message's first sentence; drops TensorFlow's node names, [[...]], {{...}}, "defined at"
    frames, file paths, log prefixes and "Stack trace"/"Hint" tails; at most PLAIN_CHARS characters. A text
    already plain comes back unchanged; one that is only decoration comes back empty."""
    if error is None:
        return ""
    text = f"{type(error).__name__}: {error}" if isinstance(error, BaseException) else str(error)
    text = _TAIL.sub("", f" {text}")
    text = " ".join(_DEVICE.sub(r"\1", _NOISE.sub(" ", text)).split())
    text = _SENTENCE_END.split(text, 1)[0].rstrip(" :;,")
    return text if len(text) <= PLAIN_CHARS else text[:PLAIN_CHARS - 3].rstrip() + "..."


# --- process memory (Linux /proc; elsewhere the peak falls back to ru_maxrss) ------------------------------------

def _status(key: str) -> int | None:
    """A /proc/self/status field in bytes (VmData, VmRSS, VmHWM)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


class _DataPeak:
    """The peak of VmData during each `with` block, sampled every millisecond by one thread that lives as long as
    the process (TensorFlow releases the GIL in its ops; the thread's stack is mapped once, before any baseline)."""

    def __init__(self):
        import threading

        self.active, self.peak = threading.Event(), 0
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self):
        import time

        while True:
            self.active.wait()
            self.peak = max(self.peak, _status("VmData") or 0)
            time.sleep(0.001)

    def __enter__(self):
        self.peak = _status("VmData") or 0
        self.active.set()
        return self

    def __exit__(self, *exc):
        self.active.clear()
        self.peak = max(self.peak, _status("VmData") or 0)
        return False


class _Cap:
    """RLIMIT_DATA at `limit` bytes of data segment, lifted again on exit."""

    def __init__(self, limit: int):
        self.limit = limit

    def __enter__(self):
        import resource

        self.old = resource.getrlimit(resource.RLIMIT_DATA)
        hard = self.old[1]
        cap = self.limit if hard == resource.RLIM_INFINITY else min(self.limit, hard)
        resource.setrlimit(resource.RLIMIT_DATA, (cap, hard))
        return self

    def __exit__(self, *exc):
        import resource

        resource.setrlimit(resource.RLIMIT_DATA, self.old)
        return False


# --- the trial ---------------------------------------------------------------------------------------------------

class _Inputs:
    """Random inputs of the sample's per-sample shapes and its labels tiled to any batch size."""

    def __init__(self, folder: str):
        import numpy as np

        with open(os.path.join(folder, "data.json")) as fh:
            self.spec = json.load(fh)
        with np.load(os.path.join(folder, "data.npz")) as data:
            self.arrays = {k: data[k] for k in data.files}
        self.rng = np.random.default_rng(0)

    def _part(self, name: str, batch: int):
        import numpy as np

        spec = self.spec[name]
        parts = []
        for i in range(len(spec["keys"])):
            arr = self.arrays[f"{name}{i}"]
            if name == "x" and not np.issubdtype(arr.dtype, np.integer) and not arr.dtype == bool:
                parts.append(self.rng.random((batch, *arr.shape[1:]), dtype=np.float32))
            else:
                parts.append(np.take(arr, np.arange(batch) % len(arr), axis=0))
        if spec["kind"] == "dict":
            return dict(zip(spec["keys"], parts))
        return parts if spec["kind"] == "list" else parts[0]

    def batch(self, batch: int):
        return self._part("x", batch), self._part("y", batch)


def _state_bytes(model) -> int:
    """Weights and optimizer variables as allocated now."""
    import numpy as np

    seen, total = set(), 0
    optimizer = getattr(model, "optimizer", None)
    for var in [*model.weights, *(getattr(optimizer, "variables", None) or [])]:
        if id(var) in seen:
            continue
        seen.add(id(var))
        total += int(np.prod(var.shape, dtype=np.int64)) * np.dtype(str(var.dtype)).itemsize
    return total


def _fit(model, x, y, batch: int) -> None:
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=False)


ALLOCATOR_LIMIT = "TF_MKL_ALLOC_MAX_BYTES"
BACKSTOP = 2  # with TensorFlow's CPU allocator capped, the data segment is capped at this many times the limit


def allocator_env(limit: int) -> dict:
    """The environment that caps TensorFlow's CPU allocator (oneDNN's, TensorFlow's default on x86 CPUs) at
    `limit` bytes, as a GPU's memory caps its allocator: weights, optimizer slots, the batch's copies and the
    activations all count, the allocator's reserved but unused regions do not. Read when TensorFlow starts."""
    return {ALLOCATOR_LIMIT: str(int(limit))}


def allocator_peak(reset: bool = False) -> int | None:
    """Peak bytes in TensorFlow's CPU allocator since the last reset; None where it keeps no statistics (then it
    is not oneDNN's and ignores the limit: the data segment cap alone applies)."""
    try:
        import tensorflow as tf

        if reset:
            tf.config.experimental.reset_memory_stats("CPU:0")
        return int(tf.config.experimental.get_memory_info("CPU:0")["peak"])
    except Exception:  # noqa: BLE001 - no statistics: an allocator without a limit
        return None


class _Trial:
    """A loaded, warmed-up model and the cap that every step of this process runs under."""

    def __init__(self, folder: str, device: str, limit: int | None, backend):
        import keras

        self.device, self.backend, self.sampler = device, backend, _DataPeak()
        # the parent saved this file from the user's own model a moment ago, into a private temporary folder:
        # safe_mode=False only lets Lambda layers load (their code is the user's, already running)
        self.model = keras.saving.load_model(os.path.join(folder, "model.keras"), safe_mode=False)
        self.inputs = _Inputs(folder)
        _fit(self.model, *self.inputs.batch(3), 2)  # traced once, with a batch dimension of any size
        self.state = _state_bytes(self.model)
        self.allocator = device == "cpu" and bool(limit) and allocator_peak() is not None
        self.room = None if device != "cpu" or not limit else BACKSTOP * limit if self.allocator else \
            limit - self.state
        self.base = _status("VmData") or 0
        self.fixed = self.step(2, capped=False)["peak_bytes"] - self.state
        self.base = _status("VmData") or 0  # the data segment cap of every step counts from here

    def step(self, batch: int, capped: bool = True) -> dict:
        import contextlib
        import gc

        before = _status("VmData") or 0
        x, y = self.inputs.batch(batch)
        data = max(0, (_status("VmData") or 0) - before)  # the batch in numpy is the user's data, not the step's
        cap = _Cap(self.base + data + self.room) if capped and self.room is not None else contextlib.nullcontext()
        self.backend.reset_peak(self.device)
        allocator_peak(reset=self.allocator)
        fits, error = True, None
        with self.sampler as peak, cap:
            try:
                _fit(self.model, x, y, batch)
            except BaseException as exc:  # noqa: BLE001 - MemoryError included: the step did not fit
                fits, error = False, plain_error(exc)
        del x, y
        gc.collect()  # the fit's dataset and iterator, before the next step's cap
        measured = self.backend.peak_bytes(self.device) or (allocator_peak() if self.allocator else None)
        if measured is None:
            measured = max(0, peak.peak - self.base - data) + self.state
        return {"batch_size": batch, "fits": fits, "peak_bytes": measured if fits else None, "error": error}


def run(folder: str, device: str, limit: int | None, batches, emit) -> None:
    """Warm up, emit the ready message, then one result per batch size from `batches` (an iterable; None or 0
    ends it) until a step does not fit."""
    from cnnlint.probe.runner import load_backend

    backend = load_backend(os.environ.get("KERAS_BACKEND") or "tensorflow")  # named: keras is not imported yet
    try:
        backend.setup_trial_device(device, limit)
        trial = _Trial(folder, device, limit, backend)
    except Exception as exc:  # noqa: BLE001 - reported to the parent
        emit({"fits": False if backend.is_oom(exc) else None, "error": plain_error(exc), "stage": "start"})
        return
    emit({"ready": True, "state_bytes": trial.state, "fixed_bytes": trial.fixed})
    for batch in batches:
        if not batch:
            return
        if trial.room is not None and trial.room <= 0:
            emit({"batch_size": batch, "fits": False, "peak_bytes": None,
                  "error": f"the weights and optimizer slots alone need {trial.state} bytes"})
            return
        result = trial.step(batch)
        emit(result)
        if not result["fits"]:
            return


def _emit(message: dict) -> None:
    print(json.dumps(message), flush=True)


def _stdin_batches():
    for line in sys.stdin:
        yield int(line) if line.strip().isdigit() else None
    yield None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cnnlint.probe.trial", description=__doc__.splitlines()[0])
    parser.add_argument("folder", help="a folder with model.keras, data.npz and data.json")
    parser.add_argument("--batch", type=int, nargs="+", help="the batch sizes to try, in increasing order "
                        "(default: read one a line from stdin once ready)")
    parser.add_argument("--limit", type=int, help="memory limit in bytes")
    parser.add_argument("--device", choices=("cpu", "gpu"), default="cpu")
    args = parser.parse_args(argv)
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import resource
    import warnings

    warnings.filterwarnings("ignore")
    if args.device == "cpu" and args.limit:
        os.environ.update(allocator_env(args.limit))  # before TensorFlow starts
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a trial that crashes under the cap leaves no core file
    run(args.folder, args.device, args.limit, args.batch or _stdin_batches(), _emit)
    sys.stderr.flush()
    os._exit(0)  # skip TensorFlow's teardown


if __name__ == "__main__":
    main()
