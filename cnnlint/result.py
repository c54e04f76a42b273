"""Report: what one target's run found, with helpers for tests and scripts."""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from cnnlint.finding import Finding, severity_rank


class LintFailed(AssertionError):
    """Raised by Report.assert_clean; its message is the findings table with the fixes."""


@dataclass
class Report:
    target: str
    findings: list[Finding] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (code, why)
    duration: float = 0.0
    fail_on: str = "error"
    probe: dict | None = None  # what the probe measured, when it ran
    file: object = None  # pathlib.Path of the factory (or .keras file), when loaded from one
    line: int | None = None  # the factory's `def` line
    error: str | None = None  # the target could not be linted at all (a one-line reason): nothing was judged

    @property
    def not_judged(self) -> list[tuple[str, str]]:
        """(code, why) of each selected rule that could not judge this target (also when the probe could not run)."""
        return list(self.skipped)

    def at_least(self, severity: str) -> list[Finding]:
        return [f for f in self.findings if severity_rank(f.severity) >= severity_rank(severity)]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def ok(self) -> bool:
        return self.error is None and not self.at_least(self.fail_on)

    def codes(self) -> set[str]:
        return {f.code for f in self.findings}

    def to_dict(self) -> dict:
        from cnnlint.report.json import document

        return document([self])

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    def assert_clean(self, fail_on: str | None = None) -> None:
        failing = self.at_least(fail_on or self.fail_on)
        if failing:
            from cnnlint.report.text import render

            raise LintFailed(f"cnnlint found {len(failing)} problem(s) at or above "
                             f"{fail_on or self.fail_on}:\n" + render([self], quiet=True))

    def __str__(self) -> str:
        from cnnlint.report.text import render

        return render([self])
