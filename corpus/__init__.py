"""The corpus: real models rebuilt from public, expert-written sources, with the data their sources feed.

Each module `corpus/<name>.py` defines:
- `SOURCE`: where the model comes from (a Keras example or guide, keras.applications, a paper's reference design);
- `TASK`: classification, multi-label, segmentation, depth, super-resolution, denoising, keypoints, regression, ...;
- `build_model()`: the model, compiled as its source compiles it;
- `data()`: `(x, y)` or a `tf.data.Dataset` with what the source feeds (dtype, value range, label format, class
  balance), as a small sample;
- `FIT`: the source's plan (`batch_size`, `epochs`, `validation_split`, `samples`: the real training-set size);
- `TRUE`: {code: reason} for every warning or error that is true of the model (empty for most);
- optionally `OPEN`: {code: why} for a false alarm that is known and not yet fixed (counted apart by the bench;
  the test expects it and fails once it is gone, so the entry is removed), `SLOW = True` for a model whose probe takes long (still run in CI), and `NOTE` (what weights=None
  changes, when the source loads pretrained weights).

`lint(name)` runs it as the CLI runs a factory: in a fresh Keras session, seeded, static rules then the probe.
"""
from __future__ import annotations

import importlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIT_KEYS = ("batch_size", "epochs", "validation_split", "samples", "steps_per_epoch")


def names() -> list[str]:
    return sorted(p.stem for p in HERE.glob("*.py") if not p.stem.startswith("_"))


def load(name: str):
    return importlib.import_module(f"corpus.{name}")


def build(module):
    """(model, x, y) from a corpus module, built in a fresh, seeded Keras session."""
    import keras

    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    model = module.build_model()
    data = module.data()
    x, y = data if isinstance(data, tuple) else (data, None)
    return model, x, y


def lint(name: str, *, probe: bool = True, **kwargs):
    """(report, parameter count) for corpus model `name`."""
    import cnnlint

    module = load(name)
    model, x, y = build(module)
    plan = {k: v for k, v in getattr(module, "FIT", {}).items() if k in FIT_KEYS}
    report = cnnlint.check(model, x, y, probe=probe, config={}, target=name, **plan, **kwargs)
    params = model.count_params()
    del model, x, y
    import gc

    import keras

    keras.backend.clear_session()  # a long run over the corpus keeps one model's memory at a time
    gc.collect()
    return report, params


def unlisted(report, module) -> list:
    """Warnings and errors the module lists neither as true nor as open, and every CNN9xx finding."""
    known = {**getattr(module, "TRUE", {}), **getattr(module, "OPEN", {})}
    return [f for f in report.findings
            if f.code.startswith("CNN9") or (f.severity in ("warning", "error") and f.code not in known)]


def still_open(report, module) -> list:
    """The module's OPEN false alarms that this report still shows."""
    return [f for f in report.findings if f.code in getattr(module, "OPEN", {}) and f.severity != "info"]
