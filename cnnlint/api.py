"""`cnnlint.check`: lint one model, with a sample batch and a plan given the way `model.fit` takes them."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from cnnlint import config as config_mod
from cnnlint import engine
from cnnlint.errors import UsageError
from cnnlint.result import Report


def _config(config) -> config_mod.Config:
    if config is None:
        return config_mod.load()
    if isinstance(config, config_mod.Config):
        return config
    if isinstance(config, dict):
        return config_mod.from_dict(config, source="config")
    if isinstance(config, (str, Path)):
        return config_mod.load(config)
    raise UsageError(f"config must be a Config, a dict or a path, not {type(config).__name__}")


def _first(value):
    if isinstance(value, dict):
        return next(iter(value.values()), None)
    if isinstance(value, (list, tuple)):
        return value[0] if value else None
    return value


def validate_sample(x, y) -> None:
    """One-line errors for data that cannot be a batch at all (shape problems that can are findings)."""
    x0, y0 = _first(x), _first(y)
    if x0 is None:
        return
    x0 = np.asarray(x0)
    if x0.ndim < 2:
        raise UsageError(f"x has shape {x0.shape}: expected a batch of samples with the sample axis first "
                         f"(rank >= 2), got rank {x0.ndim}")
    if len(x0) == 0 or x0.size == 0:
        raise UsageError(f"x has shape {x0.shape}: the sample batch is empty, there is nothing to check")
    if y0 is not None and np.ndim(y0) >= 1 and len(y0) != len(x0):
        raise UsageError(f"x has {len(x0)} samples but y has {len(y0)}")
    for part in y.values() if isinstance(y, dict) else y if isinstance(y, (list, tuple)) else [y]:
        labels = np.asarray(part) if part is not None else None
        if labels is not None and labels.dtype.kind in "USO" and labels.size:  # x's dtype is CNN102's
            example = labels.reshape(-1).tolist()[0]
            raise UsageError(f"y holds {'strings' if labels.dtype.kind in 'US' else 'Python objects'} (e.g. "
                             f"{example!r}): losses need numbers; map the class names to integer ids "
                             f"(np.unique(y, return_inverse=True) or keras.layers.StringLookup)")


def _is_keras_model(model) -> bool:
    import keras

    return isinstance(model, keras.Model)


def check(model, x=None, y=None, *, batch_size=None, epochs=None, validation_split=0.0, samples=None,
          steps_per_epoch=None, probe=False, select=None, ignore=None, extend_select=None, config=None, fail_on=None,
          extra_rules=(), target=None, probe_steps=50, probe_timeout=None, probe_seeds=1, probe_seed=0,
          memory_limit=None, memory_margin=0.05, progress=None) -> Report:
    """Lint `model` with an optional sample batch and the training plan, as `model.fit` takes them.

    `x` may be arrays, a tf.data.Dataset, a keras.utils.PyDataset, a Keras image iterator or a
    generator. `probe_timeout`: seconds for the whole probe; None (the default) gives it 60 s, stretched up to
    180 s when a slow model needs it to run the steps a verdict needs. `probe=True` adds the probe fit (on a copy of the model) when there is data and the static
    rules found no error. `memory_limit` (bytes or "8GiB") checks the plan against a device's memory.
    `extra_rules` are additional Rule classes to run (for testing your own rules).
    """
    from cnnlint.rng import seeded

    with seeded(None):  # whatever cnnlint draws, the user's generators are as they were afterwards
        return _check(model, x, y, batch_size=batch_size, epochs=epochs, validation_split=validation_split,
                      samples=samples, steps_per_epoch=steps_per_epoch, probe=probe, select=select, ignore=ignore,
                      extend_select=extend_select, config=config, fail_on=fail_on, extra_rules=extra_rules,
                      target=target, probe_steps=probe_steps, probe_timeout=probe_timeout,
                      probe_seeds=probe_seeds, probe_seed=probe_seed, memory_limit=memory_limit,
                      memory_margin=memory_margin, progress=progress)


def _check(model, x, y, *, batch_size, epochs, validation_split, samples, steps_per_epoch, probe, select, ignore,
           extend_select, config, fail_on, extra_rules, target, probe_steps, probe_timeout, probe_seeds, probe_seed,
           memory_limit, memory_margin, progress) -> Report:
    from cnnlint.data import Sample, sample_from
    from cnnlint.facts.extract import extract
    from cnnlint.facts.plan import check_plan

    started = time.perf_counter()
    if not _is_keras_model(model):
        raise UsageError(f"expected a keras.Model, got {type(model).__name__}")
    check_plan({"batch_size": batch_size, "epochs": epochs, "validation_split": validation_split,
                "samples": samples, "steps_per_epoch": steps_per_epoch, "probe_steps": probe_steps,
                "probe_seeds": probe_seeds})
    if probe and probe_timeout is not None and not (isinstance(probe_timeout, (int, float)) and probe_timeout > 0):
        raise UsageError(f"probe_timeout must be a positive number of seconds, got {probe_timeout!r}")
    cfg = _config(config)
    if not extra_rules:
        engine.require_rules(cfg, select=select, extend_select=extend_select, ignore=ignore, probe=probe)
    sample = Sample(None)
    if isinstance(x, Sample):
        sample = x
    elif x is not None:
        rank = len(model.inputs[0].shape) - 1 if getattr(model, "inputs", None) else None
        sample = sample_from(x, y, sample_rank=rank)
    validate_sample(sample.x, sample.y)
    if batch_size is None and sample.batch_size is not None:
        batch_size = sample.batch_size  # fit takes the batch size from a dataset or generator
    name = target or model.name
    facts = extract(name, model, sample.x, sample.y, source=sample.source, augmentation=sample.augmentation,
                    sample_shapes=sample.sample_shapes, pipeline_random=sample.pipeline_random,
                    batch_labels=sample.batch_labels, unreadable=sample.unreadable, batch_size=batch_size, epochs=epochs,
                    validation_split=validation_split,
                    samples=samples if samples is not None else sample.samples, steps_per_epoch=steps_per_epoch,
                    probe_requested=probe)
    report = lint_facts(facts, cfg, select=select, extend_select=extend_select, ignore=ignore, probe=False,
                        extra_rules=extra_rules, fail_on=fail_on, started=started)
    if probe:
        from cnnlint.probe.session import probe_report

        probe_report(report, model, sample, facts, cfg, select=select, extend_select=extend_select, ignore=ignore,
                     steps=probe_steps, timeout=probe_timeout, seeds=probe_seeds, seed=probe_seed,
                     memory_limit=memory_limit, memory_margin=memory_margin, progress=progress)
        report.duration = time.perf_counter() - started
    return report


def lint_facts(facts, cfg, *, select=None, extend_select=None, ignore=None, probe=False, extra_rules=(),
               fail_on=None, started=None) -> Report:
    """Run the selected rules on facts already extracted (also for a model that could not be built)."""
    started = time.perf_counter() if started is None else started
    rules = engine.select(cfg, select=select, extend_select=extend_select, ignore=ignore, probe=probe)
    rules += [cls() for cls in extra_rules]
    findings, skipped = engine.run(facts, rules, cfg)
    return Report(target=facts.target, findings=findings, skipped=skipped,
                  duration=time.perf_counter() - started, fail_on=fail_on or cfg.fail_on)
