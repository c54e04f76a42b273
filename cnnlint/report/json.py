"""JSON output, a versioned schema: version, tool, targets, findings, summary."""
from __future__ import annotations

import json

SCHEMA_VERSION = 1


def summary(reports) -> dict:
    findings = [f for r in reports for f in r.findings]
    return {"targets": len(reports), "findings": len(findings),
            "errors": sum(f.severity == "error" for f in findings),
            "warnings": sum(f.severity == "warning" for f in findings),
            "infos": sum(f.severity == "info" for f in findings),
            "not_judged": sum(len(r.skipped) for r in reports),
            "broken_targets": sum(r.error is not None for r in reports),
            "ok": all(r.ok for r in reports)}


def document(reports) -> dict:
    from cnnlint import __version__

    return {
        "version": SCHEMA_VERSION,
        "tool": {"name": "cnnlint", "version": __version__},
        "targets": [{"target": r.target, "ok": r.ok, "fail_on": r.fail_on, "duration_s": round(r.duration, 3),
                     "findings": len(r.findings), "error": r.error,
                     "skipped": [{"code": c, "reason": why} for c, why in r.skipped],
                     **({"probe": r.probe} if r.probe else {})} for r in reports],
        "findings": [f.to_dict() for r in reports for f in r.findings],
        "summary": summary(reports),
    }


def render(reports) -> str:
    return json.dumps(document(reports), indent=2)
