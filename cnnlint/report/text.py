"""Human output: per target a findings table, the fixes and the rules that could not judge it, then
`N errors, M warnings; K rules not judged (X s: ...)`."""
from __future__ import annotations

from collections import Counter

from tabulate import tabulate


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _skipped_note(skipped) -> list[str]:
    by_reason: dict[str, list[str]] = {}
    for code, why in skipped:
        by_reason.setdefault(why, []).append(code)
    return [f"  not judged: {_plural(len(codes), 'rule')} ({', '.join(codes)}): {why}"
            for why, codes in by_reason.items()]


def render_target(report, *, quiet: bool = False) -> list[str]:
    lines = [f"{report.target}"]
    if report.error:
        return lines + [f"  error: {report.error} (not linted)"]
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


def _took(reports, duration: float | None) -> str:
    """`4.1 s: 3.2 s import and build, 0.9 s checks` when the whole run's time is known, else the checks'."""
    checks = sum(r.duration for r in reports)
    if duration is None or duration < checks + 0.05:
        return f"{checks:.1f} s"
    return f"{duration:.1f} s: {duration - checks:.1f} s import and build, {checks:.1f} s checks"


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
    tail = f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')}"
    if infos:
        tail += f", {infos} info"
    unjudged = sum(len(r.skipped) for r in reports if not r.error)
    if unjudged:
        tail += f"; {_plural(unjudged, 'rule')} not judged" + ("" if not quiet else " (run without -q for why)")
    broken = sum(r.error is not None for r in reports)
    if broken:
        tail += f"; {_plural(broken, 'target')} not linted"
    lines.append(f"{tail} ({_took(reports, duration)})")
    return "\n".join(lines)
