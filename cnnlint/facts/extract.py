"""Compute every fact for one target, once. A failure becomes a Problem (CNN902), never a crash."""
from __future__ import annotations

import re

import numpy as np

from cnnlint.facts import Facts, Problem
from cnnlint.facts.batch import BatchFacts, array_facts, label_facts, label_mix
from cnnlint.facts.compile import extract_compile
from cnnlint.facts.model import extract_model
from cnnlint.facts.plan import plan_facts
from cnnlint.facts.task import task_facts

PREPROCESS_SAMPLES = 64


ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")  # colour codes in Keras' rich error messages


def one_line(exc: BaseException) -> str:
    """An exception as one short line: `ValueError: ...` (Keras messages can run for pages; no colour codes)."""
    text = " ".join(ANSI.sub("", str(exc)).split())
    if len(text) > 300:
        text = text[:297] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _as_list(value, names) -> list:
    if value is None:
        return []
    if isinstance(value, dict):
        return [value[n] for n in names if n in value] or list(value.values())
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _ensure_built(model, x_first):
    """Build an unbuilt model by calling it once in inference mode on one sample.

    A call with training=False creates the weights an unbuilt model lacks and changes no existing
    weight or statistic (BatchNormalization and Dropout run in inference mode).
    """
    if model.built:
        try:
            model.layers[-1].output  # noqa: B018 - raises when the graph was never traced
            return None
        except Exception:
            pass
    if x_first is None:
        if model.built:
            return None
        return Problem("build", "the model is not built and there is no sample batch to build it with; "
                                "start it with keras.Input(shape=...) or pass data")
    try:
        model(np.asarray(x_first[:1]), training=False)
        return None
    except Exception as exc:  # noqa: BLE001
        return Problem("call", f"the model fails on the sample batch: {one_line(exc)}")


def _compatible(sample_shape: tuple, model_shape: tuple) -> bool:
    model_sample = model_shape[1:]
    return len(sample_shape) == len(model_sample) and all(
        m is None or m == s for s, m in zip(sample_shape, model_sample))


# layers that prepare the input rather than learn from it (their weights, if any, are statistics they adapt)
PREPROCESSING = {"Normalization", "Rescaling", "Resizing", "CenterCrop", "Discretization", "CategoryEncoding"}


def _learns(lay) -> bool:
    return (lay.params > 0 and lay.class_name not in PREPROCESSING and not lay.class_name.startswith("Random")
            or lay.class_name in ("BatchNormalization", "LayerNormalization"))


def preprocess_plan(model_facts) -> tuple[list, str | None]:
    """The parameter-free layers on the way from the input to the first layer with weights (trainable or
    frozen: a pretrained backbone's first convolution), and that layer's path."""
    first = next((lay for lay in model_facts.leaves if _learns(lay)), None)
    if first is None:
        return [], None
    chain = [lay for lay in reversed(model_facts.upstream(first.path)[1:]) if not lay.is_input and not lay.is_model]
    return chain, first.path


def _preprocess(model_facts, objects, model, x):
    """x as it reaches the first layer with weights, after the model's own preprocessing (Rescaling,
    Normalization, preprocess_input's ops), read in one inference-mode pass that stops there."""
    applied, first = preprocess_plan(model_facts)
    if first is None or not applied:
        return x if not isinstance(x, list) else x[0], (), first
    from cnnlint.facts.capture import inputs_at

    reached = inputs_at(model, {first: objects[first]}, x)
    if first not in reached:
        return x, (), first
    return reached[first], tuple(lay.path for lay in applied), first


