"""Baselines for adopting cnnlint on an existing codebase: record today's findings, fail only on new ones.

A finding's key is (target, code, layer path); messages are left out so that numbers may change."""
from __future__ import annotations

import json
from pathlib import Path

from cnnlint.errors import UsageError

VERSION = 1


def key(finding) -> tuple:
    return (finding.target or "", finding.code, finding.layer or "")


def write(path: str, reports) -> int:
    keys = sorted({key(f) for r in reports for f in r.findings})
    doc = {"version": VERSION, "tool": "cnnlint",
           "findings": [{"target": t, "code": c, "layer": layer} for t, c, layer in keys]}
    Path(path).write_text(json.dumps(doc, indent=2) + "\n")
    return len(keys)


def load(path: str) -> set[tuple]:
    try:
        doc = json.loads(Path(path).read_text())
        if doc.get("version") != VERSION:
            raise ValueError(f"baseline version {doc.get('version')!r}, expected {VERSION}")
        return {(item["target"], item["code"], item["layer"]) for item in doc["findings"]}
    except FileNotFoundError:
        raise UsageError(f"baseline not found: {path} (create it with --write-baseline)") from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise UsageError(f"cannot read baseline {path}: {exc}") from None


def apply(reports, keys: set[tuple]) -> tuple[int, int]:
    """Drop baselined findings from the reports; return (new findings, baselined findings now fixed)."""
    seen, new = set(), 0
    for report in reports:
        kept = []
        for finding in report.findings:
            if key(finding) in keys:
                seen.add(key(finding))
            else:
                kept.append(finding)
        new += len(kept)
        report.findings = kept
    targets = {r.target for r in reports if not r.error}  # a target not linted fixed nothing
    fixed = len({k for k in keys if k[0] in targets} - seen)
    return new, fixed
