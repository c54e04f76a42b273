"""Static phase speed: facts + every static rule (no imports, no model build), against model.summary().

Run: python bench/static.py. Prints, per model, the median over 5 runs of the static phase and of
model.summary() (printed to nowhere), their ratio, and the cost per layer for synthetic stacks of
250, 500 and 1000 layers (linear cost means a flat per-layer figure).
"""
import os
import platform
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402

import cnnlint  # noqa: E402

REPEAT = 5


def stack(n_layers: int) -> keras.Model:
    """A plain conv stack of n_layers layers: (Conv2D, BatchNormalization, ReLU) blocks."""
    layers = [keras.Input((16, 16, 8))]
    while len(layers) - 1 < n_layers - 2:
        layers += [keras.layers.Conv2D(8, 3, padding="same", use_bias=False), keras.layers.BatchNormalization(),
                   keras.layers.ReLU()]
    layers += [keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(10, activation="softmax")]
    return keras.Sequential(layers[: n_layers + 1])


def median_time(fn) -> float:
    fn()  # warm caches (tracing, config serialization)
    times = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(name: str, model: keras.Model) -> None:
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    static = median_time(lambda: cnnlint.check(model, config={}, batch_size=32, epochs=10, samples=50_000))
    summary = median_time(lambda: model.summary(print_fn=lambda *a, **k: None))
    n = len(model.layers)
    print(f"{name:<18} {n:>5} layers  static {static * 1000:7.1f} ms  summary {summary * 1000:7.1f} ms  "
          f"ratio {static / summary:5.2f}  {static / n * 1e6:6.0f} us/layer")


def main() -> None:
    sys.setrecursionlimit(20_000)  # Keras walks a 1000-layer graph recursively when building it
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"Keras {keras.__version__}")
    measure("ResNet50", keras.applications.ResNet50(weights=None))
    measure("EfficientNetB0", keras.applications.EfficientNetB0(weights=None))
    for n in (250, 500, 1000):
        measure(f"stack-{n}", stack(n))


if __name__ == "__main__":
    main()
