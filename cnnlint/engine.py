"""Select rules, run each on the facts, and turn the results into findings.

A rule that raises becomes a CNN901 finding and the run goes on. Severity overrides, per-layer
ignores and unused-suppression reports (CNN903) are applied here, once, for every entry point.
"""
from __future__ import annotations

import fnmatch

from cnnlint import registry
from cnnlint.config import Config
from cnnlint.errors import UsageError
from cnnlint.facts.extract import one_line
from cnnlint.finding import Finding, severity_rank
from cnnlint.rule import NotJudged

ENGINE_CODES = {"CNN901", "CNN903"}  # emitted by the engine itself, never skipped for missing facts


def select(config: Config, *, select=None, extend_select=None, ignore=None, probe: bool = True) -> list:
    """Rule instances to run: CLI/API arguments override the config's select, and add to its lists."""
    rules = registry.all_rules()
    chosen = registry.resolve_all(select if select is not None else config.select if config.select is not None
                                  else ["ALL"])
    chosen |= registry.resolve_all([*config.extend_select, *(extend_select or [])])
    chosen -= registry.resolve_all([*config.ignore, *(ignore or [])])
    named = {str(s).upper() for s in [*(select if select is not None else config.select or []),
                                      *config.extend_select, *(extend_select or [])]}
    chosen = {c for c in chosen if not rules[c].opt_in or c in named or rules[c].name.upper() in named}
    picked = [rules[code](config.options.get(code)) for code in rules if code in chosen]
    return [rule for rule in picked if probe or rule.phase != "probe"]


def require_rules(config: Config, **selection) -> None:
    """A selection (select's keywords) that runs no rule is a usage error: its empty report would read as clean."""
    if not select(config, **selection):
        chosen = selection.get("select")
        given = f"select={','.join(chosen)!r}" if chosen is not None else "the config's select and ignore"
        raise UsageError(f"{given} selects no rules, so nothing would be checked; `cnnlint rule --all` lists them")


def _crash(rule, exc: BaseException) -> Finding:
    crashed = registry.all_rules()["CNN901"]()
    return crashed.finding(f"rule {rule.code} {rule.name} crashed: {one_line(exc)}",
                           fix="report this bug; the other rules still ran")


def _unused(text: str) -> Finding:
    return registry.all_rules()["CNN903"]().finding(text, fix="remove it from [tool.cnnlint]")


def run(facts, rules: list, config: Config) -> tuple[list[Finding], list[tuple[str, str]]]:
    """Findings, sorted most severe first, and (code, reason) for each rule that was skipped."""
    findings: list[Finding] = []
    skipped: list[tuple[str, str]] = []
    for rule in rules:
        missing = [need for need in rule.needs if getattr(facts, need) is None]
        if missing and rule.code not in ENGINE_CODES:
            skipped.append((rule.code, "needs " + " and ".join(_NEED_WORDS.get(m, m) for m in missing)))
            continue
        try:
            findings.extend(rule.check(facts))
        except NotJudged as why:
            skipped.append((rule.code, f"could not judge: {why}"))
        except Exception as exc:  # noqa: BLE001 - a crashing rule must not stop the run
            findings.append(_crash(rule, exc))
    findings = _apply_overrides(findings, facts, config, run_codes={r.code for r in rules})
    findings = [f.with_(severity=config.severities.get(f.code, f.severity), target=facts.target) for f in findings]
    return ordered(findings, facts), skipped


def ordered(findings, facts=None) -> list[Finding]:
    """Most severe first, then by code, then by the layer's position in the model (when known; the sort is
    stable, so an earlier layer order survives a re-sort without facts)."""
    order = {lay.path: lay.index for lay in facts.model.layers} if facts is not None and facts.model else {}
    return sorted(findings, key=lambda f: (-severity_rank(f.severity), f.code, order.get(f.layer, -1)))


_NEED_WORDS = {"batch": "a sample batch (--data)", "plan": "the training plan", "probe": "the probe fit",
               "model": "a built model", "compile": "compile settings"}


def _apply_overrides(findings, facts, config: Config, run_codes) -> list[Finding]:
    if not config.overrides:
        return findings
    paths = [lay.path for lay in facts.model.layers] if facts.model else []
    kept = []
    used = [0] * len(config.overrides)
    for finding in findings:
        hit = None
        for i, override in enumerate(config.overrides):
            if finding.code in override["ignore"] and finding.layer and any(
                    fnmatch.fnmatchcase(finding.layer, pattern) for pattern in override["layers"]):
                hit = i
                break
        if hit is None:
            kept.append(finding)
        else:
            used[hit] += 1
    if "CNN903" in run_codes:
        for override, count in zip(config.overrides, used):
            if count:
                continue
            patterns = override["layers"]
            if paths and not any(fnmatch.fnmatchcase(p, pat) for p in paths for pat in patterns):
                kept.append(_unused(f"override layers={patterns} matches no layer of the model"))
            elif paths:
                kept.append(_unused(f"override ignore={override['selectors']} for layers={patterns} "
                                    f"suppressed nothing"))
    return kept


# Static predictions the probe can contradict: code -> (what disproves it, how to say what the probe saw)
def _memorized(probe) -> bool:
    start = probe.start_loss - probe.penalty if probe.start_loss is not None else None
    return bool(probe.stopped_early or start and probe.final_loss is not None
                and probe.final_loss - probe.loss_floor < 0.1 * (start - probe.loss_floor))


def _fell_smoothly(probe) -> bool:
    from cnnlint.probe.runner import diverged

    start = probe.start_loss
    return bool(probe.losses and start and not diverged(probe.initial_loss, probe.losses)
                and min(probe.losses[-5:]) < 0.95 * start)


CONTRADICTED = {
    "CNN205": (_memorized, "the probe memorized its batch anyway (no underfitting seen)"),
    "CNN303": (_fell_smoothly, "the probe's loss fell smoothly at this learning rate"),
}
# Probe symptoms and the static findings that cause them, most likely cause first
CAUSES = {
    "CNN401": ("CNN103", "CNN114", "CNN112", "CNN303"),
    "CNN404": ("CNN103", "CNN114", "CNN112", "CNN105"),
    "CNN407": ("CNN103", "CNN114", "CNN112", "CNN303"),
    "CNN408": ("CNN103", "CNN114", "CNN303"),
    "CNN409": ("CNN103", "CNN114"),
    "CNN402": ("CNN303", "CNN213"),
    "CNN405": ("CNN303", "CNN216", "CNN202"),
    "CNN406": ("CNN203",),
}


def contradicted(static: list[Finding], probe) -> list[Finding]:
    """A static prediction the probe contradicts drops to info and says what the probe saw."""
    kept = []
    for f in static:
        test = CONTRADICTED.get(f.code)
        if test and f.severity != "info" and probe is not None and test[0](probe):
            f = f.with_(severity="info", message=f"{f.message} ({test[1]})")
        kept.append(f)
    return kept


def with_causes(probed: list[Finding], static: list[Finding]) -> list[Finding]:
    """A probe symptom whose cause is a static finding of the same report names it and takes its fix."""
    by_code = {f.code: f for f in static if f.severity != "info"}
    out = []
    for f in probed:
        cause = next((by_code[c] for c in CAUSES.get(f.code, ()) if c in by_code), None)
        if cause is not None:
            f = f.with_(message=f"{f.message}; likely cause: {cause.code} {cause.name} ({cause.message})",
                        fix=cause.fix or f.fix, severity="error" if f.code == "CNN401" else f.severity)
        out.append(f)
    return out
