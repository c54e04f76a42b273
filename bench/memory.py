"""CNN403's memory search against the truth, on a CPU with --memory-limit: for 3 CNNs and 2 limits each,
cnnlint's recommended batch next to the true largest batch, with the search's trial processes and seconds.

The truth is brute force: a plain `model.fit(x, y, batch_size=b, epochs=1, verbose=0, shuffle=False)` of one
batch held in numpy, in a fresh subprocess capped as the trials cap themselves (RLIMIT_DATA at the data segment
after the warm-up plus the limit less the weights and optimizer slots; the warm-up is the trial's, a fit on 3
samples at batch size 2 then one on 2, so that loading and tracing are not the batch's memory). A batch "fits" when 2 fresh runs in a row fit
(on a CPU the allocator's growth depends on the order TensorFlow's threads run ops in: near the edge a batch
can fit in one run and not the next). The search for it starts from cnnlint's answer and bisects to within 2%.
Nothing is cached. Run: python bench/memory.py (about 8 minutes on 2 cores)
"""
import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "examples")]

GiB = 2 ** 30
CASES = [("clean_cnn", 1, 8192), ("clean_cnn", 2, 8192), ("seed002_cnn", 1, 8192), ("seed002_cnn", 2, 8192),
         ("resnet96", 1, 4096), ("resnet96", 2, 4096)]  # (model, limit in GiB, planned batch)
FITS = ("clean_cnn", 1, 256)  # a planned batch that fits: the search is one process


def build(name):
    """A compiled model and one (x, y) sample of it."""
    import keras
    import numpy as np
    from keras import layers

    if name == "clean_cnn":
        from clean_cnn import build_model

        model, (x, y) = build_model()
        return model, x[:16], y[:16]
    if name == "seed002_cnn":
        from seed002_high_lr import cnn
        from synthetic import images

        x, y = images(16)
        return cnn(1e-3), x, y
    inputs = keras.Input((96, 96, 3))  # resnet96: a small ResNet, 96x96 RGB, 3 residual stages
    x = layers.ReLU()(layers.BatchNormalization()(layers.Conv2D(16, 3, strides=2, padding="same")(inputs)))
    for filters, stride in ((16, 1), (32, 2), (64, 2)):
        y = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(x)
        y = layers.Conv2D(filters, 3, padding="same", use_bias=False)(layers.ReLU()(layers.BatchNormalization()(y)))
        short = x if stride == 1 else layers.Conv2D(filters, 1, strides=stride)(x)
        x = layers.ReLU()(layers.Add()([short, layers.BatchNormalization()(y)]))
    outputs = layers.Dense(10, activation="softmax")(layers.GlobalAveragePooling2D()(x))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    return model, rng.random((16, 96, 96, 3), dtype=np.float32), rng.integers(0, 10, 16)


def probe(name: str, limit: int, batch: int) -> None:
    """In a fresh process: cap as a trial does, warm up, one plain fit at `batch`; exits 0 when it fits."""
    import resource

    import numpy as np

    from cnnlint.probe.trial import BACKSTOP, allocator_env, allocator_peak

    os.environ.update(allocator_env(limit))  # before TensorFlow starts
    model, x, y = build(name)
    for n in (3, 2):  # the trial's warm-up: traced once, then what any fit needs
        model.fit(x[:n], y[:n], batch_size=2, epochs=1, verbose=0, shuffle=False)
    state = sum(int(np.prod(v.shape)) * 4 for v in [*model.weights, *model.optimizer.variables])
    rng = np.random.default_rng(1)
    xb = (rng.random((batch, *x.shape[1:]), dtype=np.float32) * float(x.max())).astype(x.dtype)
    yb = np.resize(y, batch)
    with open("/proc/self/status") as fh:
        data = next(int(line.split()[1]) * 1024 for line in fh if line.startswith("VmData:"))
    room = BACKSTOP * limit if allocator_peak() is not None else limit - state
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_DATA, (data + room, resource.RLIM_INFINITY))
    try:
        model.fit(xb, yb, batch_size=batch, epochs=1, verbose=0, shuffle=False)
    except BaseException:  # noqa: BLE001 - out of memory, however TensorFlow says it
        os._exit(1)
    os._exit(0)


def fits(name: str, limit: int, batch: int, runs: int = 2) -> bool:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    for _ in range(runs):
        done = subprocess.run([sys.executable, __file__, "--probe", name, str(limit), str(batch)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if done.returncode:
            return False
    return True


def true_largest(name: str, limit: int, start: int) -> int:
    """Bisection to within 2%, in a bracket found by steps of 10% from `start`."""
    lo, hi = (start, None) if fits(name, limit, start) else (None, start)
    while hi is None:
        batch = int(lo * 1.1) + 1
        lo, hi = (batch, None) if fits(name, limit, batch) else (lo, batch)
    while lo is None:
        batch = max(1, int(hi / 1.1))
        lo, hi = (batch, hi) if fits(name, limit, batch) else (None, batch)
    while hi - lo > max(1, 0.02 * lo):
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if fits(name, limit, mid) else (lo, mid)
    return lo


def search(name: str, limit: int, planned: int):
    from cnnlint.facts.compile import extract_compile
    from cnnlint.facts.model import extract_model
    from cnnlint.probe.memory import check_memory

    model, x, y = build(name)
    started = time.perf_counter()
    mem = check_memory(model, x, y, batch_size=planned, model_facts=extract_model(model)[0],
                       compile_facts=extract_compile(model), limit_bytes=limit, timeout=300)
    return mem, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--probe", nargs=3, metavar=("MODEL", "LIMIT", "BATCH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        return probe(args.probe[0], int(args.probe[1]), int(args.probe[2]))
    import keras
    import tensorflow as tf

    print(f"machine: {platform.system()} {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, Keras {keras.__version__}, TensorFlow {tf.__version__}")
    print("targets: <= 4 trial processes; recommended within 10% of the true largest and never above it; "
          "<= 20 s for clean_cnn at 1 GiB")
    print(f"{'model':<12} {'limit':>6} {'planned':>7} {'recommended':>11} {'largest':>7} {'true':>5} {'error':>6} "
          f"{'processes':>9} {'search s':>8}  targets")
    started, ok = time.perf_counter(), True
    for name, gib, planned in [*CASES, FITS]:
        mem, seconds = search(name, gib * GiB, planned)
        rec = mem.recommended_batch
        true = true_largest(name, gib * GiB, mem.largest_batch or rec) if (name, gib, planned) != FITS else None
        error = f"{100 * (rec - true) / true:+.1f}%" if true and rec else "-"
        checks = [mem.processes <= 4 or "processes", not true or true * 0.9 <= rec <= true or "batch",
                  (name, gib, planned) != CASES[0] or seconds <= 20 or "seconds"]
        misses = [c for c in checks if c is not True]
        ok = ok and not misses
        fit = "fits" if mem.fits else "no"
        print(f"{name:<12} {gib:>4}Gi {planned:>7} {rec or '-':>11} {mem.largest_batch or '-':>7} {true or '-':>5} "
              f"{error:>6} {mem.processes:>9} {seconds:>8.1f}  {'met' if not misses else 'MISSED ' + ', '.join(misses)}"
              f" ({fit}; {' '.join(f'{b}{chr(43) if f else chr(45)}' for b, f in mem.trials)})")
    print(f"all targets met: {'yes' if ok else 'no'}; {time.perf_counter() - started:.0f} s in all")


if __name__ == "__main__":
    main()