def backbone_inputs(model_facts, objects, model, x) -> dict:
    """For each pretrained nested model: (its first BatchNormalization, median over channels of |mean of the
    input there - moving mean| / moving std). Large values: the backbone is fed another input scale than the one
    it was trained on."""
    import math

    from cnnlint.facts.capture import inputs_at

    watched = {}
    for owner in model_facts.pretrained:
        bn = next((lay for lay in model_facts.inside(owner.path)
                   if lay.class_name == "BatchNormalization" and lay.bn_trained), None)
        if bn is not None:
            watched[owner.path] = bn
    if not watched:
        return {}
    reached = inputs_at(model, {p: objects[bn.path] for p, bn in watched.items()}, x)
    found = {}
    for owner, bn in watched.items():
        if owner not in reached:
            continue
        layer = objects[bn.path]
        axis = layer.axis if isinstance(layer.axis, int) else layer.axis[0]
        values = np.moveaxis(np.asarray(reached[owner], dtype=np.float64), axis, -1)
        values = values.reshape(-1, values.shape[-1])
        mean = np.asarray(layer.moving_mean, dtype=np.float64)
        std = np.sqrt(np.asarray(layer.moving_variance, dtype=np.float64) + float(layer.epsilon))
        z = np.abs(values.mean(axis=0) - mean) / std
        median = float(np.median(z))
        found[owner] = (bn.path, median if math.isfinite(median) else float("inf"))
    return found


def extract(target: str, model, x=None, y=None, *, source: str = "arrays", augmentation: dict | None = None,
            sample_shapes: tuple = (), pipeline_random: bool = False, batch_labels: tuple = (),
            unreadable: tuple = (), batch_size=None, epochs=None, validation_split=0.0, samples=None,
            steps_per_epoch=None, probe_requested=False) -> Facts:
    problems: list[Problem] = []
    names = list(getattr(model, "input_names", None) or [])
    xs = [np.asarray(v) for v in _as_list(x, names)]
    ys = [np.asarray(v) for v in _as_list(y, list(getattr(model, "output_names", None) or []))]
    problem = _ensure_built(model, xs[0] if xs else None)
    model_facts = objects = None
    if problem:
        problems.append(problem)
    else:
        try:
            model_facts, objects = extract_model(model)
        except Exception as exc:  # noqa: BLE001
            problems.append(Problem("build", f"cannot read the model's layers: {one_line(exc)}"))
    compile_facts = extract_compile(model)
    batch = None
    if xs:
        batch_kwargs = {}
        if model_facts is not None:  # known even when x does not fit: rules judge x itself then
            applied, first = preprocess_plan(model_facts)
            batch_kwargs = dict(preprocess_layers=tuple(lay.path for lay in applied), first_trainable=first)
        if model_facts is not None and model_facts.input_shapes and _compatible(xs[0].shape[1:], model_facts.input_shapes[0]):
            try:
                sample = xs[0][:PREPROCESS_SAMPLES]
                whole = sample if len(xs) == 1 else [v[:PREPROCESS_SAMPLES] for v in xs]
                out, applied, first = _preprocess(model_facts, objects, model, whole)
                batch_kwargs = dict(preprocessed=array_facts(out) if applied else array_facts(sample),
                                    preprocess_layers=applied, first_trainable=first,
                                    backbone_inputs=backbone_inputs(model_facts, objects, model, whole))
            except Exception as exc:  # noqa: BLE001
                problems.append(Problem("call", f"the model's preprocessing layers fail on the sample batch: {one_line(exc)}"))
        inputs = [array_facts(v, sample_shapes=sample_shapes if i == 0 else ()) for i, v in enumerate(xs)]
        batch = BatchFacts(inputs=tuple(inputs), labels=tuple(label_facts(v) for v in ys),
                           source=source, augmentation=dict(augmentation or {}), pipeline_random=pipeline_random,
                           label_mix=label_mix(batch_labels), unreadable=tuple(unreadable), **batch_kwargs)
    if samples is None and xs and source in ("arrays", "npz"):
        samples = int(xs[0].shape[0])
    plan = plan_facts(batch_size=batch_size, epochs=epochs, validation_split=validation_split, samples=samples,
                      steps_per_epoch=steps_per_epoch)
    task = task_facts(model_facts, compile_facts, batch)
    return Facts(target=target, model=model_facts, compile=compile_facts, batch=batch, plan=plan, task=task,
                 problems=tuple(problems), probe_requested=probe_requested)
