"""Decide whether to probe, run the probe for each seed, and fold its findings into the report."""
from __future__ import annotations

import math
import time
from dataclasses import asdict, replace

from cnnlint import engine

MEMORY_SHARE = 0.5  # of --probe-timeout at most for the memory search; the fit gets the rest
DEFAULT_TIMEOUT = 60.0  # without --probe-timeout: the budget, which a slow model may stretch to STRETCH_TO
STRETCH_TO = 180.0


def why_not(facts, report) -> str | None:
    """The reason the probe cannot or should not run, or None."""
    if facts.model is None:
        return "the model could not be built"
    if facts.batch is None:
        return "needs a sample batch (--data)"
    own = facts.model.custom_train_step and facts.compile is not None and facts.compile.optimizer
    if facts.compile is None or not facts.compile.compiled and not own:
        return "the model is not compiled"
    if facts.batch.y is None and not facts.model.custom_train_step:
        return "the sample has no labels (y): fitting needs them (give x and y, or a dataset of (x, y))"
    if report.errors:
        return "the static rules found errors: fix them first"
    return None


def _limit(memory_limit):
    if memory_limit is None or isinstance(memory_limit, int):
        return memory_limit
    from cnnlint.probe.memory import parse_size

    return parse_size(str(memory_limit))


def _folded(per_seed: list[list], seeds: int) -> list:
    """One finding per (code, layer); with several seeds, say in how many the symptom appeared."""
    first, counts = {}, {}
    for findings in per_seed:
        for f in {(f.code, f.layer): f for f in findings}.values():
            first.setdefault((f.code, f.layer), f)
            counts[(f.code, f.layer)] = counts.get((f.code, f.layer), 0) + 1
    if seeds == 1:
        return list(first.values())
    return [f.with_(message=f"{f.message} (in {counts[key]} of {seeds} seeds)") for key, f in first.items()]


def _plain(value):
    """JSON-safe: NaN/Inf become strings, tuples lists."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def probe_report(report, model, sample, facts, cfg, *, select=None, extend_select=None, ignore=None, steps=50,
                 timeout=None, seeds=1, seed=0, memory_limit=None, memory_margin=0.05,
                 progress=None) -> None:
    """Run the probe rules (if any are selected) and add their findings and measurements to `report`."""
    from cnnlint.probe.runner import measure_memory, run_probe

    rules = [r for r in engine.select(cfg, select=select, extend_select=extend_select, ignore=ignore, probe=True)
             if r.phase == "probe"]
    if not rules:
        return
    reason = why_not(facts, report)
    if reason:
        report.skipped += [(r.code, f"probe skipped: {reason}") for r in rules]
        return
    from cnnlint.errors import UsageError
    from cnnlint.facts.extract import one_line
    from cnnlint.probe.runner import ProbeSkipped

    limit, per_seed, runs = _limit(memory_limit), [], []
    started = time.perf_counter()
    firm = timeout is not None  # --probe-timeout is firm; the default budget stretches for a slow model
    timeout = timeout if firm else DEFAULT_TIMEOUT
    end, far = started + timeout, started + (timeout if firm else STRETCH_TO)  # the whole probe, memory included
    try:
        memory = None
        if any(r.code == "CNN403" for r in rules):
            memory = measure_memory(model, sample, facts, limit, progress=progress, margin=memory_margin,
                                    deadline=started + MEMORY_SHARE * timeout)
        for i in range(max(1, seeds)):
            now, left = time.perf_counter(), max(1, seeds) - i  # seeds share what is left
            share = max(0.0, end - now) / left
            run = run_probe(model, sample, facts, steps=steps, timeout=share, seed=seed + i,
                            stretch=None if firm else max(share, (far - now) / left),
                            memory=memory, progress=progress)
            runs.append(run)
            found, not_judged = engine.run(replace(facts, probe=replace(run, seeds=seeds)), rules, cfg)
            per_seed.append(found)
            if i == 0:
                first_not_judged = not_judged
    except UsageError:
        raise
    except ProbeSkipped as exc:
        report.skipped += [(r.code, f"probe skipped: {exc}") for r in rules]
        return
    except Exception as exc:  # noqa: BLE001 - a probe failure is a note; the static report stands
        report.skipped += [(r.code, f"probe failed ({one_line(exc)}); the static findings stand") for r in rules]
        return
    finally:
        close = getattr(progress, "close", None)
        if close is not None:
            close()
    unjudged = {code for code in runs[0].unjudged}
    report.skipped += [(r.code, f"probe could not judge: {runs[0].unjudged[r.code]}") for r in rules
                       if r.code in unjudged]
    report.skipped += [(code, why) for code, why in first_not_judged if code not in unjudged]
    per_seed = [engine.with_causes([f for f in found if f.code not in unjudged], report.findings)
                for found in per_seed]
    static = engine.contradicted(report.findings, runs[0])
    report.findings = engine.ordered(static + _folded(per_seed, max(1, seeds)), facts)
    report.probe = _plain({**asdict(runs[0]), "seeds": max(1, seeds)})
