"""Human output: per target a findings table, the fixes, then `N errors, M warnings (X s)`."""
from __future__ import annotations

from collections import Counter

from tabulate import tabulate


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _skipped_note(skipped) -> list[str]:
    by_reason: dict[str, list[str]] = {}
    for code, why in skipped:
        by_reason.setdefault(why, []).append(code)
    return [f"  skipped {_plural(len(codes), 'rule')} ({', '.join(codes)}): {why}" for why, codes in by_reason.items()]


def render_target(report, *, quiet: bool = False) -> list[str]:
    lines = [f"{report.target}"]
    if report.findings:
        rows = [(f.code, f.name, f.severity, f.layer or "-", f.message) for f in report.findings]
        table = tabulate(rows, headers=("code", "name", "severity", "layer", "message"), maxcolwidths=[None] * 4 + [72])
        lines += ["  " + line for line in table.splitlines()]
        fixes = [f for f in report.findings if f.fix]
        if fixes:
            lines.append("  fixes:")
            lines += [f"    {f.code}{' (' + f.layer + ')' if f.layer else ''}: {f.fix}" for f in fixes]
    else:
        lines.append("  no findings")
    if not quiet:
        lines += _skipped_note(report.skipped)
    return lines


def statistics(reports) -> str:
    counts = Counter((f.code, f.name, f.severity) for r in reports for f in r.findings)
    rows = [(n, code, name, sev) for (code, name, sev), n in counts.most_common()]
    return tabulate(rows, headers=("count", "code", "name", "severity")) if rows else "no findings"


def render(reports, *, quiet: bool = False, duration: float | None = None, show_statistics: bool = False) -> str:
    lines: list[str] = []
    for report in reports:
        lines += render_target(report, quiet=quiet)
    if show_statistics:
        lines += ["", statistics(reports)]
    findings = [f for r in reports for f in r.findings]
    errors = sum(f.severity == "error" for f in findings)
    warnings = sum(f.severity == "warning" for f in findings)
    infos = len(findings) - errors - warnings
    took = duration if duration is not None else sum(r.duration for r in reports)
    tail = f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')}"
    if infos:
        tail += f", {infos} info"
    lines.append(f"{tail} ({took:.1f} s)")
    return "\n".join(lines)
