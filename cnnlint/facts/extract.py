"""Compute every fact for one target, once. A failure becomes a Problem (CNN902), never a crash."""
from __future__ import annotations

import numpy as np

from cnnlint.facts import Facts, Problem
from cnnlint.facts.batch import BatchFacts, array_facts, label_facts
from cnnlint.facts.compile import extract_compile
from cnnlint.facts.model import extract_model
from cnnlint.facts.plan import plan_facts

PREPROCESS_SAMPLES = 64


def one_line(exc: BaseException) -> str:
    """An exception as one short line: `ValueError: ...` (Keras messages can run for pages)."""
    text = " ".join(str(exc).split())
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


def preprocess_plan(model_facts) -> tuple[list, str | None]:
    """The model's leading parameter-free layers (a linear chain), and the first layer with weights."""
    applied, first_trainable = [], None
    chain_end = None
    for lay in model_facts.layers:
        if lay.is_input or lay.is_model:
            continue
        if lay.has_weights or lay.class_name in ("BatchNormalization", "LayerNormalization"):
            first_trainable = lay.path
            break
        if chain_end is not None and lay.inbound != (chain_end,):
            break  # the graph branches: stop at the linear prefix
        applied.append(lay)
        chain_end = lay.path
    return applied, first_trainable


def _preprocess(model_facts, objects, x):
    """x as it reaches the first trainable layer, through the model's leading parameter-free layers."""
    applied, first_trainable = preprocess_plan(model_facts)
    if not applied:
        return x, (), first_trainable
    out = x
    for lay in applied:
        out = objects[lay.path](out, training=False)
    return np.asarray(out), tuple(lay.path for lay in applied), first_trainable


def extract(target: str, model, x=None, y=None, *, source: str = "arrays", augmentation: dict | None = None,
            sample_shapes: tuple = (),
            batch_size=None, epochs=None, validation_split=0.0, samples=None, steps_per_epoch=None,
            probe_requested=False) -> Facts:
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
                out, applied, first = _preprocess(model_facts, objects, sample)
                batch_kwargs = dict(preprocessed=array_facts(out) if applied else array_facts(sample),
                                    preprocess_layers=applied, first_trainable=first)
            except Exception as exc:  # noqa: BLE001
                problems.append(Problem("call", f"the model's preprocessing layers fail on the sample batch: {one_line(exc)}"))
        inputs = [array_facts(v, sample_shapes=sample_shapes if i == 0 else ()) for i, v in enumerate(xs)]
        batch = BatchFacts(inputs=tuple(inputs), labels=tuple(label_facts(v) for v in ys),
                           source=source, augmentation=dict(augmentation or {}), **batch_kwargs)
    if samples is None and xs and source in ("arrays", "npz"):
        samples = int(xs[0].shape[0])
    plan = plan_facts(batch_size=batch_size, epochs=epochs, validation_split=validation_split, samples=samples,
                      steps_per_epoch=steps_per_epoch)
    return Facts(target=target, model=model_facts, compile=compile_facts, batch=batch, plan=plan,
                 problems=tuple(problems), probe_requested=probe_requested)
