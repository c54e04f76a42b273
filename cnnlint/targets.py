"""Lint configured or named targets the same way for every entry point (the CLI, the pytest plugin,
pre-commit): resolve each target's data, plan and config, load it, check it, apply in-code suppressions."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from cnnlint import config as config_mod
from cnnlint import engine, registry
from cnnlint.errors import UsageError

PLAN_KEYS = ("batch_size", "epochs", "validation_split", "samples")
SUPPRESSION = re.compile(r"#\s*cnnlint:\s*ignore\[([^\]]*)\]")


@dataclass
class Options:
    """What one run asks of every target: CLI flags or plugin options (None: take the config's)."""

    select: list | None = None
    extend_select: list = field(default_factory=list)
    ignore: list = field(default_factory=list)
    fail_on: str | None = None
    data: str | None = None
    batch_size: int | None = None
    epochs: int | None = None
    validation_split: float | None = None
    samples: int | None = None
    unsafe: bool = False
    probe: bool = True
    probe_steps: int = 50
    probe_timeout: float | None = None  # None: the probe's default budget, stretched for a slow model
    probe_seeds: int = 1
    memory_limit: str | None = None
    memory_margin: float = 0.05
    config_path: str | None = None  # an explicit --config: no per-target config discovery


def jobs(cfg, targets, options: Options) -> list[dict]:
    """One dict per target: spec, data and plan; options over the target's table over the config."""
    named = bool(targets)
    entries = [{"target": t} for t in targets] or cfg.targets
    if not entries:
        raise UsageError("no target: give file.py:factory or model.keras, or set [tool.cnnlint] targets")
    out = []
    for entry in entries:
        job = {"target": entry["target"], "data": options.data or entry.get("data") or cfg.data,
               "root": None if named or not cfg.path else cfg.root}
        for key in PLAN_KEYS:
            value = getattr(options, key)
            job[key] = value if value is not None else entry.get(key.replace("_", "-"))
        out.append(job)
    return out


def config_for(job, cfg, options: Options):
    """The config nearest the target's file (as ruff does per file), else the run's config."""
    target, root = job["target"], job["root"]
    ref = target.rpartition(":")[0] if ":" in target and not target.endswith(".keras") else target
    path = Path(ref) if root is None else root / ref
    if options.config_path or not path.suffix or not path.exists():
        return cfg
    nearest = config_mod.find_pyproject(path.resolve().parent)
    return cfg if nearest is None or nearest == cfg.path else config_mod.load(nearest)


def suppressions(file: Path | None, line: int | None) -> list[str]:
    """Rule selectors in a `# cnnlint: ignore[CODE, name]` comment on the factory's `def` line."""
    if file is None or line is None:
        return []
    try:
        text = file.read_text().splitlines()[line - 1]
    except (OSError, IndexError, UnicodeDecodeError):
        return []
    match = SUPPRESSION.search(text)
    return [s.strip() for s in match.group(1).split(",") if s.strip()] if match else []


def _suppress(report, selectors, cfg, options: Options) -> None:
    """Drop findings a def-line comment suppresses; report each selector that matched nothing (CNN903)."""
    if not selectors:
        return
    chosen = {r.code for r in engine.select(cfg, select=options.select, extend_select=options.extend_select,
                                            ignore=options.ignore)}
    unused = []
    for selector in selectors:
        codes = set(registry.resolve(selector))
        before = len(report.findings)
        report.findings = [f for f in report.findings if f.code not in codes]
        if len(report.findings) == before:
            unused.append(selector)
    if "CNN903" in chosen:
        rule = registry.all_rules()["CNN903"]()
        report.findings = engine.ordered(report.findings + [
            rule.finding(f"`# cnnlint: ignore[{s}]` on {report.target} suppressed nothing",
                         fix="remove it from the def line").with_(target=report.target) for s in unused])


def lint(job, cfg, options: Options, progress=None):
    """Load one target and lint it; a model Keras refuses to build is still reported (CNN201)."""
    from cnnlint.api import check, lint_facts
    from cnnlint.facts import Facts
    from cnnlint.loader import CollapsedModel, load_data, load_target

    from cnnlint.progress import say

    cfg = config_for(job, cfg, options)
    say(progress, "building the model")
    common = dict(select=options.select, extend_select=options.extend_select, ignore=options.ignore,
                  fail_on=options.fail_on)
    try:
        loaded = load_target(job["target"], unsafe=options.unsafe, root=job["root"])
    except CollapsedModel as collapsed:  # Keras refused to build it: CNN201 still names the layer
        report = lint_facts(Facts(target=job["target"], problems=(collapsed.problem,)), cfg, **common)
        report.file, report.line = collapsed.file, collapsed.line
        _suppress(report, suppressions(collapsed.file, collapsed.line), cfg, options)
        return report
    sample = loaded.sample
    if job["data"]:
        inputs = getattr(loaded.model, "inputs", None)
        rank = len(inputs[0].shape) - 1 if inputs else None
        data_root = cfg.root if cfg.path and not options.data else None
        say(progress, "reading the data")
        sample = load_data(job["data"], sample_rank=rank, root=data_root)
    say(progress, "checking")
    report = check(loaded.model, sample, batch_size=job["batch_size"], epochs=job["epochs"],
                   validation_split=job["validation_split"] or 0.0, samples=job["samples"], config=cfg,
                   target=job["target"], probe=options.probe, probe_steps=options.probe_steps,
                   probe_timeout=options.probe_timeout, probe_seeds=options.probe_seeds,
                   memory_limit=options.memory_limit, memory_margin=options.memory_margin, progress=progress,
                   **common)
    report.file, report.line = loaded.file, loaded.line
    _suppress(report, suppressions(loaded.file, loaded.line), cfg, options)
    return report
