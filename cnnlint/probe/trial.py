"""One CNN403 memory trial in its own process: `python -m cnnlint.probe.trial DIR [--batch N] [--limit BYTES]
[--device cpu|gpu]`.

Loads DIR/model.keras (compiled), warms up with train steps at batch sizes 1 and 2 (so the step is traced for
any batch size and TensorFlow's threads exist), then runs one train step at batch N on random float32 inputs of
the sample's per-sample shape (integer inputs are tiled) and the sample's labels tiled to N. It prints one JSON
line {"fits", "peak_bytes", "error"} and exits 0. Without --batch it first prints {"ready": true, ...} and reads
N from stdin, so the parent can start it while another trial runs.

A failure of the step after a good warm-up is fits=false: out of memory. A failure while loading or warming up
is fits=null with the error (fits=false when it is an out-of-memory error).

CPU with --limit: the data segment is capped (RLIMIT_DATA: it counts malloc and private anonymous mmaps, which
is where TensorFlow's CPU tensors live) at its size after the warm-up plus the limit less the weights and
optimizer slots already allocated. An oversized step then fails here as it would on a device with that memory
(TensorFlow raises, aborts or segfaults: the parent counts a crash as "does not fit"). peak_bytes is what the
cap limits: the peak growth of the data segment during the step (sampled every millisecond; at least the growth
of the peak RSS), plus the weights and optimizer slots. TensorFlow's CPU kernels allocate buffers they only
partly touch, so the data segment grows up to twice the RSS; a GPU allocator counts those bytes too.
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


def _reset_hwm() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")  # resets VmHWM (the peak RSS) to the current RSS
        return True
    except OSError:
        return False


def _peak_rss() -> int:
    import resource

    hwm = _status("VmHWM")
    if hwm is not None:
        return hwm
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


class _DataPeak:
    """The peak of VmData while the block runs, sampled by a thread (TensorFlow releases the GIL in its ops)."""

    def __enter__(self):
        import threading

        self.done, self.started = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        self.started.wait()  # the thread's own stack is mapped before the baseline
        self.start = self.peak = _status("VmData") or 0
        return self

    def _sample(self):
        self.started.set()
        while not self.done.wait(0.001):
            if self.peak:
                self.peak = max(self.peak, _status("VmData") or 0)

    def __exit__(self, *exc):
        self.done.set()
        self.thread.join()
        self.peak = max(self.peak, _status("VmData") or 0)
        return False

    @property
    def growth(self) -> int:
        return self.peak - self.start


class _Cap:
    """RLIMIT_DATA at the current data segment + `room` bytes, lifted again on exit."""

    def __init__(self, room: int):
        self.room = room

    def __enter__(self):
        import resource

        self.old = resource.getrlimit(resource.RLIMIT_DATA)
        hard = self.old[1]
        cap = (_status("VmData") or 0) + self.room
        resource.setrlimit(resource.RLIMIT_DATA, (cap if hard == resource.RLIM_INFINITY else min(cap, hard), hard))
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


def run(folder: str, device: str, limit: int | None, batch: int | None, announce=None) -> dict:
    from cnnlint.probe.runner import load_backend

    backend = load_backend(os.environ.get("KERAS_BACKEND") or "tensorflow")  # named: keras is not imported yet
    try:
        backend.setup_trial_device(device, limit)
        import keras

        # the parent saved this file from the user's own model a moment ago, into a private temporary folder:
        # safe_mode=False only lets Lambda layers load (their code is the user's, already running)
        model = keras.saving.load_model(os.path.join(folder, "model.keras"), safe_mode=False)
        inputs = _Inputs(folder)
        for warm in (1, 2):
            model.train_on_batch(*inputs.batch(warm))
    except Exception as exc:  # noqa: BLE001 - reported to the parent
        return {"fits": False if backend.is_oom(exc) else None, "error": plain_error(exc), "stage": "start"}
    state = _state_bytes(model)
    if batch is None:
        batch = announce({"ready": True, "state_bytes": state})
        if not batch:
            return {"fits": None, "error": "no batch size given", "stage": "start"}
    capped = device == "cpu" and limit
    if capped and state >= limit:
        return {"fits": False, "peak_bytes": None, "error": f"the weights and optimizer slots alone need {state} bytes"}
    import contextlib

    _reset_hwm()
    backend.reset_peak(device)
    rss = _status("VmRSS") or 0
    fits, error = True, None
    with _DataPeak() as data, _Cap(limit - state) if capped else contextlib.nullcontext():
        try:
            model.train_on_batch(*inputs.batch(batch))
        except BaseException as exc:  # noqa: BLE001 - MemoryError included: the step did not fit
            fits, error = False, plain_error(exc)
    peak = backend.peak_bytes(device)
    if peak is None:
        peak = max(0, _peak_rss() - rss, data.growth) + state
    return {"fits": fits, "peak_bytes": peak if fits else None, "error": error, "batch_size": batch}


def _announce(message: dict):
    print(json.dumps(message), flush=True)
    line = sys.stdin.readline()
    return int(line) if line.strip().isdigit() else None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cnnlint.probe.trial", description=__doc__.splitlines()[0])
    parser.add_argument("folder", help="a folder with model.keras, data.npz and data.json")
    parser.add_argument("--batch", type=int, help="the batch size to try (default: read from stdin when ready)")
    parser.add_argument("--limit", type=int, help="memory limit in bytes")
    parser.add_argument("--device", choices=("cpu", "gpu"), default="cpu")
    args = parser.parse_args(argv)
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import resource
    import warnings

    warnings.filterwarnings("ignore")
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a trial that crashes under the cap leaves no core file
    result = run(args.folder, args.device, args.limit, args.batch, announce=_announce)
    print(json.dumps(result), flush=True)
    sys.stderr.flush()
    os._exit(0)  # skip TensorFlow's teardown


if __name__ == "__main__":
    main()
