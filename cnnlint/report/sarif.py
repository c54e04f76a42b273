"""SARIF 2.1.0 output (GitHub code scanning, VS Code's SARIF viewer): one run, every rule, one result a finding.

Rule `name` is the kebab-case name (as `--select` takes it, and as ruff writes it), `id` the code. A result
points at the factory's `def` line (or the .keras file) under `%SRCROOT%`, the current directory; the layer
goes in `logicalLocations`. `partialFingerprints["cnnlint/v1"]` hashes (target, code, layer), so a finding
keeps its identity across runs while its message (which carries measured numbers) changes.
"""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from urllib.parse import quote

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "cnnlint/v1"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def level(severity: str) -> str:
    return LEVELS.get(severity, "warning")


def fingerprint(target: str, code: str, layer: str | None) -> str:
    """A stable identity for a finding: sha256 of target, code and layer (not the message), 32 hex digits."""
    return hashlib.sha256("\0".join((target, code, layer or "")).encode()).hexdigest()[:32]


def _section(doc: str, title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\s*\n(.*?)(?=^## |\Z)", doc, re.DOTALL | re.MULTILINE)
    return " ".join(match.group(1).split()) if match else ""


def _descriptor(code: str, name: str, severity: str, summary: str, doc: str) -> dict:
    summary = summary or name
    descriptor = {"id": code, "name": name, "shortDescription": {"text": summary},
                  "fullDescription": {"text": _section(doc, "What it does") or summary},
                  "defaultConfiguration": {"level": level(severity)}}
    if doc:
        descriptor["help"] = {"text": doc, "markdown": doc}
    return descriptor


def _rules(reports) -> list[dict]:
    from cnnlint.registry import all_rules

    rules = [_descriptor(code, cls.name, cls.severity, cls.summary(), cls.doc()) for code, cls in all_rules().items()]
    known = {rule["id"] for rule in rules}
    for finding in (f for r in reports for f in r.findings):  # a code no registered rule owns still gets one
        if finding.code not in known:
            known.add(finding.code)
            rules.append(_descriptor(finding.code, finding.name, finding.severity, "", ""))
    return rules


def artifact_location(file) -> dict:
    """The file as a URI: relative to the current directory (under %SRCROOT%) when inside it, else file://."""
    path = Path(file).resolve()
    try:
        relative = path.relative_to(Path.cwd().resolve())
    except ValueError:
        return {"uri": path.as_uri()}
    return {"uri": quote(relative.as_posix()), "uriBaseId": SRCROOT}


def _directory_uri(path: Path) -> str:
    uri = path.resolve().as_uri()
    return uri if uri.endswith("/") else uri + "/"


def _result(report, finding, index: int) -> dict:
    text = finding.message + (f"\nFix: {finding.fix}" if finding.fix else "")
    target = finding.target or report.target
    result: dict = {"ruleId": finding.code, "ruleIndex": index, "level": level(finding.severity),
                    "message": {"text": text}}
    location: dict = {}
    if report.file is not None:
        location["physicalLocation"] = {"artifactLocation": artifact_location(report.file)}
        if report.line:
            location["physicalLocation"]["region"] = {"startLine": int(report.line)}
    if finding.layer:
        location["logicalLocations"] = [{"fullyQualifiedName": f"{target}/{finding.layer}",
                                         "name": finding.layer, "kind": "member"}]
    if location:
        result["locations"] = [location]
    result["partialFingerprints"] = {FINGERPRINT_KEY: fingerprint(target, finding.code, finding.layer)}
    result["properties"] = {"target": target, "phase": finding.phase, "severity": finding.severity}
    return result


def _invocation(reports) -> dict:
    """Targets that could not be linted are error notifications (the run did not succeed for them); rules that
    could not judge a target are notes naming the rule."""
    notes = [{"level": "error", "message": {"text": f"{r.target}: {r.error}"}} for r in reports if r.error]
    notes += [{"level": "note", "message": {"text": f"{r.target}: {code} not judged: {why}"},
               "associatedRule": {"id": code}} for r in reports for code, why in r.skipped]
    return {"executionSuccessful": not any(r.error for r in reports),
            **({"toolExecutionNotifications": notes} if notes else {})}


def document(reports) -> dict:
    from cnnlint import __version__

    rules = _rules(reports)
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    results = [_result(r, f, index[f.code]) for r in reports for f in r.findings]
    run = {"tool": {"driver": {"name": "cnnlint", "version": __version__, "semanticVersion": __version__,
                               "rules": rules}},
           "originalUriBaseIds": {SRCROOT: {"uri": _directory_uri(Path.cwd())}},
           "results": results,
           "invocations": [_invocation(reports)]}
    return {"$schema": SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}


def render(reports) -> str:
    return json.dumps(document(reports), indent=2)
