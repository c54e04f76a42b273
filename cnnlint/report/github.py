"""GitHub Actions workflow commands: one `::error|warning|notice file=F,line=L,title=T::message` a finding.

GitHub turns each line into an annotation on the factory's `def` line. The message is `<layer>: `
(when the finding names one), the finding's message, then `Fix: ...` on a second line. Data is escaped
as the runner expects (`%`, CR, LF); property values also escape `:` and `,`. `file`/`line` are left
out when unknown.
"""
from __future__ import annotations

from pathlib import Path

COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def relative_path(file) -> str:
    """The file relative to the current directory (the workspace in a job) when inside it, with `/`."""
    path = Path(file).resolve()
    try:
        return path.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def line_for(report, finding) -> str:
    props = []
    if report.file is not None:
        props.append(f"file={escape_property(relative_path(report.file))}")
        if report.line:
            props.append(f"line={int(report.line)}")
    props.append(f"title={escape_property(f'{finding.code} {finding.name}')}")
    where = f"{finding.layer}: " if finding.layer else ""
    text = f"{where}{finding.message}" + (f"\nFix: {finding.fix}" if finding.fix else "")
    return f"::{COMMANDS.get(finding.severity, 'warning')} {','.join(props)}::{escape_data(text)}"


def render(reports) -> str:
    broken = [f"::error title=cnnlint {escape_property(r.target)}::{escape_data(r.error)}" for r in reports if r.error]
    return "\n".join(broken + [line_for(r, f) for r in reports for f in r.findings])
